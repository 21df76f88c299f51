// One call from an initializer spec and a shape to values: the CPU twin of src/gpu/initialize.ts.
import { InvalidParameterError } from '../errors.js';
import type { FloatDType } from '../contract/distributions.js';
import { allocate, convertF32, fillConstant, generate, scatterConstant, type GeneratedArray } from '../twin/generate.js';
import { parseU64, type U64Input } from '../contract/u64.js';
import { numel, type FanLayout } from './fans.js';
import { resolveInitializer, type InitializerSpec, type ResolvedInitializer } from './resolve-initializer.js';
import { orthogonalF32 } from '../twin/orthogonal.js';
import { diracProgressions, eyeProgressions, sliceProgression, type Progression } from './structured.js';

export type { FloatDType };

export interface InitializeOptions {
  /** How to initialize (see docs/initializers.md). */
  init: InitializerSpec;
  /** The tensor's shape. */
  shape: readonly number[];
  /** How to read fans from the shape: 'torch' (default), 'keras', 'tfjs' or explicit axes. */
  layout?: FanLayout;
  seed: U64Input;
  /** Stream of this tensor (one per tensor; see docs/rng.md). Default 0. */
  stream?: U64Input;
  /** Stored type. Default 'f32'. */
  dtype?: FloatDType;
  /** A slice [start, start + count) of the flattened tensor; default the whole tensor. */
  start?: U64Input;
  count?: number;
}

/** The resolved initializer and the validated slice, shared by the CPU and GPU paths. */
export interface InitializePlan {
  readonly resolved: ResolvedInitializer;
  readonly numel: number;
  readonly start: number;
  readonly count: number;
  readonly dtype: FloatDType;
}

export function planInitialize(options: InitializeOptions): InitializePlan {
  if (options === null || typeof options !== 'object') throw new InvalidParameterError('options', options, 'an object');
  const resolved = resolveInitializer(options.init, options.shape, options.layout ?? 'torch', 'init');
  const total = numel(options.shape);
  const dtype = options.dtype ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16' && dtype !== 'bf16') {
    throw new InvalidParameterError('dtype', dtype, "'f32', 'f16' or 'bf16'");
  }
  const start = parseU64(options.start ?? 0, 'start');
  if (start > BigInt(total)) throw new InvalidParameterError('start', options.start, `an element index in [0, ${total}]`);
  const count = options.count ?? total - Number(start);
  if (!Number.isSafeInteger(count) || count < 0 || Number(start) + count > total) {
    throw new InvalidParameterError('count', count, `an integer with start + count <= ${total} (the tensor's elements)`);
  }
  return { resolved, numel: total, start: Number(start), count, dtype };
}

/** The ones of eye/dirac inside the slice, relative to its start. */
export function structuredOnes(plan: InitializePlan): Progression[] {
  const r = plan.resolved;
  const all = r.kind === 'eye' ? eyeProgressions(r.rows, r.cols) : r.kind === 'dirac' ? diracProgressions(r.shape, r.groups) : [];
  return all.map((p) => sliceProgression(p, plan.start, plan.count)).filter((p) => p.n > 0);
}

/**
 * Initializes the slice of a tensor on the CPU with exactly the bits the GPU path writes; f16/bf16 come
 * back as 16-bit patterns.
 */
export function initialize(options: InitializeOptions): GeneratedArray {
  const plan = planInitialize(options);
  const { resolved: r, start, count, dtype } = plan;
  switch (r.kind) {
    case 'distribution':
      return generate({ seed: options.seed, stream: options.stream ?? 0, start, count, dist: r.dist, dtype });
    case 'constant':
      return fillConstant(count, r.value, dtype);
    case 'eye':
    case 'dirac': {
      const out = fillConstant(count, 0, dtype);
      const value = r.kind === 'eye' ? r.value : 1;
      for (const p of structuredOnes(plan)) scatterConstant(out, dtype, p.base, p.stride, p.n, value);
      return out;
    }
    case 'orthogonal': {
      const q = orthogonalF32({ seed: options.seed, stream: options.stream ?? 0, rows: r.rows, cols: r.cols });
      return convertF32(q.subarray(start, start + count), r.gain, dtype, allocate(dtype, count));
    }
  }
}
