// TypeScript before 6.0 has no WebGPU in its DOM lib: this entry's types bring @webgpu/types in (a
// devDependency of the project that uses the library). TypeScript 6.0 and newer resolve the package's
// "types" condition instead, whose DOM lib already declares WebGPU. See README, "TypeScript".
/// <reference types="@webgpu/types" />
export * from '../../dist/types/index.js';
