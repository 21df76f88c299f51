// CPU twin of shaders/transforms.wgsl: same function names, same bits. Every f32 operation is followed
// by Math.fround so the double arithmetic of JS rounds exactly where the shader rounds.

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

/**
 * Twin of fenceF32: on the GPU an opaque identity that stops multiply-add contraction; here every
 * operation is already rounded to f32, so it only rounds its argument.
 */
export function fenceF32(x: number): number {
  return Math.fround(x);
}

/** TensorFlow's Uint32ToFloat: k * 2^-23 for k = the low 23 bits of the word; in [0, 1). */
export function uniformFromWord(word: number): number {
  // (1 + k * 2^-23) - 1 is exact in f32, so the result is k * 2^-23 exactly.
  return (word & 0x7fffff) * 2 ** -23;
}

/** u * range + low with both operations rounded to f32; `range` is f32(high - low). */
export function uniformRange(u: number, low: number, range: number): number {
  return Math.fround(fenceF32(u * range) + low);
}
