// CPU twin of shaders/generate.wgsl. generateBits, generateUniform, generateNormal,
// generateTruncatedNormal, jaxBits, jaxUniform, jaxNormal, jaxTruncatedNormal, fillConstant, scatterConstant and
// convertF32 produce exactly the bits the entry points of the same names store; blockWords and jaxBlockWords are
// the twins of the shader's functions of those names.

import type { BitsDistribution, Distribution } from '../contract/distributions.js';
import { type ArrayForDType, DTYPE_CODE, type DType, dtypeArray, type GeneratedArray } from '../contract/dtypes.js';
import { type JaxPlan, type JaxRandomRequest, planJaxRandom } from '../contract/jax-plan.js';
import { type ElementRange, type GeneratePlan, type GenerateRequest, planGenerate } from '../contract/plan.js';
import { InvalidParameterError } from '../errors.js';
import { jaxNormalFromUniform, jaxScale, jaxTruncatedNormalFromUniform, jaxUniformFromWord, jaxWord } from './jax.js';
import { boxMuller, scaleShift, truncatedNormalFromWord } from './normal.js';
import { f32ToBf16Bits, f32ToF16Bits } from './pack.js';
import { philoxBlock } from './philox.js';
import { uniformFromWord, uniformRange } from './transforms.js';

/**
 * Philox words of block `startBlock + k` (k < 2^32): counter = (block lo, block hi, stream lo, stream hi),
 * with the carry from the low to the high word of the 64-bit block index. Written to `out` from `at`.
 */
export function blockWords(
  startBlock: readonly [number, number],
  k: number,
  stream: readonly [number, number],
  key: readonly [number, number],
  out: Uint32Array = new Uint32Array(4),
  at = 0,
): Uint32Array {
  const lo = (startBlock[0] + k) >>> 0;
  const hi = (startBlock[1] + (lo < k ? 1 : 0)) >>> 0;
  philoxBlock(lo | 0, hi | 0, stream[0] | 0, stream[1] | 0, key[0] | 0, key[1] | 0, out, at);
  return out;
}

/**
 * The JAX words of the 4 elements of block `startBlock + k` (k < 2^32), flattened indices 4 (startBlock + k) + j,
 * written to `out` from `at`.
 */
export function jaxBlockWords(
  startBlock: readonly [number, number],
  k: number,
  key: readonly [number, number],
  impl: number,
  out: Uint32Array = new Uint32Array(4),
  at = 0,
): Uint32Array {
  const lo = (startBlock[0] + k) >>> 0;
  const hi = (startBlock[1] + (lo < k ? 1 : 0)) >>> 0;
  const index: [number, number] = [((hi << 2) | (lo >>> 30)) >>> 0, (lo << 2) >>> 0];
  for (let j = 0; j < 4; j++) {
    out[at + j] = jaxWord(index, key, impl);
    index[1]++;
  }
  return out;
}

/**
 * Walks the blocks of 4 elements that cover the plan's range: for each, `emit(words, j0, j1, i)` gets the
 * block's 4 words (from `words(k, out)`), the in-range word positions [j0, j1) and the output index of word j0.
 */
function forEachBlockOf(
  plan: ElementRange,
  words: (k: number, out: Uint32Array) => void,
  emit: (words: Uint32Array, j0: number, j1: number, i: number) => void,
): void {
  const w = new Uint32Array(4);
  let j0 = plan.phase;
  for (let i = 0, k = 0; i < plan.count; k++) {
    words(k, w);
    const j1 = Math.min(4, j0 + (plan.count - i));
    emit(w, j0, j1, i);
    i += j1 - j0;
    j0 = 0;
  }
}

/** forEachBlockOf over the Philox blocks of a generation plan. */
function forEachBlock(plan: GeneratePlan, emit: (words: Uint32Array, j0: number, j1: number, i: number) => void): void {
  forEachBlockOf(plan, (k, out) => blockWords(plan.startBlock, k, plan.stream, plan.key, out), emit);
}

/** forEachBlockOf over the JAX words of a JAX plan. */
function forEachJaxBlock(plan: JaxPlan, emit: (words: Uint32Array, j0: number, j1: number, i: number) => void): void {
  const impl = plan.impl === 'philox4x32' ? 1 : 0;
  forEachBlockOf(plan, (k, out) => jaxBlockWords(plan.startBlock, k, plan.key, impl, out), emit);
}

export type { ArrayForDType, GeneratedArray } from '../contract/dtypes.js';

/**
 * A zeroed typed array of `count` elements for a dtype. A count the JavaScript engine cannot allocate (2^40, say: the
 * engine caps typed arrays, and memory is finite) is an InvalidParameterError on `count`, not a RangeError.
 */
export function allocate<T extends DType>(dtype: T, count: number): ArrayForDType<T> {
  try {
    return dtypeArray(dtype, count);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new InvalidParameterError('count', count, `a number of ${dtype} elements this JavaScript engine can allocate in one typed array (${e.message})`);
  }
}

/** Stores f32 values for a float dtype: f32 as is, f16/bf16 as rounded bit patterns. */
function storer(dtype: DType, out: GeneratedArray): (i: number, v: number) => void {
  if (dtype === 'f16') {
    return (i, v) => {
      out[i] = f32ToF16Bits(v);
    };
  }
  if (dtype === 'bf16') {
    return (i, v) => {
      out[i] = f32ToBf16Bits(v);
    };
  }
  return (i, v) => {
    out[i] = v;
  };
}

/** Twin of the generateBits entry point: raw Philox words. */
export function generateBits(plan: GeneratePlan, out: Uint32Array = allocate('u32', plan.count)): Uint32Array {
  if (plan.phase === 0 && plan.count % 4 === 0) {
    // Whole blocks: Philox writes straight into the output.
    for (let k = 0; 4 * k < plan.count; k++) blockWords(plan.startBlock, k, plan.stream, plan.key, out, 4 * k);
    return out;
  }
  forEachBlock(plan, (w, j0, j1, i) => {
    for (let j = j0; j < j1; j++) out[i + j - j0] = w[j]!;
  });
  return out;
}

/** Twin of the generateUniform entry point. */
export function generateUniform(plan: GeneratePlan, out = allocate(plan.dtype, plan.count)): GeneratedArray {
  const store = storer(plan.dtype, out);
  const { low, range } = plan.params;
  forEachBlock(plan, (w, j0, j1, i) => {
    for (let j = j0; j < j1; j++) store(i + j - j0, uniformRange(uniformFromWord(w[j]!), low, range));
  });
  return out;
}

/** Twin of the generateNormal entry point: Box-Muller on the word pairs (0, 1) and (2, 3) of each block. */
export function generateNormal(plan: GeneratePlan, out = allocate(plan.dtype, plan.count)): GeneratedArray {
  const store = storer(plan.dtype, out);
  const { mean, stddev } = plan.params;
  const z = [0, 0, 0, 0];
  forEachBlock(plan, (w, j0, j1, i) => {
    if (j0 < 2) [z[0], z[1]] = boxMuller(w[0]!, w[1]!);
    if (j1 > 2) [z[2], z[3]] = boxMuller(w[2]!, w[3]!);
    for (let j = j0; j < j1; j++) store(i + j - j0, scaleShift(z[j]!, mean, stddev));
  });
  return out;
}

/** Twin of the generateTruncatedNormal entry point: one word per element by the inverse CDF. */
export function generateTruncatedNormal(plan: GeneratePlan, out = allocate(plan.dtype, plan.count)): GeneratedArray {
  const store = storer(plan.dtype, out);
  const { pLow, pWidth, mean, stddev, clampLow, clampHigh } = plan.params;
  forEachBlock(plan, (w, j0, j1, i) => {
    for (let j = j0; j < j1; j++) store(i + j - j0, truncatedNormalFromWord(w[j]!, pLow, pWidth, mean, stddev, clampLow, clampHigh));
  });
  return out;
}

/** Twin of the jaxBits entry point: jax.random.bits words. */
export function jaxBits(plan: JaxPlan, out: Uint32Array = allocate('u32', plan.count)): Uint32Array {
  forEachJaxBlock(plan, (w, j0, j1, i) => {
    for (let j = j0; j < j1; j++) out[i + j - j0] = w[j]!;
  });
  return out;
}

/** One float sampler's value (0 uniform, 1 normal, 2 truncated normal) of one word, times the plan's scale. */
function jaxFloatOf(plan: JaxPlan, sampler: 0 | 1 | 2): (word: number) => number {
  const { low, range, clampLow, clampHigh, scale } = plan.params;
  const code = DTYPE_CODE[plan.dtype];
  return (word) => {
    let x = jaxUniformFromWord(word, low, range, code);
    if (sampler === 1) x = jaxNormalFromUniform(x, code);
    else if (sampler === 2) x = jaxTruncatedNormalFromUniform(x, clampLow, clampHigh, code);
    return jaxScale(x, scale, code);
  };
}

/**
 * Twin of jaxBlockValues: the values of the 4 elements of block startBlock + k for a float sampler (0 uniform,
 * 1 normal, 2 truncated normal), times the plan's scale, before they are stored in its dtype.
 */
export function jaxBlockValues(plan: JaxPlan, k: number, sampler: 0 | 1 | 2): number[] {
  const value = jaxFloatOf(plan, sampler);
  return Array.from(jaxBlockWords(plan.startBlock, k, plan.key, plan.impl === 'philox4x32' ? 1 : 0), value);
}

/** A float sampler's values for the plan's range, stored in its dtype. */
function jaxFloats(plan: JaxPlan, sampler: 0 | 1 | 2, out: GeneratedArray): GeneratedArray {
  const store = storer(plan.dtype, out);
  const value = jaxFloatOf(plan, sampler);
  forEachJaxBlock(plan, (w, j0, j1, i) => {
    for (let j = j0; j < j1; j++) store(i + j - j0, value(w[j]!));
  });
  return out;
}

/** Twin of the jaxUniform entry point. */
export function jaxUniform(plan: JaxPlan, out = allocate(plan.dtype, plan.count)): GeneratedArray {
  return jaxFloats(plan, 0, out);
}

/** Twin of the jaxNormal entry point. */
export function jaxNormal(plan: JaxPlan, out = allocate(plan.dtype, plan.count)): GeneratedArray {
  return jaxFloats(plan, 1, out);
}

/** Twin of the jaxTruncatedNormal entry point. */
export function jaxTruncatedNormal(plan: JaxPlan, out = allocate(plan.dtype, plan.count)): GeneratedArray {
  return jaxFloats(plan, 2, out);
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

/** A generation request (see GenerateRequest in src/contract/plan.ts). */
export type CpuGenerateOptions = GenerateRequest;

/** Executes a plan on the CPU into `out` (a new array of the plan's dtype by default). */
export function generatePlanned(plan: GeneratePlan, out?: GeneratedArray): GeneratedArray {
  switch (plan.entryPoint) {
    case 'generateBits':
      return generateBits(plan, out as Uint32Array | undefined);
    case 'generateUniform':
      return generateUniform(plan, out);
    case 'generateNormal':
      return generateNormal(plan, out);
    case 'generateTruncatedNormal':
      return generateTruncatedNormal(plan, out);
  }
}

/**
 * Generates elements [start, start + count) of the tensor (seed, stream, dist) on the CPU, with exactly
 * the bits the GPU kernels write. f16/bf16 come back as their 16-bit patterns.
 */
export function generate(options: CpuGenerateOptions & { dist?: BitsDistribution; dtype?: 'u32' }): Uint32Array;
export function generate(options: CpuGenerateOptions & { dtype: 'f16' | 'bf16' }): Uint16Array;
export function generate(options: CpuGenerateOptions & { dist: Exclude<Distribution, BitsDistribution>; dtype?: 'f32' }): Float32Array;
export function generate(options: CpuGenerateOptions): GeneratedArray;
export function generate(options: CpuGenerateOptions): GeneratedArray {
  return generatePlanned(planGenerate(options));
}

/** Executes a JAX plan on the CPU into `out` (a new array of the plan's dtype by default). */
export function generateJaxPlanned(plan: JaxPlan, out?: GeneratedArray): GeneratedArray {
  switch (plan.entryPoint) {
    case 'jaxBits':
      return jaxBits(plan, out as Uint32Array | undefined);
    case 'jaxUniform':
      return jaxUniform(plan, out);
    case 'jaxNormal':
      return jaxNormal(plan, out);
    case 'jaxTruncatedNormal':
      return jaxTruncatedNormal(plan, out);
  }
}

/**
 * `jax.random.<dist>(key, shape, dtype, ...)` (or the slice [start, start + count) of its flattened result) on the
 * CPU, with exactly the bits JAX's CPU backend gives; f16/bf16 come back as their 16-bit patterns.
 */
export function generateJaxRandom(request: JaxRandomRequest): GeneratedArray {
  return generateJaxPlanned(planJaxRandom(request));
}
