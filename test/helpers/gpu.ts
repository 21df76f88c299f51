// GPU test helpers: one context per test file, and an error scope around every test that also destroys
// what the test created.
import { afterAll, beforeAll, expect } from 'vitest';
import { type ContextOptions, createContext, type WeightInitContext } from '../../src/gpu/context.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { createNodeContext } from '../../src/node.js';

/**
 * A Node context that runs the WGSL kernels (strategy 'kernel') unless told otherwise: on SwiftShader the
 * default ('auto') would generate with the SIMD workers and upload, and these tests are about the kernels.
 * test/gpu/host-path.test.ts covers the 'upload' strategy and 'auto'.
 */
export async function nodeContext(options: ContextOptions = {}): Promise<WeightInitContext> {
  return createNodeContext({ strategy: 'kernel', ...options });
}

export interface Scope {
  /** Registers a GPU object to destroy when the test ends. */
  track<T extends { destroy(): void }>(o: T): T;
  /** A STORAGE | COPY_SRC | COPY_DST buffer, destroyed when the test ends. */
  buffer(size: number, label?: string): GPUBuffer;
}

/**
 * Runs `body` inside validation and out-of-memory error scopes, destroys everything it tracked, and fails
 * the test if WebGPU reported any error.
 */
export async function inErrorScope(ctx: WeightInitContext, body: (scope: Scope) => Promise<void>): Promise<void> {
  const { device } = ctx;
  const created: { destroy(): void }[] = [];
  const scope: Scope = {
    track(o) {
      created.push(o);
      return o;
    },
    buffer(size, label = 'test buffer') {
      return scope.track(device.createBuffer({ label, size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST }));
    },
  };
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  try {
    await body(scope);
  } finally {
    for (const o of created) o.destroy();
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    expect(validation?.message ?? null, 'WebGPU validation error').toBeNull();
    expect(oom?.message ?? null, 'WebGPU out-of-memory error').toBeNull();
  }
}

/** Fills a buffer with a repeating canary word so that stray writes show. */
export function fillCanary(device: GPUDevice, buffer: GPUBuffer, word = 0xdeadbeef): void {
  const data = new Uint32Array(buffer.size / 4).fill(word);
  device.queue.writeBuffer(buffer, 0, data);
}

/** Index of the first difference between two arrays compared by their bits, or -1. */
export function firstBitDifference(a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; length: number }, b: typeof a): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/**
 * A 'kernel' context and an 'upload' context on its device, made before the calling file's tests and destroyed after
 * them (read them inside the tests).
 */
export function strategyContexts(): { readonly kernel: WeightInitContext; readonly upload: WeightInitContext } {
  const contexts: { kernel?: WeightInitContext; upload?: WeightInitContext } = {};
  beforeAll(async () => {
    contexts.kernel = await nodeContext({ strategy: 'kernel' });
    contexts.upload = await createContext({ device: contexts.kernel.device, strategy: 'upload' });
  });
  afterAll(() => {
    contexts.upload?.destroy();
    contexts.kernel?.destroy();
  });
  return {
    get kernel() {
      return contexts.kernel!;
    },
    get upload() {
      return contexts.upload!;
    },
  };
}

/** Watches createBuffer/destroy on the device: the buffers created and not destroyed yet. */
export function trackBuffers(device: GPUDevice): { live: Set<GPUBuffer>; restore(): void } {
  const original = device.createBuffer;
  const live = new Set<GPUBuffer>();
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = original.call(device, descriptor);
    live.add(buffer);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  const restore = () => {
    device.createBuffer = original;
  };
  return { live, restore };
}
