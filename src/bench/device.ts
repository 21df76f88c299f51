// The benchmark's own device: the library's limits (the adapter's maxima of maxBufferSize,
// maxStorageBufferBindingSize, maxComputeWorkgroupsPerDimension) plus 'timestamp-query' where the adapter
// has it. The library's createContext does not request features; the bench passes this device to
// createContext({ device }). Works with navigator.gpu and with Dawn's GPU object alike.
import { NEEDED_LIMITS } from '../gpu/device.js';

export interface BenchDevice {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  /** True when 'timestamp-query' was granted. */
  readonly timestamps: boolean;
}

export async function requestBenchDevice(gpu: GPU, options: { powerPreference?: GPUPowerPreference; timestamps?: boolean } = {}): Promise<BenchDevice> {
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  if (!adapter) throw new Error('no WebGPU adapter (requestAdapter() returned null)');
  const requiredLimits: Record<string, number> = {};
  for (const name of NEEDED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const wantTimestamps = (options.timestamps ?? true) && adapter.features.has('timestamp-query');
  const requiredFeatures: GPUFeatureName[] = wantTimestamps ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ label: 'webgpu-weight-init bench device', requiredLimits, requiredFeatures });
  return { adapter, device, timestamps: device.features.has('timestamp-query') };
}

/** Names of the WebGPU limits, for a JSON copy of GPUSupportedLimits (whose fields are prototype getters). */
const LIMIT_NAMES = [
  'maxTextureDimension1D',
  'maxTextureDimension2D',
  'maxTextureDimension3D',
  'maxTextureArrayLayers',
  'maxBindGroups',
  'maxBindGroupsPlusVertexBuffers',
  'maxBindingsPerBindGroup',
  'maxDynamicUniformBuffersPerPipelineLayout',
  'maxDynamicStorageBuffersPerPipelineLayout',
  'maxSampledTexturesPerShaderStage',
  'maxSamplersPerShaderStage',
  'maxStorageBuffersPerShaderStage',
  'maxStorageTexturesPerShaderStage',
  'maxUniformBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxStorageBufferBindingSize',
  'minUniformBufferOffsetAlignment',
  'minStorageBufferOffsetAlignment',
  'maxVertexBuffers',
  'maxBufferSize',
  'maxVertexAttributes',
  'maxVertexBufferArrayStride',
  'maxInterStageShaderVariables',
  'maxColorAttachments',
  'maxColorAttachmentBytesPerSample',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
];

/** Every limit of `limits` as a plain object (the known names, plus whatever else is enumerable). */
export function limitsObject(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  const record = limits as unknown as Record<string, unknown>;
  const names = new Set(LIMIT_NAMES);
  for (const name in limits) names.add(name);
  for (const name of [...names].sort()) {
    const v = record[name];
    if (typeof v === 'number') out[name] = v;
  }
  return out;
}

/** The adapter's identity as plain data (GPUAdapterInfo's fields are prototype getters, lost by JSON). */
export function adapterInfoObject(
  device: GPUDevice,
  adapter?: GPUAdapter,
): {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
} {
  const info = ((device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo ?? adapter?.info ?? {}) as Partial<GPUAdapterInfo> & {
    isFallbackAdapter?: boolean;
  };
  const legacyFallback = (adapter as (GPUAdapter & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? legacyFallback),
  };
}
