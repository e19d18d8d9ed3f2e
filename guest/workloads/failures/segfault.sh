# Failure catalogue: a program that dereferences a null pointer. The program is
# a 124-byte static riscv64 ELF written with printf: its one instruction is
# `ld a0, 0(zero)` (crash.S in the comment below).
#   _start: ld a0, 0(zero)
# Typed line by line into the guest console (as ../smoke.sh), without poweroff.
# expect-top: kind=killed-by-signal comm=crash signal=SIGSEGV
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\363\000\001\000\000\000x\000\001\000\000\000\000\000@\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\004\000\000\000@\0008\000\001\000\000\000\000\000\000\000\001\000\000\000\005\000\000\000\000\000\000\000\000\000\000\000\000\000\001\000\000\000\000\000\000\000\001\000\000\000\000\000\174\000\000\000\000\000\000\000\174\000\000\000\000\000\000\000\000\020\000\000\000\000\000\000\0035\000\000' > /tmp/crash
chmod +x /tmp/crash
/tmp/crash
