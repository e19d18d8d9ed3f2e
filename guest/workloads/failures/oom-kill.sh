# Failure catalogue: a program that allocates memory until the kernel's OOM
# killer kills it. The program is a 166-byte static riscv64 ELF written with
# printf; its code, in a loop: mmap 1 MiB anonymous, write each of its pages.
#   1: li a0,0; li a1,0x100000; li a2,3; li a3,0x22; li a4,-1; li a5,0
#      li a7,222; ecall                      # mmap(NULL, 1 MiB, RW, PRIVATE|ANON, -1, 0)
#      li t0,0x100000; add t1,a0,t0; li t2,4096
#   2: sd t2,0(a0); add a0,a0,t2; bltu a0,t1,2b; j 1b
# Run it on a small guest (96 MiB) to keep it short.
# Typed line by line into the guest console (as ../smoke.sh), without poweroff.
# expect-top: kind=killed-by-signal comm=hog signal=SIGKILL
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\363\000\001\000\000\000x\000\001\000\000\000\000\000@\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\004\000\000\000@\0008\000\001\000\000\000\000\000\000\000\001\000\000\000\005\000\000\000\000\000\000\000\000\000\000\000\000\000\001\000\000\000\000\000\000\000\001\000\000\000\000\000\246\000\000\000\000\000\000\000\246\000\000\000\000\000\000\000\000\020\000\000\000\000\000\000\001E\267\005\020\000\015F\223\006\040\002\175W\201G\223\010\340\015s\000\000\000\267\002\020\0003\003U\000\205c\0430u\000\036\225\343me\376\321\277' > /tmp/hog
chmod +x /tmp/hog
/tmp/hog
