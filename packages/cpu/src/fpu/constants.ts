/**
 * Shared constants and types of the floating-point library (RISC-V F and D).
 *
 * Values cross the API as bit patterns: an f32 is a JS number holding the
 * unsigned 32-bit pattern, an f64 is a bigint holding the unsigned 64-bit
 * pattern. Every operation ORs the exception flags it raises into `env.flags`
 * (the fflags bit layout).
 */

/** fflags bits. */
export const FLAG_NX = 1, FLAG_UF = 2, FLAG_OF = 4, FLAG_DZ = 8, FLAG_NV = 16;

/** RISC-V frm encodings: 0 RNE, 1 RTZ, 2 RDN, 3 RUP, 4 RMM (nearest, ties away from zero). */
export type RoundingMode = 0 | 1 | 2 | 3 | 4;
export const RM_RNE = 0, RM_RTZ = 1, RM_RDN = 2, RM_RUP = 3, RM_RMM = 4;

/** Accumulated exception flags. */
export interface FpEnv {
  flags: number;
}

/** The canonical NaNs RISC-V produces for every NaN result. */
export const F32_CANONICAL_NAN = 0x7fc00000, F64_CANONICAL_NAN = 0x7ff8000000000000n;
