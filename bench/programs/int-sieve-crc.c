/* int-sieve-crc: 32/64-bit integer work on byte arrays.
 * A sieve of Eratosthenes (byte stores, strided loops, data-dependent branches)
 * run several times with shrinking limits, then CRC-32 (reflected, polynomial
 * 0xEDB88320) over a pseudo-random 256 KiB buffer: once bit by bit, then many
 * times through a 256-entry table (loads, shifts, xor). */
#include "bench.h"

#define SIEVE_N (1u << 20)
#define SIEVE_ROUNDS 6
#define BUF_N (256u * 1024u)
#define CRC_TABLE_PASSES 40

static uint8_t composite[SIEVE_N];
static uint8_t buf[BUF_N];
static uint32_t crc_table[256];

static uint64_t sieve(uint32_t limit) {
  uint32_t count = 0;
  uint64_t sum = 0;
  for (uint32_t i = 0; i < limit; i++) composite[i] = 0;
  for (uint32_t i = 2; (uint64_t)i * i < limit; i++) {
    if (composite[i]) continue;
    for (uint32_t j = i * i; j < limit; j += i) composite[j] = 1;
  }
  for (uint32_t i = 2; i < limit; i++) {
    if (!composite[i]) {
      count++;
      sum += i;
    }
  }
  return ((uint64_t)count << 40) ^ sum;
}

static uint32_t crc32_bitwise(const uint8_t *p, uint32_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint32_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

static void crc32_make_table(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    crc_table[n] = c;
  }
}

static uint32_t crc32_table(uint32_t crc, const uint8_t *p, uint32_t n) {
  uint32_t c = ~crc;
  for (uint32_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
  return ~c;
}

uint64_t bench(void) {
  uint64_t h = 0;
  for (uint32_t r = 0; r < SIEVE_ROUNDS; r++) h = mix(h, sieve(SIEVE_N - r * 4099u));

  uint64_t s = 0x1234567887654321ULL;
  for (uint32_t i = 0; i < BUF_N; i++) buf[i] = (uint8_t)(rng_next(&s) >> 56);

  h = mix(h, crc32_bitwise(buf, BUF_N));
  crc32_make_table();
  uint32_t crc = 0;
  for (uint32_t pass = 0; pass < CRC_TABLE_PASSES; pass++) {
    crc = crc32_table(crc, buf, BUF_N);
    buf[pass * 977u % BUF_N] ^= (uint8_t)crc;  /* every pass sees different data */
    h = mix(h, crc);
  }
  return h;
}
