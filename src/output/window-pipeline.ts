// The window pipeline under the checkpoint writer: a file's tensor plans cut into windows of a bounded size, each
// generated (into one of two GPU work buffers, or on the host by the SIMD workers on a software adapter) and handed
// on in order, window k + 1 made while window k is written.
import type { WeightInitContext } from '../gpu/context.js';
import { BufferUsage } from '../gpu/flags.js';
import { writeInitializePlan } from '../gpu/initialize.js';
import { Readback } from '../gpu/readback.js';
import { sliceInitializePlan, type InitializePlan } from '../init/plan-initialize.js';
import { DTYPE_BYTES } from '../contract/dtypes.js';
import type { WorkerPool } from '../simd/worker-pool.js';
import { initializePlanned } from '../twin/initialize.js';

const LABEL = 'webgpu-weight-init';

/** One piece of a window: a slice of a tensor's plan, at byte `at` of the work buffer. */
interface WindowPiece {
  readonly plan: InitializePlan;
  readonly at: number;
  readonly bytes: number;
}

export interface Window {
  readonly pieces: readonly WindowPiece[];
  /** Bytes of the work buffer the pieces use (each piece rounded up to whole words). */
  readonly used: number;
}

/**
 * The windows of one file: its tensors' plans in data order, back to back, each piece at a 4-byte boundary of a
 * window of `window` bytes; a tensor split across windows is cut at a whole word (an even element of a 2-byte
 * dtype) and each piece is a slice of the tensor's one plan.
 */
export function* planWindows(order: readonly InitializePlan[], window: number): Generator<Window> {
  let pieces: WindowPiece[] = [];
  let used = 0;
  for (const plan of order) {
    const eb = DTYPE_BYTES[plan.dtype];
    let start = 0;
    while (start < plan.count) {
      if (used === window) {
        yield { pieces, used };
        pieces = [];
        used = 0;
      }
      let n = Math.min(plan.count - start, Math.floor((window - used) / eb));
      if (n < plan.count - start) n -= n % (4 / eb);
      const whole = start === 0 && n === plan.count;
      pieces.push({ plan: whole ? plan : sliceInitializePlan(plan, start, n), at: used, bytes: n * eb });
      used += Math.ceil((n * eb) / 4) * 4;
      start += n;
    }
  }
  if (pieces.length > 0) yield { pieces, used };
}

/**
 * Generates windows into GPU work buffers and reads them back, two at a time: window k + 1 is generated into the
 * other work buffer while window k is copied, mapped and handed to `write`; the chunks reach `write` in order.
 * GPU memory: two work buffers and two staging buffers (the shared Readback) of `window` bytes; host memory: the
 * chunk being cut and the one being written.
 */
export class WindowPipeline {
  private readonly ctx: WeightInitContext;
  private readonly window: number;
  private readonly work: (GPUBuffer | undefined)[] = [undefined, undefined];
  private readonly readbacks: Readback[];

  constructor(ctx: WeightInitContext, window: number) {
    this.ctx = ctx;
    this.window = window;
    this.readbacks = [0, 1].map((k) => new Readback(ctx.handle, window, `${LABEL}: writeCheckpoint ${k}`));
  }

  /** Streams the windows of one file; returns how many there were. */
  async run(windows: Iterable<Window>, write: (chunk: Uint8Array) => Promise<void>, abortIfNeeded: () => void): Promise<number> {
    const inFlight: Promise<Uint8Array>[] = [];
    let k = 0;
    try {
      for (const w of windows) {
        // The read of window k - 2 used this slot's work and staging buffers: it must be done first.
        if (inFlight.length === 2) await write(await inFlight.shift()!);
        abortIfNeeded();
        const pool = await this.ctx.workers();
        if (pool) {
          // A software adapter: the values are made on the host by the SIMD workers (the same bits), so they
          // go to the file without a round trip through GPU buffers that live in the same host memory.
          const ready = generateOnHost(pool, w);
          ready.catch(() => {}); // awaited in order below
          inFlight.push(ready);
          k++;
          continue;
        }
        const slot = k % 2;
        const work = await this.workBuffer(slot);
        await this.ctx.batch(async (b) => {
          for (const p of w.pieces) await writeInitializePlan(b, p.plan, { buffer: work, offset: p.at });
        });
        const chunk = new Uint8Array(w.pieces.reduce((n, p) => n + p.bytes, 0));
        const read = this.readbacks[slot]!.read([{ buffer: work, offset: 0, size: w.used }], (bytes) => {
          let at = 0;
          for (const p of w.pieces) {
            chunk.set(bytes.subarray(p.at, p.at + p.bytes), at);
            at += p.bytes;
          }
        });
        const ready = read.then(() => chunk);
        ready.catch(() => {}); // awaited in order below
        inFlight.push(ready);
        k++;
      }
      while (inFlight.length > 0) await write(await inFlight.shift()!);
    } finally {
      await Promise.allSettled(inFlight);
    }
    return k;
  }

  private async workBuffer(slot: number): Promise<GPUBuffer> {
    const existing = this.work[slot];
    if (existing) return existing;
    const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
    const created = await this.ctx.handle.scoped(
      `${LABEL}: writeCheckpoint work buffer`,
      () => this.ctx.device.createBuffer({ label: `${LABEL}: checkpoint work ${slot}`, size: this.window, usage }),
      (b) => b.destroy(),
    );
    this.work[slot] = created;
    return created;
  }

  destroy(): void {
    for (const b of this.work) b?.destroy();
    for (const r of this.readbacks) r.destroy();
  }
}

/**
 * A window's bytes made on the host: distributions by the SIMD workers, slice by slice of their plans; the other
 * kinds (constants, eye, dirac, orthogonal) by the CPU twin. Bit-identical to the GPU path.
 */
async function generateOnHost(pool: WorkerPool, w: Window): Promise<Uint8Array> {
  const chunk = new Uint8Array(w.pieces.reduce((n, p) => n + p.bytes, 0));
  let at = 0;
  for (const p of w.pieces) {
    const into = chunk.subarray(at, at + p.bytes);
    const g = p.plan.generate;
    if (g) {
      const eb = DTYPE_BYTES[g.dtype];
      await pool.runPieces(g, HOST_PIECE, (elements, first) => {
        into.set(new Uint8Array(elements.buffer, elements.byteOffset, elements.byteLength), first * eb);
      });
    } else {
      const values = initializePlanned(p.plan);
      into.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
    at += p.bytes;
  }
  return chunk;
}

/** Elements per worker job when a window is made on the host. */
const HOST_PIECE = 1 << 20;
