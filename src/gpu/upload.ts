// The 'upload' executor: generation plans executed by the SIMD generator's workers, each piece written into the
// target with queue.writeBuffer as it arrives; orthogonal matrices computed by the SIMD QR and written with one
// writeBuffer; host bytes made on the host (a HostExecutor of its own, sized by the context's threads). Same plans,
// same bits as the kernels, which it uses for what writeBuffer cannot write whole (a range that is not whole words, a
// buffer without COPY_DST), for fills, scatters and conversions, and for everything once its workers could not start
// under strategy 'auto'.
import { DTYPE_BYTES } from '../contract/dtypes.js';
import type { OrthogonalPlan } from '../contract/orthogonal.js';
import { slicePlan, type GeneratePlan } from '../contract/plan.js';
import type { JaxPlan } from '../contract/jax-plan.js';
import { generateJaxPlanned } from '../twin/generate.js';
import type { Strategy, StrategyOption } from '../contract/strategy.js';
import { checkWindowBytes, HostExecutor, type WindowBytes } from '../simd/host-executor.js';
import type { WorkerPool } from '../simd/worker-pool.js';
import type { Batch } from './batch.js';
import { DeviceExecutor, type DeviceParts } from './executor.js';
import { BufferUsage } from './flags.js';
import { KernelExecutor } from './kernel-executor.js';
import { checkOrthogonalFits, orthogonalLabel } from './orthogonal.js';
import { rangeOf, type GeneratedRange, type Target } from './target.js';

/** Elements per piece: 4 MiB of f32, one writeBuffer each. */
const UPLOAD_PIECE = 1 << 20;

export class UploadExecutor extends DeviceExecutor {
  /** The host executor this one's windows and orthogonal matrices come from (its workers, its QR threads). */
  readonly host: HostExecutor;
  private readonly kernels: KernelExecutor;
  private readonly option: Exclude<StrategyOption, 'kernel'>;
  /** Set once the workers of an automatic choice could not start: the kernels do everything from then on. */
  private fellBack = false;

  constructor(parts: DeviceParts, option: Exclude<StrategyOption, 'kernel'>, threads: number | undefined) {
    super(parts);
    this.option = option;
    this.host = new HostExecutor(threads === undefined ? {} : { threads });
    this.kernels = new KernelExecutor(parts);
  }

  /** 'upload' while generations go through the workers; 'kernel' after an automatic choice's workers failed to start. */
  get kind(): Strategy {
    return this.fellBack ? 'kernel' : 'upload';
  }

  override get maxWindowBytes(): number {
    return Math.min(super.maxWindowBytes, this.host.maxWindowBytes);
  }

  /** Whether writeBuffer can write this range whole: 4-byte aligned, into a buffer with COPY_DST usage. */
  static canWrite(buffer: GPUBuffer | undefined, offset: number, byteLength: number): boolean {
    const copyable = buffer === undefined || (typeof buffer.usage === 'number' && (buffer.usage & BufferUsage.COPY_DST) !== 0);
    return copyable && offset % 4 === 0 && byteLength % 4 === 0;
  }

  /**
   * The worker pool, started on first use. When it cannot start and the strategy was chosen automatically, the
   * kernels take over (resolves undefined); an explicit 'upload' rejects.
   */
  private async workers(): Promise<WorkerPool | undefined> {
    if (this.fellBack) return undefined;
    try {
      return await this.host.workers();
    } catch (e) {
      if (this.option === 'upload') throw e;
      this.fellBack = true;
      return undefined;
    }
  }

  async generate(batch: Batch, plan: GeneratePlan, target: Target): Promise<GeneratedRange> {
    if (plan.count > 0 && UploadExecutor.canWrite(target.buffer, target.offset, target.byteLength)) {
      const pool = await this.workers();
      if (pool) {
        const buffer = await batch.createBuffer(target);
        // This caller's earlier recorded work reaches the queue before the writes.
        await batch.flush();
        await this.upload(pool, plan, buffer, target.offset);
        return rangeOf(buffer, target, 0, 'upload');
      }
    }
    return this.kernels.generate(batch, plan, target);
  }

  /**
   * A JAX plan: the CPU twin on this thread (the SIMD workers have no JAX streams), written piece by piece with
   * writeBuffer after the caller's earlier work; the kernels for what writeBuffer cannot write whole.
   */
  async generateJax(batch: Batch, plan: JaxPlan, target: Target): Promise<GeneratedRange> {
    if (plan.count === 0 || this.fellBack || !UploadExecutor.canWrite(target.buffer, target.offset, target.byteLength)) {
      return this.kernels.generateJax(batch, plan, target);
    }
    const buffer = await batch.createBuffer(target);
    await batch.flush();
    const { handle } = this.parts;
    const elementBytes = DTYPE_BYTES[plan.dtype];
    for (let done = 0; done < plan.count; done += UPLOAD_PIECE) {
      const elements = generateJaxPlanned(slicePlan(plan, done, Math.min(UPLOAD_PIECE, plan.count - done)));
      const bytes = new Uint8Array(elements.buffer as ArrayBuffer, elements.byteOffset, elements.byteLength);
      await handle.scoped('upload', () => handle.device.queue.writeBuffer(buffer, target.offset + done * elementBytes, bytes));
    }
    return rangeOf(buffer, target, 0, 'upload');
  }

  /** Generates `plan` on the workers and writes it to `buffer` from byte `offset`, piece by piece. */
  private async upload(pool: WorkerPool, plan: GeneratePlan, buffer: GPUBuffer, offset: number): Promise<void> {
    const { handle } = this.parts;
    const elementBytes = DTYPE_BYTES[plan.dtype];
    const writes: Promise<void>[] = [];
    let stopped: { error: unknown } | undefined;
    try {
      await pool.runPieces(plan, UPLOAD_PIECE, (elements, at) => {
        writes.push(handle.scoped('upload', () => handle.device.queue.writeBuffer(buffer, offset + at * elementBytes, elements)));
      });
    } catch (e) {
      stopped = { error: e };
    }
    // Every scope settles before the call does. A write WebGPU rejected is the first cause; else whatever
    // stopped the pieces.
    const failed = (await Promise.allSettled(writes)).find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    if (stopped) throw stopped.error;
  }

  /**
   * Q on the SIMD CPU path, then one writeBuffer after the caller's earlier work; the kernels where WebAssembly SIMD
   * is missing. The buffer is created first, so a matrix the device cannot hold fails before the QR.
   */
  async orthogonal(batch: Batch, plan: OrthogonalPlan, signal?: AbortSignal): Promise<GPUBuffer> {
    const { handle } = this.parts;
    checkOrthogonalFits(plan, handle.device.limits);
    const simd = this.fellBack ? undefined : await this.host.simd();
    if (!simd) return this.kernels.orthogonal(batch, plan);
    const label = orthogonalLabel(plan);
    const output = await handle.scoped(
      `${label}: creating the buffer`,
      () => handle.device.createBuffer({ label, size: 4 * plan.rows * plan.cols, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST }),
      (b) => b.destroy(),
    );
    try {
      const q = await this.host.orthogonal(plan, signal);
      // This caller's earlier recorded work reaches the queue before the write.
      await batch.flush();
      await handle.scoped(`${label}: upload`, () => handle.device.queue.writeBuffer(output, 0, q));
      return output;
    } catch (e) {
      output.destroy();
      throw e;
    }
  }

  /** The host's windows (no GPU round trip: the "GPU" is this same CPU); the kernels' after a fallback. */
  windows(windowBytes: number): WindowBytes {
    checkWindowBytes(windowBytes, this.maxWindowBytes);
    let opened: Promise<WindowBytes> | undefined;
    const open = () => {
      opened ??= this.workers().then((pool) => (pool ? this.host.windows(windowBytes) : this.kernels.windows(windowBytes)));
      return opened;
    };
    return {
      bytes: async (slices, signal) => (await open()).bytes(slices, signal),
      close: () => {
        void opened?.then(
          (w) => w.close(),
          () => undefined,
        );
      },
    };
  }

  /** Stops the workers and the QR threads. */
  close(): void {
    this.host.close();
    this.kernels.close();
  }
}
