// CPU twin: the same values as the GPU kernels, bit for bit, in plain TypeScript.
export { generate, generateBits, generateUniform, blockWords } from './rng/generate.js';
export type { CpuGenerateOptions, ArrayFor } from './rng/generate.js';
export { philox4x32_10, philox4x32Round, mulhilo32, PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from './rng/philox.js';
export { uniformFromWord, uniformRange, fenceF32, bitsToF32, f32ToBits } from './rng/transforms.js';
export { bits, uniform, resolveDistribution } from './rng/distributions.js';
export type { Distribution, BitsDistribution, UniformDistribution, ElementType } from './rng/distributions.js';
export { resolveRange } from './rng/range.js';
export type { StreamRange, ResolvedRange } from './rng/range.js';
export { parseU64, splitU64 } from './rng/u64.js';
export type { U64Input } from './rng/u64.js';
export {
  WeightInitError,
  InvalidParameterError,
  BufferTooSmallError,
  BufferUsageError,
  MisalignedError,
  DeviceLostError,
  UnsupportedError,
  GPUValidationError,
} from './errors.js';
export type { ErrorCode } from './errors.js';
