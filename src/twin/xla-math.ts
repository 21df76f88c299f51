// CPU twin of shaders/xla-math.wgsl: same function names, same bits. fmaF32, divRoundedF32 and sqrtRoundedF32 are
// computed here from the double of JavaScript (exact product, one correction; a double quotient or root rounded
// to f32 is correctly rounded, as a double has more than 2 * 24 + 2 bits); the shader builds the same results
// from f32 and integer operations. The rest follows the shader operation by operation.

import { bitsToF32, f32ToBits } from '../contract/f32.js';
import { flushSubnormal, fmaF32 } from '../contract/xla-f32.js';

export { flushSubnormal, fmaF32 } from '../contract/xla-f32.js';

const f = Math.fround;

/** Twin of splitF32: Veltkamp's split [hi, lo] of an f32 value. */
export function splitF32(a: number): [number, number] {
  const c = f(4097 * a);
  const hi = f(c - f(c - a));
  return [hi, f(a - hi)];
}

/** Twin of twoProductF32: [p, e] with p = f32(a * b) and p + e = a * b. */
export function twoProductF32(a: number, b: number): [number, number] {
  const p = f(a * b);
  const [ah, al] = splitF32(a);
  const [bh, bl] = splitF32(b);
  const e = f(f(f(f(ah * bh) - p) + f(ah * bl)) + f(al * bh));
  return [p, f(e + f(al * bl))];
}

/** Twin of twoSumF32: [s, t] with s = f32(a + b) and s + t = a + b. */
export function twoSumF32(a: number, b: number): [number, number] {
  const s = f(a + b);
  const bb = f(s - a);
  return [s, f(f(a - f(s - bb)) + f(b - bb))];
}

/** Twin of addRoundOddF32: a + b rounded to odd. */
export function addRoundOddF32(a: number, b: number): number {
  const [s, t] = twoSumF32(a, b);
  const bits = f32ToBits(s);
  if (t === 0 || (bits & 1) === 1) return s;
  return bitsToF32(t > 0 === s > 0 ? bits + 1 : bits - 1);
}

/** Twin of divRoundedF32: a / b correctly rounded to f32. */
export function divRoundedF32(a: number, b: number): number {
  return f(a / b);
}

/** Twin of sqrtRoundedF32: sqrt(x) correctly rounded to f32. */
export function sqrtRoundedF32(x: number): number {
  return f(Math.sqrt(x));
}

const SQRT_HALF = f(0.707106769);
const LOG_P = [0.0703768358, -0.115146101, 0.116769984, -0.12420141, 0.142493233, -0.166680574, 0.200007141, -0.24999994, 0.333333313].map(f);
const LOG_Q1 = f(-0.000212194442);
const LOG_Q2 = 0.693359375;

/** Twin of logXla: XLA's float32 log of a positive normal f32 on the CPU. */
export function logXla(v: number): number {
  const bits = f32ToBits(v);
  const e = ((bits >>> 23) & 0xff) - 127;
  const m = bitsToF32((bits & 0x807fffff) | 0x3f000000);
  let x: number;
  let ea: number;
  if (m < SQRT_HALF) {
    x = f(f(m - 1) + m);
    ea = e;
  } else {
    x = f(m - 1);
    ea = e + 1;
  }
  const P = LOG_P;
  const z = f(x * x);
  const x3 = f(z * x);
  const y0 = fmaF32(x, fmaF32(x, P[0]!, P[1]!), P[2]!);
  const y1 = fmaF32(y0, x3, fmaF32(x, fmaF32(x, P[3]!, P[4]!), P[5]!));
  const y2 = fmaF32(y1, x3, fmaF32(fmaF32(x, P[6]!, P[7]!), x, P[8]!));
  const t = fmaF32(y2, x3, f(ea * LOG_Q1));
  return fmaF32(ea, LOG_Q2, f(fmaF32(-0.5, z, x) + t));
}

const LOG1P_SMALL = f(0.414213568);
const LOG1P_IDENTITY = 2 ** -26;
const LOG1P_DEN = [15.0629091, 83.0475693, 221.762405, 309.098724, 216.427887, 60.11866].map(f);
const LOG1P_NUM = [0.0000452700006, 0.498541027, 6.57873249, 29.9119186, 60.9496689, 57.1129646, 20.0395527].map(f);

/** Twin of log1pXla: XLA's float32 log1p on the CPU. */
export function log1pXla(x: number): number {
  if (Math.abs(x) >= LOG1P_SMALL) return logXla(f(x + 1));
  if (Math.abs(x) < LOG1P_IDENTITY) return x;
  const x2 = f(x * x);
  let den = fmaF32(x, 1, LOG1P_DEN[0]!);
  for (let i = 1; i < LOG1P_DEN.length; i++) den = fmaF32(x, den, LOG1P_DEN[i]!);
  let num = fmaF32(x, LOG1P_NUM[0]!, LOG1P_NUM[1]!);
  for (let i = 2; i < LOG1P_NUM.length; i++) num = fmaF32(x, num, LOG1P_NUM[i]!);
  const t = f(f(x * x2) * divRoundedF32(num, den));
  return f(x + fmaF32(-0.5, x2, t));
}

// M. Giles (2011), single-precision coefficients as XLA's ErfInv32 holds them, highest degree first.
const ERFINV_CENTRAL = [
  2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
].map(f);
const ERFINV_TAIL = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682].map(
  f,
);

/** Twin of erfInvXla: XLA's float32 erf_inv of u in (-1, 1) on the CPU. */
export function erfInvXla(u: number): number {
  const w = -log1pXla(flushSubnormal(f(u * -u)));
  const [c, v] = w < 5 ? [ERFINV_CENTRAL, f(w - 2.5)] : [ERFINV_TAIL, f(sqrtRoundedF32(w) - 3)];
  let p = fmaF32(v, c[0]!, c[1]!);
  for (let i = 2; i < c.length; i++) p = fmaF32(v, p, c[i]!);
  return f(u * p);
}
