// f32 bit patterns and the 16-bit float conversions, as part of the stream contract: the CPU twins
// (src/twin/transforms.ts, src/twin/pack.ts) re-export them under the shaders' names, and plans use them to
// round parameters to a dtype on the host.

const scratch = new DataView(new ArrayBuffer(4));

/** Reinterprets u32 bits as an f32 value (WGSL bitcast<f32>). */
export function bitsToF32(bits: number): number {
  scratch.setUint32(0, bits >>> 0, true);
  return scratch.getFloat32(0, true);
}

/** Reinterprets an f32 value as its u32 bits (WGSL bitcast<u32>). */
export function f32ToBits(value: number): number {
  scratch.setFloat32(0, value, true);
  return scratch.getUint32(0, true);
}

/** IEEE binary16 bits of an f32 value, round to nearest even (see shaders/pack.wgsl). */
export function f32ToF16Bits(x: number): number {
  const bits = f32ToBits(x);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 | (mantissa >>> 13) : 0);
  const e = exponent - 112;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    const h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const up = rem > halfway || (rem === halfway && (h & 1) === 1) ? 1 : 0;
    return sign | (h + up);
  }
  const h = (e << 10) | (mantissa >>> 13);
  const rem = mantissa & 0x1fff;
  const up = rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1) ? 1 : 0;
  return sign | (h + up);
}

/** bfloat16 bits of an f32 value, round to nearest even; NaN stays a quiet NaN. */
export function f32ToBf16Bits(x: number): number {
  const bits = f32ToBits(x);
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The number an IEEE binary16 bit pattern encodes. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** The number a bfloat16 bit pattern encodes. */
export function bf16BitsToNumber(h: number): number {
  return bitsToF32((h & 0xffff) << 16);
}
