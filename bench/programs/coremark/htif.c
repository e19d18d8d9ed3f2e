/* Console output and exit through HTIF tohost/fromhost (the mailboxes are in
 * ../common/start.S).
 *
 * Output uses the console device (device 1, command 1: one byte per command),
 * not the front-end proxy's write system call (64): QEMU 7.2's -M spike serves
 * only exit and the console device ("pk syscall proxy not supported"), and the
 * same ELF must print on QEMU, on Spike and on prnr. Exit is the tohost exit
 * command, (code << 1) | 1, which all three serve. */
#include <stdint.h>
#include "htif.h"

extern volatile uint64_t tohost, fromhost;
extern void bench_exit(int code) __attribute__((noreturn)); /* ../common/start.S */

static void htif_putc(unsigned char ch) {
  tohost = (1ULL << 56) | (1ULL << 48) | ch;
  /* The host acknowledges each byte in fromhost; one command in flight at a time. */
  while (fromhost == 0) {}
  fromhost = 0;
}

void htif_write(const char *buf, size_t len) {
  for (size_t i = 0; i < len; i++) htif_putc((unsigned char)buf[i]);
}

void htif_exit(int code) {
  bench_exit(code);
}
