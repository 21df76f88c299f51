// CPU twin: the same values as the GPU kernels, bit for bit, in plain TypeScript, and the SIMD CPU generator. What
// this entry exports is listed in test/public-names.json (test/public-names.test.ts says how to update the list).
export { initialize, initializePlanned, initializeJax, initializeJaxPlanned } from './twin/initialize.js';
export { planInitialize, sliceInitializePlan } from './init/plan-initialize.js';
export type { InitializePlan } from './init/plan-initialize.js';
export { orthogonalF32, orthogonalPlanned } from './twin/orthogonal.js';
export { planOrthogonal } from './contract/orthogonal.js';
export type { OrthogonalOptions, OrthogonalPlan } from './contract/orthogonal.js';
export {
  generate,
  generatePlanned,
  fillConstant,
  scatterConstant,
  convertF32,
  generateBits,
  generateUniform,
  generateNormal,
  generateTruncatedNormal,
  blockWords,
  generateJaxRandom,
  generateJaxPlanned,
} from './twin/generate.js';
export { createJaxKey, wrapJaxKeyData, splitJaxKey, foldInJaxKey, JAX_IMPLS } from './contract/jax-key.js';
export type { JaxKey, JaxImpl } from './contract/jax-key.js';
export { planJaxRandom, scaleJaxPlan, JAX_ENTRY_POINTS } from './contract/jax-plan.js';
export type { JaxRandomRequest, JaxPlan, JaxParams, JaxDist, JaxEntryPoint } from './contract/jax-plan.js';
export { threefry2x32_20, rotateLeft32, THREEFRY_PARITY } from './twin/threefry.js';
export { fmaF32, erfInvXla, log1pXla, logXla } from './twin/xla-math.js';
export { erfXla } from './contract/xla-f32.js';
export { planGenerate, slicePlan, splitPlan, resolveDType } from './contract/plan.js';
export type { GeneratePlan, GenerateRequest, GenerateEntryPoint, DistributionParams } from './contract/plan.js';
export type { CpuGenerateOptions, ArrayForDType, GeneratedArray } from './twin/generate.js';
export { createSimdGenerator, createWorkerPool } from './simd/index.js';
export type { SimdGenerator, WorkerPoolOptions } from './simd/index.js';
export { boxMuller, scaleShift, truncatedNormalFromWord } from './twin/normal.js';
export { f32ToF16Bits, f32ToBf16Bits, f16BitsToNumber, bf16BitsToNumber } from './twin/pack.js';
export { normalCdfF64 } from './contract/normal-cdf.js';
export { philox4x32_10, philoxBlock, philox4x32Round, mulhilo32, PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from './twin/philox.js';
export {
  uniformFromWord,
  openUniformFromWord,
  uniformRange,
  fenceF32,
  reciprocalF32,
  logF32,
  sqrtF32,
  sinCos2Pi,
  erfinvF32,
  normalQuantile,
  normalQuantileLowerTail,
  bitsToF32,
  f32ToBits,
} from './twin/transforms.js';
export { bits, uniform, normal, truncatedNormal, resolveDistribution } from './contract/distributions.js';
export { DTYPE_BYTES } from './contract/dtypes.js';
export type { ResolvedDistribution } from './contract/distributions.js';
export type {
  Distribution,
  BitsDistribution,
  UniformDistribution,
  NormalDistribution,
  TruncatedNormalDistribution,
} from './contract/distributions.js';
export type { DType } from './contract/dtypes.js';
export { resolveRange } from './contract/range.js';
export type { StreamRange, ResolvedRange } from './contract/range.js';
export { parseU64, splitU64 } from './contract/u64.js';
export type { U64Input } from './contract/u64.js';
export * from './errors.js';
export * from './init/index.js';
export type { InitializeOptions } from './init/plan-initialize.js';
export type { FloatDType } from './contract/dtypes.js';
export { resolveModel, parseModelSpec, modelTotals, fnv1a64, tensorStream, gpt2, llama, resnet18, fromSafetensorsHeader } from './models/index.js';
export type { ModelSpec, TensorSpec, ResolvedTensor, InitRule } from './models/index.js';
export { initShardCpu } from './output/shard.js';
export { initFlaxCpu } from './output/flax.js';
export { flaxParams, planFlaxInit, flaxFoldInData, flaxMlp, flaxTransformerBlock } from './models/flax.js';
export type { FlaxModel, FlaxLayer, FlaxParam, FlaxPlannedParam, FlaxInitOptions } from './models/flax.js';
export { shardLayout } from './models/shard-layout.js';
