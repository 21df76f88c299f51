// An initializer request (spec, shape, seed, stream, dtype, slice) validated and resolved once into an
// InitializePlan, which the GPU (src/gpu/initialize.ts) and the CPU twin (src/twin/initialize.ts) execute.

import type { FloatDType } from '../contract/dtypes.js';
import { type OrthogonalPlan, planOrthogonal } from '../contract/orthogonal.js';
import { type GeneratePlan, planGenerate, slicePlan } from '../contract/plan.js';
import { parseU64, type U64Input } from '../contract/u64.js';
import { checkFloatDType } from '../contract/validate.js';
import { InvalidParameterError } from '../errors.js';
import { type FanLayout, numel } from './fans.js';
import { type InitializerSpec, type ResolvedInitializer, resolveInitializer } from './resolve-initializer.js';
import { diracProgressions, eyeProgressions, type Progression, sliceProgression } from './structured.js';

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

/** The resolved initializer and the validated slice [start, start + count) of the tensor. */
export interface InitializePlan {
  readonly resolved: ResolvedInitializer;
  readonly numel: number;
  readonly start: number;
  readonly count: number;
  readonly dtype: FloatDType;
  readonly seed: bigint;
  readonly stream: bigint;
  /** A distribution's generation of the slice. */
  readonly generate: GeneratePlan | undefined;
  /** eye and dirac: the ones inside the slice, relative to its start. */
  readonly ones: readonly Progression[];
  /**
   * orthogonal: the whole matrix's plan (its Gaussian matrix, its steps). Every slice of a tensor's plan holds the
   * same object, so an executor computes the matrix once for all the slices it is given.
   */
  readonly orthogonal: OrthogonalPlan | undefined;
}

export function planInitialize(options: InitializeOptions): InitializePlan {
  if (options === null || typeof options !== 'object') throw new InvalidParameterError('options', options, 'an object');
  const resolved = resolveInitializer(options.init, options.shape, options.layout ?? 'torch', 'init');
  const total = numel(options.shape);
  const dtype = checkFloatDType('dtype', options.dtype ?? 'f32');
  const seed = parseU64(options.seed, 'seed');
  const stream = parseU64(options.stream ?? 0, 'stream');
  const start = parseU64(options.start ?? 0, 'start');
  if (start > BigInt(total)) throw new InvalidParameterError('start', options.start, `an element index in [0, ${total}]`);
  const count = options.count ?? total - Number(start);
  if (!Number.isSafeInteger(count) || count < 0 || Number(start) + count > total) {
    throw new InvalidParameterError('count', count, `an integer with start + count <= ${total} (the tensor's elements)`);
  }
  const orthogonal = resolved.kind === 'orthogonal' ? planOrthogonal({ seed, stream, rows: resolved.rows, cols: resolved.cols }) : undefined;
  return slicePlanOf({ resolved, numel: total, dtype, seed, stream, orthogonal }, Number(start), count);
}

/** Elements [offset, offset + count) of the plan's slice, as a plan of their own. */
export function sliceInitializePlan(plan: InitializePlan, offset: number, count: number): InitializePlan {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(count) || offset < 0 || count < 0 || offset + count > plan.count) {
    throw new RangeError(`slice [${offset}, ${offset + count}) of a plan of ${plan.count} elements`);
  }
  return withSlice(plan, plan.start + offset, count, plan.generate && slicePlan(plan.generate, offset, count));
}

function slicePlanOf(p: Pick<InitializePlan, 'resolved' | 'numel' | 'dtype' | 'seed' | 'stream' | 'orthogonal'>, start: number, count: number): InitializePlan {
  const r = p.resolved;
  return withSlice(
    p,
    start,
    count,
    r.kind === 'distribution' ? planGenerate({ seed: p.seed, stream: p.stream, start, count, dist: r.dist, dtype: p.dtype }) : undefined,
  );
}

function withSlice(
  p: Pick<InitializePlan, 'resolved' | 'numel' | 'dtype' | 'seed' | 'stream' | 'orthogonal'>,
  start: number,
  count: number,
  generate: GeneratePlan | undefined,
): InitializePlan {
  const r = p.resolved;
  const all = r.kind === 'eye' ? eyeProgressions(r.rows, r.cols) : r.kind === 'dirac' ? diracProgressions(r.shape, r.groups) : [];
  const ones = all.map((x) => sliceProgression(x, start, count)).filter((x) => x.n > 0);
  return Object.freeze({
    resolved: r,
    numel: p.numel,
    start,
    count,
    dtype: p.dtype,
    seed: p.seed,
    stream: p.stream,
    generate,
    ones: Object.freeze(ones),
    orthogonal: p.orthogonal,
  });
}
