// The 'upload' strategy: a generation plan executed by the SIMD generator's workers (src/simd/), each
// piece written into the target with queue.writeBuffer as it arrives. Same plan, same bits as the kernels.
import { DTYPE_BYTES } from '../contract/dtypes.js';
import type { GeneratePlan } from '../contract/plan.js';
import { UnsupportedError, WeightInitError } from '../errors.js';
import { createWorkerPool, type WorkerPool } from '../simd/worker-pool.js';
import type { DeviceHandle } from './device-handle.js';
import { BufferUsage } from './flags.js';

/** Elements per piece: 4 MiB of f32, one writeBuffer each. */
const UPLOAD_PIECE = 1 << 20;

export type StrategyOption = 'auto' | 'kernel' | 'upload';

export class UploadPath {
  private readonly handle: DeviceHandle;
  private readonly option: StrategyOption;
  private readonly threads: number | undefined;
  private pool: Promise<WorkerPool> | undefined;
  private chosen: 'kernel' | 'upload';
  private closed = false;

  constructor(handle: DeviceHandle, option: StrategyOption, softwareAdapter: boolean, threads: number | undefined) {
    this.handle = handle;
    this.option = option;
    this.threads = threads;
    this.chosen = option === 'auto' ? (softwareAdapter ? 'upload' : 'kernel') : option;
  }

  /** 'upload' while generations go through the workers; 'kernel' otherwise (or after an automatic choice's workers failed). */
  get strategy(): 'kernel' | 'upload' {
    return this.chosen;
  }

  /** Whether writeBuffer can write this range whole: 4-byte aligned, into a buffer with COPY_DST usage. */
  static canWrite(buffer: GPUBuffer | undefined, offset: number, byteLength: number): boolean {
    const copyable = buffer === undefined || (typeof buffer.usage === 'number' && (buffer.usage & BufferUsage.COPY_DST) !== 0);
    return copyable && offset % 4 === 0 && byteLength % 4 === 0;
  }

  /**
   * The worker pool, started on first use. When it cannot start and the strategy was chosen
   * automatically, the kernels take over (resolves undefined); an explicit 'upload' rejects.
   */
  async workers(): Promise<WorkerPool | undefined> {
    if (this.chosen !== 'upload' || this.closed) return undefined;
    this.pool ??= createWorkerPool(this.threads === undefined ? {} : { threads: this.threads });
    try {
      return await this.pool;
    } catch (e) {
      this.pool = undefined;
      if (this.option === 'upload') throw e instanceof WeightInitError ? e : new UnsupportedError(`the upload strategy's workers: ${String(e)}`);
      this.chosen = 'kernel';
      return undefined;
    }
  }

  /** Generates `plan` on the workers and writes it to `buffer` from byte `offset`, piece by piece. */
  async write(pool: WorkerPool, plan: GeneratePlan, buffer: GPUBuffer, offset: number): Promise<void> {
    const { handle } = this;
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

  /** Stops the workers. */
  close(): void {
    this.closed = true;
    void this.pool?.then(
      (p) => p.close(),
      () => undefined,
    );
    this.pool = undefined;
  }
}
