/*
 * Generates fp-vectors.bin: IEEE-754 binary32/binary64 test vectors computed
 * by the host x86-64 CPU (SSE/AVX/FMA/AVX-512F instructions, MXCSR rounding
 * modes and exception flags), for the RISC-V F/D library in
 * packages/cpu/src/fpu. Build and run with gen-fp-vectors.sh.
 *
 * Where x86 and RISC-V differ, the RISC-V rule is applied here by hand and
 * marked "RISC-V:" below:
 *  - NaN results: x86 propagates payloads; the file keeps the x86 NaN and the
 *    test requires the canonical NaN whenever the expected value is a NaN.
 *  - RMM (round to nearest, ties away from zero) does not exist on x86: the
 *    exact result is checked for a tie in wider precision; a tie takes the
 *    x86 result (and flags) of the directed mode away from zero, anything
 *    else the RNE result and flags.
 *  - Float-to-integer conversions out of range or NaN: x86 returns the
 *    "integer indefinite" value; RISC-V saturates (NaN and +large -> max,
 *    -large -> min, 0 for unsigned) with NV only.
 *  - Fused multiply-add 0 * inf + qNaN: x86 does not raise invalid; RISC-V
 *    (and IEEE's recommended behaviour it adopts) does.
 *  - fmin/fmax, feq/flt/fle and fclass have no x86 instruction with RISC-V
 *    semantics: they are computed here from the hardware comparisons
 *    (ucomiss/comiss and friends set the flags) plus the RISC-V NaN and signed-zero rules.
 *
 * File format (little endian): "PRNRFPV1", then sections:
 *   u8 nameLen, name, u8 rm (RISC-V frm 0..4), u8 nIn, u8 inBytes,
 *   u8 outBytes, u32 count, then count records of nIn inputs, the output
 *   and a u8 fflags (NX=1 UF=2 OF=4 DZ=8 NV=16).
 */
#include <fenv.h>
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef uint32_t u32;
typedef uint64_t u64;
typedef __float128 quad;

/* ---------------------------------------------------------------- util */

static u64 rng = 0x243f6a8885a308d3ull;
static u64 rnd(void) { /* xorshift64*, fixed seed: the file is reproducible */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dull;
}
static int rn(int n) { return (int)(rnd() % (u64)n); }

static float asf(u64 b) { u32 w = (u32)b; float f; memcpy(&f, &w, 4); return f; }
static u64 fbits(float f) { u32 w; memcpy(&w, &f, 4); return w; }
static double asd(u64 b) { double d; memcpy(&d, &b, 8); return d; }
static u64 dbits(double d) { u64 b; memcpy(&b, &d, 8); return b; }

static const int X86_RM[4] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};

static int rvflags(void) {
  int e = fetestexcept(FE_ALL_EXCEPT), f = 0;
  if (e & FE_INEXACT) f |= 1;
  if (e & FE_UNDERFLOW) f |= 2;
  if (e & FE_OVERFLOW) f |= 4;
  if (e & FE_DIVBYZERO) f |= 8;
  if (e & FE_INVALID) f |= 16;
  return f;
}

/* -------------------------------------------------------------- formats */

typedef struct {
  int w;          /* 32 or 64 */
  int P, fb, eb, bias;
  u64 fracMask, expMax, signBit, quiet;
} fmt_t;

static const fmt_t F32 = {32, 24, 23, 8, 127, 0x7fffffull, 0xff, 0x80000000ull, 0x400000ull};
static const fmt_t F64 = {64, 53, 52, 11, 1023, 0xfffffffffffffull, 0x7ff, 0x8000000000000000ull, 0x8000000000000ull};

static u64 mk(const fmt_t *F, int sign, int bexp, u64 frac) {
  if (bexp < 0) bexp = 0;
  if (bexp > (int)F->expMax - 1) bexp = (int)F->expMax - 1; /* finite */
  return (sign ? F->signBit : 0) | ((u64)bexp << F->fb) | (frac & F->fracMask);
}
static int bexpOf(const fmt_t *F, u64 x) { return (int)((x >> F->fb) & F->expMax); }
static int isnanb(const fmt_t *F, u64 x) { return bexpOf(F, x) == (int)F->expMax && (x & F->fracMask) != 0; }
static int issnanb(const fmt_t *F, u64 x) { return isnanb(F, x) && !(x & F->quiet); }
static int isinfb(const fmt_t *F, u64 x) { return bexpOf(F, x) == (int)F->expMax && (x & F->fracMask) == 0; }
static int iszerob(const fmt_t *F, u64 x) { return (x & ~F->signBit) == 0; }

static u64 randFrac(const fmt_t *F) {
  switch (rn(7)) {
  case 0: case 1: return rnd() & F->fracMask;
  case 2: return F->fracMask;                              /* all ones */
  case 3: return 0;
  case 4: { u64 f = 0; int k = 1 + rn(3); while (k--) f |= 1ull << rn(F->fb); return f; } /* sparse */
  case 5: { int k = rn(F->fb + 1); return k ? (rnd() & F->fracMask) & ~((1ull << (F->fb - k)) - 1) : 0; } /* short */
  default: return F->fracMask & ~(u64)rn(8);               /* near all ones */
  }
}

static int randBexp(const fmt_t *F) {
  int max = (int)F->expMax;
  switch (rn(10)) {
  case 0: case 1: case 2: case 3: return rn(max);          /* any finite */
  case 4: return 0;                                        /* subnormal */
  case 5: return 1 + rn(3);                                /* smallest normals */
  case 6: return max - 1 - rn(3);                          /* largest */
  default: return F->bias - 20 + rn(41);                   /* ordinary */
  }
}

static u64 structured(const fmt_t *F) { return mk(F, rn(2), randBexp(F), randFrac(F)); }

static u64 special(const fmt_t *F) {
  u64 s = rn(2) ? F->signBit : 0, one = (u64)F->bias << F->fb, inf = F->expMax << F->fb;
  switch (rn(16)) {
  case 0: return s;                                         /* +-0 */
  case 1: return s | 1;                                     /* min subnormal */
  case 2: return s | F->fracMask;                           /* max subnormal */
  case 3: return s | (1ull << F->fb);                       /* min normal */
  case 4: return s | (inf - 1);                             /* max finite */
  case 5: return s | one;                                   /* 1 */
  case 6: return s | inf;                                   /* inf */
  case 7: return inf | F->quiet;                            /* canonical qNaN */
  case 8: return inf | 1;                                   /* sNaN */
  case 9: return s | inf | F->quiet | (rnd() & (F->quiet - 1)); /* qNaN payload */
  case 10: return s | inf | (1 + (rnd() & (F->quiet - 2)));  /* sNaN payload */
  case 11: return s | (one + (1ull << F->fb));              /* 2 */
  case 12: return s | (one - (1ull << F->fb));              /* 0.5 */
  case 13: return s | (one - 1);                            /* largest below 1 */
  case 14: return s | (one + 1);                            /* 1 + ulp */
  default: return s | (one + (1ull << F->fb) + (F->quiet)); /* 3 */
  }
}

static u64 any(const fmt_t *F) {
  int r = rn(100);
  if (r < 15) return special(F);
  if (r < 35) return F->w == 32 ? (u32)rnd() : rnd();
  return structured(F);
}

/* Adds k units in the last place to the magnitude of finite x (k may be < 0). */
static u64 nudge(const fmt_t *F, u64 x, int k) {
  u64 s = x & F->signBit, m = x & ~F->signBit;
  if ((long long)m + k < 0) return s;
  m += (u64)(long long)k;
  if (m > ((F->expMax << F->fb) - 1)) m = (F->expMax << F->fb) - 1;
  return s | m;
}

/* RNE product / value helpers in the format (to build related operands). */
static u64 mulF(const fmt_t *F, u64 a, u64 b) {
  fesetround(FE_TONEAREST);
  if (F->w == 32) { volatile float r = asf(a) * asf(b); return fbits(r); }
  volatile double r = asd(a) * asd(b);
  return dbits(r);
}
static u64 shortVal(const fmt_t *F, int bexp, int bits) { /* significand with <= bits bits */
  u64 frac = rnd() & F->fracMask;
  if (bits <= 1) frac = 0; else if (bits - 1 < F->fb) frac &= ~((1ull << (F->fb - (bits - 1))) - 1);
  return mk(F, rn(2), bexp, frac);
}
static u64 fromDouble(const fmt_t *F, double d) {
  fesetround(FE_TONEAREST);
  if (F->w == 32) { volatile float f = (float)d; return fbits(f); }
  return dbits(d);
}

/* ------------------------------------------------------------------ ops */

enum { ADD, SUB, MUL, DIV, SQRT, MADD, MSUB, NMSUB, NMADD, MIN, MAX, EQ, LT, LE, CLASS,
       TOI32, TOU32, TOI64, TOU64, FROMI32, FROMU32, FROMI64, FROMU64, CVT, NOPS };
static const char *OPNAME[NOPS] = {"add", "sub", "mul", "div", "sqrt", "madd", "msub", "nmsub", "nmadd",
  "min", "max", "eq", "lt", "le", "class", "to_i32", "to_u32", "to_i64", "to_u64",
  "i32_to", "u32_to", "i64_to", "u64_to", "cvt"};

static int nIn(int op) {
  if (op <= DIV || (op >= MIN && op <= LE)) return 2;
  if (op >= MADD && op <= NMADD) return 3;
  return 1;
}
static int inBytes(const fmt_t *F, int op) {
  if (op == FROMI32 || op == FROMU32) return 4;
  if (op == FROMI64 || op == FROMU64) return 8;
  return F->w / 8;
}
static int outBytes(const fmt_t *F, int op) {
  switch (op) {
  case EQ: case LT: case LE: return 1;
  case CLASS: return 2;
  case TOI32: case TOU32: return 4;
  case TOI64: case TOU64: return 8;
  case CVT: return F->w == 32 ? 8 : 4;
  default: return F->w / 8;
  }
}
static int rounds(const fmt_t *F, int op) { /* does the result depend on the rounding mode */
  if (op >= MIN && op <= CLASS) return 0;
  if (op == CVT && F->w == 32) return 0;
  if ((op == FROMI32 || op == FROMU32) && F->w == 64) return 0;
  return 1;
}

/* fclass from the C classification macros. */
static int fclass(const fmt_t *F, u64 x) {
  int neg = (x & F->signBit) != 0;
  double d = F->w == 32 ? (double)asf(x) : asd(x);
  if (isnanb(F, x)) return issnanb(F, x) ? 1 << 8 : 1 << 9;
  int c = F->w == 32 ? fpclassify(asf(x)) : fpclassify(d);
  switch (c) {
  case FP_INFINITE: return neg ? 1 << 0 : 1 << 7;
  case FP_ZERO: return neg ? 1 << 3 : 1 << 4;
  case FP_SUBNORMAL: return neg ? 1 << 2 : 1 << 5;
  default: return neg ? 1 << 1 : 1 << 6;
  }
}

/*
 * One operation on the hardware in the current x86 rounding mode, flags
 * cleared before; *fl receives the RISC-V fflags.
 */
static u64 hw(const fmt_t *F, int op, const u64 *in, int *fl) {
  u64 out = 0;
  feclearexcept(FE_ALL_EXCEPT);
  if (F->w == 32) {
    volatile float a = asf(in[0]), b = asf(in[1]), c = asf(in[2]);
    volatile float r = 0;
    switch (op) {
    case ADD: r = a + b; break;
    case SUB: r = a - b; break;
    case MUL: r = a * b; break;
    case DIV: r = a / b; break;
    case SQRT: r = sqrtf(a); break;
    case MADD: r = fmaf(a, b, c); break;
    case MSUB: r = fmaf(a, b, -c); break;
    case NMSUB: r = fmaf(-a, b, c); break;
    case NMADD: r = fmaf(-a, b, -c); break;
    case EQ: out = a == b; break;       /* ucomiss: invalid for sNaN only */
    case LT: out = a < b; break;        /* comiss: invalid for any NaN */
    case LE: out = a <= b; break;
    case TOI32: out = (u32)_mm_cvtss_si32(_mm_set_ss(a)); break;
    case TOI64: out = (u64)_mm_cvtss_si64(_mm_set_ss(a)); break;
#ifdef __AVX512F__
    case TOU32: out = _mm_cvtss_u32(_mm_set_ss(a)); break;
    case TOU64: out = _mm_cvtss_u64(_mm_set_ss(a)); break;
#else
#error "needs AVX-512F for unsigned conversions (vcvtss2usi)"
#endif
    case FROMI32: { volatile int32_t v = (int32_t)in[0]; r = (float)v; break; }
    case FROMU32: { volatile u32 v = (u32)in[0]; r = (float)v; break; }
    case FROMI64: { volatile int64_t v = (int64_t)in[0]; r = (float)v; break; }
    case FROMU64: { volatile u64 v = in[0]; r = (float)v; break; }
    case CVT: { volatile double d = (double)a; out = dbits(d); break; }
    }
    if (op <= NMADD || (op >= FROMI32 && op <= FROMU64)) out = fbits(r);
  } else {
    volatile double a = asd(in[0]), b = asd(in[1]), c = asd(in[2]);
    volatile double r = 0;
    switch (op) {
    case ADD: r = a + b; break;
    case SUB: r = a - b; break;
    case MUL: r = a * b; break;
    case DIV: r = a / b; break;
    case SQRT: r = sqrt(a); break;
    case MADD: r = fma(a, b, c); break;
    case MSUB: r = fma(a, b, -c); break;
    case NMSUB: r = fma(-a, b, c); break;
    case NMADD: r = fma(-a, b, -c); break;
    case EQ: out = a == b; break;
    case LT: out = a < b; break;
    case LE: out = a <= b; break;
    case TOI32: out = (u32)_mm_cvtsd_si32(_mm_set_sd(a)); break;
    case TOI64: out = (u64)_mm_cvtsd_si64(_mm_set_sd(a)); break;
    case TOU32: out = _mm_cvtsd_u32(_mm_set_sd(a)); break;
    case TOU64: out = _mm_cvtsd_u64(_mm_set_sd(a)); break;
    case FROMI32: { volatile int32_t v = (int32_t)in[0]; r = (double)v; break; }
    case FROMU32: { volatile u32 v = (u32)in[0]; r = (double)v; break; }
    case FROMI64: { volatile int64_t v = (int64_t)in[0]; r = (double)v; break; }
    case FROMU64: { volatile u64 v = in[0]; r = (double)v; break; }
    case CVT: { volatile float f = (float)a; out = fbits(f); break; }
    }
    if (op <= NMADD || (op >= FROMI32 && op <= FROMU64)) out = dbits(r);
  }
  *fl = rvflags();

  if (op >= MADD && op <= NMADD) {
    /* RISC-V: 0 * inf is invalid even when the addend is a quiet NaN. */
    if ((iszerob(F, in[0]) && isinfb(F, in[1])) || (isinfb(F, in[0]) && iszerob(F, in[1]))) *fl |= 16;
  }
  if (op >= TOI32 && op <= TOU64 && (*fl & 16)) {
    /* RISC-V saturation instead of the x86 integer indefinite value. */
    int neg = (in[0] & F->signBit) != 0, nan = isnanb(F, in[0]);
    switch (op) {
    case TOI32: out = nan || !neg ? 0x7fffffffull : 0x80000000ull; break;
    case TOU32: out = nan || !neg ? 0xffffffffull : 0; break;
    case TOI64: out = nan || !neg ? 0x7fffffffffffffffull : 0x8000000000000000ull; break;
    case TOU64: out = nan || !neg ? ~0ull : 0; break;
    }
    *fl = 16;
  }
  if (op == MIN || op == MAX) {
    /* RISC-V 2.2 fmin/fmax from hardware comparisons; NV for any sNaN. */
    int na = isnanb(F, in[0]), nb = isnanb(F, in[1]);
    *fl = (issnanb(F, in[0]) || issnanb(F, in[1])) ? 16 : 0;
    if (na && nb) out = F->expMax << F->fb | F->quiet;
    else if (na) out = in[1];
    else if (nb) out = in[0];
    else {
      double x = F->w == 32 ? asf(in[0]) : asd(in[0]), y = F->w == 32 ? asf(in[1]) : asd(in[1]);
      if (x < y) out = op == MIN ? in[0] : in[1];
      else if (y < x) out = op == MIN ? in[1] : in[0];
      else out = op == MIN ? in[0] | in[1] : in[0] & in[1]; /* equal: same value or +-0 */
    }
  }
  if (op == CLASS) { out = (u64)fclass(F, in[0]); *fl = 0; }
  return out;
}

/*
 * The exact result as a quad when it is exactly representable there (which
 * every tie is: a tie has p + 1 significant bits). Returns 0 when it is not
 * (then it is no tie) or for operations that cannot tie.
 */
static int exactQuad(const fmt_t *F, int op, const u64 *in, quad *X) {
  fesetround(FE_TONEAREST);
  quad a, b, c;
  if (F->w == 32) { a = asf(in[0]); b = asf(in[1]); c = asf(in[2]); }
  else { a = asd(in[0]); b = asd(in[1]); c = asd(in[2]); }
  volatile quad r = 0;
  feclearexcept(FE_ALL_EXCEPT);
  switch (op) {
  case ADD: r = a + b; break;
  case SUB: r = a - b; break;
  case MUL: r = a * b; break;
  case DIV: r = a / b; break;
  case SQRT:
    /* binary32: a binary32 tie has 25 bits, so it is exact in a double.
       binary64: a square root of a double is never a midpoint. */
    if (F->w == 64) return 0;
    { volatile double d = sqrt((double)asf(in[0])); r = d; }
    break;
  case MADD: r = a * b + c; break; /* a * b is exact in quad (<= 106 bits) */
  case MSUB: r = a * b - c; break;
  case NMSUB: r = -(a * b) + c; break;
  case NMADD: r = -(a * b) - c; break;
  case FROMI32: r = (quad)(int32_t)in[0]; break;
  case FROMU32: r = (quad)(u32)in[0]; break;
  case FROMI64: r = (quad)(int64_t)in[0]; break;
  case FROMU64: r = (quad)in[0]; break;
  case CVT: r = a; break;
  default: return 0;
  }
  if (fetestexcept(FE_INEXACT | FE_INVALID | FE_OVERFLOW | FE_UNDERFLOW | FE_DIVBYZERO)) return 0;
  *X = r;
  return 1;
}

/* The value of a result pattern of the destination format as a quad; infinities as 2^(emax+1). */
static quad resultQuad(const fmt_t *D, u64 x) {
  int neg = (x & D->signBit) != 0;
  if (isinfb(D, x)) { quad v = D->w == 32 ? 0x1p128Q : 0x1p1024Q; return neg ? -v : v; }
  return D->w == 32 ? (quad)asf(x) : (quad)asd(x);
}

typedef struct { u64 in[3]; u64 out; int fl; } vec_t;

/* Expected RISC-V result in frm rm (0..4). */
static void expected(const fmt_t *F, int op, int rm, vec_t *v) {
  if (!rounds(F, op)) rm = 0;
  if (rm < 4) {
    fesetround(X86_RM[rm]);
    v->out = hw(F, op, v->in, &v->fl);
    fesetround(FE_TONEAREST);
    return;
  }
  /* RMM: RNE unless the exact result is a tie; a tie rounds away from zero. */
  int flRne, flDn, flUp;
  fesetround(FE_TONEAREST);
  u64 rne = hw(F, op, v->in, &flRne);
  v->out = rne;
  v->fl = flRne;
  if (op >= TOI32 && op <= TOU64) {
    double x = F->w == 32 ? asf(v->in[0]) : asd(v->in[0]);
    if (fabs(x) < 0x1p53 && fabs(x - trunc(x)) == 0.5) { /* x - trunc(x) is exact */
      fesetround(x > 0 ? FE_UPWARD : FE_DOWNWARD);
      v->out = hw(F, op, v->in, &v->fl);
      fesetround(FE_TONEAREST);
    }
    return;
  }
  fesetround(FE_DOWNWARD);
  u64 dn = hw(F, op, v->in, &flDn);
  fesetround(FE_UPWARD);
  u64 up = hw(F, op, v->in, &flUp);
  fesetround(FE_TONEAREST);
  if (dn == up) return;
  const fmt_t *D = (op == CVT) ? (F->w == 32 ? &F64 : &F32) : F;
  if (isnanb(D, dn) || isnanb(D, up)) return;
  quad X;
  if (!exactQuad(F, op, v->in, &X)) return;
  quad m = (resultQuad(D, dn) + resultQuad(D, up)) / 2; /* exact */
  if (X == 0 || X != m) return; /* an exact zero (dn = -0, up = +0) is no tie */
  v->out = X > 0 ? up : dn;
  v->fl = X > 0 ? flUp : flDn;
}

/* -------------------------------------------------------- operand sets */

static u64 intOperand(int bits, int isSigned) {
  u64 x;
  int P = rn(2) ? 24 : 53;
  switch (rn(8)) {
  case 0: case 1: { int L = rn(bits + 1); x = L == 0 ? 0 : L >= 64 ? rnd() : rnd() & ((1ull << L) - 1); break; }
  case 2: { int k = rn(bits); x = (1ull << k) + (u64)(rn(5) - 2); break; }
  case 3: { /* a tie or near tie at precision P */
    int k = rn(bits - 1) + 1;
    x = ((rnd() | 1ull << 63) >> (64 - (k < P + 1 ? k : P + 1)));
    if (k > P + 1) x <<= (k - P - 1);
    x += (u64)(rn(3) - 1);
    break; }
  case 4: {
    static const u64 e[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull,
                            0x8000000000000000ull, 0xffffffffffffffffull, 0xffffff, 0x1000001, 0x20000000000001ull};
    x = e[rn(11)]; break; }
  default: x = rnd(); break;
  }
  if (bits == 32) x &= 0xffffffffull;
  if (isSigned && rn(2)) x = (bits == 32) ? (u64)(u32)(-(int32_t)(u32)x) : (u64)(-(int64_t)x);
  return x;
}

static void operands(const fmt_t *F, int op, u64 *in) {
  in[0] = any(F); in[1] = any(F); in[2] = any(F);
  int r = rn(8);
  switch (op) {
  case ADD: case SUB:
    if (r == 2 || r == 3) {
      in[0] = structured(F);
      in[1] = mk(F, rn(2), bexpOf(F, in[0]) - (F->P + 6) + rn(F->P + 10), randFrac(F));
    } else if (r == 4) { /* cancellation */
      in[1] = nudge(F, in[0], rn(9) - 4) ^ (op == ADD ? F->signBit : 0);
    } else if (r == 5) { /* ties and sticky bits */
      in[0] = structured(F);
      in[1] = shortVal(F, bexpOf(F, in[0]) - F->P - rn(3), 1 + rn(4));
    } else if (r == 6) {
      int hi = rn(2);
      in[0] = mk(F, rn(2), hi ? (int)F->expMax - 1 - rn(2) : rn(3), randFrac(F));
      in[1] = mk(F, rn(2), hi ? (int)F->expMax - 1 - rn(2) : rn(3), randFrac(F));
    }
    break;
  case MUL:
  case DIV:
    if (r >= 2 && r <= 4) { /* result exponent near the subnormal or overflow boundary */
      int emin = 1 - F->bias, emax = F->bias;
      int t = rn(2) ? emin - F->P - 2 + rn(F->P + 6) : emax - 2 + rn(4);
      int ea = emin + rn(emax - emin);
      int eb = op == MUL ? t - ea : ea - t;
      in[0] = shortVal(F, ea + F->bias, rn(2) ? F->P : 1 + rn(F->P));
      in[1] = shortVal(F, eb + F->bias, rn(2) ? F->P : 1 + rn(F->P));
      if (eb + F->bias < 1) in[1] = mk(F, rn(2), 0, randFrac(F));
    } else if (r == 5 || r == 6) { /* short significands: exact results and ties */
      in[0] = shortVal(F, F->bias - 30 + rn(61), F->P / 2 + rn(4));
      in[1] = shortVal(F, F->bias - 30 + rn(61), F->P / 2 + rn(4));
      if (op == DIV) in[0] = mulF(F, in[0], in[1]);
    }
    break;
  case SQRT:
    if (r <= 2) in[0] = structured(F) & ~F->signBit;
    else if (r <= 4) { u64 y = shortVal(F, F->bias - 40 + rn(81), F->P / 2 + rn(2)); in[0] = mulF(F, y, y) & ~F->signBit; }
    else if (r == 5) { u64 y = shortVal(F, randBexp(F) / 2 + F->bias / 2, F->P / 2 + 1); in[0] = nudge(F, mulF(F, y, y) & ~F->signBit, rn(3) - 1); }
    break;
  case MADD: case MSUB: case NMSUB: case NMADD: {
    int sub = (op == MADD || op == NMADD) ? 1 : 0; /* c that cancels (a*b) */
    int negp = (op == NMSUB || op == NMADD);
    if (r >= 1 && r <= 3) {
      in[0] = structured(F); in[1] = structured(F);
      if (rn(2)) { in[0] = mk(F, rn(2), F->bias - 20 + rn(41), randFrac(F)); in[1] = mk(F, rn(2), F->bias - 20 + rn(41), randFrac(F)); }
      u64 p = mulF(F, in[0], in[1]);
      if (negp) p ^= F->signBit;
      in[2] = nudge(F, p ^ (sub ? F->signBit : 0), rn(2) ? 0 : rn(7) - 3);
    } else if (r == 4) { /* addend around the product's rounding position */
      in[0] = mk(F, rn(2), F->bias - 20 + rn(41), randFrac(F));
      in[1] = mk(F, rn(2), F->bias - 20 + rn(41), randFrac(F));
      int ep = bexpOf(F, mulF(F, in[0], in[1]));
      in[2] = shortVal(F, ep - F->P - 2 + rn(8), 1 + rn(F->P));
    } else if (r == 5) { /* short significands */
      in[0] = shortVal(F, F->bias - 10 + rn(21), F->P / 2 + rn(3));
      in[1] = shortVal(F, F->bias - 10 + rn(21), F->P / 2 + rn(3));
      in[2] = shortVal(F, F->bias - 10 + rn(21) - F->P + rn(2 * F->P), rn(F->P) + 1);
    } else if (r == 7) {
      /* a*b = h * (1 + w), h = +-half an ulp of c, w tiny: X lies just beside
         the midpoint c + h, so a double-rounding shortcut would get it wrong.
         a = 2^k (1 + u), b = h 2^-k (1 - u + v): a*b = h (1 + v - u^2 + u v). */
      int f32 = F->w == 32;
      double u = f32 ? 0x1p-12 : 0x1p-26, v = f32 ? 0x1p-24 : 0x1p-52;   /* w = +u*v */
      if (rn(2)) { u = f32 ? 0x1p-15 : 0x1p-27; v = 0; }                   /* w = -u^2 */
      double cv = ldexp(1 + (double)(rnd() >> 11) * 0x1p-53, rn(41) - 20);
      u64 cb = fromDouble(F, rn(2) ? -cv : cv);
      int k = rn(21) - 10;
      double h = ldexp(1, bexpOf(F, cb) - F->bias - F->P) * (rn(4) ? 1 : -1);
      if (cb & F->signBit) h = -h;
      in[0] = fromDouble(F, ldexp(1 + u, k));
      in[1] = fromDouble(F, ldexp(h * (1 - u + v), -k));
      in[2] = cb;
      if (negp) in[0] ^= F->signBit;                          /* the op negates a*b */
      if (op == MSUB || op == NMADD) in[2] ^= F->signBit;     /* the op negates c */
      if (rn(2)) { u64 t = in[0]; in[0] = in[1]; in[1] = t; }
    } else if (r == 6) { /* tiny products */
      in[0] = shortVal(F, F->bias / 2 - F->P / 2 + rn(10), F->P);
      in[1] = shortVal(F, F->bias / 2 - F->P / 2 - rn(10), F->P);
      in[2] = mk(F, rn(2), rn(4), randFrac(F));
    }
    break;
  }
  case MIN: case MAX: case EQ: case LT: case LE:
    if (r == 4) in[1] = in[0];
    else if (r == 5) { in[0] = rn(2) ? F->signBit : 0; in[1] = rn(2) ? F->signBit : 0; }
    else if (r == 6) { if (!isnanb(F, in[0])) in[1] = nudge(F, in[0], rn(3) - 1); }
    break;
  case TOI32: case TOU32: case TOI64: case TOU64: {
    double d;
    if (r == 1 || r == 2) {
      int L = rn(67);
      double k = ldexp((double)(rnd() >> 11), L - 53);
      k = floor(k);
      static const double fr[] = {0, 0.5, 0.25, 0.75, 0.5, 0.999};
      d = k + (rn(7) == 6 ? (double)(rnd() >> 11) * 0x1p-53 : fr[rn(6)]);
      if (rn(2)) d = -d;
      in[0] = fromDouble(F, d);
    } else if (r == 3 || r == 4) {
      static const double lim[] = {0x1p31, 0x1p32, 0x1p63, 0x1p64, 0x1p31 - 0.5, 0x1p32 - 0.5, 1, 0.5};
      d = lim[rn(8)];
      if (rn(2)) d = -d;
      in[0] = nudge(F, fromDouble(F, d), rn(5) - 2);
    } else if (r == 5) {
      in[0] = mk(F, rn(2), F->bias - 1 - rn(30), randFrac(F)); /* |x| < 1 */
    } else if (r == 6) {
      in[0] = mk(F, rn(2), F->bias + rn(66), randFrac(F));
    }
    break;
  }
  case FROMI32: in[0] = intOperand(32, 1); break;
  case FROMU32: in[0] = intOperand(32, 0); break;
  case FROMI64: in[0] = intOperand(64, 1); break;
  case FROMU64: in[0] = intOperand(64, 0); break;
  case CVT:
    if (F->w == 64) {
      float f = asf(any(&F32));
      if (r == 1) in[0] = dbits((double)f);
      else if (r == 2 || r == 3) { /* binary32 midpoints and their neighbours */
        u32 fb = (u32)fbits(f) & 0x7fffffff;
        if (fb >= 0x7f7fffff) fb = (u32)rnd() & 0x7effffff;
        double lo = asf(fb), hi = asf(fb + 1);
        in[0] = nudge(F, dbits((lo + hi) / 2), rn(3) - 1) | (rn(2) ? F->signBit : 0);
      } else if (r == 4) in[0] = mk(F, rn(2), 1023 - 152 + rn(30), randFrac(F)); /* binary32 subnormal range */
      else if (r == 5) in[0] = mk(F, rn(2), 1023 + 126 + rn(3), randFrac(F)); /* binary32 overflow range */
    }
    break;
  }
}

/* ---------------------------------------------------------------- output */

static FILE *out;
static void put(u64 v, int bytes) {
  for (int i = 0; i < bytes; i++) fputc((int)((v >> (8 * i)) & 0xff), out);
}

static void section(const fmt_t *F, int op, int rm, int count) {
  char name[32];
  if (op == FROMI32 || op == FROMU32 || op == FROMI64 || op == FROMU64)
    snprintf(name, sizeof name, "%sf%d", OPNAME[op], F->w);
  else if (op == CVT)
    snprintf(name, sizeof name, "f%d_to_f%d", F->w, F->w == 32 ? 64 : 32);
  else
    snprintf(name, sizeof name, "f%d_%s", F->w, OPNAME[op]);
  int ni = nIn(op), ib = inBytes(F, op), ob = outBytes(F, op);
  fputc((int)strlen(name), out);
  fputs(name, out);
  fputc(rm, out);
  fputc(ni, out);
  fputc(ib, out);
  fputc(ob, out);
  put((u64)count, 4);
  for (int i = 0; i < count; i++) {
    vec_t v;
    operands(F, op, v.in);
    expected(F, op, rm, &v);
    for (int k = 0; k < ni; k++) put(v.in[k], ib);
    put(v.out, ob);
    fputc(v.fl, out);
  }
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s out.bin\n", argv[0]); return 2; }
  out = fopen(argv[1], "wb");
  if (!out) { perror(argv[1]); return 1; }
  fputs("PRNRFPV1", out);
  const fmt_t *fmts[2] = {&F32, &F64};
  for (int f = 0; f < 2; f++) {
    const fmt_t *F = fmts[f];
    for (int op = 0; op < NOPS; op++) {
      int n;
      switch (op) {
      case ADD: case SUB: case MUL: case DIV: n = F->w == 32 ? 900 : 600; break;
      case MADD: n = F->w == 32 ? 700 : 500; break;
      case MSUB: case NMSUB: case NMADD: n = F->w == 32 ? 300 : 250; break;
      case SQRT: n = 500; break;
      case MIN: case MAX: case EQ: case LT: case LE: case CLASS: n = 1200; break;
      case CVT: n = F->w == 32 ? 1500 : 800; break;
      default: n = 450; break;
      }
      if (!rounds(F, op)) section(F, op, 0, n);
      else for (int rm = 0; rm < 5; rm++) section(F, op, rm, n);
    }
  }
  fclose(out);
  return 0;
}
