// A jax.random sampler call, `jax.random.<dist>(key, shape, dtype, ...)`, validated once into an immutable plan
// that the WGSL kernels (shaders/generate.wgsl's jax* entry points), the upload strategy and the CPU twin
// (src/twin/generate.ts) execute. The plan holds the key data, the slice of the flattened tensor and the
// sampler's parameters as the values XLA's CPU computation uses (rounded to the dtype as XLA rounds them).
import { InvalidParameterError } from '../errors.js';
import type { DType, FloatDType } from './dtypes.js';
import { checkJaxKey, type JaxImpl, type JaxKey } from './jax-key.js';
import { blockOf, type ElementRange } from './plan.js';
import { parseU64, type U64Input } from './u64.js';
import { checkFloatDType, checkNonNegativeInteger } from './validate.js';
import { erfXla, flushSubnormal, nextAfterInDType, roundToDType } from './xla-f32.js';

/** The jax.random samplers this library reproduces. */
export type JaxDist = 'bits' | 'uniform' | 'normal' | 'truncatedNormal';

/** `jax.random.<dist>(key, shape, dtype, ...)`, or a slice [start, start + count) of its flattened result. */
export interface JaxRandomRequest {
  key: JaxKey;
  /** The tensor's shape (row-major); values depend on the flattened index only. At most 2^53 elements. */
  shape: readonly number[];
  /** bits (u32 words, jax.random.bits), uniform, normal or truncatedNormal. */
  dist: JaxDist;
  /** 'u32' for bits (the default there); 'f32' (default), 'f16' or 'bf16' for the others. */
  dtype?: DType;
  /** uniform: jax's minval and maxval (default 0 and 1). */
  minval?: number;
  maxval?: number;
  /** truncatedNormal: jax's lower and upper (required; ±Infinity allowed). */
  lower?: number;
  upper?: number;
  /** First element of the slice (flattened index, default 0) and its length (default: to the end). */
  start?: U64Input;
  count?: number;
}

/** Name of the WGSL entry point (and of its CPU twin) for each sampler. */
export const JAX_ENTRY_POINTS = {
  bits: 'jaxBits',
  uniform: 'jaxUniform',
  normal: 'jaxNormal',
  truncatedNormal: 'jaxTruncatedNormal',
} as const satisfies Record<JaxDist, string>;

export type JaxEntryPoint = (typeof JAX_ENTRY_POINTS)[JaxDist];

/**
 * The sampler's parameters under the names of the WGSL `Params` fields, as the f32 values the kernels use (each
 * a value of the plan's dtype): uniform draws max(low, low + u * range) (with XLA's rounding for the dtype);
 * normal and truncatedNormal draw that uniform in erf space and map it back; truncatedNormal clamps to
 * [clampLow, clampHigh]; every float sample is then multiplied by `scale` in the dtype (1 for jax.random; the
 * stddev or scale of a jax.nn.initializers initializer, see scaleJaxPlan). Fields a sampler does not use are 0.
 */
export interface JaxParams {
  readonly low: number;
  readonly range: number;
  readonly clampLow: number;
  readonly clampHigh: number;
  readonly scale: number;
}

export interface JaxPlan extends ElementRange {
  readonly impl: JaxImpl;
  readonly entryPoint: JaxEntryPoint;
  readonly dtype: DType;
  /** The key data (key_data(key)). */
  readonly key: readonly [number, number];
  readonly shape: readonly number[];
  readonly numel: number;
  readonly params: JaxParams;
}

/** Largest element count of a JAX tensor (a flattened index is exact in a double up to 2^53). */
export const MAX_JAX_ELEMENTS = 2 ** 53;

/**
 * Smallest and largest magnitudes of a non-zero minval, maxval, lower or upper, and the smallest non-zero range
 * (maxval - minval, or erf(upper/√2) - erf(lower/√2)): inside them every intermediate value of the kernels' exact
 * fused multiply-add stays a normal f32, so that a GPU that flushes subnormals computes the same bits.
 */
export const MIN_JAX_PARAMETER = 2 ** -60;
export const MAX_JAX_PARAMETER = 2 ** 64;
export const MIN_JAX_RANGE = 2 ** -40;

const ZERO: JaxParams = { low: 0, range: 0, clampLow: 0, clampHigh: 0, scale: 1 };

/** A JAX tensor shape: non-negative integer dims, at most 2^53 elements in all. */
export function checkJaxShape(shape: unknown): { shape: number[]; numel: number } {
  if (!Array.isArray(shape)) throw new InvalidParameterError('shape', shape, 'an array of non-negative integers');
  let numel = 1;
  const dims = shape.map((d: unknown, i) => {
    const v = checkNonNegativeInteger(`shape[${i}]`, d);
    numel *= v;
    return v;
  });
  if (numel > MAX_JAX_ELEMENTS) throw new InvalidParameterError('shape', shape, 'at most 2^53 elements in all');
  return { shape: dims, numel };
}

function checkBound(parameter: string, v: unknown, infinite: boolean): number {
  const ok =
    typeof v === 'number' &&
    (v === 0 || (infinite && Math.abs(v) === Number.POSITIVE_INFINITY) || (Math.abs(v) >= MIN_JAX_PARAMETER && Math.abs(v) <= MAX_JAX_PARAMETER));
  if (!ok) {
    throw new InvalidParameterError(parameter, v, `0${infinite ? ', ±Infinity' : ''} or a number with magnitude in [2^-60, 2^64]`);
  }
  return v;
}

function checkRange(parameter: string, value: number, range: number): void {
  if (range !== 0 && !(range >= MIN_JAX_RANGE)) {
    throw new InvalidParameterError(parameter, value, `a bound that leaves a range of 0 or at least 2^-40 after rounding (got ${range})`);
  }
}

/** +0 for either zero: the samplers give the same values for a -0 bound, and the kernels compare with <. */
const positiveZero = (x: number) => (x === 0 ? 0 : x);

/** x / sqrt(2) as XLA computes it for the dtype: a multiply by the reciprocal constant its simplifier folds. */
function overSqrt2(x: number, dtype: FloatDType): number {
  if (dtype === 'bf16') return roundToDType(Math.fround(x * 0.707182348), dtype);
  if (dtype === 'f16') return roundToDType(Math.fround(x * 0.70703125), dtype);
  return Math.fround(x * 0.707106769);
}

function uniformParams(request: JaxRandomRequest, dtype: FloatDType): JaxParams {
  const minval = checkBound('minval', request.minval ?? 0, false);
  const maxval = checkBound('maxval', request.maxval ?? 1, false);
  if (!(minval < maxval)) throw new InvalidParameterError('maxval', maxval, `a number above minval (${minval})`);
  const low = positiveZero(roundToDType(minval, dtype));
  const range = roundToDType(roundToDType(maxval, dtype) - low, dtype);
  checkRange('maxval', maxval, range);
  return { ...ZERO, low, range };
}

function normalParams(dtype: FloatDType): JaxParams {
  // uniform(minval = nextafter(-1, 0), maxval = 1) in the dtype.
  const low = nextAfterInDType(-1, 0, dtype);
  return { ...ZERO, low, range: roundToDType(1 - low, dtype) };
}

function truncatedNormalParams(request: JaxRandomRequest, dtype: FloatDType): JaxParams {
  if (request.lower === undefined) throw new InvalidParameterError('lower', undefined, 'a number or -Infinity (jax.random.truncated_normal has no default)');
  if (request.upper === undefined) throw new InvalidParameterError('upper', undefined, 'a number or Infinity (jax.random.truncated_normal has no default)');
  const lower = checkBound('lower', request.lower, true);
  const upper = checkBound('upper', request.upper, true);
  if (!(lower < upper)) throw new InvalidParameterError('upper', upper, `a number above lower (${lower})`);
  const lo = roundToDType(lower, dtype);
  const hi = roundToDType(upper, dtype);
  const a = positiveZero(roundToDType(erfXla(overSqrt2(lo, dtype)), dtype));
  const b = roundToDType(erfXla(overSqrt2(hi, dtype)), dtype);
  const range = roundToDType(b - a, dtype);
  checkRange('upper', upper, range);
  return {
    ...ZERO,
    low: a,
    range,
    // XLA's CPU runtime reads a subnormal bound as zero.
    clampLow: flushSubnormal(nextAfterInDType(lo, Number.POSITIVE_INFINITY, dtype)),
    clampHigh: flushSubnormal(nextAfterInDType(hi, Number.NEGATIVE_INFINITY, dtype)),
  };
}

/** The slice [start, start + count) of a tensor of `numel` elements (default: all of it), checked. */
export function resolveJaxSlice(numel: number, slice: { start?: U64Input | undefined; count?: number | undefined }): { start: bigint; count: number } {
  const start = parseU64(slice.start ?? 0, 'start');
  if (start > BigInt(numel)) throw new InvalidParameterError('start', slice.start, `an element index in [0, ${numel}]`);
  const count = slice.count ?? numel - Number(start);
  if (!Number.isSafeInteger(count) || count < 0 || Number(start) + count > numel) {
    throw new InvalidParameterError('count', slice.count, `an integer with start + count <= ${numel} (the tensor's elements)`);
  }
  return { start, count };
}

const DISTS: readonly JaxDist[] = ['bits', 'uniform', 'normal', 'truncatedNormal'];

/** Validates a request and resolves it into its plan; throws InvalidParameterError naming the parameter. */
export function planJaxRandom(request: JaxRandomRequest): JaxPlan {
  if (request === null || typeof request !== 'object') throw new InvalidParameterError('request', request, 'an object { key, shape, dist, ... }');
  const key = checkJaxKey(request.key);
  const dist = request.dist;
  if (!DISTS.includes(dist)) throw new InvalidParameterError('dist', dist, "'bits', 'uniform', 'normal' or 'truncatedNormal'");
  const { shape, numel } = checkJaxShape(request.shape);
  let dtype: DType;
  let params: JaxParams;
  if (dist === 'bits') {
    if (request.dtype !== undefined && request.dtype !== 'u32') throw new InvalidParameterError('dtype', request.dtype, "'u32' (or nothing) for bits");
    dtype = 'u32';
    params = ZERO;
  } else {
    const d = checkFloatDType('dtype', request.dtype ?? 'f32', ` for ${dist}`);
    dtype = d;
    params = dist === 'uniform' ? uniformParams(request, d) : dist === 'normal' ? normalParams(d) : truncatedNormalParams(request, d);
  }
  for (const [name, wanted] of [
    ['minval', 'uniform'],
    ['maxval', 'uniform'],
    ['lower', 'truncatedNormal'],
    ['upper', 'truncatedNormal'],
  ] as const) {
    if (request[name] !== undefined && dist !== wanted) throw new InvalidParameterError(name, request[name], `nothing: it belongs to ${wanted}`);
  }
  const { start, count } = resolveJaxSlice(numel, request);
  return Object.freeze({
    impl: key.impl,
    entryPoint: JAX_ENTRY_POINTS[dist],
    dtype,
    key: Object.freeze([key.data[0], key.data[1]] as const),
    shape: Object.freeze(shape),
    numel,
    start,
    ...blockOf(start),
    count,
    params: Object.freeze(params),
  });
}

/**
 * The plan of `plan`'s samples times `scale` (a value of the plan's dtype, as jnp.array(scale, dtype) gives it):
 * what `jax.random.<dist>(...) * scale` computes, the last step of every jax.nn.initializers sampler.
 */
export function scaleJaxPlan(plan: JaxPlan, scale: number): JaxPlan {
  if (plan.dtype === 'u32') throw new InvalidParameterError('plan', plan.entryPoint, 'a plan of a float sampler (bits are not scaled)');
  if (
    !(typeof scale === 'number' && Number.isFinite(scale) && (scale === 0 || (Math.abs(scale) >= MIN_JAX_PARAMETER && Math.abs(scale) <= MAX_JAX_PARAMETER)))
  ) {
    throw new InvalidParameterError('scale', scale, '0 or a number with magnitude in [2^-60, 2^64]');
  }
  return Object.freeze({ ...plan, params: Object.freeze({ ...plan.params, scale: roundToDType(scale, plan.dtype) }) });
}
