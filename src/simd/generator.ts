// The fast CPU twin: the kernels of src/simd/wat.ts (WebAssembly SIMD, four Philox blocks at a time)
// with the same bits as src/twin/generate.ts. The scalar twin stays the reference that documents each step;
// test/simd/generator.test.ts holds the two bit-equal.

import { bitsOf } from '../contract/dtypes.js';
import { type GeneratePlan, planGenerate, splitPlan } from '../contract/plan.js';
import { UnsupportedError } from '../errors.js';
import { allocate, type CpuGenerateOptions, type GeneratedArray } from '../twin/generate.js';
import { SIMD_WASM_BASE64 } from './binary.js';

/** The exports of an instance of the SIMD module. */
export interface SimdExports {
  readonly memory: WebAssembly.Memory;
  readonly [kernel: string]: WebAssembly.Memory | ((...args: number[]) => unknown);
}

/** Most elements runSimdPlan takes at once (16 MiB of scratch memory); larger plans are split first. */
export const SIMD_MAX_ELEMENTS = 1 << 22;

/**
 * Runs a plan of at most SIMD_MAX_ELEMENTS elements on an instance in one kernel call, writing its
 * elements to `out` (Uint32Array for 32-bit elements, Uint16Array for f16/bf16 patterns) from index `at`.
 * Self-contained (it refers to nothing outside its body) because the worker pool sends its source text to
 * the workers.
 */
export function runSimdPlan(exports: SimdExports, plan: GeneratePlan, out: Uint32Array | Uint16Array, at = 0): void {
  // The kernels' f32 parameters, in the order of their WebAssembly signatures (src/simd/wat.ts).
  const PARAMETERS: Record<string, readonly (keyof GeneratePlan['params'])[]> = {
    generateBits: [],
    generateUniform: ['low', 'range'],
    generateNormal: ['mean', 'stddev'],
    generateTruncatedNormal: ['pLow', 'pWidth', 'mean', 'stddev', 'clampLow', 'clampHigh'],
  };
  if (plan.count === 0) return;
  if (plan.count > 1 << 22) throw new RangeError(`runSimdPlan: ${plan.count} elements; split the plan first`);
  const groups = Math.ceil((plan.phase + plan.count) / 16);
  const memory = exports.memory;
  const need = groups * 64;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  const kernel = exports[plan.entryPoint] as (...args: number[]) => void;
  const params = PARAMETERS[plan.entryPoint]!.map((name) => plan.params[name]);
  const [lo, hi] = plan.startBlock;
  kernel(0, groups, lo | 0, hi | 0, plan.stream[0] | 0, plan.stream[1] | 0, plan.key[0] | 0, plan.key[1] | 0, ...params);
  if (plan.dtype === 'f16' || plan.dtype === 'bf16') {
    (exports[plan.dtype === 'f16' ? 'packF16' : 'packBf16'] as (s: number, d: number, n: number) => void)(0, 0, groups * 16);
    out.set(new Uint16Array(memory.buffer, plan.phase * 2, plan.count), at);
  } else {
    out.set(new Uint32Array(memory.buffer, plan.phase * 4, plan.count), at);
  }
}

/** The bytes of a base64 text (the committed WebAssembly binaries). */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
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
  /** Runs a plan into `out` from index `at` (32-bit view for u32/f32, 16-bit for f16/bf16). */
  run(plan: GeneratePlan, out: Uint32Array | Uint16Array, at?: number): void;
}

/**
 * Instantiates the SIMD CPU generator: the same values as `generate()` from the scalar twin, bit for bit,
 * several times faster (four Philox blocks per step, the transforms in f32x4).
 */
export async function createSimdGenerator(): Promise<SimdGenerator> {
  const module = await compileSimdModule();
  const instance = await WebAssembly.instantiate(module, {});
  const exports = instance.exports as unknown as SimdExports;
  const run = (plan: GeneratePlan, out: Uint32Array | Uint16Array, at = 0) => {
    let done = at;
    for (const slice of splitPlan(plan, SIMD_MAX_ELEMENTS)) {
      runSimdPlan(exports, slice, out, done);
      done += slice.count;
    }
  };
  return {
    run,
    generate(options: CpuGenerateOptions): GeneratedArray {
      const plan = planGenerate(options);
      const out = allocate(plan.dtype, plan.count);
      run(plan, bitsOf(out));
      return out;
    },
  } as SimdGenerator;
}
