// CPU twin of shaders/generate.wgsl. generateBits/generateUniform produce, for a whole range, exactly the
// words the entry points of the same names store; blockWords is the twin of the shader's blockWords.
import { philox4x32_10 } from './philox.js';
import { uniformFromWord, uniformRange } from './transforms.js';
import { resolveDistribution, type BitsDistribution, type Distribution, type UniformDistribution } from './distributions.js';
import { resolveRange, type ResolvedRange, type StreamRange } from './range.js';

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
  const hi = (startBlock[1] + (lo < k >>> 0 ? 1 : 0)) >>> 0;
  return philox4x32_10([lo, hi, stream[0], stream[1]], key, out);
}

/**
 * Walks the blocks that cover [start, start + count) and hands each element's word to `emit`.
 * The counter is kept as two u32 words with an explicit carry (no BigInt in the loop).
 */
function forEachWord(range: ResolvedRange, emit: (i: number, word: number) => void): void {
  const { key, stream, start, count } = range;
  const ctr = new Uint32Array([
    Number((start >> 2n) & 0xffffffffn),
    Number((start >> 34n) & 0xffffffffn),
    stream[0],
    stream[1],
  ]);
  const words = new Uint32Array(4);
  let j = Number(start & 3n);
  let i = 0;
  while (i < count) {
    philox4x32_10(ctr, key, words);
    for (; j < 4 && i < count; j++) emit(i++, words[j]!);
    j = 0;
    ctr[0] = (ctr[0]! + 1) >>> 0;
    if (ctr[0] === 0) ctr[1] = (ctr[1]! + 1) >>> 0;
  }
}

/** Twin of the generateBits entry point: raw Philox words. */
export function generateBits(range: ResolvedRange, out = new Uint32Array(range.count)): Uint32Array {
  forEachWord(range, (i, w) => {
    out[i] = w;
  });
  return out;
}

/** Twin of the generateUniform entry point; `low` and `range` are the f32-rounded parameters. */
export function generateUniform(
  range: ResolvedRange,
  low: number,
  width: number,
  out = new Float32Array(range.count),
): Float32Array {
  forEachWord(range, (i, w) => {
    out[i] = uniformRange(uniformFromWord(w), low, width);
  });
  return out;
}

export interface CpuGenerateOptions<D extends Distribution = Distribution> extends StreamRange {
  /** What to generate; default bits(). */
  dist?: D;
}

/** Typed array a distribution produces. */
export type ArrayFor<D extends Distribution> = D extends BitsDistribution
  ? Uint32Array
  : D extends UniformDistribution
    ? Float32Array
    : Uint32Array | Float32Array;

/**
 * Generates elements [start, start + count) of the tensor (seed, stream, dist) on the CPU, with exactly
 * the bits the GPU kernels write.
 */
export function generate<D extends Distribution = BitsDistribution>(options: CpuGenerateOptions<D>): ArrayFor<D> {
  const range = resolveRange(options);
  const dist = resolveDistribution(options.dist);
  switch (dist.kind) {
    case 'bits':
      return generateBits(range) as ArrayFor<D>;
    case 'uniform':
      return generateUniform(range, dist.low, dist.range) as ArrayFor<D>;
  }
}
