// The 'kernel' executor: the WGSL kernels write every value (generate.wgsl through the batch's runner, the QR through
// orthogonal.wgsl); host bytes come back through two GPU work buffers and two staging buffers per session.

import { roundUp4 } from '../contract/align.js';
import { DTYPE_BYTES } from '../contract/dtypes.js';
import type { JaxPlan } from '../contract/jax-plan.js';
import type { OrthogonalPlan } from '../contract/orthogonal.js';
import type { GeneratePlan } from '../contract/plan.js';
import type { InitializePlan } from '../init/plan-initialize.js';
import { checkWindowBytes, type WindowBytes } from '../simd/host-executor.js';
import { WindowChunks } from '../simd/window-chunks.js';
import type { Batch } from './batch.js';
import { DeviceExecutor, type DeviceParts, OrthogonalCache } from './executor.js';
import { BufferUsage } from './flags.js';
import { generateCall, jaxCall } from './generate-kernels.js';
import { checkOrthogonalFits, OrthogonalKernels } from './orthogonal.js';
import { Readback } from './readback.js';
import { type GeneratedRange, rangeOf, type Target } from './target.js';

const LABEL = 'webgpu-weight-init';

export class KernelExecutor extends DeviceExecutor {
  readonly kind = 'kernel' as const;
  private readonly qr: OrthogonalKernels;

  constructor(parts: DeviceParts) {
    super(parts);
    this.qr = new OrthogonalKernels(parts.handle, parts.limits);
  }

  async generate(batch: Batch, plan: GeneratePlan, target: Target): Promise<GeneratedRange> {
    const buffer = await batch.createBuffer(target);
    const call = generateCall(plan, buffer, target.offset, this.parts.limits);
    await batch.recordKernel(call, `${plan.entryPoint} ${plan.dtype}`);
    return rangeOf(buffer, target, call.dispatches.length, 'kernel');
  }

  async generateJax(batch: Batch, plan: JaxPlan, target: Target): Promise<GeneratedRange> {
    const buffer = await batch.createBuffer(target);
    const call = jaxCall(plan, buffer, target.offset, this.parts.limits);
    await batch.recordKernel(call, `${plan.entryPoint} ${plan.impl} ${plan.dtype}`);
    return rangeOf(buffer, target, call.dispatches.length, 'kernel');
  }

  async orthogonal(batch: Batch, plan: OrthogonalPlan): Promise<GPUBuffer> {
    checkOrthogonalFits(plan, this.parts.handle.device.limits);
    return this.qr.run(batch, plan);
  }

  windows(windowBytes: number): WindowBytes {
    checkWindowBytes(windowBytes, this.maxWindowBytes);
    return new KernelWindows(this, this.parts, windowBytes);
  }

  close(): void {}
}

/**
 * A kernel session: each window written by the kernels into one of two work buffers (in a batch of its own) and read
 * back through that slot's staging buffer, so window k + 1 is generated while window k is copied and mapped. GPU
 * memory: two work and two staging buffers of the window size, plus the orthogonal matrix of the tensor being cut.
 */
class KernelWindows implements WindowBytes {
  private readonly work: (GPUBuffer | undefined)[] = [undefined, undefined];
  private readonly readbacks: Readback[];
  /** Each slot's last window, settled or not: the next window in that slot waits for it. */
  private readonly busy: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  private readonly cache = new OrthogonalCache();
  private readonly chunks: WindowChunks;
  private next = 0;

  constructor(
    private readonly executor: DeviceExecutor,
    private readonly parts: DeviceParts,
    private readonly windowBytes: number,
  ) {
    this.readbacks = [0, 1].map((k) => new Readback(parts.handle, windowBytes, `${LABEL}: window ${k}`));
    this.chunks = new WindowChunks(windowBytes);
  }

  bytes(slices: readonly InitializePlan[], signal?: AbortSignal): Promise<Uint8Array> {
    const slot = this.next++ % 2;
    const run = this.busy[slot]!.then(() => this.make(slot, slices, signal));
    this.busy[slot] = run.catch(() => undefined);
    return run;
  }

  private async make(slot: number, slices: readonly InitializePlan[], signal: AbortSignal | undefined): Promise<Uint8Array> {
    // Each slice at a 4-byte boundary of the work buffer.
    const at: number[] = [];
    let used = 0;
    let total = 0;
    for (const p of slices) {
      at.push(used);
      const size = p.count * DTYPE_BYTES[p.dtype];
      used += roundUp4(size);
      total += size;
    }
    if (used > this.windowBytes) throw new RangeError(`a window of ${used} bytes in a session of ${this.windowBytes}`);
    const work = await this.workBuffer(slot);
    await this.parts.batch((b) =>
      this.executor.writeSlices(
        b,
        slices.map((plan, i) => ({ plan, target: { buffer: work, offset: at[i]! } })),
        this.cache,
        signal,
      ),
    );
    const chunk = this.chunks.take(total);
    await this.readbacks[slot]!.read([{ buffer: work, offset: 0, size: used }], (bytes) => {
      let to = 0;
      for (const [i, p] of slices.entries()) {
        const size = p.count * DTYPE_BYTES[p.dtype];
        chunk.set(bytes.subarray(at[i]!, at[i]! + size), to);
        to += size;
      }
    });
    return chunk;
  }

  private async workBuffer(slot: number): Promise<GPUBuffer> {
    const existing = this.work[slot];
    if (existing) return existing;
    const { handle } = this.parts;
    const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
    const created = await handle.scoped(
      `${LABEL}: window work buffer`,
      () => handle.device.createBuffer({ label: `${LABEL}: window work ${slot}`, size: this.windowBytes, usage }),
      (b) => b.destroy(),
    );
    this.work[slot] = created;
    return created;
  }

  release(chunk: Uint8Array): void {
    this.chunks.release(chunk);
  }

  close(): void {
    for (const b of this.work) b?.destroy();
    for (const r of this.readbacks) r.destroy();
    this.cache.close();
    this.chunks.clear();
  }
}
