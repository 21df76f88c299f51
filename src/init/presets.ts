import { checkNonNegativeInteger, checkPositiveInteger } from '../contract/validate.js';
import { InvalidParameterError } from '../errors.js';
import { computeFans, type FanLayout, validateShape } from './fans.js';
import type { InitializerSpec, VarianceScalingSpec } from './resolve-initializer.js';

/**
 * A layer's default initialization in one framework: the weight and bias shapes that framework creates, how to
 * read the weight shape (pass `layout` to resolveInitializer for both), and the two specs.
 */
export interface LayerInit {
  readonly framework: 'torch' | 'keras' | 'flax' | 'tfjs';
  readonly layout: FanLayout;
  readonly weightShape: readonly number[];
  readonly biasShape: readonly number[];
  readonly weight: InitializerSpec;
  readonly bias: InitializerSpec;
}

// ---------------------------------------------------------------------------------------------------------------
// PyTorch. nn.Linear.reset_parameters (torch/nn/modules/linear.py) and _ConvNd.reset_parameters
// (torch/nn/modules/conv.py), pytorch/pytorch:
//   init.kaiming_uniform_(self.weight, a=math.sqrt(5))
//   fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
//   bound = 1 / math.sqrt(fan_in)   (Linear: `if fan_in > 0 else 0`; Conv: bias left untouched when fan_in == 0)
//   init.uniform_(self.bias, -bound, bound)
// kaiming_uniform_ with a = √5 and the default nonlinearity 'leaky_relu' gives gain √(2/6) and bound
// √3·gain/√fan_in = 1/√fan_in, the same bound as the bias.

/** PyTorch's default weight init for Linear and ConvNd: kaiming_uniform_(a = √5), i.e. U(±1/√fan_in). */
export function torchDefaultWeight(): InitializerSpec {
  return { kind: 'kaimingUniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' };
}

/**
 * PyTorch's default bias init for a layer whose weight has `weightShape` (torch layout): U(±1/√fan_in) with fan_in
 * from the weight. When fan_in is 0, zeros (nn.Linear's bound 0; nn.ConvNd leaves such a bias uninitialized).
 */
export function torchDefaultBias(weightShape: readonly number[]): InitializerSpec {
  const { fanIn } = computeFans(weightShape, 'torch', 'weightShape');
  if (fanIn === 0) return { kind: 'zeros' };
  const bound = 1 / Math.sqrt(fanIn);
  return { kind: 'uniform', low: -bound, high: bound };
}

/** `torch.nn.Linear(inFeatures, outFeatures)`: weight [out, in], bias [out]. */
export function torchLinear(inFeatures: number, outFeatures: number): LayerInit {
  const weightShape = validateShape([checkNonNegativeInteger('outFeatures', outFeatures), checkNonNegativeInteger('inFeatures', inFeatures)], 'weightShape');
  return {
    framework: 'torch',
    layout: 'torch',
    weightShape,
    biasShape: [weightShape[0]!],
    weight: torchDefaultWeight(),
    bias: torchDefaultBias(weightShape),
  };
}

export interface TorchConvOptions {
  /** Default 1; in and out channels must both be divisible by it (as PyTorch requires). */
  readonly groups?: number;
  /** ConvTransposeNd: weight [in, out/groups, ...kernel], so PyTorch's "fan_in" is out/groups·kernel. */
  readonly transposed?: boolean;
}

/**
 * `torch.nn.ConvNd(inChannels, outChannels, kernelSize, groups)` (N = kernelSize.length) or ConvTransposeNd:
 * weight [out, in/groups, ...kernel] (transposed: [in, out/groups, ...kernel]), bias [out].
 */
export function torchConv(inChannels: number, outChannels: number, kernelSize: readonly number[], options: TorchConvOptions = {}): LayerInit {
  const cin = checkNonNegativeInteger('inChannels', inChannels);
  const cout = checkNonNegativeInteger('outChannels', outChannels);
  const groups = checkPositiveInteger('options.groups', options.groups ?? 1);
  if (!Array.isArray(kernelSize) || kernelSize.length < 1 || kernelSize.length > 3) {
    throw new InvalidParameterError('kernelSize', kernelSize, 'an array of 1 to 3 kernel sizes');
  }
  const kernel = validateShape(kernelSize, 'kernelSize');
  if (cin % groups !== 0) throw new InvalidParameterError('inChannels', cin, `a multiple of groups (${groups})`);
  if (cout % groups !== 0) throw new InvalidParameterError('outChannels', cout, `a multiple of groups (${groups})`);
  const weightShape = validateShape(options.transposed === true ? [cin, cout / groups, ...kernel] : [cout, cin / groups, ...kernel], 'weightShape');
  return {
    framework: 'torch',
    layout: 'torch',
    weightShape,
    biasShape: [cout],
    weight: torchDefaultWeight(),
    bias: torchDefaultBias(weightShape),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Keras 3 `keras.layers.Dense` (keras/src/layers/core/dense.py): kernel (input_dim, units) with
// kernel_initializer="glorot_uniform", bias (units,) with bias_initializer="zeros".

export function kerasDense(inputDim: number, units: number): LayerInit {
  const weightShape = validateShape([checkNonNegativeInteger('inputDim', inputDim), checkNonNegativeInteger('units', units)], 'weightShape');
  return {
    framework: 'keras',
    layout: 'keras',
    weightShape,
    biasShape: [weightShape[1]!],
    weight: { kind: 'glorotUniform' },
    bias: { kind: 'zeros' },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Flax `flax.linen.Dense` (flax/linen/linear.py): default_kernel_init = initializers.lecun_normal(), i.e. JAX
// variance_scaling(1.0, "fan_in", "truncated_normal") with in_axis=-2, out_axis=-1 → std √(1/fan_in)/0.8796…,
// truncated at ±2 std units; kernel (in, features); bias_init = zeros_init().

export function flaxDense(inFeatures: number, features: number): LayerInit {
  const weightShape = validateShape([checkNonNegativeInteger('inFeatures', inFeatures), checkNonNegativeInteger('features', features)], 'weightShape');
  return {
    framework: 'flax',
    layout: { inAxis: -2, outAxis: -1 },
    weightShape,
    biasShape: [weightShape[1]!],
    weight: { kind: 'lecunNormal' },
    bias: { kind: 'zeros' },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// TF.js layers (tensorflow/tfjs tfjs-layers/src/initializers.ts). Its VarianceScaling.apply:
//   scale /= Math.max(1, fanIn | fanOut | (fanIn + fanOut) / 2)
//   distribution === 'normal' → truncatedNormal(shape, 0, Math.sqrt(scale))   (no 0.8796… correction)
//   otherwise                 → randomUniform(shape, -√(3·scale), √(3·scale))
// so 'truncatedNormal', although accepted by its validation list, takes the uniform branch. TF.js's
// truncatedNormal (tfjs-core) re-draws values more than 2 std from the mean. Fans use TF.js computeFans:
// resolve these specs with layout 'tfjs'.

export type TfjsFanMode = 'fanIn' | 'fanOut' | 'fanAvg';
export type TfjsDistribution = 'normal' | 'uniform' | 'truncatedNormal';

export interface TfjsVarianceScalingArgs {
  readonly scale?: number;
  readonly mode?: TfjsFanMode;
  readonly distribution?: TfjsDistribution;
}

const TFJS_MODES: Record<TfjsFanMode, 'fan_in' | 'fan_out' | 'fan_avg'> = {
  fanIn: 'fan_in',
  fanOut: 'fan_out',
  fanAvg: 'fan_avg',
};

/** `tf.initializers.varianceScaling(args)` with TF.js's defaults (scale 1, 'fanIn', 'normal') and quirks. */
export function tfjsVarianceScaling(args: TfjsVarianceScalingArgs = {}): VarianceScalingSpec {
  const mode = args.mode ?? 'fanIn';
  if (!Object.hasOwn(TFJS_MODES, mode)) {
    throw new InvalidParameterError('args.mode', mode, "one of 'fanIn', 'fanOut', 'fanAvg'");
  }
  const distribution = args.distribution ?? 'normal';
  if (distribution !== 'normal' && distribution !== 'uniform' && distribution !== 'truncatedNormal') {
    throw new InvalidParameterError('args.distribution', distribution, "one of 'normal', 'uniform', 'truncatedNormal'");
  }
  return {
    kind: 'varianceScaling',
    scale: args.scale ?? 1.0,
    mode: TFJS_MODES[mode],
    distribution: distribution === 'normal' ? 'truncated_normal' : 'uniform',
    truncationCorrection: false,
  };
}

export type TfjsInitializerName =
  | 'zeros'
  | 'ones'
  | 'glorotNormal'
  | 'glorotUniform'
  | 'heNormal'
  | 'heUniform'
  | 'leCunNormal'
  | 'leCunUniform'
  | 'randomNormal'
  | 'randomUniform'
  | 'truncatedNormal'
  | 'varianceScaling';

/**
 * A TF.js layers initializer identifier, with its default arguments (tfjs-layers/src/initializers.ts):
 * the Glorot/He/LeCun family are VarianceScaling (normal = truncated, uncorrected); randomNormal N(0, 0.05),
 * randomUniform U(-0.05, 0.05), truncatedNormal N(0, 0.05) truncated at ±2 std. Resolve with layout 'tfjs'.
 */
export function tfjsInitializer(name: TfjsInitializerName): InitializerSpec {
  switch (name) {
    case 'zeros':
    case 'ones':
      return { kind: name };
    case 'glorotNormal':
      return tfjsVarianceScaling({ scale: 1.0, mode: 'fanAvg', distribution: 'normal' });
    case 'glorotUniform':
      return tfjsVarianceScaling({ scale: 1.0, mode: 'fanAvg', distribution: 'uniform' });
    case 'heNormal':
      return tfjsVarianceScaling({ scale: 2.0, mode: 'fanIn', distribution: 'normal' });
    case 'heUniform':
      return tfjsVarianceScaling({ scale: 2.0, mode: 'fanIn', distribution: 'uniform' });
    case 'leCunNormal':
      return tfjsVarianceScaling({ scale: 1.0, mode: 'fanIn', distribution: 'normal' });
    case 'leCunUniform':
      return tfjsVarianceScaling({ scale: 1.0, mode: 'fanIn', distribution: 'uniform' });
    case 'randomNormal':
      return { kind: 'normal', mean: 0, std: 0.05 };
    case 'randomUniform':
      return { kind: 'uniform', low: -0.05, high: 0.05 };
    case 'truncatedNormal':
      return { kind: 'truncatedNormal', mean: 0, std: 0.05, a: -2, b: 2, bounds: 'std' };
    case 'varianceScaling':
      return tfjsVarianceScaling();
    default:
      throw new InvalidParameterError(
        'name',
        name,
        "a TF.js initializer identifier: 'zeros', 'ones', 'glorotNormal', 'glorotUniform', 'heNormal', 'heUniform', " +
          "'leCunNormal', 'leCunUniform', 'randomNormal', 'randomUniform', 'truncatedNormal', 'varianceScaling'",
      );
  }
}

/**
 * TF.js `tf.layers.dense({ units, inputDim })` (tfjs-layers/src/layers/core.ts): kernel [inputDim, units] with
 * DEFAULT_KERNEL_INITIALIZER 'glorotNormal' (truncated, uncorrected), bias [units] with 'zeros'.
 */
export function tfjsDense(inputDim: number, units: number): LayerInit {
  const weightShape = validateShape([checkNonNegativeInteger('inputDim', inputDim), checkNonNegativeInteger('units', units)], 'weightShape');
  return {
    framework: 'tfjs',
    layout: 'tfjs',
    weightShape,
    biasShape: [weightShape[1]!],
    weight: tfjsInitializer('glorotNormal'),
    bias: { kind: 'zeros' },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The four schemes of the article this project started from, with the published formulas (the article's own
// Xavier and He formulas differ from the papers; see docs/initializers.md).

/** "Random": N(0, 1), std 1. */
export function random(): InitializerSpec {
  return { kind: 'normal', mean: 0, std: 1 };
}

/** "Small random": N(0, 0.01²), i.e. 0.01 is the standard deviation (variance 1e-4). */
export function smallRandom(): InitializerSpec {
  return { kind: 'normal', mean: 0, std: 0.01 };
}

/** "Xavier", Glorot & Bengio 2010 eq. 16: U(±√(6/(fan_in + fan_out))), variance 2/(fan_in + fan_out). */
export function xavier(): InitializerSpec {
  return { kind: 'xavierUniform', gain: 1 };
}

/** "He", He et al. 2015: N(0, 2/fan_in), untruncated, std √2/√fan_in (kaiming_normal_ with ReLU gain). */
export function he(): InitializerSpec {
  return { kind: 'kaimingNormal', a: 0, mode: 'fan_in', nonlinearity: 'relu' };
}

export type SchemeName = 'random' | 'smallRandom' | 'xavier' | 'he';

/** The four schemes by name (for CLIs and model specs). */
export const SCHEMES: Readonly<Record<SchemeName, () => InitializerSpec>> = { random, smallRandom, xavier, he };
