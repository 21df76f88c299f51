// GPU API (browser and Node). The CPU twin lives in 'webgpu-weight-init/cpu'; Node device acquisition in
// 'webgpu-weight-init/node'.
export { createContext, isSoftwareAdapter, WeightInitContext } from './gpu/context.js';
export { initialize, initializeJax } from './gpu/initialize.js';
export { computeOrthogonal } from './gpu/orthogonal.js';
export type { InitializedRange } from './gpu/initialize.js';
export type { Executor, ByteExecutor, WindowBytes, PlanExecutor, PlanSlice, WritePlansOptions } from './gpu/executor.js';
export { createHostExecutor, HostExecutor } from './simd/host-executor.js';
export type { HostExecutorOptions } from './simd/host-executor.js';
export type { OrthogonalOptions, OrthogonalPlan } from './contract/orthogonal.js';
export type { ContextOptions, GpuGenerateOptions, GpuJaxRandomOptions, GeneratedRange, ReadOptions, TargetOptions, WeightWriter } from './gpu/context.js';
export type { Batch, FillOptions, ScatterOptions, ConvertOptions } from './gpu/batch.js';
export type { AdapterSummary } from './gpu/device.js';
export { planDispatches } from './gpu/dispatch-plan.js';
export type { DispatchChunk, DispatchLimits } from './gpu/dispatch-plan.js';
export { bits, uniform, normal, truncatedNormal } from './contract/distributions.js';
export type {
  Distribution,
  BitsDistribution,
  UniformDistribution,
  NormalDistribution,
  TruncatedNormalDistribution,
} from './contract/distributions.js';
export type { DType } from './contract/dtypes.js';
export { createJaxKey, wrapJaxKeyData, splitJaxKey, foldInJaxKey, JAX_IMPLS } from './contract/jax-key.js';
export type { JaxKey, JaxImpl } from './contract/jax-key.js';
export { planJaxRandom, scaleJaxPlan, JAX_ENTRY_POINTS } from './contract/jax-plan.js';
export type { JaxRandomRequest, JaxPlan, JaxParams, JaxDist, JaxEntryPoint } from './contract/jax-plan.js';
export type { StreamRange } from './contract/range.js';
export type { U64Input } from './contract/u64.js';
export * from './errors.js';
export * from './init/index.js';
export type { InitializeOptions, FloatDType } from './init/plan-initialize.js';
export * from './models/index.js';
export * from './output/index.js';
