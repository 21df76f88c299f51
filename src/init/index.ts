// Initializers: fans, gains, initializer specs and their resolution to distributions, framework presets.
export { computeFans, numel, MAX_ELEMENTS } from './fans.js';
export type { FanLayout, FanAxes, Fans } from './fans.js';
export { calculateGain, NONLINEARITIES, DEFAULT_LEAKY_RELU_SLOPE } from './gain.js';
export type { Nonlinearity } from './gain.js';
export {
  resolveInitializer,
  truncatedNormalMoments,
  TRUNCATED_NORMAL_STD_2,
  FAN_MODES,
  VARIANCE_SCALING_DISTRIBUTIONS,
  INITIALIZER_KINDS,
} from './resolve-initializer.js';
export type {
  InitializerSpec,
  InitializerKind,
  ResolvedInitializer,
  InitializerDistribution,
  FanMode,
  VarianceScalingDistribution,
  ConstantSpec,
  UniformSpec,
  NormalSpec,
  TruncatedNormalSpec,
  VarianceScalingSpec,
  XavierSpec,
  KaimingSpec,
  NamedVarianceScalingSpec,
  EyeSpec,
  DiracSpec,
  OrthogonalSpec,
} from './resolve-initializer.js';
export {
  torchDefaultWeight,
  torchDefaultBias,
  torchLinear,
  torchConv,
  kerasDense,
  flaxDense,
  tfjsVarianceScaling,
  tfjsInitializer,
  tfjsDense,
  random,
  smallRandom,
  xavier,
  he,
  SCHEMES,
} from './presets.js';
export type {
  LayerInit,
  TorchConvOptions,
  TfjsFanMode,
  TfjsDistribution,
  TfjsVarianceScalingArgs,
  TfjsInitializerName,
  SchemeName,
} from './presets.js';
export { planJaxInitializer, computeJaxFans, JAX_VARIANCE_SCALING_PRESETS, JAX_INITIALIZER_KINDS } from './jax-initializers.js';
export type {
  JaxInitializerSpec,
  JaxVarianceScalingSpec,
  JaxNamedVarianceScalingSpec,
  JaxSamplerSpec,
  JaxConstantSpec,
  JaxFanAxes,
  JaxAxes,
  JaxInitializeOptions,
  JaxInitializePlan,
} from './jax-initializers.js';
