/** 64-bit values as int32 halves (the hart's register representation, see hart.ts). */

export const TWO32 = 4294967296;

/** The signed 64-bit value of halves lo, hi as a bigint. */
export const toBig = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo >>> 0);
