// CPU twin: the same values as the GPU kernels, bit for bit, in plain TypeScript, and the SIMD CPU generator. What
// this entry exports is listed in test/public-names.json (test/public-names.test.ts says how to update the list).

export type {
  BitsDistribution,
  Distribution,
  NormalDistribution,
  ResolvedDistribution,
  TruncatedNormalDistribution,
  UniformDistribution,
} from './contract/distributions.js';
export { bits, normal, resolveDistribution, truncatedNormal, uniform } from './contract/distributions.js';
export type { DType, FloatDType } from './contract/dtypes.js';
export { DTYPE_BYTES } from './contract/dtypes.js';
export type { JaxImpl, JaxKey } from './contract/jax-key.js';
export { createJaxKey, foldInJaxKey, JAX_IMPLS, splitJaxKey, wrapJaxKeyData } from './contract/jax-key.js';
export type { JaxDist, JaxEntryPoint, JaxParams, JaxPlan, JaxRandomRequest } from './contract/jax-plan.js';
export { JAX_ENTRY_POINTS, planJaxRandom, scaleJaxPlan } from './contract/jax-plan.js';
export { normalCdfF64 } from './contract/normal-cdf.js';
export type { OrthogonalOptions, OrthogonalPlan } from './contract/orthogonal.js';
export { planOrthogonal } from './contract/orthogonal.js';
export type { DistributionParams, GenerateEntryPoint, GeneratePlan, GenerateRequest } from './contract/plan.js';
export { planGenerate, resolveDType, slicePlan, splitPlan } from './contract/plan.js';
export type { ResolvedRange, StreamRange } from './contract/range.js';
export { resolveRange } from './contract/range.js';
export type { U64Input } from './contract/u64.js';
export { parseU64, splitU64 } from './contract/u64.js';
export { erfXla } from './contract/xla-f32.js';
export * from './errors.js';
export * from './init/index.js';
export type { InitializeOptions, InitializePlan } from './init/plan-initialize.js';
export { planInitialize, sliceInitializePlan } from './init/plan-initialize.js';
export type { FlaxInitOptions, FlaxLayer, FlaxModel, FlaxParam, FlaxPlannedParam } from './models/flax.js';
export { flaxFoldInData, flaxMlp, flaxParams, flaxTransformerBlock, planFlaxInit } from './models/flax.js';
export type { InitRule, ModelSpec, ResolvedTensor, TensorSpec } from './models/index.js';
export { fnv1a64, fromSafetensorsHeader, gpt2, llama, modelTotals, parseModelSpec, resnet18, resolveModel, tensorStream } from './models/index.js';
export { shardLayout } from './models/shard-layout.js';
export { initFlaxCpu } from './output/flax.js';
export { initShardCpu } from './output/shard.js';
export type { SimdGenerator, WorkerPoolOptions } from './simd/index.js';
export { createSimdGenerator, createWorkerPool } from './simd/index.js';
export type { ArrayForDType, CpuGenerateOptions, GeneratedArray } from './twin/generate.js';
export {
  blockWords,
  convertF32,
  fillConstant,
  generate,
  generateBits,
  generateJaxPlanned,
  generateJaxRandom,
  generateNormal,
  generatePlanned,
  generateTruncatedNormal,
  generateUniform,
  scatterConstant,
} from './twin/generate.js';
export { initialize, initializeJax, initializeJaxPlanned, initializePlanned } from './twin/initialize.js';
export { boxMuller, scaleShift, truncatedNormalFromWord } from './twin/normal.js';
export { orthogonalF32, orthogonalPlanned } from './twin/orthogonal.js';
export { bf16BitsToNumber, f16BitsToNumber, f32ToBf16Bits, f32ToF16Bits } from './twin/pack.js';
export { mulhilo32, PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1, philox4x32_10, philox4x32Round, philoxBlock } from './twin/philox.js';
export { rotateLeft32, THREEFRY_PARITY, threefry2x32_20 } from './twin/threefry.js';
export {
  bitsToF32,
  erfinvF32,
  f32ToBits,
  fenceF32,
  logF32,
  normalQuantile,
  normalQuantileLowerTail,
  openUniformFromWord,
  reciprocalF32,
  sinCos2Pi,
  sqrtF32,
  uniformFromWord,
  uniformRange,
} from './twin/transforms.js';
export { erfInvXla, fmaF32, log1pXla, logXla } from './twin/xla-math.js';
