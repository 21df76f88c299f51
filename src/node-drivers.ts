// Where a Linux machine's Vulkan drivers are, for the Node entry (src/node.ts): the SwiftShader ICD manifest that
// Chromium packages ship, and whether the machine exposes a GPU device node at all. Node only; not exported.
import { existsSync } from 'node:fs';

/** Where Debian's, Ubuntu's and Google's Chromium packages put the SwiftShader Vulkan ICD manifest. */
export const SWIFTSHADER_ICD_CANDIDATES = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

export function findSwiftShaderIcd(explicit?: string): string | undefined {
  const candidates = [explicit, process.env['WEBGPU_WEIGHT_INIT_SWIFTSHADER_ICD'], ...SWIFTSHADER_ICD_CANDIDATES];
  return candidates.find((p): p is string => typeof p === 'string' && p.length > 0 && existsSync(p));
}

/** Device nodes through which a Linux process reaches a GPU: DRM render nodes, NVIDIA, AMD KFD, WSL's dxg. */
export const GPU_DEVICE_NODES = ['/dev/dri', '/dev/nvidiactl', '/dev/nvidia0', '/dev/kfd', '/dev/dxg'];

/** Whether this Linux machine exposes any GPU device node (elsewhere: true, nothing to look at). */
export function hasGpuDeviceNode(nodes: readonly string[] = GPU_DEVICE_NODES): boolean {
  return process.platform !== 'linux' || nodes.some((p) => existsSync(p));
}
