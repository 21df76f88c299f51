import { InvalidParameterError } from '../errors.js';
import { normalCdfF64 } from './normal-cdf.js';
import { checkParameter, MAX_PARAMETER, MIN_PARAMETER } from './validate.js';

/** Raw Philox words, one u32 per element. */
export interface BitsDistribution {
  readonly kind: 'bits';
}

/** Uniform on [low, high) in f32, TensorFlow's mapping (see docs/rng.md). */
export interface UniformDistribution {
  readonly kind: 'uniform';
  readonly low: number;
  readonly high: number;
}

/** Normal N(mean, std^2) by Box-Muller on word pairs, TensorFlow's pairing (see docs/rng.md). */
export interface NormalDistribution {
  readonly kind: 'normal';
  readonly mean: number;
  readonly std: number;
}

/**
 * Normal N(mean, std^2) truncated to [a, b], by the inverse CDF (one word per element, no rejection).
 * `bounds: 'std'` (default; Keras/JAX/TF convention) reads a and b in standard deviations around the mean;
 * `bounds: 'absolute'` (PyTorch trunc_normal_) reads them as values.
 */
export interface TruncatedNormalDistribution {
  readonly kind: 'truncatedNormal';
  readonly mean: number;
  readonly std: number;
  readonly a: number;
  readonly b: number;
  readonly bounds?: 'std' | 'absolute';
}

export type Distribution = BitsDistribution | UniformDistribution | NormalDistribution | TruncatedNormalDistribution;

export function bits(): BitsDistribution {
  return { kind: 'bits' };
}

export function uniform(low = 0, high = 1): UniformDistribution {
  return { kind: 'uniform', low, high };
}

export function normal(mean = 0, std = 1): NormalDistribution {
  return { kind: 'normal', mean, std };
}

export function truncatedNormal(mean = 0, std = 1, a = -2, b = 2, bounds: 'std' | 'absolute' = 'std'): TruncatedNormalDistribution {
  return { kind: 'truncatedNormal', mean, std, a, b, bounds };
}

/**
 * A validated distribution with every parameter rounded to the f32 value the kernels use. Fields a kind
 * does not use are 0.
 */
export interface ResolvedDistribution {
  readonly kind: Distribution['kind'];
  /** uniform: f32(low) and f32(f32(high) - f32(low)). */
  readonly low: number;
  readonly range: number;
  /** normal and truncatedNormal: f32(mean); std is signed for truncatedNormal (mirror, see docs/rng.md). */
  readonly mean: number;
  readonly std: number;
  /** truncatedNormal: f32(Phi(alpha)) and f32(Phi(beta) - Phi(alpha)) on the chosen side. */
  readonly pLow: number;
  readonly pWidth: number;
  /** truncatedNormal: the f32 bounds every value is clamped to. */
  readonly clampLow: number;
  readonly clampHigh: number;
}

const f = Math.fround;
const ZERO = { low: 0, range: 0, mean: 0, std: 0, pLow: 0, pWidth: 0, clampLow: 0, clampHigh: 0 };

/** Truncation limit in standard deviations: beyond it the normal CDF is below the f32 normal range. */
export const TRUNCATION_LIMIT = 12;

/** Validates a distribution; throws InvalidParameterError naming the offending field. */
export function resolveDistribution(dist: Distribution | undefined, parameter = 'dist'): ResolvedDistribution {
  if (dist === undefined) return { kind: 'bits', ...ZERO };
  if (dist === null || typeof dist !== 'object') {
    throw new InvalidParameterError(parameter, dist, "a distribution object such as { kind: 'uniform', low, high }");
  }
  switch (dist.kind) {
    case 'bits':
      return { kind: 'bits', ...ZERO };
    case 'uniform': {
      const low = checkParameter(`${parameter}.low`, dist.low);
      const high = checkParameter(`${parameter}.high`, dist.high);
      const low32 = f(low);
      const high32 = f(high);
      if (!(low32 < high32)) {
        throw new InvalidParameterError(`${parameter}.high`, high, `a number above low (${low}) after rounding both to f32`);
      }
      const range = f(high32 - low32);
      if (range < MIN_PARAMETER || range > MAX_PARAMETER) {
        throw new InvalidParameterError(`${parameter}.high`, high, `high - low in [2^-90, 2^100] (8.1e-28 to 1.3e30)`);
      }
      return { ...ZERO, kind: 'uniform', low: low32, range };
    }
    case 'normal': {
      const mean = checkParameter(`${parameter}.mean`, dist.mean);
      const std = checkParameter(`${parameter}.std`, dist.std);
      // -0 is refused like any negative std: mean + (-0) * z would flip the sign of zeros against std = 0.
      if (std < 0 || Object.is(std, -0)) throw new InvalidParameterError(`${parameter}.std`, Object.is(std, -0) ? '-0' : std, 'a finite number >= 0 (not -0)');
      return { ...ZERO, kind: 'normal', mean: f(mean), std: f(std) };
    }
    case 'truncatedNormal':
      return resolveTruncatedNormal(dist, parameter);
    default:
      throw new InvalidParameterError(`${parameter}.kind`, (dist as { kind?: unknown }).kind, "'bits', 'uniform', 'normal' or 'truncatedNormal'");
  }
}

const MIN_NORMAL_F32 = 2 ** -126;

function inwardFromSubnormal(x: number, direction: 'up' | 'down'): number {
  if (x === 0 || Math.abs(x) >= MIN_NORMAL_F32) return x;
  if (direction === 'up') return x < 0 ? 0 : MIN_NORMAL_F32;
  return x > 0 ? 0 : -MIN_NORMAL_F32;
}

function resolveTruncatedNormal(dist: TruncatedNormalDistribution, parameter: string): ResolvedDistribution {
  const mean = checkParameter(`${parameter}.mean`, dist.mean);
  const std = checkParameter(`${parameter}.std`, dist.std);
  if (!(std > 0)) throw new InvalidParameterError(`${parameter}.std`, std, 'a finite number > 0');
  const bounds = dist.bounds ?? 'std';
  if (bounds !== 'std' && bounds !== 'absolute') {
    throw new InvalidParameterError(`${parameter}.bounds`, bounds, "'std' or 'absolute'");
  }
  const a = checkParameter(`${parameter}.a`, dist.a);
  const b = checkParameter(`${parameter}.b`, dist.b);
  // Bounds in standard deviations (alpha, beta) and as values (lo, hi).
  const [alpha, beta] = bounds === 'std' ? [a, b] : [(a - mean) / std, (b - mean) / std];
  const [lo, hi] = bounds === 'std' ? [mean + a * std, mean + b * std] : [a, b];
  // The clamp bounds must not be subnormal f32 (a GPU may flush them): move such a bound inward to the
  // nearest of 0 and +-2^-126, which keeps every value inside [a, b].
  const lo32 = inwardFromSubnormal(f(lo), 'up');
  const hi32 = inwardFromSubnormal(f(hi), 'down');
  if (!(alpha < beta) || !(lo32 < hi32)) {
    throw new InvalidParameterError(`${parameter}.b`, b, `a bound above a (${a}) that stays above it in f32`);
  }
  // Sample on the side where Phi is small, so p keeps its relative precision in f32: mirror when the
  // interval leans right, and negate z through the sign of std.
  const mirror = alpha + beta > 0;
  const lowZ = mirror ? -beta : alpha;
  const highZ = mirror ? -alpha : beta;
  if (highZ <= -TRUNCATION_LIMIT) {
    throw new InvalidParameterError(
      `${parameter}.b`,
      b,
      `bounds within ${TRUNCATION_LIMIT} standard deviations of the mean on at least one side (the mass of [a, b] is below f32 resolution)`,
    );
  }
  const pLow = normalCdfF64(Math.max(lowZ, -TRUNCATION_LIMIT));
  const pHigh = normalCdfF64(Math.min(highZ, TRUNCATION_LIMIT));
  const pLow32 = f(pLow);
  const pWidth32 = f(pHigh - pLow);
  if (!(pWidth32 > 0) || f(pLow32 + pWidth32) === pLow32) {
    throw new InvalidParameterError(
      `${parameter}.b`,
      b,
      `a truncation interval whose probability mass (${pHigh - pLow}) is resolvable in f32 next to Phi(a) = ${pLow}`,
    );
  }
  return {
    ...ZERO,
    kind: 'truncatedNormal',
    mean: f(mean),
    std: f(mirror ? -std : std),
    pLow: pLow32,
    pWidth: pWidth32,
    clampLow: lo32,
    clampHigh: hi32,
  };
}
