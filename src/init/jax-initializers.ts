// jax.nn.initializers on the JAX streams: an initializer spec, a key, a shape and a dtype resolved once into a
// plan with exactly the bits `init(key, shape, dtype)` gives in jax 0.10.2 (jax/_src/nn/initializers.py): the
// variance-scaling family (glorot, lecun, he; uniform, normal, truncated normal; fan modes and axes), normal,
// uniform, truncated_normal, constant, zeros and ones. orthogonal is not reproduced (docs/rng.md says why).

import type { FloatDType } from '../contract/dtypes.js';
import type { JaxKey } from '../contract/jax-key.js';
import { checkJaxShape, type JaxPlan, planJaxRandom, resolveJaxSlice, scaleJaxPlan } from '../contract/jax-plan.js';
import type { U64Input } from '../contract/u64.js';
import { checkFloatDType, isRecord } from '../contract/validate.js';
import { roundF64ToDType, roundToDType } from '../contract/xla-f32.js';
import { InvalidParameterError } from '../errors.js';
import { type FanMode, TRUNCATED_NORMAL_STD_2 } from './resolve-initializer.js';

/** Axes as jax.nn.initializers take them: an axis or a list of axes (negative counts from the end). */
export type JaxAxes = number | readonly number[];

/** The axes of a variance-scaling initializer; JAX's defaults are in -2, out -1, no batch axes. */
export interface JaxFanAxes {
  readonly inAxis?: JaxAxes;
  readonly outAxis?: JaxAxes;
  readonly batchAxis?: JaxAxes;
}

/** jax.nn.initializers.variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis). */
export interface JaxVarianceScalingSpec extends JaxFanAxes {
  readonly kind: 'varianceScaling';
  readonly scale: number;
  readonly mode: FanMode;
  /** JAX's names: 'normal' is untruncated. */
  readonly distribution: 'truncated_normal' | 'normal' | 'uniform';
}

/** glorot_uniform, glorot_normal, lecun_uniform, lecun_normal, he_uniform, he_normal (variance_scaling presets). */
export interface JaxNamedVarianceScalingSpec extends JaxFanAxes {
  readonly kind: 'glorotUniform' | 'glorotNormal' | 'lecunUniform' | 'lecunNormal' | 'heUniform' | 'heNormal';
}

/** normal(stddev=1e-2), uniform(scale=1e-2) (on [0, scale)), truncated_normal(stddev=1e-2, lower=-2, upper=2). */
export type JaxSamplerSpec =
  | { readonly kind: 'normal'; readonly stddev?: number }
  | { readonly kind: 'uniform'; readonly scale?: number }
  | { readonly kind: 'truncatedNormal'; readonly stddev?: number; readonly lower?: number; readonly upper?: number };

/** constant(value), zeros, ones. */
export type JaxConstantSpec = { readonly kind: 'constant'; readonly value: number } | { readonly kind: 'zeros' } | { readonly kind: 'ones' };

export type JaxInitializerSpec = JaxVarianceScalingSpec | JaxNamedVarianceScalingSpec | JaxSamplerSpec | JaxConstantSpec;

/** (scale, mode, distribution) of each variance_scaling preset, as jax/_src/nn/initializers.py defines it. */
export const JAX_VARIANCE_SCALING_PRESETS = {
  glorotUniform: [1, 'fan_avg', 'uniform'],
  glorotNormal: [1, 'fan_avg', 'truncated_normal'],
  lecunUniform: [1, 'fan_in', 'uniform'],
  lecunNormal: [1, 'fan_in', 'truncated_normal'],
  heUniform: [2, 'fan_in', 'uniform'],
  heNormal: [2, 'fan_in', 'truncated_normal'],
} as const satisfies Record<JaxNamedVarianceScalingSpec['kind'], readonly [number, FanMode, JaxVarianceScalingSpec['distribution']]>;

export const JAX_INITIALIZER_KINDS = [
  'varianceScaling',
  ...Object.keys(JAX_VARIANCE_SCALING_PRESETS),
  'normal',
  'uniform',
  'truncatedNormal',
  'constant',
  'zeros',
  'ones',
] as const;

/** `init(key, shape, dtype)`, or the slice [start, start + count) of its flattened result. */
export interface JaxInitializeOptions {
  init: JaxInitializerSpec;
  key: JaxKey;
  shape: readonly number[];
  /** Default 'f32' (JAX's default float dtype). */
  dtype?: FloatDType;
  start?: U64Input;
  count?: number;
}

/** What an initializer call comes down to: a scaled sampler (a JaxPlan) or a constant. */
export type JaxInitializePlan =
  | { readonly kind: 'sample'; readonly dtype: FloatDType; readonly count: number; readonly plan: JaxPlan }
  | { readonly kind: 'fill'; readonly dtype: FloatDType; readonly count: number; readonly value: number };

/**
 * jax's _compute_fans in Python float arithmetic: receptive field = prod(shape) / in / out / batch (left to right,
 * each division rounded), fan_in = in * receptive, fan_out = out * receptive. Axes may coincide, as in JAX.
 */
export function computeJaxFans(shape: readonly number[], axes: JaxFanAxes = {}): { fanIn: number; fanOut: number } {
  const rank = shape.length;
  const size = (a: JaxAxes | undefined, fallback: JaxAxes, name: string) => {
    const list = typeof (a ?? fallback) === 'number' ? [a ?? fallback] : (a ?? fallback);
    if (!Array.isArray(list)) throw new InvalidParameterError(name, a, 'an axis or an array of axes');
    return (list as unknown[]).reduce<number>((n, axis, i) => {
      if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
        throw new InvalidParameterError(typeof a === 'number' ? name : `${name}[${i}]`, axis, `an integer axis in [${-rank}, ${rank - 1}]`);
      }
      return n * shape[axis < 0 ? axis + rank : axis]!;
    }, 1);
  };
  if (axes.inAxis === undefined && rank <= 1) {
    throw new InvalidParameterError('shape', shape, 'at least 2 dims with the default in_axis (JAX cannot compute fans of it either)');
  }
  const inSize = size(axes.inAxis, -2, 'init.inAxis');
  const outSize = size(axes.outAxis, -1, 'init.outAxis');
  const batchSize = size(axes.batchAxis, [], 'init.batchAxis');
  const receptive = shape.reduce((n, d) => n * d, 1) / inSize / outSize / batchSize;
  return { fanIn: inSize * receptive, fanOut: outSize * receptive };
}

function checkFinite(parameter: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidParameterError(parameter, v, 'a finite number');
  return v;
}

/** sqrt in the dtype: XLA computes it in f32 and rounds (once, as both 16-bit formats have at most 11 bits). */
const sqrtIn = (x: number, dtype: FloatDType) => roundToDType(Math.sqrt(x), dtype);

function varianceScaling(
  spec: JaxVarianceScalingSpec,
  shape: readonly number[],
  dtype: FloatDType,
): { dist: 'truncatedNormal' | 'normal' | 'uniform'; scale: number } {
  const scale = checkFinite('init.scale', spec.scale);
  if (!(scale > 0)) throw new InvalidParameterError('init.scale', scale, 'a positive number');
  const { fanIn, fanOut } = computeJaxFans(shape, spec);
  const denominator = { fan_in: fanIn, fan_out: fanOut, fan_avg: (fanIn + fanOut) / 2, fan_geo_avg: Math.sqrt(fanIn * fanOut) }[spec.mode];
  if (denominator === undefined) throw new InvalidParameterError('init.mode', spec.mode, "'fan_in', 'fan_out', 'fan_avg' or 'fan_geo_avg'");
  if (!(denominator > 0)) throw new InvalidParameterError('shape', shape, 'a shape whose fans are positive');
  const variance = roundF64ToDType(scale / denominator, dtype);
  switch (spec.distribution) {
    case 'truncated_normal':
      return { dist: 'truncatedNormal', scale: roundToDType(sqrtIn(variance, dtype) / roundF64ToDType(TRUNCATED_NORMAL_STD_2, dtype), dtype) };
    case 'normal':
      return { dist: 'normal', scale: sqrtIn(variance, dtype) };
    case 'uniform':
      return { dist: 'uniform', scale: sqrtIn(roundToDType(3 * variance, dtype), dtype) };
    default:
      throw new InvalidParameterError('init.distribution', spec.distribution, "'truncated_normal', 'normal' or 'uniform'");
  }
}

/**
 * Validates an initializer call and resolves it into its plan: the sampler jax.nn.initializers calls, with the
 * factor it multiplies by as jax computes it in the dtype, or the constant.
 */
export function planJaxInitializer(options: JaxInitializeOptions): JaxInitializePlan {
  if (!isRecord(options)) throw new InvalidParameterError('options', options, 'an object { init, key, shape, dtype? }');
  if (!isRecord(options.init)) throw new InvalidParameterError('init', options.init, "a jax initializer such as { kind: 'lecunNormal' }");
  const init = options.init as Record<string, unknown>;
  const dtype = checkFloatDType('dtype', options.dtype ?? 'f32');
  const { key, shape } = options;
  const slice = { ...(options.start === undefined ? {} : { start: options.start }), ...(options.count === undefined ? {} : { count: options.count }) };
  const sample = (dist: 'truncatedNormal' | 'normal' | 'uniform', scale: number, extra: { lower?: number; upper?: number; minval?: number } = {}) => {
    const plan = planJaxRandom({ key, shape, dist, dtype, ...extra, ...slice });
    return { kind: 'sample' as const, dtype, count: plan.count, plan: scaleJaxPlan(plan, scale) };
  };
  const kind = init['kind'] as JaxInitializerSpec['kind'];
  switch (kind) {
    case 'varianceScaling':
    case 'glorotUniform':
    case 'glorotNormal':
    case 'lecunUniform':
    case 'lecunNormal':
    case 'heUniform':
    case 'heNormal': {
      const spec: JaxVarianceScalingSpec =
        kind === 'varianceScaling'
          ? (init as unknown as JaxVarianceScalingSpec)
          : (() => {
              const [scale, mode, distribution] = JAX_VARIANCE_SCALING_PRESETS[kind];
              return { ...(init as unknown as JaxFanAxes), kind: 'varianceScaling', scale, mode, distribution };
            })();
      const { dist, scale } = varianceScaling(spec, shape, dtype);
      // variance_scaling's uniform is uniform(key, shape, dtype, -1) with maxval 1.
      return sample(dist, scale, dist === 'truncatedNormal' ? { lower: -2, upper: 2 } : dist === 'uniform' ? { minval: -1 } : {});
    }
    case 'normal':
      return sample('normal', roundF64ToDType(checkFinite('init.stddev', init['stddev'] ?? 1e-2), dtype));
    case 'uniform':
      return sample('uniform', roundF64ToDType(checkFinite('init.scale', init['scale'] ?? 1e-2), dtype));
    case 'truncatedNormal':
      return sample('truncatedNormal', roundF64ToDType(checkFinite('init.stddev', init['stddev'] ?? 1e-2), dtype), {
        lower: (init['lower'] ?? -2) as number,
        upper: (init['upper'] ?? 2) as number,
      });
    case 'constant':
    case 'zeros':
    case 'ones': {
      const value = kind === 'zeros' ? 0 : kind === 'ones' ? 1 : roundF64ToDType(checkFinite('init.value', init['value']), dtype);
      return { kind: 'fill', dtype, count: resolveJaxSlice(checkJaxShape(shape).numel, slice).count, value };
    }
    default:
      throw new InvalidParameterError('init.kind', kind, JAX_INITIALIZER_KINDS.map((k) => `'${k}'`).join(', '));
  }
}
