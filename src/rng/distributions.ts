import { InvalidParameterError } from '../errors.js';

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

export type Distribution = BitsDistribution | UniformDistribution;

export function bits(): BitsDistribution {
  return { kind: 'bits' };
}

export function uniform(low = 0, high = 1): UniformDistribution {
  return { kind: 'uniform', low, high };
}

/** What one element is stored as. */
export type ElementType = 'u32' | 'f32';

/** A validated distribution with its parameters already rounded to the f32 values the kernels use. */
export type ResolvedDistribution =
  | { readonly kind: 'bits'; readonly elementType: 'u32'; readonly elementBytes: 4 }
  | {
      readonly kind: 'uniform';
      readonly elementType: 'f32';
      readonly elementBytes: 4;
      readonly low: number;
      readonly range: number;
    };

/** Validates a distribution; throws InvalidParameterError naming the offending field. */
export function resolveDistribution(dist: Distribution | undefined, parameter = 'dist'): ResolvedDistribution {
  if (dist === undefined) return { kind: 'bits', elementType: 'u32', elementBytes: 4 };
  if (dist === null || typeof dist !== 'object') {
    throw new InvalidParameterError(parameter, dist, "a distribution object such as { kind: 'uniform', low, high }");
  }
  switch (dist.kind) {
    case 'bits':
      return { kind: 'bits', elementType: 'u32', elementBytes: 4 };
    case 'uniform': {
      const { low, high } = dist;
      for (const [name, v] of [['low', low], ['high', high]] as const) {
        if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(Math.fround(v))) {
          throw new InvalidParameterError(`${parameter}.${name}`, v, 'a finite number within the f32 range');
        }
      }
      const low32 = Math.fround(low);
      const high32 = Math.fround(high);
      if (!(low32 < high32)) {
        throw new InvalidParameterError(`${parameter}.high`, high, `a number above low (${low}) after rounding both to f32`);
      }
      const range = Math.fround(high32 - low32);
      if (!Number.isFinite(range)) {
        throw new InvalidParameterError(`${parameter}.high`, high, 'high - low within the f32 range (below 3.4e38)');
      }
      return { kind: 'uniform', elementType: 'f32', elementBytes: 4, low: low32, range };
    }
    default:
      throw new InvalidParameterError(`${parameter}.kind`, (dist as { kind?: unknown }).kind, "'bits' or 'uniform'");
  }
}
