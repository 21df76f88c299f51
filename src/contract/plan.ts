// A generation request resolved once into an immutable plan. Every executor runs the plan as it is: the
// WGSL kernels (src/gpu/), the SIMD generator and its workers (src/simd/) and the scalar CPU twin
// (src/twin/). None of them validates the request again or re-derives the start block, the phase or the
// distribution's f32 parameters.
import { InvalidParameterError } from '../errors.js';
import { type Distribution, type ResolvedDistribution, resolveDistribution } from './distributions.js';
import type { DType } from './dtypes.js';
import { resolveRange, type StreamRange } from './range.js';
import { checkFloatDType } from './validate.js';

/** A generation request: which elements of which conceptual tensor, from which distribution, stored how. */
export interface GenerateRequest extends StreamRange {
  /** What to generate; default bits(). */
  dist?: Distribution;
  /** Storage type: 'u32' for bits (the default there), 'f32' (default), 'f16' or 'bf16' for values. */
  dtype?: DType;
}

/** Name of the WGSL entry point (and of its CPU and SIMD twins) for each distribution kind. */
export const ENTRY_POINTS = {
  bits: 'generateBits',
  uniform: 'generateUniform',
  normal: 'generateNormal',
  truncatedNormal: 'generateTruncatedNormal',
} as const satisfies Record<Distribution['kind'], string>;

export type GenerateEntryPoint = (typeof ENTRY_POINTS)[keyof typeof ENTRY_POINTS];

/**
 * The distribution's parameters under the names of the WGSL `Params` fields (shaders/generate.wgsl), as
 * the f32 values every executor uses. Fields a distribution does not use are 0.
 */
export interface DistributionParams {
  readonly low: number;
  readonly range: number;
  readonly mean: number;
  readonly stddev: number;
  readonly pLow: number;
  readonly pWidth: number;
  readonly clampLow: number;
  readonly clampHigh: number;
}

/**
 * The slice of a plan's tensor that its executors write: elements [start, start + count) (64-bit start), with the
 * start also as a block of 4 elements (start / 4 as low and high word) and a phase (start % 4), the unit the
 * kernels' dispatches are cut in. GeneratePlan and JaxPlan (src/contract/jax-plan.ts) are both sliced by it.
 */
export interface ElementRange {
  readonly start: bigint;
  readonly startBlock: readonly [number, number];
  readonly phase: number;
  readonly count: number;
}

/** Elements [start, start + count) of the stream (key, stream), transformed by `entryPoint` and stored as `dtype`. */
export interface GeneratePlan extends ElementRange {
  readonly entryPoint: GenerateEntryPoint;
  readonly dtype: DType;
  /** The seed as the Philox key (low, high word). */
  readonly key: readonly [number, number];
  /** The stream as counter words 2 and 3 (low, high). */
  readonly stream: readonly [number, number];
  readonly params: DistributionParams;
}

/** The dtype a generation stores, after checking it fits the distribution. */
export function resolveDType(dist: ResolvedDistribution, dtype: DType | undefined): DType {
  if (dist.kind === 'bits') {
    if (dtype !== undefined && dtype !== 'u32') throw new InvalidParameterError('dtype', dtype, "'u32' (or nothing) for bits");
    return 'u32';
  }
  return dtype === undefined ? 'f32' : checkFloatDType('dtype', dtype, ' for a float distribution');
}

function distributionParams(d: ResolvedDistribution): DistributionParams {
  return Object.freeze({
    low: d.low,
    range: d.range,
    mean: d.mean,
    stddev: d.std,
    pLow: d.pLow,
    pWidth: d.pWidth,
    clampLow: d.clampLow,
    clampHigh: d.clampHigh,
  });
}

/** The block of 4 elements of a 64-bit element index (as low and high word) and the element's place in it. */
export function blockOf(start: bigint): { startBlock: readonly [number, number]; phase: number } {
  return {
    startBlock: Object.freeze([Number((start >> 2n) & 0xffffffffn), Number((start >> 34n) & 0xffffffffn)] as const),
    phase: Number(start & 3n),
  };
}

/** Validates a request and resolves it into its plan; throws InvalidParameterError naming the parameter. */
export function planGenerate(request: GenerateRequest): GeneratePlan {
  const range = resolveRange(request);
  const dist = resolveDistribution(request.dist);
  const dtype = resolveDType(dist, request.dtype);
  return Object.freeze({
    entryPoint: ENTRY_POINTS[dist.kind],
    dtype,
    key: Object.freeze(range.key),
    stream: Object.freeze(range.stream),
    start: range.start,
    ...blockOf(range.start),
    count: range.count,
    params: distributionParams(dist),
  });
}

/** Elements [offset, offset + count) of the plan's range, as a plan of their own. */
export function slicePlan<P extends ElementRange>(plan: P, offset: number, count: number): P {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(count) || offset < 0 || count < 0 || offset + count > plan.count) {
    throw new RangeError(`slice [${offset}, ${offset + count}) of a plan of ${plan.count} elements`);
  }
  const start = plan.start + BigInt(offset);
  return Object.freeze({ ...plan, start, ...blockOf(start), count });
}

/**
 * Consecutive slices of at most `size` elements covering the plan, in order. A `size` that is a multiple
 * of 2 keeps every 16-bit slice whole 32-bit words.
 */
export function splitPlan<P extends ElementRange>(plan: P, size: number): P[] {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`slice size ${size}`);
  const slices: P[] = [];
  for (let done = 0; done < plan.count; done += size) slices.push(slicePlan(plan, done, Math.min(size, plan.count - done)));
  return slices;
}
