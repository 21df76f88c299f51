// Node entry: acquires WebGPU through the `webgpu` package (Google's Dawn), an optional peer dependency
// that only this entry loads. On Linux, when Dawn finds no adapter, it retries with the SwiftShader Vulkan
// driver that Chromium packages ship (found by ./node-drivers.ts), so the library also runs on machines without a
// GPU. What this entry exports is listed in test/public-names.json (test/public-names.test.ts says how to update it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsupportedError } from './errors.js';
import { type ContextOptions, createContext, type WeightInitContext } from './gpu/context.js';
import { findSwiftShaderIcd, hasGpuDeviceNode, SWIFTSHADER_ICD_CANDIDATES } from './node-drivers.js';

export * from './index.js';
export { CHECKPOINT_LOCK_FILE, openCheckpointFolder } from './output/node/checkpoint-folder.js';
export type { VerifyCheckpointOptions, VerifyCheckpointReport, VerifyFileReport, VerifyFileStatus } from './output/node/checkpoint-verify.js';
export { VERIFY_EXIT_CODES, verifyCheckpointFolder } from './output/node/checkpoint-verify.js';
export { openOnnxPackFolders } from './output/node/onnx-pack-folder.js';
export type { FileSink, FileSinkOptions } from './output/node/safetensors-file.js';
export { fileSink, readSafetensorsHeaderFromFile, readSafetensorsTensorBytes, writeSafetensorsFile } from './output/node/safetensors-file.js';

export interface NodeGPUOptions {
  /** Flags passed to the `webgpu` package's create(), e.g. ['backend=vulkan']. */
  dawnFlags?: string[];
  /**
   * When no adapter is found: 'auto' (default) retries with SwiftShader on Linux if its ICD is found,
   * 'never' gives up, 'always' uses SwiftShader from the start. On Linux, 'auto' goes straight to SwiftShader
   * when the machine has no GPU device node (see hasGpuDeviceNode): the system's Vulkan drivers could then
   * only offer a software rasterizer such as Mesa's lavapipe, which Dawn initializes (and, when it lacks
   * `shaderUniform*ArrayDynamicIndexing`, rejects with a warning on stderr) before falling back anyway.
   */
  swiftShader?: 'auto' | 'never' | 'always';
  /** ICD manifest path; default: $WEBGPU_WEIGHT_INIT_SWIFTSHADER_ICD, then the known locations. */
  swiftShaderIcd?: string;
}

export interface NodeGPU {
  readonly gpu: GPU;
  /** True when VK_ICD_FILENAMES was pointed at SwiftShader by this call. */
  readonly swiftShaderFallback: boolean;
  readonly icd?: string;
}

type DawnModule = { create: (flags: string[]) => GPU; globals?: Record<string, unknown> };

/** A Dawn instance, and whether it offered an adapter when first asked. */
interface DawnInstance {
  readonly gpu: GPU;
  readonly hasAdapter: Promise<boolean>;
}

/**
 * One Dawn instance per set of flags and Vulkan driver list, made on first use and kept for the life of the process,
 * shared by every context made from it. Kept: Dawn for Node tears an instance down when its GPU object is garbage
 * collected, which crashes work still running on it. Shared: a new instance per context cost about 2 MB that was
 * never given back (250 contexts made and destroyed grew the process by 500 MB); an instance hands out any number
 * of adapters and devices. The drivers are part of the key because the Vulkan loader reads VK_ICD_FILENAMES /
 * VK_DRIVER_FILES when the instance is created.
 */
const instances = new Map<string, DawnInstance>();

function dawnInstance(dawn: DawnModule, flags: readonly string[]): DawnInstance {
  const key = JSON.stringify([flags, process.env['VK_ICD_FILENAMES'] ?? null, process.env['VK_DRIVER_FILES'] ?? null]);
  let instance = instances.get(key);
  if (!instance) {
    const gpu = dawn.create([...flags]);
    // Dawn starts its Vulkan instance, and the drivers look for a window system, on the first adapter request.
    const hasAdapter = withPrivateRuntimeDir(() => gpu.requestAdapter()).then(
      (a) => a !== null,
      () => false,
    );
    instance = { gpu, hasAdapter };
    instances.set(key, instance);
  }
  return instance;
}

/** @internal The Dawn instances this process made (tests count them). */
export function dawnInstanceCount(): number {
  return instances.size;
}

/** The private XDG_RUNTIME_DIR while first adapter requests run, and how many of them run (they may overlap). */
let runtimeDir: { readonly path: string; users: number } | undefined;

/**
 * Runs `work` (the first adapter request of a Dawn instance) with XDG_RUNTIME_DIR set to a new, empty, private
 * folder when the environment has none (a container, cron, ssh without a session), then unsets it and removes the
 * folder once no such request runs. SwiftShader's and Mesa's window-system code looks for a Wayland socket there
 * while Dawn starts its Vulkan instance, and without the variable prints "error: XDG_RUNTIME_DIR is invalid or not
 * set in the environment." on stderr, twice per instance; in an empty folder it finds no socket and says nothing.
 * WebGPU compute needs no window system. The variable is process-wide while `work` runs (a few milliseconds, once
 * per instance).
 */
async function withPrivateRuntimeDir<T>(work: () => Promise<T>): Promise<T> {
  if (!runtimeDir) {
    if (process.platform !== 'linux' || process.env['XDG_RUNTIME_DIR']) return work();
    try {
      runtimeDir = { path: mkdtempSync(join(tmpdir(), 'webgpu-weight-init-xdg-')), users: 0 };
    } catch {
      return work();
    }
    process.env['XDG_RUNTIME_DIR'] = runtimeDir.path;
  }
  const dir = runtimeDir;
  dir.users++;
  try {
    return await work();
  } finally {
    if (--dir.users === 0) {
      runtimeDir = undefined;
      if (process.env['XDG_RUNTIME_DIR'] === dir.path) delete process.env['XDG_RUNTIME_DIR'];
      rmSync(dir.path, { recursive: true, force: true });
    }
  }
}

async function loadDawn(): Promise<DawnModule> {
  try {
    const specifier = 'webgpu';
    return (await import(/* @vite-ignore */ specifier)) as DawnModule;
  } catch (e) {
    throw new UnsupportedError(`the optional peer dependency 'webgpu' (Dawn for Node) could not be loaded: ${String(e)}; install it with 'npm install webgpu'`);
  }
}

/**
 * A GPU object (the navigator.gpu of Node) that has an adapter, falling back to SwiftShader as
 * described in NodeGPUOptions.
 */
export async function requestNodeGPU(options: NodeGPUOptions = {}): Promise<NodeGPU> {
  const dawn = await loadDawn();
  const flags = options.dawnFlags ?? [];
  const mode = options.swiftShader ?? 'auto';
  // A driver list chosen by the caller (VK_ICD_FILENAMES / VK_DRIVER_FILES) is always tried first.
  const chosenDrivers = Boolean(process.env['VK_ICD_FILENAMES'] || process.env['VK_DRIVER_FILES']);
  const probeSystem = mode === 'never' || (mode === 'auto' && (chosenDrivers || hasGpuDeviceNode() || !findSwiftShaderIcd(options.swiftShaderIcd)));
  if (probeSystem) {
    const { gpu, hasAdapter } = dawnInstance(dawn, flags);
    if (await hasAdapter) return { gpu, swiftShaderFallback: false };
    if (mode === 'never' || process.platform !== 'linux') {
      throw new UnsupportedError('Dawn found no WebGPU adapter on this machine');
    }
  }
  const icd = findSwiftShaderIcd(options.swiftShaderIcd);
  if (!icd) {
    throw new UnsupportedError(
      `Dawn found no WebGPU adapter and no SwiftShader ICD was found (looked in ${SWIFTSHADER_ICD_CANDIDATES.join(', ')}); ` +
        "on Debian run 'apt-get install chromium libvulkan1', or set WEBGPU_WEIGHT_INIT_SWIFTSHADER_ICD",
    );
  }
  // The Vulkan loader reads VK_ICD_FILENAMES when Dawn creates its Vulkan instance, i.e. in create().
  process.env['VK_ICD_FILENAMES'] = icd;
  const { gpu, hasAdapter } = dawnInstance(dawn, flags);
  if (!(await hasAdapter)) {
    throw new UnsupportedError(`SwiftShader (${icd}) gave no adapter; is libvulkan1 installed?`);
  }
  return { gpu, swiftShaderFallback: true, icd };
}

/**
 * Makes Node look like a browser to WebGPU code written for one (TF.js's WebGPU backend, `createContext()`
 * with no options): sets `navigator.gpu` to a Dawn GPU object from requestNodeGPU (SwiftShader when there is
 * no GPU) and installs Dawn's WebGPU globals (`GPUBufferUsage`, `GPUMapMode`, `GPUBuffer`, ...) that are not
 * defined yet. Node 20 has no `navigator`, so one is created; an existing `navigator.gpu` is kept (and
 * returned). Changes globalThis for the whole process.
 */
export async function installNodeGPU(options: NodeGPUOptions = {}): Promise<GPU> {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (g.navigator?.gpu) return g.navigator.gpu;
  const { gpu } = await requestNodeGPU(options);
  const dawn = await loadDawn();
  for (const [name, value] of Object.entries(dawn.globals ?? {})) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  return gpu;
}

/** createContext for Node: a caller's device, or an adapter from Dawn (SwiftShader when there is no GPU). */
export async function createNodeContext(options: ContextOptions & NodeGPUOptions = {}): Promise<WeightInitContext> {
  if (options.device || options.gpu) return createContext(options);
  const node = await requestNodeGPU(options);
  return createContext({ ...options, gpu: node.gpu, swiftShaderFallback: node.swiftShaderFallback });
}
