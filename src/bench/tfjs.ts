// TF.js as a benchmark peer, on its WebGPU backend and on the bench's own GPUDevice (the same one the
// library uses). The modules are passed in (static imports in the page, dynamic imports in Node), so this
// file has no dependency on TF.js and the CLI bundle does not contain it.
//
// What is timed for TF.js: tf.randomUniform / randomNormal / truncatedNormal and tfjs-layers' initializers
// build the values on the CPU in JavaScript (tfjs-core's ops loop over a seedrandom generator; no backend has a
// kernel for them) and the WebGPU backend uploads them lazily, on first use. "Time to weights" is therefore
// the call plus a forced upload (backend.uploadToGPU, then the queue drained), i.e. until the values are in a
// GPUBuffer, which is where ours writes them directly.

/** The parts of a tfjs-core tensor the bench touches. */
export interface TfTensorLike {
  readonly dataId: object;
  dispose(): void;
  dataToGPU?(): { tensorRef: { dispose(): void } };
}

/** The parts of @tensorflow/tfjs-core the bench uses. */
export interface TfCoreModule {
  readonly version_core?: string;
  registerBackend(name: string, factory: () => unknown, priority?: number): boolean;
  findBackendFactory?(name: string): unknown;
  removeBackend?(name: string): void;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  backend(): unknown;
  randomUniform(shape: number[], minval?: number, maxval?: number, dtype?: 'float32', seed?: number): TfTensorLike;
  randomNormal(shape: number[], mean?: number, stdDev?: number, dtype?: 'float32', seed?: number): TfTensorLike;
  truncatedNormal(shape: number[], mean?: number, stdDev?: number, dtype?: 'float32', seed?: number): TfTensorLike;
  zeros(shape: number[]): TfTensorLike;
  ones(shape: number[]): TfTensorLike;
}

export interface TfWebGpuModule {
  readonly WebGPUBackend: new (device: GPUDevice, adapterInfo?: unknown) => unknown;
}

export interface TfLayersModule {
  readonly initializers: {
    glorotNormal(args: { seed?: number }): { apply(shape: number[], dtype?: 'float32'): TfTensorLike };
  };
}

export type TfPeerInit = 'uniform' | 'normal' | 'truncatedNormal' | 'glorotNormal';

export type TfModelTensor = { readonly shape: readonly number[]; readonly tf: { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' } };

export interface TfPeer {
  readonly version: string;
  /** The TF.js backend name the peer registered. */
  readonly backend: string;
  readonly layers: boolean;
  /** Creates the tensor and resolves once its values are in a GPUBuffer; dispose() frees it. */
  create(init: TfPeerInit, shape: number[], seed: number): Promise<{ dispose(): void }>;
  /** Every tensor of a model, each uploaded; resolves once all are in GPU buffers. */
  createModel(tensors: readonly TfModelTensor[], seed: number): Promise<{ dispose(): void }>;
}

interface WebGpuBackendInternals {
  uploadToGPU?(dataId: object): void;
  submitQueue?(): void;
  commandEncoder?: unknown;
}

const BACKEND = 'webgpu-weight-init-bench';

/**
 * Registers TF.js's WebGPU backend on `device` under its own name and makes it the current backend. In Node
 * the backend also needs navigator.gpu and the GPU* globals (GPUBufferUsage, GPUBuffer, ...): the caller
 * installs them (src/cli/bench.ts does, from the `webgpu` package).
 */
export async function createTfPeer(
  modules: { core: TfCoreModule; webgpu: TfWebGpuModule; layers?: TfLayersModule | undefined },
  device: GPUDevice,
  adapterInfo: unknown,
): Promise<TfPeer> {
  const { core, webgpu, layers } = modules;
  // A second run (the page) registers the backend again, on its new device.
  if (core.findBackendFactory?.(BACKEND) && core.removeBackend) core.removeBackend(BACKEND);
  core.registerBackend(BACKEND, () => new webgpu.WebGPUBackend(device, adapterInfo), 0);
  if (!(await core.setBackend(BACKEND))) throw new Error(`TF.js could not initialize its WebGPU backend on this device`);
  await core.ready();

  const resident = (t: TfTensorLike): (() => void) => {
    const backend = core.backend() as WebGpuBackendInternals;
    if (typeof backend.uploadToGPU === 'function') {
      backend.uploadToGPU(t.dataId);
      if (backend.commandEncoder && typeof backend.submitQueue === 'function') backend.submitQueue();
      return () => t.dispose();
    }
    // Public fallback (a copy on the GPU as well): dataToGPU uploads and hands out a buffer.
    const copy = t.dataToGPU?.();
    if (!copy) throw new Error('this TF.js version has neither backend.uploadToGPU nor tensor.dataToGPU');
    return () => {
      copy.tensorRef.dispose();
      t.dispose();
    };
  };

  const make = (init: TfPeerInit, shape: number[], seed: number): TfTensorLike => {
    switch (init) {
      case 'uniform':
        return core.randomUniform(shape, 0, 1, 'float32', seed);
      case 'normal':
        return core.randomNormal(shape, 0, 1, 'float32', seed);
      case 'truncatedNormal':
        return core.truncatedNormal(shape, 0, 1, 'float32', seed);
      case 'glorotNormal':
        if (!layers) throw new Error('@tensorflow/tfjs-layers is not available');
        return layers.initializers.glorotNormal({ seed }).apply(shape, 'float32');
    }
  };

  return {
    version: core.version_core ?? 'unknown',
    backend: BACKEND,
    layers: layers !== undefined,
    async create(init, shape, seed) {
      const free = resident(make(init, shape, seed));
      await device.queue.onSubmittedWorkDone();
      return { dispose: free };
    },
    async createModel(tensors, seed) {
      const frees: (() => void)[] = [];
      try {
        tensors.forEach((t, i) => {
          const shape = [...t.shape];
          const tensor =
            t.tf.kind === 'normal' ? core.randomNormal(shape, 0, t.tf.std, 'float32', seed + i) : t.tf.kind === 'zeros' ? core.zeros(shape) : core.ones(shape);
          frees.push(resident(tensor));
        });
        await device.queue.onSubmittedWorkDone();
      } catch (e) {
        for (const f of frees) f();
        throw e;
      }
      return {
        dispose: () => {
          for (const f of frees) f();
        },
      };
    },
  };
}
