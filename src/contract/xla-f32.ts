// The float32 arithmetic of XLA's CPU backend that a JAX plan needs on the host, bit for bit: the fused
// multiply-add (x86-64 FMA and AArch64 round once; XLA's LLVM back end contracts a multiply into the add that uses
// it), XLA's float32 erf (the rational approximation its CPU emitter inlines, with explicit fma intrinsics), and
// rounding to a 16-bit dtype as XLA's converts do. The per-element transforms are in src/twin/xla-math.ts (and
// shaders/xla-math.wgsl); docs/rng.md says where each sequence of operations comes from.
import type { FloatDType } from './dtypes.js';
import { bf16BitsToNumber, bitsToF32, f16BitsToNumber, f32ToBf16Bits, f32ToBits, f32ToF16Bits } from './f32.js';

const f = Math.fround;

/**
 * a * b + c rounded once to f32 (IEEE fusedMultiplyAdd), for f32 inputs. a * b is exact in a double; the double
 * sum is rounded a second time to f32 only when it is exactly halfway between two f32 values while the true sum is
 * not, and then the error term of the sum (Knuth's TwoSum) says which neighbour is nearer.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  const r = f(s);
  if (err === 0 || r === s) return r;
  const d = s - r;
  const other = r + 2 * d;
  if (f(other) !== other) return r;
  return err > 0 === other > r ? other : r;
}

/** The value x rounded to `dtype` (f32: once to f32; f16 and bf16: to f32, then to nearest even in 16 bits). */
export function roundToDType(x: number, dtype: FloatDType): number {
  if (dtype === 'f16') return f16BitsToNumber(f32ToF16Bits(x));
  if (dtype === 'bf16') return bf16BitsToNumber(f32ToBf16Bits(x));
  return f(x);
}

/** The next value of `dtype` after x (a value of that dtype) toward `toward`: lax.nextafter. */
export function nextAfterInDType(x: number, toward: number, dtype: FloatDType): number {
  if (x === toward || Number.isNaN(x) || Number.isNaN(toward)) return x;
  const up = toward > x;
  if (dtype === 'f32') {
    if (x === 0) return bitsToF32(up ? 1 : 0x80000001);
    const b = f32ToBits(x);
    return bitsToF32(up === x > 0 ? b + 1 : b - 1);
  }
  const [toBits, fromBits] = dtype === 'f16' ? [f32ToF16Bits, f16BitsToNumber] : [f32ToBf16Bits, bf16BitsToNumber];
  if (x === 0) return fromBits(up ? 1 : 0x8001);
  const b = toBits(x);
  return fromBits(up === x > 0 ? b + 1 : b - 1);
}

/** The smallest positive normal f32; XLA's CPU runtime flushes anything smaller to zero (FTZ and DAZ). */
export const MIN_NORMAL_F32 = 2 ** -126;

/** x, or a zero of its sign when x is an f32 subnormal (what the CPU's denormals-are-zero mode reads it as). */
export function flushSubnormal(x: number): number {
  return Math.abs(x) < MIN_NORMAL_F32 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : x;
}

// XLA's float32 erf (ErfImpl32 in XLA's math library, as its CPU emitter inlines it): odd numerator and even
// denominator polynomials in x^2, evaluated with fma, |x| clamped at ERF_CLAMP where erf is 1 in f32.
const ERF_CLAMP = bitsToF32(0x406f9c68);
const ERF_NUMERATOR = [0x39702d51, 0x3b5f5da2, 0x3d50b6eb, 0x3e3da740, 0x3f906eba].map(bitsToF32);
const ERF_DENOMINATOR = [0xb3fd3906, 0x37c588df, 0x3a856d28, 0x3c6687d4, 0x3de34c21, 0x3efeb44a, 0x3f800000].map(bitsToF32);

/** XLA's float32 erf of an f32 value: the bits jax.lax.erf gives on the CPU (±1 at and beyond ±3.7439213). */
export function erfXla(x: number): number {
  if (Math.abs(x) >= ERF_CLAMP) return x < 0 ? -1 : 1;
  const x2 = f(x * x);
  let p = fmaF32(x2, ERF_NUMERATOR[0]!, ERF_NUMERATOR[1]!);
  for (let i = 2; i < ERF_NUMERATOR.length; i++) p = fmaF32(p, x2, ERF_NUMERATOR[i]!);
  let q = fmaF32(x2, ERF_DENOMINATOR[0]!, ERF_DENOMINATOR[1]!);
  for (let i = 2; i < ERF_DENOMINATOR.length; i++) q = fmaF32(q, x2, ERF_DENOMINATOR[i]!);
  return f(f(x * p) / q);
}

/** x (a double) rounded to nearest even binary16: numpy's float64 -> float16 cast, which rounds once. */
function roundF64ToF16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  // The spacing of binary16 values around a: 2^(e - 10) in the binade [2^e, 2^(e+1)), 2^-24 below 2^-14.
  const ulp = 2 ** (Math.max(Math.floor(Math.log2(a)), -14) - 10);
  const q = a / ulp;
  const below = Math.floor(q);
  const rest = q - below;
  const n = rest > 0.5 || (rest === 0.5 && below % 2 === 1) ? below + 1 : below;
  const r = n * ulp;
  return Math.sign(x) * (r > 65504 ? Number.POSITIVE_INFINITY : r);
}

/**
 * A Python float (a double) as jnp.array(x, dtype) holds it: f32 rounds once; f16 rounds once (numpy's float16
 * cast); bf16 goes through f32 first (ml_dtypes), which can round twice.
 */
export function roundF64ToDType(x: number, dtype: FloatDType): number {
  return dtype === 'f16' ? roundF64ToF16(x) : roundToDType(x, dtype);
}
