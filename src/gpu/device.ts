import { UnsupportedError } from '../errors.js';

/** What the library reports about the adapter (or caller's device) it runs on. */
export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** True for software or otherwise reduced adapters such as SwiftShader. */
  readonly isFallbackAdapter: boolean;
  /** Where the device came from: 'caller' (a GPUDevice passed in) or 'adapter' (acquired here). */
  readonly source: 'caller' | 'adapter';
  /** Set by the Node entry when it had to point the Vulkan loader at SwiftShader. */
  readonly swiftShaderFallback?: boolean;
  readonly features: readonly string[];
  readonly limits: {
    readonly maxStorageBufferBindingSize: number;
    readonly maxBufferSize: number;
    readonly maxComputeWorkgroupsPerDimension: number;
    readonly maxComputeInvocationsPerWorkgroup: number;
    readonly minStorageBufferOffsetAlignment: number;
    readonly minUniformBufferOffsetAlignment: number;
  };
}

/** Limits the generator uses; requested at the adapter's maximum rather than the WebGPU defaults. */
export const NEEDED_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension'] as const;

export interface AcquiredDevice {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
}

export async function requestAdapterAndDevice(gpu: GPU, options: { powerPreference?: GPUPowerPreference; label?: string } = {}): Promise<AcquiredDevice> {
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  if (!adapter) {
    throw new UnsupportedError('no WebGPU adapter is available (navigator.gpu.requestAdapter() returned null)');
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of NEEDED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({
    label: options.label ?? 'webgpu-weight-init device',
    requiredLimits,
  });
  return { adapter, device };
}

export function infoOf(info: GPUAdapterInfo | undefined): Pick<AdapterSummary, 'vendor' | 'architecture' | 'device' | 'description' | 'isFallbackAdapter'> {
  const i = (info ?? {}) as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  return {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    isFallbackAdapter: Boolean(i.isFallbackAdapter),
  };
}

export function summarize(
  device: GPUDevice,
  adapter: GPUAdapter | undefined,
  extra: { source: 'caller' | 'adapter'; swiftShaderFallback?: boolean },
): AdapterSummary {
  // GPUDevice.adapterInfo is newer than GPUAdapter.info; use whichever exists.
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo ?? adapter?.info;
  const l = device.limits;
  return {
    ...infoOf(info),
    ...extra,
    features: [...device.features].sort(),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment,
      minUniformBufferOffsetAlignment: l.minUniformBufferOffsetAlignment,
    },
  };
}
