// References for the engine tests: the CPU twin's weights (src/, in Node) and products computed from them in
// f64, with a tolerance from f32 accumulation.
import { f16BitsToNumber, type InitializeOptions, initialize } from '../../../src/cpu.js';

/** A weight as it crosses into the pages: JSON-safe (seed and stream as safe integers). */
export interface WeightSpec {
  init: InitializeOptions['init'];
  shape: number[];
  seed: number;
  stream: number;
  dtype?: 'f32' | 'f16';
}

/** The CPU twin's values as doubles (f16 bit patterns decoded). */
export function twinValues(w: WeightSpec): number[] {
  const a = initialize(w);
  return w.dtype === 'f16' ? Array.from(a as Uint16Array, f16BitsToNumber) : Array.from(a as Float32Array);
}

/** The CPU twin's stored bits: u32 words for f32, u16 halves for f16. */
export function twinBits(w: WeightSpec): number[] {
  const a = initialize(w);
  return w.dtype === 'f16' ? Array.from(a as Uint16Array) : Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

export interface Product {
  /** Row-major [m, n]: sum_k a[i, k] b[k, j] (+ bias[j]), in f64. */
  values: number[];
  /** sum_k |a[i, k] b[k, j]| (+ |bias[j]|): what f32 rounding errors scale with. */
  magnitudes: number[];
}

/** a [m, k] · b [k, n] (+ bias [n]) in f64. */
export function matMulF64(a: readonly number[], b: readonly number[], m: number, k: number, n: number, bias?: readonly number[]): Product {
  const values: number[] = [];
  const magnitudes: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias?.[j] ?? 0;
      let mag = Math.abs(s);
      for (let t = 0; t < k; t++) {
        const p = a[i * k + t]! * b[t * n + j]!;
        s += p;
        mag += Math.abs(p);
      }
      values.push(s);
      magnitudes.push(mag);
    }
  }
  return { values, magnitudes };
}

/**
 * Elements where |got - want| > relative * magnitude. An f32 dot product of length k in any order is within
 * about k * 2^-24 * magnitude of the exact one (plus one rounding of the result), so relative 1e-5 covers
 * k <= 64 with room to spare, while any wrong element, permutation or stale value is far outside it.
 */
export function outsideTolerance(got: readonly number[], want: Product, relative = 1e-5): string[] {
  const bad: string[] = [];
  if (got.length !== want.values.length) return [`length ${got.length}, expected ${want.values.length}`];
  got.forEach((g, i) => {
    const w = want.values[i]!;
    const limit = relative * want.magnitudes[i]! + Number.MIN_VALUE;
    if (!(Math.abs(g - w) <= limit)) bad.push(`element ${i}: ${g} vs ${w} (limit ${limit.toExponential(2)})`);
  });
  return bad.slice(0, 5);
}
