// The fast CPU twin: the kernels of src/simd/wat.ts (WebAssembly SIMD, four Philox blocks at a time)
// with the same bits as src/twin/generate.ts. The scalar twin stays the reference that documents each step;
// test/simd/generator.test.ts holds the two bit-equal.
import { resolveDistribution, type DType, type ResolvedDistribution } from '../contract/distributions.js';
import { allocate, ENTRY_POINTS, resolveDType, type CpuGenerateOptions, type GeneratedArray } from '../twin/generate.js';
import { resolveRange, type ResolvedRange } from '../contract/range.js';
import { SIMD_WASM_BASE64 } from './binary.js';
import { UnsupportedError } from '../errors.js';

/** One contiguous generation for a kernel instance: plain data, so it can be posted to a worker. */
export interface SimdJob {
  /** Exported kernel: generateBits, generateUniform, generateNormal or generateTruncatedNormal. */
  readonly kernel: string;
  /** The kernel's f32 parameters, in its order. */
  readonly params: readonly number[];
  /** First Philox block (64-bit, as low and high word) and the elements of it to skip (0..3). */
  readonly block: readonly [number, number];
  readonly head: number;
  readonly count: number;
  readonly stream: readonly [number, number];
  readonly key: readonly [number, number];
  /** 0: 32-bit elements; 1: f16 bit patterns; 2: bf16 bit patterns. */
  readonly pack: 0 | 1 | 2;
}

/** The exports of an instance of the SIMD module. */
export interface SimdExports {
  readonly memory: WebAssembly.Memory;
  readonly [kernel: string]: WebAssembly.Memory | ((...args: number[]) => unknown);
}

/**
 * Runs a job on an instance, writing `job.count` elements to `out` (Uint32Array for 32-bit elements,
 * Uint16Array for packed ones) from index `at`. Self-contained (it refers to nothing outside its body)
 * because the worker pool sends its source text to the workers.
 */
export function runSimdJob(exports: SimdExports, job: SimdJob, out: Uint32Array | Uint16Array, at = 0): void {
  const GROUP_LIMIT = 16384; // groups (16 elements) per kernel call: 1 MiB of scratch memory
  const memory = exports.memory;
  const need = GROUP_LIMIT * 64;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  const kernel = exports[job.kernel] as (...args: number[]) => void;
  const packer = job.pack === 1 ? (exports['packF16'] as (s: number, d: number, n: number) => void) : job.pack === 2 ? (exports['packBf16'] as (s: number, d: number, n: number) => void) : undefined;
  let lo = job.block[0] >>> 0;
  let hi = job.block[1] >>> 0;
  let head = job.head;
  let left = job.count;
  while (left > 0) {
    const groups = Math.min(GROUP_LIMIT, Math.ceil((head + left) / 16));
    kernel(0, groups, lo | 0, hi | 0, job.stream[0] | 0, job.stream[1] | 0, job.key[0] | 0, job.key[1] | 0, ...job.params);
    const take = Math.min(groups * 16 - head, left);
    if (packer) {
      packer(0, 0, groups * 16);
      out.set(new Uint16Array(memory.buffer, head * 2, take), at);
    } else {
      out.set(new Uint32Array(memory.buffer, head * 4, take), at);
    }
    at += take;
    left -= take;
    head = 0;
    lo += groups * 4;
    if (lo >= 2 ** 32) {
      lo -= 2 ** 32;
      hi = (hi + 1) >>> 0;
    }
  }
}

/** The job that generates `range` of `dist` in `dtype`. */
export function simdJob(range: ResolvedRange, dist: ResolvedDistribution, dtype: DType): SimdJob {
  const params: Record<ResolvedDistribution['kind'], number[]> = {
    bits: [],
    uniform: [dist.low, dist.range],
    normal: [dist.mean, dist.std],
    truncatedNormal: [dist.pLow, dist.pWidth, dist.mean, dist.std, dist.clampLow, dist.clampHigh],
  };
  return {
    kernel: ENTRY_POINTS[dist.kind],
    params: params[dist.kind],
    block: [Number((range.start >> 2n) & 0xffffffffn), Number((range.start >> 34n) & 0xffffffffn)],
    head: Number(range.start & 3n),
    count: range.count,
    stream: [range.stream[0], range.stream[1]],
    key: [range.key[0], range.key[1]],
    pack: dtype === 'f16' ? 1 : dtype === 'bf16' ? 2 : 0,
  };
}

/**
 * Splits a job into consecutive jobs of `size` elements (the last one shorter), so that piece k starts at
 * element k * size of the job: pieces of a multiple of 2 elements keep every 16-bit piece whole words.
 */
export function splitSimdJob(job: SimdJob, size: number): SimdJob[] {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`piece size ${size}`);
  const jobs: SimdJob[] = [];
  let element = BigInt(job.block[0]) * 4n + BigInt(job.block[1]) * 2n ** 34n + BigInt(job.head);
  for (let done = 0; done < job.count; ) {
    const count = Math.min(size, job.count - done);
    jobs.push({ ...job, block: [Number((element >> 2n) & 0xffffffffn), Number((element >> 34n) & 0xffffffffn)], head: Number(element & 3n), count });
    done += count;
    element += BigInt(count);
  }
  return jobs;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * The compiled SIMD module (compiled once per realm, asynchronously: browsers refuse synchronous
 * compilation of modules this size on the main thread). Rejects with UnsupportedError where
 * WebAssembly SIMD is missing.
 */
export function compileSimdModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    if (typeof WebAssembly !== 'object') throw new UnsupportedError('WebAssembly is not available here');
    try {
      return await WebAssembly.compile(decodeBase64(SIMD_WASM_BASE64));
    } catch (e) {
      throw new UnsupportedError(`the SIMD generator needs WebAssembly SIMD (fixed-width SIMD): ${String(e)}`);
    }
  })();
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

/** A loaded SIMD generator: `generate` has the signature and the bits of the scalar twin's. */
export interface SimdGenerator {
  generate(options: CpuGenerateOptions & { dtype: 'f16' | 'bf16' }): Uint16Array;
  generate(options: CpuGenerateOptions): GeneratedArray;
  /** Runs a prepared job into `out` from index `at` (32-bit view for u32/f32, 16-bit for f16/bf16). */
  run(job: SimdJob, out: Uint32Array | Uint16Array, at?: number): void;
}

/**
 * Instantiates the SIMD CPU generator: the same values as `generate()` from the scalar twin, bit for bit,
 * several times faster (four Philox blocks per step, the transforms in f32x4).
 */
export async function createSimdGenerator(): Promise<SimdGenerator> {
  const module = await compileSimdModule();
  const instance = await WebAssembly.instantiate(module, {});
  const exports = instance.exports as unknown as SimdExports;
  const run = (job: SimdJob, out: Uint32Array | Uint16Array, at = 0) => runSimdJob(exports, job, out, at);
  return {
    run,
    generate(options: CpuGenerateOptions): GeneratedArray {
      const range = resolveRange(options);
      const dist = resolveDistribution(options.dist);
      const dtype = resolveDType(dist, options.dtype);
      const out = allocate(dtype, range.count);
      run(simdJob(range, dist, dtype), out instanceof Float32Array ? new Uint32Array(out.buffer) : out);
      return out;
    },
  } as SimdGenerator;
}
