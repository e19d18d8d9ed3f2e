# Every RVC instruction written with its c. mnemonic (assembled with RVC only).
c.addi4spn s0, sp, 8
c.addi4spn a5, sp, 1020
c.fld fa0, 8(a1)
c.lw a0, 4(a1)
c.ld a2, 8(a3)
c.fsd fa1, 16(a2)
c.sw a3, 64(a4)
c.sd a5, 200(s0)
c.nop
c.addi a0, -32
c.addi t0, 31
c.addiw a1, -1
c.addiw s2, 0
c.li a0, -32
c.li t6, 31
c.addi16sp sp, -512
c.addi16sp sp, 496
c.lui a0, 0x1f
c.lui s3, 0xfffe0
c.srli a0, 63
c.srai a1, 32
c.andi a2, -1
c.andi a3, 15
c.sub a4, a5
c.xor s0, s1
c.or a0, a1
c.and a2, a3
c.subw a4, a5
c.addw s0, s1
c.j . + 2046
c.j . - 2048
c.beqz a0, . + 254
c.beqz s1, . - 256
c.bnez a5, . + 2
c.slli a0, 63
c.slli t2, 1
c.fldsp ft0, 504(sp)
c.lwsp ra, 252(sp)
c.ldsp s11, 504(sp)
c.jr ra
c.jr t0
c.mv a0, a1
c.ebreak
c.jalr a5
c.jalr ra
c.add a0, a1
c.fsdsp fs0, 504(sp)
c.swsp ra, 252(sp)
c.sdsp s11, 504(sp)
