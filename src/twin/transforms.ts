// CPU twin of shaders/transforms.wgsl: same function names, same bits. Every f32 operation is followed
// by Math.fround (`f` below) so the double arithmetic of JS rounds exactly where the shader rounds; a
// double result of one +, - or * of two f32 values rounded once to f32 is the correctly rounded f32
// result, because a double holds at least 2 * 24 + 2 bits.

import { bitsToF32, f32ToBits } from '../contract/f32.js';

const f = Math.fround;

export { bitsToF32, f32ToBits } from '../contract/f32.js';

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

/** Twin of openUniformFromWord: (k + 1/2) * 2^-23, in the open interval (0, 1). */
export function openUniformFromWord(word: number): number {
  return ((word & 0x7fffff) + 0.5) * 2 ** -23;
}

export const C_24_17 = f(1.41176474);
export const C_8_17 = f(0.470588237);

/** Twin of reciprocalF32: 1/d for a positive normal d below 2^126 by three Newton steps (not division). */
export function reciprocalF32(d: number): number {
  const bits = f32ToBits(d);
  const m = bitsToF32((bits & 0x7fffff) | 0x3f800000);
  let r = f(C_24_17 - f(C_8_17 * m));
  r = f(r * f(2 - f(m * r)));
  r = f(r * f(2 - f(m * r)));
  r = f(r * f(2 - f(m * r)));
  const scale = bitsToF32((254 - ((bits >>> 23) & 0xff)) << 23);
  return f(r * scale);
}

// biome-ignore lint/suspicious/noApproximativeNumericConstant: the literal of transforms.wgsl (`m > 1.4142135`), written the same here
export const SQRT2_F = f(1.4142135);
export const INV9 = f(0.11111111);
export const INV7 = f(0.14285715);
export const INV5 = f(0.2);
export const INV3 = f(0.33333334);
export const LN2_HI = 0.693145751953125; // exact in f32 (16 significant bits)
export const LN2_LO = f(1.4286068e-6);

/** Twin of logF32: natural logarithm of a positive normal f32. */
export function logF32(x: number): number {
  const bits = f32ToBits(x);
  let e = ((bits >>> 23) & 0xff) - 127;
  let m = bitsToF32((bits & 0x7fffff) | 0x3f800000);
  if (m > SQRT2_F) {
    m = f(m * 0.5);
    e = e + 1;
  }
  const s = f(f(m - 1) * reciprocalF32(f(m + 1)));
  const s2 = f(s * s);
  let p = f(f(s2 * INV9) + INV7);
  p = f(f(p * s2) + INV5);
  p = f(f(p * s2) + INV3);
  const twoS = f(2 * s);
  const lnm = f(twoS + f(twoS * f(s2 * p)));
  return f(f(e * LN2_HI) + f(f(e * LN2_LO) + lnm));
}

export const MAGIC_RSQRT = 0x5f3759df;

/** Twin of sqrtF32: square root of x in [2^-100, 2^100] by Newton steps (0 for x <= 0). */
export function sqrtF32(x: number): number {
  if (x <= 0) return 0;
  const half = f(0.5 * x);
  let y = bitsToF32((MAGIC_RSQRT - (f32ToBits(x) >>> 1)) >>> 0);
  y = f(y * f(1.5 - f(half * f(y * y))));
  y = f(y * f(1.5 - f(half * f(y * y))));
  y = f(y * f(1.5 - f(half * f(y * y))));
  const s = f(x * y);
  return f(s + f(f(0.5 * y) * f(x - f(s * s))));
}

// (2 pi)^k / k! rounded to f32.
export const S11 = f(15.0946426);
export const S9 = f(42.0586929);
export const S7 = f(76.7058563);
export const S5 = f(81.6052475);
export const S3 = f(41.3417015);
export const S1 = f(6.28318548);
export const C12 = f(7.90353632);
export const C10 = f(26.4262562);
export const C8 = f(60.2446404);
export const C6 = f(85.4568176);
export const C4 = f(64.9393921);
export const C2 = f(19.7392082);

/** Twin of sinCos2Pi: [sin(2 pi u), cos(2 pi u)] for u in [0, 1] on the 2^-23 grid. */
export function sinCos2Pi(u: number): [number, number] {
  const q = Math.floor(f(f(4 * u) + 0.5));
  const t = f(u - f(0.25 * q));
  const t2 = f(t * t);
  let s = f(f(t2 * -S11) + S9);
  s = f(f(s * t2) - S7);
  s = f(f(s * t2) + S5);
  s = f(f(s * t2) - S3);
  s = f(f(s * t2) + S1);
  s = f(s * t);
  let c = f(f(t2 * C12) - C10);
  c = f(f(c * t2) + C8);
  c = f(f(c * t2) - C6);
  c = f(f(c * t2) + C4);
  c = f(f(c * t2) - C2);
  c = f(f(c * t2) + 1);
  switch (q & 3) {
    case 1:
      return [c, -s];
    case 2:
      return [-s, -c];
    case 3:
      return [-c, s];
    default:
      return [s, c];
  }
}

// M. Giles, "Approximating the erfinv function", GPU Computing Gems Jade Edition (2011):
// single-precision coefficients, highest degree first.
export const ERFINV_CENTRAL = [
  2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
].map(f);
export const ERFINV_TAIL = [
  -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682,
].map(f);

/** Twin of erfinvF32: erfinv(x) given w = -ln(1 - x^2). */
export function erfinvF32(x: number, w: number): number {
  let coefficients: number[];
  let v: number;
  if (w < 5) {
    coefficients = ERFINV_CENTRAL;
    v = f(w - 2.5);
  } else {
    coefficients = ERFINV_TAIL;
    v = f(sqrtF32(w) - 3);
  }
  let p = f(f(v * coefficients[0]!) + coefficients[1]!);
  for (let i = 2; i < coefficients.length; i++) p = f(f(p * v) + coefficients[i]!);
  return f(p * x);
}

// P. J. Acklam (2003), lower-tail rational approximation of the inverse normal CDF: coefficients from
// that note, highest degree first.
export const ACKLAM_C = [-0.0077848942, -0.322396457, -2.40075827, -2.54973245, 4.37466431, 2.938164].map(f);
export const ACKLAM_D = [0.00778469583, 0.322467119, 2.44513416, 3.7544086, 1].map(f);

/** Twin of normalQuantileLowerTail: Phi^-1(p) for p below 2^-24. */
export function normalQuantileLowerTail(p: number): number {
  const q = sqrtF32(f(-2 * logF32(p)));
  let n = f(f(q * ACKLAM_C[0]!) + ACKLAM_C[1]!);
  for (let i = 2; i < ACKLAM_C.length; i++) n = f(f(n * q) + ACKLAM_C[i]!);
  let d = f(f(q * ACKLAM_D[0]!) + ACKLAM_D[1]!);
  for (let i = 2; i < ACKLAM_D.length; i++) d = f(f(d * q) + ACKLAM_D[i]!);
  return f(n * reciprocalF32(d));
}

export const SQRT2 = f(1.41421354);
export const TAIL_THRESHOLD = 2 ** -24;

/** Twin of normalQuantile: standard normal quantile of p in (0, 1). */
export function normalQuantile(p: number): number {
  if (p < TAIL_THRESHOLD) return normalQuantileLowerTail(p);
  const w = f(-logF32(f(f(4 * p) * f(1 - p))));
  return f(SQRT2 * erfinvF32(f(f(2 * p) - 1), w));
}
