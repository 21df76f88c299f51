// WebGPU flag values from the WebGPU specification (GPUBufferUsage, GPUShaderStage, GPUMapMode).
// Kept here so the library works where the GPU* globals are not installed (Node with the `webgpu`
// package), without writing to globalThis.
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const ShaderStage = { COMPUTE: 0x4 } as const;

export const MapMode = { READ: 0x0001 } as const;
