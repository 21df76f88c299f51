// GPU API (browser and Node). The CPU twin lives in 'webgpu-weight-init/cpu'; Node device acquisition in
// 'webgpu-weight-init/node'. What this entry exports is listed in test/public-names.json (test/public-names.test.ts
// says how to update the list when a change is deliberate).
export * from './gpu/index.js';
export { createHostExecutor } from './simd/index.js';
export type { ByteExecutor, HostExecutorOptions } from './simd/index.js';
export type { OrthogonalOptions } from './contract/orthogonal.js';
export { bits, uniform, normal, truncatedNormal } from './contract/distributions.js';
export type {
  Distribution,
  BitsDistribution,
  UniformDistribution,
  NormalDistribution,
  TruncatedNormalDistribution,
} from './contract/distributions.js';
export type { DType, FloatDType } from './contract/dtypes.js';
export { createJaxKey, wrapJaxKeyData, splitJaxKey, foldInJaxKey, JAX_IMPLS } from './contract/jax-key.js';
export type { JaxKey, JaxImpl } from './contract/jax-key.js';
export { planJaxRandom, scaleJaxPlan, JAX_ENTRY_POINTS } from './contract/jax-plan.js';
export type { JaxRandomRequest, JaxPlan, JaxParams, JaxDist, JaxEntryPoint } from './contract/jax-plan.js';
export type { StreamRange } from './contract/range.js';
export type { U64Input } from './contract/u64.js';
export * from './errors.js';
export * from './init/index.js';
export type { InitializeOptions } from './init/plan-initialize.js';
export * from './models/index.js';
export * from './output/index.js';
