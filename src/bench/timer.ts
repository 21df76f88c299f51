// Timing of GPU work that other code submits (the library's context, TF.js): while a measurement is open,
// every queue.submit() of the device is wrapped between two extra command buffers whose empty compute passes
// write a timestamp (begin-of-pass before the work, end-of-pass after it). The GPU time of the measurement is
// the sum over its submissions of end - begin, so the CPU time spent between submissions (recording, error
// scopes, awaits) is not counted. Without 'timestamp-query' only wall time is measured: from the start of
// the body to queue.onSubmittedWorkDone() after it.
import { BufferUsage, MapMode } from '../gpu/flags.js';

/** GPUBufferUsage.QUERY_RESOLVE (src/gpu/flags.ts has only what the library uses). */
const QUERY_RESOLVE = 0x0200;

export interface Measurement<T> {
  readonly result: T;
  /** Wall time, ms: body start → onSubmittedWorkDone() after it. */
  readonly wallMs: number;
  /** Summed GPU time of the submissions, ms; undefined without timestamps or when nothing was submitted. */
  readonly gpuMs: number | undefined;
  /** queue.submit() calls made by the body. */
  readonly submits: number;
}

/** Timestamp pairs per measurement; more submissions than this fall back to wall time. */
const MAX_PAIRS = 512;

const now = (): number => performance.now();

export class GpuTimer {
  readonly device: GPUDevice;
  readonly timestamps: boolean;
  private readonly querySet: GPUQuerySet | undefined;
  private readonly resolveBuffer: GPUBuffer | undefined;
  private readonly readBuffer: GPUBuffer | undefined;
  private readonly queue: GPUQueue;
  private readonly originalSubmit: GPUQueue['submit'];
  private active = false;
  private busy = false;
  private pairs = 0;
  private submits = 0;
  private disposed = false;

  constructor(device: GPUDevice, options: { timestamps?: boolean } = {}) {
    this.device = device;
    this.queue = device.queue;
    this.timestamps = (options.timestamps ?? true) && device.features.has('timestamp-query');
    if (this.timestamps) {
      this.querySet = device.createQuerySet({ label: 'bench timestamps', type: 'timestamp', count: 2 * MAX_PAIRS });
      this.resolveBuffer = device.createBuffer({
        label: 'bench timestamps resolve',
        size: 16 * MAX_PAIRS,
        usage: QUERY_RESOLVE | BufferUsage.COPY_SRC,
      });
      this.readBuffer = device.createBuffer({ label: 'bench timestamps read', size: 16 * MAX_PAIRS, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    }
    const queue = this.queue;
    const original = queue.submit.bind(queue);
    this.originalSubmit = original;
    // An own property on the queue object shadows GPUQueue.prototype.submit for every caller holding the
    // device (the context, TF.js). Restored by dispose().
    queue.submit = (buffers: Iterable<GPUCommandBuffer>): undefined => {
      this.submits += this.active ? 1 : 0;
      if (!this.active || !this.querySet || this.pairs >= MAX_PAIRS) return original(buffers);
      const i = this.pairs++;
      return original([this.marker({ beginningOfPassWriteIndex: 2 * i }), ...buffers, this.marker({ endOfPassWriteIndex: 2 * i + 1 })]);
    };
  }

  private marker(writes: { beginningOfPassWriteIndex?: number; endOfPassWriteIndex?: number }): GPUCommandBuffer {
    const encoder = this.device.createCommandEncoder({ label: 'bench timestamp' });
    encoder.beginComputePass({ label: 'bench timestamp', timestampWrites: { querySet: this.querySet!, ...writes } }).end();
    return encoder.finish();
  }

  /** Runs `body`, waits for the queue, and reports its wall and GPU time. Measurements must not overlap. */
  async measure<T>(body: () => Promise<T> | T): Promise<Measurement<T>> {
    if (this.disposed) throw new Error('GpuTimer: disposed');
    if (this.busy) throw new Error('GpuTimer: measurements must not overlap');
    this.busy = true;
    try {
      await this.queue.onSubmittedWorkDone();
      this.active = true;
      this.pairs = 0;
      this.submits = 0;
      let result: T;
      let wallMs: number;
      try {
        const t0 = now();
        result = await body();
        await this.queue.onSubmittedWorkDone();
        wallMs = now() - t0;
      } finally {
        this.active = false;
      }
      const { pairs, submits } = this;
      const gpuMs = this.querySet && pairs > 0 && submits <= MAX_PAIRS ? await this.readPairs(pairs) : undefined;
      return { result, wallMs, gpuMs, submits };
    } finally {
      this.busy = false;
    }
  }

  private async readPairs(pairs: number): Promise<number | undefined> {
    const bytes = 16 * pairs;
    const encoder = this.device.createCommandEncoder({ label: 'bench timestamps resolve' });
    encoder.resolveQuerySet(this.querySet!, 0, 2 * pairs, this.resolveBuffer!, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer!, 0, this.readBuffer!, 0, bytes);
    this.originalSubmit([encoder.finish()]);
    await this.readBuffer!.mapAsync(MapMode.READ, 0, bytes);
    const ticks = new BigUint64Array(this.readBuffer!.getMappedRange(0, bytes).slice(0));
    this.readBuffer!.unmap();
    let ns = 0n;
    for (let i = 0; i < pairs; i++) {
      const begin = ticks[2 * i]!;
      const end = ticks[2 * i + 1]!;
      // A zero or reversed pair means the implementation did not write it: no GPU time for this measurement.
      if (begin === 0n || end < begin) return undefined;
      ns += end - begin;
    }
    return Number(ns) / 1e6;
  }

  /** Restores queue.submit and frees the query objects. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    delete (this.queue as unknown as Record<string, unknown>)['submit'];
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    this.readBuffer?.destroy();
  }
}
