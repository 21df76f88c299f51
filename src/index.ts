// GPU API (browser and Node). The CPU twin lives in 'webgpu-weight-init/cpu'; Node device acquisition in
// 'webgpu-weight-init/node'. What this entry exports is listed in test/public-names.json (test/public-names.test.ts
// says how to update the list when a change is deliberate).

export type {
  BitsDistribution,
  Distribution,
  NormalDistribution,
  TruncatedNormalDistribution,
  UniformDistribution,
} from './contract/distributions.js';
export { bits, normal, truncatedNormal, uniform } from './contract/distributions.js';
export type { DType, FloatDType } from './contract/dtypes.js';
export type { JaxImpl, JaxKey } from './contract/jax-key.js';
export { createJaxKey, foldInJaxKey, JAX_IMPLS, splitJaxKey, wrapJaxKeyData } from './contract/jax-key.js';
export type { JaxDist, JaxEntryPoint, JaxParams, JaxPlan, JaxRandomRequest } from './contract/jax-plan.js';
export { JAX_ENTRY_POINTS, planJaxRandom, scaleJaxPlan } from './contract/jax-plan.js';
export type { OrthogonalOptions } from './contract/orthogonal.js';
export type { StreamRange } from './contract/range.js';
export type { U64Input } from './contract/u64.js';
export * from './errors.js';
export * from './gpu/index.js';
export * from './init/index.js';
export type { InitializeOptions } from './init/plan-initialize.js';
export * from './models/index.js';
export * from './output/index.js';
export type { ByteExecutor, HostExecutorOptions } from './simd/index.js';
export { createHostExecutor } from './simd/index.js';
