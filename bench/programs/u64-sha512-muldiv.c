/* u64-sha512-muldiv: 64-bit arithmetic.
 * SHA-512 (FIPS 180-4; 64-bit rotates, adds, big-endian loads) over a 512 KiB
 * buffer, chained several times; then a loop of 64-bit multiplies (mul, mulhu
 * via 128-bit products), unsigned and signed divides and remainders, and
 * Euclid's gcd. */
#include "bench.h"

#define MSG_N (512u * 1024u)
#define SHA_PASSES 5
#define MULDIV_ITERS 1500000u
#define GCD_ITERS 40000u

static uint8_t msg[MSG_N];

static const uint64_t K[80] = {
  0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
  0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
  0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
  0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
  0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
  0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
  0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
  0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
  0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
  0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
  0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
  0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
  0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
  0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
  0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
  0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
  0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
  0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
  0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
  0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static inline uint64_t ror(uint64_t x, unsigned n) { return (x >> n) | (x << (64 - n)); }

static inline uint64_t load_be64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

static void sha512_block(uint64_t st[8], const uint8_t *p) {
  uint64_t w[80];
  for (int t = 0; t < 16; t++) w[t] = load_be64(p + 8 * t);
  for (int t = 16; t < 80; t++) {
    uint64_t s0 = ror(w[t - 15], 1) ^ ror(w[t - 15], 8) ^ (w[t - 15] >> 7);
    uint64_t s1 = ror(w[t - 2], 19) ^ ror(w[t - 2], 61) ^ (w[t - 2] >> 6);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  uint64_t a = st[0], b = st[1], c = st[2], d = st[3];
  uint64_t e = st[4], f = st[5], g = st[6], h = st[7];
  for (int t = 0; t < 80; t++) {
    uint64_t t1 = h + (ror(e, 14) ^ ror(e, 18) ^ ror(e, 41)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
    uint64_t t2 = (ror(a, 28) ^ ror(a, 34) ^ ror(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  st[0] += a; st[1] += b; st[2] += c; st[3] += d;
  st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

/* SHA-512 of p[0..n), n a multiple of 128 (padding block appended here). */
static void sha512(const uint8_t *p, uint32_t n, uint64_t out[8]) {
  static const uint64_t iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
  };
  for (int i = 0; i < 8; i++) out[i] = iv[i];
  for (uint32_t off = 0; off < n; off += 128) sha512_block(out, p + off);
  uint8_t pad[128];
  for (int i = 0; i < 128; i++) pad[i] = 0;
  pad[0] = 0x80;
  uint64_t bits = (uint64_t)n * 8;
  for (int i = 0; i < 8; i++) pad[127 - i] = (uint8_t)(bits >> (8 * i));
  sha512_block(out, pad);
}

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

static uint64_t muldiv_bench(uint64_t *s) {
  uint64_t acc = 1, x = 0x0123456789ABCDEFULL;
  for (uint32_t i = 0; i < MULDIV_ITERS; i++) {
    uint64_t r = rng_next(s);
    uint64_t d = (r >> (i & 31)) | 1;                     /* never zero */
    unsigned __int128 wide = (unsigned __int128)x * (r | 1);
    uint64_t hi = (uint64_t)(wide >> 64), lo = (uint64_t)wide;
    uint64_t q = lo / d, m = hi % d;
    int64_t sx = (int64_t)(r ^ acc) >> 1;                  /* never INT64_MIN */
    int64_t sd = (int64_t)(d >> 3) - 0x10000;
    if (sd == 0) sd = 7;
    int64_t sq = sx / sd, sm = sx % sd;
    int32_t w = (int32_t)(uint32_t)r, wd = (int32_t)((uint32_t)(d >> 7) | 1);
    if (wd == -1) wd = 3;                                 /* INT32_MIN / -1 is undefined */
    uint32_t wp = (uint32_t)w * (uint32_t)wd;             /* mulw without signed overflow */
    acc += q ^ m ^ (uint64_t)sq ^ ((uint64_t)sm << 1) ^ (uint64_t)(int64_t)(w / wd) ^ (uint64_t)(int64_t)(int32_t)wp;
    x = x * 6364136223846793005ULL + hi;
  }
  for (uint32_t i = 0; i < GCD_ITERS; i++) {
    uint64_t a = rng_next(s) | 1;  /* two statements: argument order is unspecified */
    uint64_t b = (rng_next(s) >> (i & 15)) + 1;
    acc += gcd(a, b);
  }
  return acc ^ x;
}

uint64_t bench(void) {
  uint64_t s = 0x5EED5EED5EED5EEDULL;
  for (uint32_t i = 0; i < MSG_N; i += 8) {
    uint64_t r = rng_next(&s);
    for (int k = 0; k < 8; k++) msg[i + k] = (uint8_t)(r >> (8 * k));
  }
  uint64_t h = 0, dig[8];
  for (uint32_t pass = 0; pass < SHA_PASSES; pass++) {
    sha512(msg, MSG_N, dig);
    for (int i = 0; i < 8; i++) {
      h = mix(h, dig[i]);
      msg[(pass * 8 + i) * 4099u % MSG_N] ^= (uint8_t)dig[i];  /* chain the passes */
    }
  }
  return mix(h, muldiv_bench(&s));
}
