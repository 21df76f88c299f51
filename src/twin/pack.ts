// CPU twin of shaders/pack.wgsl: same function names, same bits. The conversions themselves are the contract's
// (src/contract/f32.ts: JAX plans round their parameters to f16 and bf16 with them).
import type { DType } from '../contract/dtypes.js';
import { bf16BitsToNumber, f16BitsToNumber } from '../contract/f32.js';

export { bf16BitsToNumber, f16BitsToNumber, f32ToBf16Bits, f32ToF16Bits } from '../contract/f32.js';

/**
 * The number an element read back as `dtype` encodes: u32 and f32 elements are numbers already, f16 and
 * bf16 ones come back as their bit patterns.
 */
export function storedToNumber(dtype: DType): (stored: number) => number {
  if (dtype === 'f16') return f16BitsToNumber;
  if (dtype === 'bf16') return bf16BitsToNumber;
  return (x) => x;
}
