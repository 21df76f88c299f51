// The 'upload' executor: generation plans executed by the SIMD generator's workers, each piece written into the
// target with queue.writeBuffer as it arrives; orthogonal matrices computed by the SIMD QR and written with one
// writeBuffer; host bytes made on the host (a HostExecutor of its own, sized by the context's threads). Same plans,
// same bits as the kernels, which it uses for what writeBuffer cannot write whole (a range that is not whole words, a
// buffer without COPY_DST), for fills, scatters and conversions, and for everything once its workers could not start
// under strategy 'auto'.
import { DTYPE_BYTES } from '../contract/dtypes.js';
import type { JaxPlan } from '../contract/jax-plan.js';
import type { OrthogonalPlan } from '../contract/orthogonal.js';
import { type GeneratePlan, slicePlan } from '../contract/plan.js';
import type { Strategy, StrategyOption } from '../contract/strategy.js';
import { checkWindowBytes, HostExecutor, type WindowBytes } from '../simd/host-executor.js';
import type { OnPiece, PieceStream, WorkerPool } from '../simd/worker-pool.js';
import { generateJaxPlanned } from '../twin/generate.js';
import type { Batch, PlanSlice } from './batch.js';
import { DeviceExecutor, type DeviceParts } from './executor.js';
import { BufferUsage } from './flags.js';
import { KernelExecutor } from './kernel-executor.js';
import { checkOrthogonalFits, orthogonalLabel } from './orthogonal.js';
import { checkTarget, type GeneratedRange, rangeOf, type Target } from './target.js';

/** Most elements per piece: 4 MiB of f32, one writeBuffer each. */
const UPLOAD_PIECE = 1 << 20;
/** Fewest elements per piece (a smaller plan is one piece). */
const MIN_UPLOAD_PIECE = 1 << 16;

/** A plan's piece size: at most UPLOAD_PIECE, and small enough that every worker gets two pieces of it. */
function pieceElements(plan: GeneratePlan, threads: number): number {
  return Math.min(UPLOAD_PIECE, Math.max(MIN_UPLOAD_PIECE, Math.ceil(plan.count / (2 * threads))));
}

export class UploadExecutor extends DeviceExecutor {
  /** The host executor this one's windows and orthogonal matrices come from (its workers, its QR threads). */
  readonly host: HostExecutor;
  private readonly kernels: KernelExecutor;
  private readonly option: Exclude<StrategyOption, 'kernel'>;
  /** Set once the workers of an automatic choice could not start: the kernels do everything from then on. */
  private fellBack = false;
  /** What each batch prepared (see prepare). */
  private readonly ahead = new WeakMap<Batch, WriteAhead[]>();

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

  /**
   * The distribution slices of `slices` that `generate` will upload whole, generated ahead as one stream: the workers
   * make slice k + 1 while this thread creates slice k's buffer and writes its pieces, and the next slices' buffers
   * are created between pieces. `generate` takes a slice's pieces and buffer from here when its plan comes next.
   */
  async prepare(batch: Batch, slices: readonly PlanSlice[]): Promise<{ close(): void } | undefined> {
    // Nothing to stream (constants only, kernel-only targets): the workers are not started for it.
    const streamed = this.streamable(batch, slices);
    if (streamed.length === 0) return undefined;
    const pool = await this.workers();
    if (!pool) return undefined;
    const ahead = new WriteAhead(
      batch,
      streamed,
      pool.stream(
        streamed.map((s) => s.plan),
        (plan) => pieceElements(plan, pool.threads),
      ),
    );
    this.ahead.set(batch, [...(this.ahead.get(batch) ?? []), ahead]);
    return {
      close: () => {
        ahead.close();
        const left = (this.ahead.get(batch) ?? []).filter((a) => a !== ahead);
        if (left.length > 0) this.ahead.set(batch, left);
        else this.ahead.delete(batch);
      },
    };
  }

  /** What `batch` or a batch it is nested in prepared with `plan` next. */
  private aheadFor(batch: Batch, plan: GeneratePlan): WriteAhead | undefined {
    for (const b of batch.lineage()) {
      const ahead = this.ahead.get(b)?.find((a) => a.upcoming === plan);
      if (ahead) return ahead;
    }
    return undefined;
  }

  /** The distribution slices `generate` will upload whole, with their checked targets (a slice that fails the check is left to the walk). */
  private streamable(batch: Batch, slices: readonly PlanSlice[]): { plan: GeneratePlan; target: Target }[] {
    const out: { plan: GeneratePlan; target: Target }[] = [];
    for (const { plan, target } of slices) {
      const g = plan.generate;
      if (!g || g.count === 0) continue;
      let checked: Target;
      try {
        checked = checkTarget(target, g.count, g.dtype, 'upload', batch.device.limits.maxBufferSize);
      } catch {
        continue;
      }
      if (UploadExecutor.canWrite(checked.buffer, checked.offset, checked.byteLength)) out.push({ plan: g, target: checked });
    }
    return out;
  }

  async generate(batch: Batch, plan: GeneratePlan, target: Target): Promise<GeneratedRange> {
    if (plan.count > 0 && UploadExecutor.canWrite(target.buffer, target.offset, target.byteLength)) {
      const pool = await this.workers();
      if (pool) {
        // Prepared by the batch the caller called prepare on: this call runs in a batch nested in it.
        const ahead = this.aheadFor(batch, plan);
        const buffer = await (ahead ? ahead.buffer(target) : batch.createBuffer(target));
        // This caller's earlier recorded work reaches the queue before the writes.
        await batch.flush();
        await this.upload(buffer, target.offset, plan, (onPiece) =>
          ahead ? ahead.consume(plan, onPiece) : pool.runPieces(plan, pieceElements(plan, pool.threads), onPiece),
        );
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

  /** Writes the pieces `pieces` hands out (the elements of `plan`) to `buffer` from byte `offset`, as they arrive. */
  private async upload(buffer: GPUBuffer, offset: number, plan: GeneratePlan, pieces: (onPiece: OnPiece) => Promise<void>): Promise<void> {
    const { handle } = this.parts;
    const elementBytes = DTYPE_BYTES[plan.dtype];
    const writes: Promise<void>[] = [];
    let stopped: { error: unknown } | undefined;
    try {
      await pieces((elements, at) => {
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
      release: (chunk) => {
        void opened?.then(
          (w) => w.release?.(chunk),
          () => undefined,
        );
      },
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

/**
 * One prepare's look-ahead (one submission of initModel's): the stream of its uploaded slices' pieces, and their
 * buffers, created in order ahead of the walk (one more after each piece written, so that creating them overlaps the
 * workers' generation).
 */
class WriteAhead {
  private readonly buffers: Promise<GPUBuffer>[] = [];
  private next = 0;

  constructor(
    private readonly batch: Batch,
    private readonly slices: readonly { readonly plan: GeneratePlan; readonly target: Target }[],
    private readonly stream: PieceStream,
  ) {}

  /** The plan the walk reaches next among this call's uploaded slices. */
  get upcoming(): GeneratePlan | undefined {
    return this.stream.upcoming;
  }

  /** The buffer of the upcoming slice (`target`: its checked target, as the walk checked it again). */
  buffer(target: Target): Promise<GPUBuffer> {
    const k = this.next;
    if (this.slices[k]?.target.buffer !== target.buffer) {
      // Not the target prepared (initModel never does this): a buffer created ahead for it has no caller.
      void this.buffers[k]?.then(
        (b) => b.destroy(),
        () => undefined,
      );
      return this.batch.createBuffer(target);
    }
    this.create(k);
    return this.buffers[k]!;
  }

  /** The upcoming slice's pieces; after each, the next slice's buffer not created yet is created. */
  async consume(plan: GeneratePlan, onPiece: OnPiece): Promise<void> {
    this.next++;
    await this.stream.consume(plan, async (elements, at) => {
      await onPiece(elements, at);
      this.create(this.buffers.length);
    });
  }

  private create(upTo: number): void {
    while (this.buffers.length <= upTo && this.buffers.length < this.slices.length) {
      const p = this.batch.createBuffer(this.slices[this.buffers.length]!.target);
      p.catch(() => undefined); // awaited by buffer(); a failure also fails the batch's later calls
      this.buffers.push(p);
    }
  }

  close(): void {
    this.stream.close();
  }
}
