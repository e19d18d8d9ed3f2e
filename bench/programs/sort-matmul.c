/* sort-matmul: sorting 64-bit integers and double-precision matrix multiply.
 * An introsort-free quicksort (median of three, insertion sort below 16) of
 * 512 Ki signed 64-bit integers, checked for order; then C = A x B for 128x128
 * doubles (fmul/fadd, fcvt), repeated with feedback. Build with
 * -ffp-contract=off so no fused multiply-add changes the results. */
#include "bench.h"

#define SORT_N (512u * 1024u)
#define MAT_N 128
#define MAT_ROUNDS 5

static int64_t arr[SORT_N];
static double A[MAT_N][MAT_N], B[MAT_N][MAT_N], C[MAT_N][MAT_N];

static void insertion_sort(int64_t *a, long n) {
  for (long i = 1; i < n; i++) {
    int64_t v = a[i];
    long j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static inline void swap64(int64_t *a, int64_t *b) {
  int64_t t = *a;
  *a = *b;
  *b = t;
}

static void quicksort(int64_t *a, long n) {
  while (n > 16) {
    long mid = n / 2;
    if (a[mid] < a[0]) swap64(&a[mid], &a[0]);
    if (a[n - 1] < a[0]) swap64(&a[n - 1], &a[0]);
    if (a[n - 1] < a[mid]) swap64(&a[n - 1], &a[mid]);
    int64_t pivot = a[mid];
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      swap64(&a[i], &a[j]);
      i++;
      j--;
    }
    /* recurse into the smaller side, loop on the larger: stack depth O(log n) */
    long left = j + 1;
    if (left < n - left) {
      quicksort(a, left);
      a += left;
      n -= left;
    } else {
      quicksort(a + left, n - left);
      n = left;
    }
  }
  insertion_sort(a, n);
}

static uint64_t sort_bench(uint64_t *s) {
  for (uint32_t i = 0; i < SORT_N; i++) {
    uint64_t r = rng_next(s);
    arr[i] = (i & 7) == 0 ? (int64_t)(r % 1000u) - 500 : (int64_t)r;  /* some duplicates */
  }
  quicksort(arr, SORT_N);
  uint64_t h = 0, bad = 0;
  for (uint32_t i = 0; i < SORT_N; i++) {
    if (i && arr[i - 1] > arr[i]) bad++;
    h = h * 31 + (uint64_t)arr[i];
  }
  return mix(h, bad);
}

static uint64_t matmul_bench(uint64_t *s) {
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      A[i][j] = (double)((int64_t)(rng_next(s) % 2001u) - 1000) / 64.0;
      B[i][j] = (double)((int64_t)(rng_next(s) % 2001u) - 1000) / 128.0;
    }
  uint64_t h = 0;
  for (int r = 0; r < MAT_ROUNDS; r++) {
    for (int i = 0; i < MAT_N; i++) {
      for (int j = 0; j < MAT_N; j++) C[i][j] = 0.0;
      for (int k = 0; k < MAT_N; k++) {
        double a = A[i][k];
        for (int j = 0; j < MAT_N; j++) C[i][j] += a * B[k][j];
      }
    }
    double trace = 0.0;
    for (int i = 0; i < MAT_N; i++) {
      trace += C[i][i];
      for (int j = 0; j < MAT_N; j++) {
        union { double d; uint64_t u; } bits = { C[i][j] };
        h = mix(h, bits.u);
        /* feed back a scaled, truncated copy so every round differs */
        A[i][j] = (double)(int64_t)(C[i][j] / 4096.0) / 64.0 + A[j][i] * 0.5;
      }
    }
    h = mix(h, (uint64_t)(int64_t)trace);
  }
  return h;
}

uint64_t bench(void) {
  uint64_t s = 0xDEADBEEFCAFEF00DULL;
  uint64_t h = sort_bench(&s);
  return mix(h, matmul_bench(&s));
}
