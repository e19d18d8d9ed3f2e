# Bare-metal RV64 start file for the prnr CPU benchmarks.
# Entry at 0x80000000 in M-mode: set gp and sp, enable the FPU, clear .bss,
# call main(), then report main's return value through HTIF tohost.

  .section .text.init, "ax", @progbits
  .globl _start
_start:
  .option push
  .option norelax
  la    gp, __global_pointer$
  .option pop
  la    sp, __stack_top
  csrw  mie, zero                 # no interrupts
  li    t0, 0x2000                # mstatus.FS = Initial: FP instructions legal
  csrs  mstatus, t0
  fscsr zero                      # round to nearest, no flags
  la    t0, __bss_start
  la    t1, __bss_end
1:
  bgeu  t0, t1, 2f
  sd    zero, 0(t0)
  addi  t0, t0, 8
  j     1b
2:
  call  main
  # fall through: exit code in a0

  .globl bench_exit
bench_exit:                       # void bench_exit(int code): never returns
  slli  a0, a0, 1
  ori   a0, a0, 1
  la    t0, tohost
  sd    a0, 0(t0)                 # tohost = (code << 1) | 1, one 64-bit store
3:
  j     3b

# HTIF mailboxes, found by symbol name (QEMU -M spike, Spike, prnr).
  .section .tohost, "aw", @progbits
  .align 6
  .globl tohost
  .type tohost, @object
  .size tohost, 8
tohost:
  .dword 0
  .align 6
  .globl fromhost
  .type fromhost, @object
  .size fromhost, 8
fromhost:
  .dword 0
