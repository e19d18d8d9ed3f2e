/* Shared by every benchmark program: built for the RV64 guest and for the host.
 * Each program defines bench(), which returns a 64-bit checksum; the guest build
 * compares it with EXPECTED (computed by the host build of the same file). */
#ifndef PRNR_BENCH_H
#define PRNR_BENCH_H

#include <stdint.h>
#include <stddef.h>

uint64_t bench(void);

/* xorshift64*: deterministic, the same on every target. */
static inline uint64_t rng_next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform-ish value in [0, n) without a division (high half of a 64x64 product). */
static inline uint64_t rng_below(uint64_t *s, uint64_t n) {
  return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

/* Order-dependent checksum accumulator. */
static inline uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  return h;
}

#endif
