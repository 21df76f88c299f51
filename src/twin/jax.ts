// CPU twin of shaders/jax.wgsl: same function names, same bits. `dtype` is the DTYPE code (0 f32, 1 f16,
// 2 bf16); `generator` 0 is threefry2x32, 1 philox4x32.
import { bf16BitsToNumber, f16BitsToNumber, f32ToBf16Bits, f32ToF16Bits } from '../contract/f32.js';
import { philoxBlock } from '../contract/philox.js';
import { threefryPair } from '../contract/threefry.js';
import { erfInvXla, fmaF32 } from './xla-math.js';

const f = Math.fround;
const SQRT2_F32 = f(1.41421354);
const scratch = new Uint32Array(4);

/** Twin of jaxWord: the 32 random bits of flattened index (hi, lo) under `key`. */
export function jaxWord(index: readonly [number, number], key: readonly [number, number], generator: number): number {
  if (generator === 1) {
    philoxBlock(index[0] | 0, index[1] | 0, 0, 0, key[0] | 0, key[1] | 0, scratch, 0);
    return (scratch[0]! ^ scratch[1]! ^ scratch[2]! ^ scratch[3]!) >>> 0;
  }
  threefryPair(index[0], index[1], key[0], key[1], scratch, 0);
  return (scratch[0]! ^ scratch[1]!) >>> 0;
}

/** Twin of f16BitsToF32: the value of a finite binary16 pattern. */
export function f16BitsToF32(h: number): number {
  return f16BitsToNumber(h);
}

/** Twin of roundToStored: x rounded to the dtype of DTYPE code `dtype`. */
export function roundToStored(x: number, dtype: number): number {
  if (dtype === 1) return f16BitsToNumber(f32ToF16Bits(x));
  if (dtype === 2) return bf16BitsToNumber(f32ToBf16Bits(x));
  return x;
}

/** Twin of jaxUniformFromWord: jax.random.uniform's value for one word. */
export function jaxUniformFromWord(word: number, low: number, range: number, dtype: number): number {
  let u: number;
  if (dtype === 1) {
    u = roundToStored(f(roundToStored(f(((word & 0xffff) >>> 6) * 0.0009765625 * range), 1) + low), 1);
  } else if (dtype === 2) {
    u = roundToStored(f(roundToStored(f(((word & 0xff) >>> 1) * 0.0078125 * range), 2) + low), 2);
  } else {
    u = fmaF32((word >>> 9) * 2 ** -23, range, low);
  }
  // biome-ignore lint/complexity/useMathMinMax: the shader's select(u, low, u < low), which keeps -0 where Math.max gives +0
  return u < low ? low : u;
}

/** Twin of jaxNormalFromUniform: sqrt(2) * erf_inv(u) in the dtype. */
export function jaxNormalFromUniform(u: number, dtype: number): number {
  const e = erfInvXla(u);
  if (dtype === 0) return f(e * SQRT2_F32);
  return roundToStored(f(roundToStored(e, dtype) * 1.4140625), dtype);
}

/** Twin of jaxTruncatedNormalFromUniform. */
export function jaxTruncatedNormalFromUniform(u: number, lo: number, hi: number, dtype: number): number {
  if (Math.abs(u) === 1) return u < 0 ? lo : hi;
  const z = jaxNormalFromUniform(u, dtype);
  // biome-ignore lint/complexity/useMathMinMax: the shader's selects, which keep -0 where Math.max and Math.min give +0
  const above = z < lo ? lo : z;
  // biome-ignore lint/complexity/useMathMinMax: as above
  return above > hi ? hi : above;
}

/** Twin of jaxScale: v * scale rounded to the dtype. */
export function jaxScale(v: number, scale: number, dtype: number): number {
  return roundToStored(f(v * scale), dtype);
}
