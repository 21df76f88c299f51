// The SIMD CPU path's public face: the host executor (checkpoints with no GPU device), the SIMD generator on this
// thread and on a pool of workers. The root entry exports the host executor, the CPU entry (src/cpu.ts) the
// generators; the worker protocol, the QR engine and the window chunks are internal.

export type { SimdGenerator } from './generator.js';
export { createSimdGenerator } from './generator.js';
export type { ByteExecutor, HostExecutorOptions } from './host-executor.js';
export { createHostExecutor } from './host-executor.js';
export type { WorkerPoolOptions } from './worker-pool.js';
export { createWorkerPool } from './worker-pool.js';
