import { type NormalDistribution, resolveDistribution, type TruncatedNormalDistribution, type UniformDistribution } from '../contract/distributions.js';
import { oddSeries, tailContinuedFraction } from '../contract/normal-cdf.js';
import { checkF32Number, checkPositiveF32, checkPositiveInteger, isRecord } from '../contract/validate.js';
import { InvalidParameterError } from '../errors.js';
import { computeFans, type FanLayout, type Fans, validateLayout, validateShape } from './fans.js';
import { calculateGain, type Nonlinearity } from './gain.js';

/**
 * Standard deviation of a standard normal truncated to [-2, 2] (`scipy.stats.truncnorm.std(a=-2, b=2)`), the divisor
 * Keras, TensorFlow and JAX use so that a truncated-normal variance-scaling initializer has std √(scale / n) after
 * truncation. The literal is the one in keras/src/initializers/random_initializers.py and jax/_src/nn/initializers.py.
 */
export const TRUNCATED_NORMAL_STD_2 = 0.87962566103423978;

/** How `varianceScaling` picks n in √(scale / n). `fan_geo_avg` (√(fanIn·fanOut)) is JAX's. */
export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg' | 'fan_geo_avg';
export const FAN_MODES: readonly FanMode[] = ['fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'];

/**
 * `varianceScaling` distributions, Keras names. `'normal'` is an alias of `'truncated_normal'` as in Keras 2 and 3
 * (JAX's `'normal'` is untruncated: use `'untruncated_normal'` for it).
 */
export type VarianceScalingDistribution = 'truncated_normal' | 'untruncated_normal' | 'normal' | 'uniform';
export const VARIANCE_SCALING_DISTRIBUTIONS: readonly VarianceScalingDistribution[] = ['truncated_normal', 'untruncated_normal', 'normal', 'uniform'];

export interface ConstantSpec {
  readonly kind: 'constant';
  readonly value: number;
}
/** U(low, high). No defaults: frameworks disagree (PyTorch (0, 1), Keras (-0.05, 0.05)). */
export interface UniformSpec {
  readonly kind: 'uniform';
  readonly low: number;
  readonly high: number;
}
/** N(mean, std²); `std` is a standard deviation, not a variance. */
export interface NormalSpec {
  readonly kind: 'normal';
  readonly mean?: number;
  readonly std: number;
}
/**
 * N(mean, std²) truncated to [a, b]; `std` is the std of the normal before truncation (as in every framework).
 * `bounds: 'std'` (default): a, b in std units around the mean (Keras/JAX/TF, default ±2);
 * `'absolute'`: a, b are values (PyTorch `trunc_normal_`, default a = -2, b = 2).
 */
export interface TruncatedNormalSpec {
  readonly kind: 'truncatedNormal';
  readonly mean?: number;
  readonly std: number;
  readonly a?: number;
  readonly b?: number;
  readonly bounds?: 'std' | 'absolute';
}
/**
 * Keras/JAX/TF `VarianceScaling`: n from `mode`, then truncated normal with std √(scale/n) / 0.8796… (truncated at ±2
 * std units), untruncated normal with std √(scale/n), or U(±√(3·scale/n)). Defaults are Keras's (1, 'fan_in',
 * 'truncated_normal'). `truncationCorrection: false` drops the 0.8796… divisor (TF.js and early Keras 2).
 */
export interface VarianceScalingSpec {
  readonly kind: 'varianceScaling';
  readonly scale?: number;
  readonly mode?: FanMode;
  readonly distribution?: VarianceScalingDistribution;
  readonly truncationCorrection?: boolean;
}
/** PyTorch `xavier_uniform_` / `xavier_normal_` (untruncated), with `gain` (default 1). */
export interface XavierSpec {
  readonly kind: 'xavierUniform' | 'xavierNormal';
  readonly gain?: number;
}
/**
 * PyTorch `kaiming_uniform_` / `kaiming_normal_` (untruncated): std = gain / √fan with
 * gain = calculateGain(nonlinearity, a). PyTorch defaults: a = 0, mode 'fan_in', nonlinearity 'leaky_relu'.
 */
export interface KaimingSpec {
  readonly kind: 'kaimingUniform' | 'kaimingNormal';
  readonly a?: number;
  readonly mode?: 'fan_in' | 'fan_out';
  readonly nonlinearity?: Nonlinearity;
}
/** Keras/JAX named variance-scaling initializers (no parameters). */
export interface NamedVarianceScalingSpec {
  readonly kind: 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'lecunUniform' | 'lecunNormal';
}
/** Identity matrix times `gain` (default 1); 2-D only, rectangular allowed. 'eye' is PyTorch's name, 'identity' Keras's. */
export interface EyeSpec {
  readonly kind: 'eye' | 'identity';
  readonly gain?: number;
}
/** PyTorch `dirac_(groups)`: 3–5-D, torch layout only. */
export interface DiracSpec {
  readonly kind: 'dirac';
  readonly groups?: number;
}
/**
 * (Semi-)orthogonal matrix times `gain` (default 1). `flatten`: 'torch' (rows = shape[0], cols = the rest) or
 * 'keras' (cols = shape[-1], rows = the rest; also JAX's default column_axis = -1). Default: 'torch' for the
 * torch layout, 'keras' otherwise.
 */
export interface OrthogonalSpec {
  readonly kind: 'orthogonal';
  readonly gain?: number;
  readonly flatten?: 'torch' | 'keras';
}

/** A JSON-serializable description of how to initialize one tensor. */
export type InitializerSpec =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | ConstantSpec
  | UniformSpec
  | NormalSpec
  | TruncatedNormalSpec
  | VarianceScalingSpec
  | XavierSpec
  | KaimingSpec
  | NamedVarianceScalingSpec
  | EyeSpec
  | DiracSpec
  | OrthogonalSpec;

export type InitializerKind = InitializerSpec['kind'];

export const INITIALIZER_KINDS: readonly InitializerKind[] = [
  'zeros',
  'ones',
  'constant',
  'uniform',
  'normal',
  'truncatedNormal',
  'varianceScaling',
  'glorotUniform',
  'glorotNormal',
  'xavierUniform',
  'xavierNormal',
  'heUniform',
  'heNormal',
  'kaimingUniform',
  'kaimingNormal',
  'lecunUniform',
  'lecunNormal',
  'eye',
  'identity',
  'dirac',
  'orthogonal',
];

export type InitializerDistribution = UniformDistribution | NormalDistribution | TruncatedNormalDistribution;

/** What an initializer resolves to for one shape. */
export type ResolvedInitializer =
  | {
      readonly kind: 'distribution';
      readonly dist: InitializerDistribution;
      /** The fans the formula used; null when it used none (uniform, normal, truncatedNormal). */
      readonly fanIn: number | null;
      readonly fanOut: number | null;
      /** Mean and std of the values produced (after truncation), from the double-precision parameters. */
      readonly expectedMean: number;
      readonly expectedStd: number;
    }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'eye'; readonly rows: number; readonly cols: number; readonly value: number }
  | { readonly kind: 'dirac'; readonly groups: number; readonly shape: readonly number[] }
  | {
      readonly kind: 'orthogonal';
      readonly rows: number;
      readonly cols: number;
      readonly gain: number;
      readonly flatten: 'torch' | 'keras';
    };

// ---------------------------------------------------------------------------------------------------------------
// Normal CDF pieces, for reporting the moments of truncated normals. Math.exp is the only platform function used
// besides Math.sqrt (correctly rounded); nothing here feeds generated values.

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π
const ONE_OVER_SQRT_PI = 0.5641895835477563; // 1/√π
const ONE_OVER_SQRT_2PI = 0.3989422804014327; // 1/√(2π)
const SQRT1_2 = Math.SQRT1_2;

/** erf(x) for 0 ≤ x < 2 by the series (2/√π)·e^(−x²)·Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), all terms positive. */
function erfSeries(x: number): number {
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * oddSeries(x, 2 * x * x);
}

/** erfc(x) for x ≥ 2 by its continued fraction e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
function erfcContinuedFraction(x: number): number {
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / tailContinuedFraction(x, 0.5);
}

/** The error function, to about 1e-15 relative. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return -erf(-x);
  if (x < 2) return erfSeries(x);
  return 1 - erfcContinuedFraction(x);
}

/** The complementary error function 1 − erf(x), with full relative accuracy in the upper tail. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  return erfcContinuedFraction(x);
}

function normalPdf(x: number): number {
  return Number.isFinite(x) ? ONE_OVER_SQRT_2PI * Math.exp(-0.5 * x * x) : 0;
}

/**
 * Mass, mean and std of a standard normal restricted to [alpha, beta] (alpha < beta, both finite):
 * Z = Φ(β) − Φ(α), mean = (φ(α) − φ(β))/Z, var = 1 + (αφ(α) − βφ(β))/Z − mean².
 * Intervals narrower than 0.5 use Simpson's rule around the midpoint instead (the closed form cancels there).
 */
export function truncatedNormalMoments(alpha: number, beta: number): { mass: number; mean: number; std: number } {
  let mass: number;
  if (alpha >= 0) mass = (erfc(alpha * SQRT1_2) - erfc(beta * SQRT1_2)) / 2;
  else if (beta <= 0) mass = (erfc(-beta * SQRT1_2) - erfc(-alpha * SQRT1_2)) / 2;
  else mass = (erf(beta * SQRT1_2) - erf(alpha * SQRT1_2)) / 2;
  if (beta - alpha < 0.5) {
    // Moments about the midpoint c with weights e^(−(x² − c²)/2), which stay near 1 wherever the interval lies.
    const c = (alpha + beta) / 2;
    const h = (beta - alpha) / 2;
    const steps = 2048;
    let w0 = 0;
    let w1 = 0;
    let w2 = 0;
    for (let i = 0; i <= steps; i++) {
      const t = -h + (2 * h * i) / steps;
      const x = c + t;
      const simpson = i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2;
      const w = simpson * Math.exp(-0.5 * (x * x - c * c));
      w0 += w;
      w1 += w * t;
      w2 += w * t * t;
    }
    const m = w1 / w0;
    return { mass, mean: c + m, std: Math.sqrt(Math.max(0, w2 / w0 - m * m)) };
  }
  const pa = normalPdf(alpha);
  const pb = normalPdf(beta);
  const mean = (pa - pb) / mass;
  const variance = 1 + (alpha * pa - beta * pb) / mass - mean * mean;
  return { mass, mean, std: Math.sqrt(Math.max(0, variance)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Validation helpers.

/** A finite number that stays finite in f32, or the fallback when absent. */
function f32Number(v: unknown, name: string, fallback?: number): number {
  return v === undefined && fallback !== undefined ? fallback : checkF32Number(name, v);
}

function positiveF32(v: unknown, name: string, fallback?: number): number {
  return v === undefined && fallback !== undefined ? fallback : checkPositiveF32(name, v);
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], name: string, fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InvalidParameterError(name, v, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return v as T;
}

/** n ≥ 1 for every non-empty shape; the max only matters for zero-element shapes (Keras's and TF.js's rule). */
function atLeastOne(n: number): number {
  return Math.max(1, n);
}

// ---------------------------------------------------------------------------------------------------------------
// Distributions with their moments.

type DistributionResult = Extract<ResolvedInitializer, { kind: 'distribution' }>;

function uniformResult(low: number, high: number, fans: Fans | null, name: string): DistributionResult {
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(Math.fround(low) < Math.fround(high))) {
    throw new InvalidParameterError(name, high, `a number above low (${low}) after rounding both to f32, both finite`);
  }
  return {
    kind: 'distribution',
    dist: { kind: 'uniform', low, high },
    fanIn: fans?.fanIn ?? null,
    fanOut: fans?.fanOut ?? null,
    expectedMean: (low + high) / 2,
    expectedStd: (high - low) / Math.sqrt(12),
  };
}

function normalResult(mean: number, std: number, fans: Fans | null, name: string): DistributionResult {
  positiveF32(std, name);
  return {
    kind: 'distribution',
    dist: { kind: 'normal', mean, std },
    fanIn: fans?.fanIn ?? null,
    fanOut: fans?.fanOut ?? null,
    expectedMean: mean,
    expectedStd: std,
  };
}

function truncatedResult(
  mean: number,
  std: number,
  a: number,
  b: number,
  bounds: 'std' | 'absolute',
  fans: Fans | null,
  names: { readonly std: string; readonly a: string; readonly b: string },
): DistributionResult {
  positiveF32(std, names.std);
  if (!(a < b)) throw new InvalidParameterError(names.b, b, `a number above a (${a})`);
  const alpha = bounds === 'std' ? a : (a - mean) / std;
  const beta = bounds === 'std' ? b : (b - mean) / std;
  const m = truncatedNormalMoments(alpha, beta);
  if (!(m.mass > 0) || !Number.isFinite(m.std) || !(m.std > 0)) {
    throw new InvalidParameterError(
      names.a,
      a,
      `bounds [a, b] that keep a non-zero probability mass (within about 37 std of the mean; got [${alpha}, ${beta}] in std units)`,
    );
  }
  return {
    kind: 'distribution',
    dist: { kind: 'truncatedNormal', mean, std, a, b, bounds },
    fanIn: fans?.fanIn ?? null,
    fanOut: fans?.fanOut ?? null,
    expectedMean: mean + std * m.mean,
    expectedStd: std * m.std,
  };
}

function fanFor(mode: FanMode, fans: Fans): number {
  switch (mode) {
    case 'fan_in':
      return fans.fanIn;
    case 'fan_out':
      return fans.fanOut;
    case 'fan_avg':
      return (fans.fanIn + fans.fanOut) / 2;
    case 'fan_geo_avg':
      return Math.sqrt(fans.fanIn * fans.fanOut);
  }
}

function varianceScaling(
  scale: number,
  mode: FanMode,
  distribution: VarianceScalingDistribution,
  correction: boolean,
  fans: Fans,
  name: string,
): DistributionResult {
  // Keras: scale /= max(1.0, n); then sqrt(scale) [/ 0.8796...] or sqrt(3.0 * scale).
  const s = scale / atLeastOne(fanFor(mode, fans));
  switch (distribution) {
    case 'truncated_normal':
    case 'normal': {
      const std = correction ? Math.sqrt(s) / TRUNCATED_NORMAL_STD_2 : Math.sqrt(s);
      return truncatedResult(0, std, -2, 2, 'std', fans, { std: `${name}.scale`, a: `${name}.scale`, b: `${name}.scale` });
    }
    case 'untruncated_normal':
      return normalResult(0, Math.sqrt(s), fans, `${name}.scale`);
    case 'uniform': {
      const limit = Math.sqrt(3.0 * s);
      return uniformResult(-limit, limit, fans, `${name}.scale`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Resolves `spec` for a tensor of `shape` read with `layout` (see fans.ts) to a distribution with its parameters,
 * a constant, or a structured matrix. Validates everything; throws InvalidParameterError naming the parameter
 * (`spec.std`, `shape[1]`, `layout`, …). `parameter` is the prefix used for the spec's fields.
 */
export function resolveInitializer(spec: InitializerSpec, shape: readonly number[], layout: FanLayout, parameter = 'spec'): ResolvedInitializer {
  const r = resolveSpec(spec, shape, layout, parameter);
  // The generator's own validation (f32 rounding, truncation limits), so every result can be generated.
  // Its errors name `${parameter}.<field>`, which are the spec's field names for the plain distributions.
  if (r.kind === 'distribution') resolveDistribution(r.dist, parameter);
  return r;
}

function resolveSpec(spec: InitializerSpec, shape: readonly number[], layout: FanLayout, parameter: string): ResolvedInitializer {
  const s = validateShape(shape, 'shape');
  const l = validateLayout(layout, 'layout');
  const p = parameter;
  if (!isRecord(spec)) {
    throw new InvalidParameterError(p, spec, "an initializer object such as { kind: 'glorotUniform' }");
  }
  const raw = spec as Record<string, unknown>;
  const fans = (): Fans => computeFans(s, l, 'shape', 'layout');
  const kind = raw['kind'];
  switch (kind) {
    case 'zeros':
      return { kind: 'constant', value: 0 };
    case 'ones':
      return { kind: 'constant', value: 1 };
    case 'constant':
      return { kind: 'constant', value: f32Number(raw['value'], `${p}.value`) };
    case 'uniform': {
      const low = f32Number(raw['low'], `${p}.low`);
      const high = f32Number(raw['high'], `${p}.high`);
      return uniformResult(low, high, null, `${p}.high`);
    }
    case 'normal': {
      const mean = f32Number(raw['mean'], `${p}.mean`, 0);
      const std = positiveF32(raw['std'], `${p}.std`);
      return normalResult(mean, std, null, `${p}.std`);
    }
    case 'truncatedNormal': {
      const mean = f32Number(raw['mean'], `${p}.mean`, 0);
      const std = positiveF32(raw['std'], `${p}.std`);
      const a = f32Number(raw['a'], `${p}.a`, -2);
      const b = f32Number(raw['b'], `${p}.b`, 2);
      const bounds = oneOf(raw['bounds'], ['std', 'absolute'] as const, `${p}.bounds`, 'std');
      return truncatedResult(mean, std, a, b, bounds, null, { std: `${p}.std`, a: `${p}.a`, b: `${p}.b` });
    }
    case 'varianceScaling': {
      const scale = positiveF32(raw['scale'], `${p}.scale`, 1);
      const mode = oneOf(raw['mode'], FAN_MODES, `${p}.mode`, 'fan_in');
      const distribution = oneOf(raw['distribution'], VARIANCE_SCALING_DISTRIBUTIONS, `${p}.distribution`, 'truncated_normal');
      const correction = raw['truncationCorrection'];
      if (correction !== undefined && typeof correction !== 'boolean') {
        throw new InvalidParameterError(`${p}.truncationCorrection`, correction, 'a boolean');
      }
      return varianceScaling(scale, mode, distribution, correction ?? true, fans(), p);
    }
    // Keras (keras/src/initializers/random_initializers.py) and JAX (jax/_src/nn/initializers.py) definitions.
    case 'glorotUniform':
      return varianceScaling(1.0, 'fan_avg', 'uniform', true, fans(), p);
    case 'glorotNormal':
      return varianceScaling(1.0, 'fan_avg', 'truncated_normal', true, fans(), p);
    case 'heUniform':
      return varianceScaling(2.0, 'fan_in', 'uniform', true, fans(), p);
    case 'heNormal':
      return varianceScaling(2.0, 'fan_in', 'truncated_normal', true, fans(), p);
    case 'lecunUniform':
      return varianceScaling(1.0, 'fan_in', 'uniform', true, fans(), p);
    case 'lecunNormal':
      return varianceScaling(1.0, 'fan_in', 'truncated_normal', true, fans(), p);
    // PyTorch (torch/nn/init.py), with PyTorch's arithmetic so the doubles match.
    case 'xavierUniform':
    case 'xavierNormal': {
      const gain = positiveF32(raw['gain'], `${p}.gain`, 1);
      const f = fans();
      const std = gain * Math.sqrt(2.0 / atLeastOne(f.fanIn + f.fanOut));
      if (kind === 'xavierNormal') return normalResult(0, std, f, `${p}.gain`);
      const bound = Math.sqrt(3.0) * std;
      return uniformResult(-bound, bound, f, `${p}.gain`);
    }
    case 'kaimingUniform':
    case 'kaimingNormal': {
      const a = f32Number(raw['a'], `${p}.a`, 0);
      const mode = oneOf(raw['mode'], ['fan_in', 'fan_out'] as const, `${p}.mode`, 'fan_in');
      const nonlinearity = (raw['nonlinearity'] ?? 'leaky_relu') as Nonlinearity;
      const gain = calculateGain(nonlinearity, a, `${p}.nonlinearity`, `${p}.a`);
      const f = fans();
      const std = gain / Math.sqrt(atLeastOne(mode === 'fan_in' ? f.fanIn : f.fanOut));
      if (kind === 'kaimingNormal') return normalResult(0, std, f, `${p}.a`);
      const bound = Math.sqrt(3.0) * std;
      return uniformResult(-bound, bound, f, `${p}.a`);
    }
    case 'eye':
    case 'identity': {
      const gain = f32Number(raw['gain'], `${p}.gain`, 1);
      if (s.length !== 2) {
        throw new InvalidParameterError('shape', shape, `a 2-D shape for ${kind} (got rank ${s.length})`);
      }
      return { kind: 'eye', rows: s[0]!, cols: s[1]!, value: gain };
    }
    case 'dirac': {
      const groups = checkPositiveInteger(`${p}.groups`, raw['groups'] ?? 1);
      if (l !== 'torch') {
        throw new InvalidParameterError('layout', layout, "'torch' for dirac ([out, in, ...kernel], as torch.nn.init.dirac_)");
      }
      if (s.length < 3 || s.length > 5) {
        throw new InvalidParameterError('shape', shape, `a 3-, 4- or 5-D shape for dirac (got rank ${s.length})`);
      }
      if (s[0]! % groups !== 0) {
        throw new InvalidParameterError(`${p}.groups`, groups, `a divisor of shape[0] (${s[0]})`);
      }
      return { kind: 'dirac', groups, shape: s };
    }
    case 'orthogonal': {
      const gain = f32Number(raw['gain'], `${p}.gain`, 1);
      const flatten = oneOf(raw['flatten'], ['torch', 'keras'] as const, `${p}.flatten`, l === 'torch' ? 'torch' : 'keras');
      if (s.length < 2) {
        throw new InvalidParameterError('shape', shape, `at least 2 dims for orthogonal (got rank ${s.length})`);
      }
      let rows: number;
      let cols: number;
      if (flatten === 'torch') {
        rows = s[0]!;
        cols = s.slice(1).reduce((n, d) => n * d, 1);
      } else {
        cols = s[s.length - 1]!;
        rows = s.slice(0, -1).reduce((n, d) => n * d, 1);
      }
      return { kind: 'orthogonal', rows, cols, gain, flatten };
    }
    default:
      throw new InvalidParameterError(`${p}.kind`, kind, `one of ${INITIALIZER_KINDS.map((k) => `'${k}'`).join(', ')}`);
  }
}
