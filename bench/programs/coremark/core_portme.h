/* prnr's CoreMark port: the bare RV64 machine of bench/programs (M-mode at
 * 0x80000000, HTIF tohost/fromhost), run the same way on prnr, Spike and QEMU
 * -M spike. CoreMark's own sources include this file through coremark.h; what
 * it must define is listed in CoreMark's README ("Porting"). Our own text. */
#ifndef PRNR_CORE_PORTME_H
#define PRNR_CORE_PORTME_H

#include <stddef.h>
#include <stdint.h>

/* Iterations are fixed at build time (build.sh -DITERATIONS=N), never
 * calibrated: every engine then does exactly the same work. */
#ifndef ITERATIONS
#error "ITERATIONS must be defined; build with bench/programs/coremark/build.sh"
#endif

#define HAS_FLOAT 1
#define HAS_TIME_H 0
#define USE_CLOCK 0
#define HAS_STDIO 0
#define HAS_PRINTF 0 /* ee_printf is ours (printf.c), writing to the HTIF console */

#ifndef COMPILER_VERSION
#define COMPILER_VERSION "GCC" __VERSION__
#endif
#ifndef COMPILER_FLAGS
#define COMPILER_FLAGS FLAGS_STR /* set by build.sh */
#endif
#define MEM_LOCATION "STACK"

typedef int16_t ee_s16;
typedef uint16_t ee_u16;
typedef int32_t ee_s32;
typedef double ee_f32;
typedef uint8_t ee_u8;
typedef uint32_t ee_u32;
typedef uintptr_t ee_ptr_int; /* must hold a pointer: 64 bits on RV64 */
typedef size_t ee_size_t;

/* Round up to the next 4-byte boundary (CoreMark's matrix blocks hold 32-bit values). */
#define align_mem(x) (void *)(((ee_ptr_int)(x) + 3) & ~(ee_ptr_int)3)

/* Ticks are retired instructions (see core_portme.c); 64 bits so a long run cannot wrap. */
#define CORETIMETYPE uint64_t
typedef uint64_t CORE_TICKS;

#define SEED_METHOD SEED_VOLATILE
#define MEM_METHOD MEM_STACK
#define MULTITHREAD 1
#define USE_PTHREAD 0
#define USE_FORK 0
#define USE_SOCKET 0
#define MAIN_HAS_NOARGC 1
#define MAIN_HAS_NORETURN 0

extern ee_u32 default_num_contexts;

typedef struct CORE_PORTABLE_S {
  ee_u8 portable_id;
} core_portable;

void portable_init(core_portable *p, int *argc, char *argv[]);
void portable_fini(core_portable *p);

/* TOTAL_DATA_SIZE stays CoreMark's default (2000): the "performance run". */
#define PERFORMANCE_RUN 1

int ee_printf(const char *fmt, ...);

#endif
