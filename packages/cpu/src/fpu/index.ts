/**
 * Exact IEEE 754-2019 binary32/binary64 arithmetic for the RISC-V F and D
 * extensions: all five rounding modes, exact fflags, canonical NaNs,
 * saturating conversions. Pure functions on bit patterns; see constants.ts
 * for the value conventions.
 */
export {
  FLAG_NX, FLAG_UF, FLAG_OF, FLAG_DZ, FLAG_NV, F32_CANONICAL_NAN, F64_CANONICAL_NAN,
} from './constants.js';
export type { FpEnv, RoundingMode } from './constants.js';
export {
  f32Add, f32Sub, f32Mul, f32Div, f32Sqrt, f32MulAdd, f32MulSub, f32NegMulSub, f32NegMulAdd,
  f32Min, f32Max, f32Eq, f32Lt, f32Le, f32Classify,
  f32ToI32, f32ToU32, f32ToI64, f32ToU64, i32ToF32, u32ToF32, i64ToF32, u64ToF32, f32ToF64,
} from './f32.js';
export {
  f64Add, f64Sub, f64Mul, f64Div, f64Sqrt, f64MulAdd, f64MulSub, f64NegMulSub, f64NegMulAdd,
  f64Min, f64Max, f64Eq, f64Lt, f64Le, f64Classify,
  f64ToI32, f64ToU32, f64ToI64, f64ToU64, i32ToF64, u32ToF64, i64ToF64, u64ToF64, f64ToF32,
} from './f64.js';
