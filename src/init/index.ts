// Initializers: fans, gains, initializer specs and their resolution to distributions, framework presets.

export type { FanAxes, FanLayout, Fans } from './fans.js';
export { computeFans, MAX_ELEMENTS, numel } from './fans.js';
export type { Nonlinearity } from './gain.js';
export { calculateGain, DEFAULT_LEAKY_RELU_SLOPE, NONLINEARITIES } from './gain.js';
export type {
  JaxAxes,
  JaxConstantSpec,
  JaxFanAxes,
  JaxInitializeOptions,
  JaxInitializePlan,
  JaxInitializerSpec,
  JaxNamedVarianceScalingSpec,
  JaxSamplerSpec,
  JaxVarianceScalingSpec,
} from './jax-initializers.js';
export { computeJaxFans, JAX_INITIALIZER_KINDS, JAX_VARIANCE_SCALING_PRESETS, planJaxInitializer } from './jax-initializers.js';
export type {
  LayerInit,
  SchemeName,
  TfjsDistribution,
  TfjsFanMode,
  TfjsInitializerName,
  TfjsVarianceScalingArgs,
  TorchConvOptions,
} from './presets.js';
export {
  flaxDense,
  he,
  kerasDense,
  random,
  SCHEMES,
  smallRandom,
  tfjsDense,
  tfjsInitializer,
  tfjsVarianceScaling,
  torchConv,
  torchDefaultBias,
  torchDefaultWeight,
  torchLinear,
  xavier,
} from './presets.js';
export type {
  ConstantSpec,
  DiracSpec,
  EyeSpec,
  FanMode,
  InitializerDistribution,
  InitializerKind,
  InitializerSpec,
  KaimingSpec,
  NamedVarianceScalingSpec,
  NormalSpec,
  OrthogonalSpec,
  ResolvedInitializer,
  TruncatedNormalSpec,
  UniformSpec,
  VarianceScalingDistribution,
  VarianceScalingSpec,
  XavierSpec,
} from './resolve-initializer.js';
export {
  FAN_MODES,
  INITIALIZER_KINDS,
  resolveInitializer,
  TRUNCATED_NORMAL_STD_2,
  truncatedNormalMoments,
  VARIANCE_SCALING_DISTRIBUTIONS,
} from './resolve-initializer.js';
