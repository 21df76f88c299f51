// The executor interface: how plans become values, chosen once by the context from its strategy
// (src/gpu/context.ts). Two halves, both on one object:
// - into GPU buffers (PlanExecutor, src/gpu/batch.ts): `write` (initialize plans and slices of them, into a caller's
//   batch), `generate` (a generation plan), `generateJax` (a JAX plan), `orthogonal` (an orthogonal matrix);
// - into host bytes (ByteExecutor, src/simd/host-executor.ts): `windows(n).bytes(slices)`, what every output format
//   writes (safetensors files of a checkpoint folder; later ONNX data and checkpoint parts).
// Implementations: KernelExecutor (src/gpu/kernel-executor.ts: the WGSL kernels; host bytes by readback),
// UploadExecutor (src/gpu/upload.ts: the SIMD CPU path and writeBuffer; host bytes made on the host), and, with no
// device at all, HostExecutor (src/simd/host-executor.ts: host bytes only). This file also holds what the two device
// executors share: `write`, the one walk of an initialize plan's kinds.

import { roundDown4 } from '../contract/align.js';
import type { JaxPlan } from '../contract/jax-plan.js';
import type { OrthogonalPlan } from '../contract/orthogonal.js';
import type { GeneratePlan } from '../contract/plan.js';
import type { Strategy } from '../contract/strategy.js';
import { AbortedError } from '../errors.js';
import type { InitializePlan } from '../init/plan-initialize.js';
import type { ByteExecutor, WindowBytes } from '../simd/host-executor.js';
import type { Batch, PlanExecutor, PlanSlice, WritePlansOptions } from './batch.js';
import type { DeviceHandle } from './device-handle.js';
import type { DispatchLimits } from './dispatch-plan.js';
import type { KernelRunner } from './kernel.js';
import { checkOrthogonalFits } from './orthogonal.js';
import { checkTarget, type GeneratedRange, type InitializedRange, type Target, type TargetOptions } from './target.js';

export type { ByteExecutor, WindowBytes } from '../simd/host-executor.js';
export type { PlanExecutor, PlanSlice, WritePlansOptions } from './batch.js';

/** A context's executor: plans into GPU buffers (PlanExecutor) and into host bytes (ByteExecutor). */
export interface Executor extends PlanExecutor, ByteExecutor {
  readonly kind: Strategy;
}

/** What a device executor is built on: the context's device, limits and generate.wgsl runner, and its batches. */
export interface DeviceParts {
  readonly handle: DeviceHandle;
  readonly limits: DispatchLimits;
  readonly runner: KernelRunner;
  /** Runs `body` in a new batch of the context (a window session makes each window in one). */
  batch<T>(body: (batch: Batch) => Promise<T>): Promise<T>;
}

/**
 * Orthogonal matrices in GPU buffers, computed once per plan while some slice uses them. A write call keeps each for
 * the call; a window session also keeps the latest one for the next windows (the slices of one tensor come in a
 * row), and destroys a matrix once it is neither the latest nor in use.
 */
export class OrthogonalCache {
  private readonly entries = new Map<OrthogonalPlan, { readonly q: Promise<GPUBuffer>; users: number }>();
  private latest: OrthogonalPlan | undefined;
  private closed = false;

  /** The matrix of `plan` (made by `make` unless another slice made it), held until release(plan). */
  async acquire(plan: OrthogonalPlan, make: () => Promise<GPUBuffer>): Promise<GPUBuffer> {
    let entry = this.entries.get(plan);
    if (!entry) {
      const made = { q: make(), users: 0 };
      entry = made;
      this.entries.set(plan, made);
      this.latest = plan;
      made.q.catch(() => {
        if (this.entries.get(plan) === made) this.entries.delete(plan);
      });
      this.sweep();
    }
    entry.users++;
    try {
      return await entry.q;
    } catch (e) {
      entry.users--;
      throw e;
    }
  }

  release(plan: OrthogonalPlan): void {
    const entry = this.entries.get(plan);
    if (!entry) return;
    entry.users--;
    this.sweep();
  }

  /** Destroys every matrix no slice uses (and the others once released). */
  close(): void {
    this.closed = true;
    this.sweep();
  }

  private sweep(): void {
    for (const [plan, entry] of this.entries) {
      if (entry.users > 0 || (!this.closed && plan === this.latest)) continue;
      this.entries.delete(plan);
      entry.q.then(
        (b) => b.destroy(),
        () => undefined,
      );
    }
  }
}

/** The device executors' common part: `write`, the walk of an initialize plan's kinds into batch calls. */
export abstract class DeviceExecutor implements Executor {
  abstract readonly kind: Strategy;
  protected readonly parts: DeviceParts;

  constructor(parts: DeviceParts) {
    this.parts = parts;
  }

  get maxWindowBytes(): number {
    return roundDown4(this.parts.handle.device.limits.maxBufferSize);
  }

  abstract generate(batch: Batch, plan: GeneratePlan, target: Target): Promise<GeneratedRange>;
  abstract generateJax(batch: Batch, plan: JaxPlan, target: Target): Promise<GeneratedRange>;
  abstract orthogonal(batch: Batch, plan: OrthogonalPlan, signal?: AbortSignal): Promise<GPUBuffer>;
  abstract windows(windowBytes: number): WindowBytes;
  abstract close(): void;

  async write(batch: Batch, slices: readonly PlanSlice[], options: WritePlansOptions = {}): Promise<InitializedRange[]> {
    const cache = new OrthogonalCache();
    try {
      return await this.writeSlices(batch, slices, cache, options.signal);
    } finally {
      cache.close();
    }
  }

  /** `write` with the orthogonal matrices taken from (and kept in) `cache`. */
  async writeSlices(batch: Batch, slices: readonly PlanSlice[], cache: OrthogonalCache, signal: AbortSignal | undefined): Promise<InitializedRange[]> {
    const results: InitializedRange[] = [];
    const held: OrthogonalPlan[] = [];
    try {
      for (const { plan, target } of slices) {
        if (signal?.aborted) throw new AbortedError(signal.reason);
        results.push(await this.writeSlice(batch, plan, target, cache, held, signal));
      }
      // The copies out of a matrix reach the queue while it still exists.
      if (held.length > 0) await batch.flush();
      return results;
    } finally {
      for (const plan of held) cache.release(plan);
    }
  }

  private async writeSlice(
    batch: Batch,
    plan: InitializePlan,
    target: TargetOptions,
    cache: OrthogonalCache,
    held: OrthogonalPlan[],
    signal: AbortSignal | undefined,
  ): Promise<InitializedRange> {
    const { resolved: r, start, count, dtype } = plan;
    switch (r.kind) {
      case 'distribution':
        return { ...(await batch.generatePlanned(plan.generate!, target)), resolved: r };
      case 'constant':
        return { ...(await batch.fillConstant({ ...target, count, dtype, value: r.value })), resolved: r };
      case 'eye':
      case 'dirac': {
        const value = r.kind === 'eye' ? r.value : 1;
        const filled = await batch.fillConstant({ ...target, count, dtype, value: 0 });
        for (const p of plan.ones) {
          await batch.scatterConstant({ buffer: filled.buffer, offset: filled.offset, count, dtype, value, ...p });
        }
        return { ...filled, resolved: r };
      }
      case 'orthogonal': {
        const o = plan.orthogonal!;
        // Whatever can fail is checked or allocated before the QR: the target, the matrix's binding, the buffer.
        const checked = checkTarget(target, count, dtype, 'orthogonal', this.parts.handle.device.limits.maxBufferSize);
        checkOrthogonalFits(o, this.parts.handle.device.limits);
        const buffer = await batch.createBuffer(checked);
        const q = await cache.acquire(o, () => this.orthogonal(batch, o, signal));
        held.push(o);
        const out = await batch.convertF32({ buffer, offset: checked.offset, source: q, sourceOffset: 4 * start, count, dtype, scale: r.gain });
        return { ...out, resolved: r };
      }
    }
  }
}
