/** A seeded xorshift32 generator for the fuzz tests, so that a failure reproduces: `rnd(n)` is in 0..n-1. */
export function seededRandom(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % n;
  };
}
