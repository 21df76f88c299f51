// CPU twin of shaders/generate.wgsl. generateBits, generateUniform, generateNormal,
// generateTruncatedNormal, fillConstant, scatterConstant and convertF32 produce exactly the bits the entry
// points of the same names store; blockWords is the twin of the shader's blockWords.
import { philox4x32_10, philoxBlock } from './philox.js';
import { uniformFromWord, uniformRange } from './transforms.js';
import { boxMuller, scaleShift, truncatedNormalFromWord } from './normal.js';
import { f32ToBf16Bits, f32ToF16Bits } from './pack.js';
import {
  resolveDistribution,
  type BitsDistribution,
  type Distribution,
  type DType,
  type ResolvedDistribution,
} from '../contract/distributions.js';
import { resolveRange, type ResolvedRange, type StreamRange } from '../contract/range.js';
import { InvalidParameterError } from '../errors.js';

/**
 * Philox words of block `startBlock + k`: counter = (block lo, block hi, stream lo, stream hi),
 * with the carry from the low to the high word of the 64-bit block index.
 */
export function blockWords(
  startBlock: readonly [number, number],
  k: number,
  stream: readonly [number, number],
  key: readonly [number, number],
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  const lo = (startBlock[0] + k) >>> 0;
  const hi = (startBlock[1] + (lo < k ? 1 : 0)) >>> 0;
  return philox4x32_10([lo, hi, stream[0], stream[1]], key, out);
}

/**
 * Walks the Philox blocks that cover [start, start + count): for each, `emit(words, j0, j1, i)` gets the
 * block's 4 words, the in-range word positions [j0, j1) and the output index of word j0. The 64-bit
 * counter is two u32 words with an explicit carry (no BigInt in the loop).
 */
function forEachBlock(range: ResolvedRange, emit: (words: Uint32Array, j0: number, j1: number, i: number) => void): void {
  const { key, stream, start, count } = range;
  let lo = Number((start >> 2n) & 0xffffffffn);
  let hi = Number((start >> 34n) & 0xffffffffn);
  const [s0, s1] = stream;
  const [k0, k1] = key;
  const words = new Uint32Array(4);
  let j0 = Number(start & 3n);
  let i = 0;
  while (i < count) {
    philoxBlock(lo | 0, hi | 0, s0 | 0, s1 | 0, k0 | 0, k1 | 0, words, 0);
    const j1 = Math.min(4, j0 + (count - i));
    emit(words, j0, j1, i);
    i += j1 - j0;
    j0 = 0;
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
  }
}

/** Typed array for a dtype: raw u32 words, f32 values, or 16-bit patterns for f16/bf16. */
export type ArrayForDType<T extends DType> = T extends 'u32' ? Uint32Array : T extends 'f32' ? Float32Array : Uint16Array;
export type GeneratedArray = Uint32Array | Float32Array | Uint16Array;

export function allocate<T extends DType>(dtype: T, count: number): ArrayForDType<T> {
  if (dtype === 'u32') return new Uint32Array(count) as ArrayForDType<T>;
  if (dtype === 'f32') return new Float32Array(count) as ArrayForDType<T>;
  return new Uint16Array(count) as ArrayForDType<T>;
}

/** Stores f32 values for a float dtype: f32 as is, f16/bf16 as rounded bit patterns. */
function storer(dtype: DType, out: GeneratedArray): (i: number, v: number) => void {
  if (dtype === 'f16') return (i, v) => void (out[i] = f32ToF16Bits(v));
  if (dtype === 'bf16') return (i, v) => void (out[i] = f32ToBf16Bits(v));
  return (i, v) => void (out[i] = v);
}

/** Twin of the generateBits entry point: raw Philox words. */
export function generateBits(range: ResolvedRange, out = new Uint32Array(range.count)): Uint32Array {
  const { count, start } = range;
  const phase = Number(start & 3n);
  if (phase !== 0 || count % 4 !== 0) {
    forEachBlock(range, (w, j0, j1, i) => {
      for (let j = j0; j < j1; j++) out[i + j - j0] = w[j]!;
    });
    return out;
  }
  // Whole blocks: Philox writes straight into the output.
  let lo = Number((start >> 2n) & 0xffffffffn);
  let hi = Number((start >> 34n) & 0xffffffffn);
  const [s0, s1] = range.stream;
  const [k0, k1] = range.key;
  for (let i = 0; i < count; i += 4) {
    philoxBlock(lo | 0, hi | 0, s0 | 0, s1 | 0, k0 | 0, k1 | 0, out, i);
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
  }
  return out;
}

/** Twin of the generateUniform entry point. */
export function generateUniform(range: ResolvedRange, d: ResolvedDistribution, dtype: DType, out = allocate(dtype, range.count)): GeneratedArray {
  const store = storer(dtype, out);
  forEachBlock(range, (w, j0, j1, i) => {
    for (let j = j0; j < j1; j++) store(i + j - j0, uniformRange(uniformFromWord(w[j]!), d.low, d.range));
  });
  return out;
}

/** Twin of the generateNormal entry point: Box-Muller on the word pairs (0, 1) and (2, 3) of each block. */
export function generateNormal(range: ResolvedRange, d: ResolvedDistribution, dtype: DType, out = allocate(dtype, range.count)): GeneratedArray {
  const store = storer(dtype, out);
  const z = [0, 0, 0, 0];
  forEachBlock(range, (w, j0, j1, i) => {
    if (j0 < 2) [z[0], z[1]] = boxMuller(w[0]!, w[1]!);
    if (j1 > 2) [z[2], z[3]] = boxMuller(w[2]!, w[3]!);
    for (let j = j0; j < j1; j++) store(i + j - j0, scaleShift(z[j]!, d.mean, d.std));
  });
  return out;
}

/** Twin of the generateTruncatedNormal entry point: one word per element by the inverse CDF. */
export function generateTruncatedNormal(range: ResolvedRange, d: ResolvedDistribution, dtype: DType, out = allocate(dtype, range.count)): GeneratedArray {
  const store = storer(dtype, out);
  forEachBlock(range, (w, j0, j1, i) => {
    for (let j = j0; j < j1; j++) {
      store(i + j - j0, truncatedNormalFromWord(w[j]!, d.pLow, d.pWidth, d.mean, d.std, d.clampLow, d.clampHigh));
    }
  });
  return out;
}

/** Twin of the fillConstant entry point: `count` copies of f32(value) in the dtype. */
export function fillConstant(count: number, value: number, dtype: Exclude<DType, 'u32'>, out = allocate(dtype, count)): GeneratedArray {
  const store = storer(dtype, out);
  const v = Math.fround(value);
  for (let i = 0; i < count; i++) store(i, v);
  return out;
}

/** Twin of the scatterConstant entry point: out[base + t * stride] = f32(value) for t < n. */
export function scatterConstant(out: GeneratedArray, dtype: Exclude<DType, 'u32'>, base: number, stride: number, n: number, value: number): GeneratedArray {
  const store = storer(dtype, out);
  const v = Math.fround(value);
  for (let t = 0; t < n; t++) store(base + t * stride, v);
  return out;
}

/** Twin of the convertF32 entry point: f32(source[i] * scale) in the dtype. */
export function convertF32(source: Float32Array, scale: number, dtype: Exclude<DType, 'u32'>, out = allocate(dtype, source.length)): GeneratedArray {
  const store = storer(dtype, out);
  const s = Math.fround(scale);
  for (let i = 0; i < source.length; i++) store(i, Math.fround(source[i]! * s));
  return out;
}

export interface CpuGenerateOptions extends StreamRange {
  /** What to generate; default bits(). */
  dist?: Distribution;
  /** Storage type: 'u32' for bits (the default there), 'f32' (default), 'f16' or 'bf16' for values. */
  dtype?: DType;
}

/** The dtype a generation stores, after checking it fits the distribution. */
export function resolveDType(dist: ResolvedDistribution, dtype: DType | undefined): DType {
  if (dist.kind === 'bits') {
    if (dtype !== undefined && dtype !== 'u32') throw new InvalidParameterError('dtype', dtype, "'u32' (or nothing) for bits");
    return 'u32';
  }
  if (dtype === undefined) return 'f32';
  if (dtype !== 'f32' && dtype !== 'f16' && dtype !== 'bf16') {
    throw new InvalidParameterError('dtype', dtype, "'f32', 'f16' or 'bf16' for a float distribution");
  }
  return dtype;
}

/** Name of the entry point (and of its CPU twin) for a distribution kind. */
export const ENTRY_POINTS = {
  bits: 'generateBits',
  uniform: 'generateUniform',
  normal: 'generateNormal',
  truncatedNormal: 'generateTruncatedNormal',
} as const satisfies Record<Distribution['kind'], string>;

/**
 * Generates elements [start, start + count) of the tensor (seed, stream, dist) on the CPU, with exactly
 * the bits the GPU kernels write. f16/bf16 come back as their 16-bit patterns.
 */
export function generate(options: CpuGenerateOptions & { dist?: BitsDistribution; dtype?: 'u32' }): Uint32Array;
export function generate(options: CpuGenerateOptions & { dtype: 'f16' | 'bf16' }): Uint16Array;
export function generate(options: CpuGenerateOptions & { dist: Exclude<Distribution, BitsDistribution>; dtype?: 'f32' }): Float32Array;
export function generate(options: CpuGenerateOptions): GeneratedArray;
export function generate(options: CpuGenerateOptions): GeneratedArray {
  const range = resolveRange(options);
  const dist = resolveDistribution(options.dist);
  const dtype = resolveDType(dist, options.dtype);
  switch (dist.kind) {
    case 'bits':
      return generateBits(range);
    case 'uniform':
      return generateUniform(range, dist, dtype);
    case 'normal':
      return generateNormal(range, dist, dtype);
    case 'truncatedNormal':
      return generateTruncatedNormal(range, dist, dtype);
  }
}
