# Oracle workload (packages/diagnosis/src/strace-oracle.test.ts): writes
# /tmp/thr, a 276-byte static riscv64 ELF whose process has two threads that
# each say who they are (gettid, getpid), so a thread id differs from its
# process id. `thr` alone: the thread exits, the main thread sleeps 50 ms and
# exits (strace -f sees both end). `thr wait`: both threads then wait in ppoll
# until a signal (ps sees them alive). Typed line by line into the guest
# console; the lines are short because the shell's line editor holds 1024.
# Built from this source (riscv64-linux-gnu-as -march=rv64i, .text as the one
# PT_LOAD at 0x10078 after the ELF and program headers):
#   _start:  ld s0, 0(sp)                  # argc
#            li a0, 0x10f00                # CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD
#            addi a1, sp, -1024            # the thread's stack, below ours
#            li a2, 0; li a3, 0; li a4, 0
#            li a7, 220; ecall             # clone
#            mv s1, a0                     # 0 in the new thread
#            li a7, 178; ecall             # gettid
#            li a7, 172; ecall             # getpid
#            li t0, 1; bgt s0, t0, wait
#            beqz s1, thread_exit
#            addi sp, sp, -16; sd zero, 0(sp); li t1, 50000000; sd t1, 8(sp)
#            mv a0, sp; li a1, 0; li a7, 101; ecall    # nanosleep({0, 50 ms}, NULL)
#            li a0, 0; li a7, 94; ecall    # exit_group(0)
#   thread_exit: li a0, 0; li a7, 93; ecall          # exit(0): this thread only
#   wait:    li a0, 0; li a1, 0; li a2, 0; li a3, 0
#            li a7, 73; ecall; j wait      # ppoll(NULL, 0, NULL, NULL): until a signal
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\363\000\001\000\000\000x\000\001\000\000\000\000\000@\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000@\000\070\000\001\000\000\000\000\000\000\000\001\000\000\000\005\000\000\000\000\000\000\000\000\000\000\000\000\000\001\000\000\000\000\000\000\000\001\000\000\000\000\000' > /tmp/thr
printf '\024\001\000\000\000\000\000\000\024\001\000\000\000\000\000\000\000\020\000\000\000\000\000\000\003\064\001\000\067\025\001\000\033\005\005\360\223\005\001\300\023\006\000\000\223\006\000\000\023\007\000\000\223\010\300\015s\000\000\000\223\004\005\000\223\010 \013s\000\000\000\223\010\300\012s\000\000\000\223\002\020\000c\302\202\004c\212\004\002\023\001\001\377' >> /tmp/thr
printf '#\060\001\000\067\363\372\002\033\003\003\010#\064a\000\023\005\001\000\223\005\000\000\223\010P\006s\000\000\000\023\005\000\000\223\010\340\005s\000\000\000\023\005\000\000\223\010\320\005s\000\000\000\023\005\000\000\223\005\000\000\023\006\000\000\223\006\000\000\223\010\220\004s\000\000\000o\360\237\376' >> /tmp/thr
chmod +x /tmp/thr
