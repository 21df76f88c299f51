// The GPU executor's public face: a context on a device (its batches, its executor chosen once from the strategy),
// initialize on it, and the orthogonal matrix on it. The root entry (src/index.ts) exports this; everything else in
// src/gpu (dispatch planning, the kernel runner, the error-scope helper, the executors) is internal.

export type { Batch, ConvertOptions, FillOptions, ScatterOptions } from './batch.js';
export type { ContextOptions, GeneratedRange, GpuGenerateOptions, GpuJaxRandomOptions, ReadOptions, TargetOptions, WeightWriter } from './context.js';
export { createContext, isSoftwareAdapter, WeightInitContext } from './context.js';
export type { AdapterSummary } from './device.js';
export type { InitializedRange } from './initialize.js';
export { initialize, initializeJax } from './initialize.js';
export { computeOrthogonal } from './orthogonal.js';
