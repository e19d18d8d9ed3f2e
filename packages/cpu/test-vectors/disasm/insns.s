# Instructions for the disassembler vectors (make-vectors.sh assembles this file twice:
# with RVC, where GNU as compresses what it can, and without). One line per instruction.
top:
# RV64I: upper immediates, jumps
lui a0, 0x12345
lui t6, 0xfffff
auipc ra, 0
auipc s1, 0x80000
jal top
jal zero, top
jal a0, top
j fwd
jalr a0
jalr zero, 0(ra)
jalr ra, 0(t0)
jalr t1, 0(a2)
jalr s0, -8(a1)
jalr 16(a5)
jr a3
jr 32(a4)
ret
fwd:
# branches and their pseudo-instructions
beq a0, a1, top
bne s2, s3, top
blt t0, t1, fwd
bge a4, a5, fwd
bltu s10, s11, top
bgeu t3, t4, top
beqz a0, top
bnez s1, fwd
blez a2, top
bgez a3, fwd
bltz a4, top
bgtz a5, fwd
bgt a0, a1, top
ble a2, a3, top
bgtu a4, a5, top
bleu a6, a7, top
beq zero, zero, top
bge zero, zero, top
# loads and stores
lb a0, 0(a1)
lh a1, -2(a2)
lw a2, 2047(a3)
ld ra, 8(sp)
lbu s0, -2048(s1)
lhu t0, 100(gp)
lwu t1, -100(tp)
ld s11, 504(sp)
lw a5, 124(s1)
sb a0, 0(a1)
sh a1, -2(a2)
sw a2, 2047(a3)
sd ra, 8(sp)
sd s0, -2048(s1)
sw ra, 252(sp)
# register-immediate
nop
li a0, 0
li a0, -1
li t0, 2047
li t1, -2048
li s1, 31
mv a0, a1
mv s0, sp
addi sp, sp, -16
addi sp, sp, 496
addi a0, sp, 8
addi a1, a1, 1
addi t0, t0, -2048
addi zero, zero, 1
addi zero, a0, 0
slti a0, a1, -5
slti a0, a1, 5
sltiu a0, a1, 1
seqz t0, t1
sltiu a0, a1, -1
sltiu a0, a1, 2
xori a0, a1, 0x55
xori a0, a1, -1
not s2, s3
ori a0, a1, 0x7ff
ori a0, a1, -2048
andi a0, a1, 0xff
zext.b a2, a3
andi a0, a0, 15
andi a0, a0, -16
slli a0, a1, 0
slli a0, a1, 63
slli a0, a0, 12
srli a0, a1, 1
srli a0, a0, 32
srai a0, a1, 63
srai s0, s0, 3
# register-register
add a0, a1, a2
add ra, ra, a1
add a0, zero, a1
sub a0, a1, a2
neg a0, a1
sub a0, a0, a1
sll a0, a1, a2
slt a0, a1, a2
sltz a0, a1
sgtz a0, a1
sltu a0, a1, a2
snez a0, a1
sltu a0, a1, zero
xor a0, a1, a2
xor s0, s0, s1
srl a0, a1, a2
sra a0, a1, a2
or a0, a1, a2
or a0, a0, a1
and a0, a1, a2
and a2, a2, a3
# RV64I word operations
addiw a0, a1, 1
addiw a0, a0, -1
addiw s2, s2, 17
sext.w a0, a1
sext.w a5, a5
slliw a0, a1, 31
srliw a0, a1, 1
sraiw a0, a1, 0
addw a0, a1, a2
addw s0, s0, s1
subw a0, a1, a2
subw a4, a4, a5
negw a0, a1
sllw a0, a1, a2
srlw a0, a1, a2
sraw a0, a1, a2
# M
mul a0, a1, a2
mulh a0, a1, a2
mulhsu a0, a1, a2
mulhu a0, a1, a2
div a0, a1, a2
divu a0, a1, a2
rem a0, a1, a2
remu a0, a1, a2
mulw a0, a1, a2
divw a0, a1, a2
divuw a0, a1, a2
remw a0, a1, a2
remuw a0, a1, a2
# A
lr.w a0, (a1)
lr.w.aq a0, (a1)
lr.w.aqrl a0, (a1)
lr.d t0, (sp)
lr.d.rl t0, (sp)
sc.w a0, a2, (a1)
sc.w.rl a0, a2, (a1)
sc.d a0, a2, (a1)
sc.d.aqrl a0, a2, (a1)
amoswap.w a0, a1, (a2)
amoswap.w.aq a0, a1, (a2)
amoadd.w a0, a1, (a2)
amoxor.w.rl a0, a1, (a2)
amoand.w a0, a1, (a2)
amoor.w.aqrl a0, a1, (a2)
amomin.w a0, a1, (a2)
amomax.w a0, a1, (a2)
amominu.w a0, a1, (a2)
amomaxu.w a0, a1, (a2)
amoswap.d a0, a1, (a2)
amoadd.d.aq zero, a1, (a2)
amoxor.d a0, a1, (a2)
amoand.d.rl a0, a1, (a2)
amoor.d a0, a1, (a2)
amomin.d a0, a1, (a2)
amomax.d.aqrl a0, a1, (a2)
amominu.d a0, a1, (a2)
amomaxu.d a0, a1, (a2)
# F and D: loads and stores
flw fa0, 0(a0)
flw ft0, -4(sp)
fsw fa1, 12(a1)
fld fa0, 8(a1)
fld fs1, 248(s0)
fld ft0, 504(sp)
fsd fa1, 16(a2)
fsd fs0, 504(sp)
fsd ft11, -2048(t6)
# F and D: arithmetic, with and without a static rounding mode
fadd.s fa0, fa1, fa2
fadd.s fa0, fa1, fa2, rne
fsub.s fa0, fa1, fa2, rtz
fmul.s fa0, fa1, fa2, rdn
fdiv.s fa0, fa1, fa2, rup
fsqrt.s fa0, fa1, rmm
fadd.d fa0, fa1, fa2
fadd.d fa0, fa1, fa2, dyn
fsub.d ft0, ft1, ft2
fmul.d fs0, fs1, fs2, rtz
fdiv.d fa0, fa1, fa2
fsqrt.d fa0, fa1
fmadd.s fa0, fa1, fa2, fa3
fmsub.s fa0, fa1, fa2, fa3, rne
fnmsub.s fa0, fa1, fa2, fa3
fnmadd.s fa0, fa1, fa2, fa3, rtz
fmadd.d ft0, ft1, ft2, ft3
fmsub.d fs8, fs9, fs10, fs11
fnmsub.d fa0, fa1, fa2, fa3, rdn
fnmadd.d fa0, fa1, fa2, fa3
fsgnj.s fa0, fa1, fa2
fsgnjn.s fa0, fa1, fa2
fsgnjx.s fa0, fa1, fa2
fmv.s fa0, fa1
fneg.s fa0, fa1
fabs.s fa0, fa1
fsgnj.d fa0, fa1, fa2
fsgnjn.d fa0, fa1, fa2
fsgnjx.d fa0, fa1, fa2
fmv.d fa0, fa1
fneg.d fa0, fa1
fabs.d fa0, fa1
fmin.s fa0, fa1, fa2
fmax.s fa0, fa1, fa2
fmin.d fa0, fa1, fa2
fmax.d fa0, fa1, fa2
# F and D: conversions, moves, compares
fcvt.s.d fa0, fa1
fcvt.s.d fa0, fa1, rtz
fcvt.d.s fa0, fa1
fcvt.w.s a0, fa0
fcvt.w.s a0, fa0, rtz
fcvt.wu.s a0, fa0
fcvt.l.s a0, fa0, rdn
fcvt.lu.s a0, fa0
fcvt.s.w fa0, a0
fcvt.s.wu fa0, a0, rup
fcvt.s.l fa0, a0
fcvt.s.lu fa0, a0, rmm
fcvt.w.d a0, fa0, rtz
fcvt.wu.d a0, fa0
fcvt.l.d a0, fa0
fcvt.lu.d a0, fa0, rtz
fcvt.d.w fa0, a0
fcvt.d.wu fa0, a0
fcvt.d.l fa0, a0
fcvt.d.lu fa0, a0, rne
fmv.x.w a0, fa0
fmv.w.x fa0, a0
fmv.x.d a0, fa0
fmv.d.x fa0, a0
feq.s a0, fa0, fa1
flt.s a0, fa0, fa1
fle.s a0, fa0, fa1
feq.d a0, fa0, fa1
flt.d a0, fa0, fa1
fle.d a0, fa0, fa1
fclass.s a0, fa0
fclass.d a0, fa0
# Zicsr and its pseudo-instructions
csrrw a0, mstatus, a1
csrrs a0, mie, a1
csrrc a0, mip, a1
csrrwi a0, sstatus, 5
csrrsi a0, sie, 31
csrrci a0, sip, 1
csrr a0, satp
csrw satp, a0
csrs sstatus, t0
csrc sstatus, t0
csrwi stvec, 0
csrsi sstatus, 2
csrci sstatus, 2
csrr t0, mhartid
csrr t0, mcause
csrr a0, 0x7c0
csrw 0x800, a0
csrw sscratch, tp
csrrw tp, sscratch, tp
csrr a0, sepc
csrr a0, scause
csrr a0, stval
csrw pmpaddr0, a0
csrw pmpcfg0, a0
csrr a0, mvendorid
csrr a0, cycle
csrr a0, mcycle
csrr a0, hpmcounter3
csrr a0, mhpmcounter31
csrw medeleg, a0
csrw mideleg, a0
csrw mtvec, a0
csrw mepc, a0
csrw mscratch, a0
csrw mcounteren, a0
csrw scounteren, a0
csrr a0, menvcfg
csrr a0, senvcfg
csrr a0, tselect
csrr a0, dcsr
csrr a0, misa
rdcycle a0
rdtime a1
rdinstret a2
frflags a0
fsflags a1
fsflags a0, a1
frrm a0
fsrm a1
fsrm a0, a1
frcsr a0
fscsr a1
fscsr a0, a1
fsflagsi 3
fsflagsi a0, 3
fsrmi 1
fsrmi a0, 1
csrrwi a0, fcsr, 5
# fences, Zifencei, system and privileged
fence
fence rw, rw
fence r, r
fence w, w
fence i, o
fence iorw, rw
fence.tso
fence.i
ecall
ebreak
unimp
sret
mret
wfi
sfence.vma
sfence.vma a0
sfence.vma a0, a1
sfence.vma zero, a1
