#!/usr/bin/env bash
# Generates rvc-pairs.txt: each line is "<16-bit hex> <32-bit hex> <assembly>", where
# GNU as encodes <assembly> as the 16-bit form with RVC on and as the 32-bit form
# with RVC off. The hart's RVC expansion must map the first to the second.
# (C.MV is written as `add rd, zero, rs2`, its expansion in the spec; `mv` would assemble to addi.)
# Needs binutils for riscv64 (Debian: binutils-riscv64-unknown-elf).
set -euo pipefail
AS=${AS:-riscv64-unknown-elf-as}
OBJDUMP=${OBJDUMP:-riscv64-unknown-elf-objdump}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/insns.s" <<'ASM'
addi s0, sp, 8
addi a5, sp, 1020
fld fa0, 8(a1)
fld fs1, 248(s0)
lw a0, 4(a1)
lw s1, 124(a5)
ld a2, 8(a3)
ld a4, 248(s1)
fsd fa1, 16(a2)
sw a3, 64(a4)
sd a5, 200(s0)
nop
addi a0, a0, -32
addi t0, t0, 31
addiw a1, a1, -1
addiw s2, s2, 17
li a0, -32
li t6, 31
addi sp, sp, -512
addi sp, sp, 496
lui a0, 0x1f
lui s3, 0xfffe0
lui t1, 1
srli a0, a0, 63
srli s1, s1, 1
srai a1, a1, 32
andi a2, a2, -1
andi a3, a3, 15
sub a4, a4, a5
xor s0, s0, s1
or a0, a0, a1
and a2, a2, a3
subw a4, a4, a5
addw s0, s0, s1
j . + 2046
j . - 2048
beqz a0, . + 254
beqz s1, . - 256
bnez a5, . + 2
slli a0, a0, 63
slli t2, t2, 1
fld ft0, 504(sp)
lw ra, 252(sp)
ld s11, 504(sp)
jr ra
jr t0
add a0, zero, a1
add s10, zero, t3
ebreak
jalr a5
add a0, a0, a1
add t4, t4, s7
fsd fs0, 504(sp)
sw ra, 252(sp)
sd s11, 504(sp)
ASM
for mode in rvc norvc; do
  { echo ".option $mode"; cat "$tmp/insns.s"; } > "$tmp/$mode.s"
  "$AS" -march=rv64gc -o "$tmp/$mode.o" "$tmp/$mode.s"
  "$OBJDUMP" -d -M no-aliases "$tmp/$mode.o" | awk -F'\t' '/^ +[0-9a-f]+:/ {gsub(/ /,"",$2); print $2}' > "$tmp/$mode.hex"
done
paste -d' ' "$tmp/rvc.hex" "$tmp/norvc.hex" <(cat "$tmp/insns.s")
