// The host executor: initialize plans made into host bytes with no GPU device at all. Distributions come from the
// SIMD generator's workers, orthogonal matrices from the SIMD QR (src/simd/orthogonal.ts; its Gaussian matrix from
// the same workers), the other kinds (constants, eye, dirac) from the CPU twin; every byte equals what the GPU
// kernels write. Its workers and its QR threads are its own: started on first use, sized by `threads`, stopped by
// close(). The device executors (src/gpu/executor.ts) extend the same ByteExecutor interface; the upload strategy
// makes its windows with one of these.
import { DTYPE_BYTES } from '../contract/dtypes.js';
import type { OrthogonalPlan } from '../contract/orthogonal.js';
import type { GeneratePlan } from '../contract/plan.js';
import type { ExecutorKind } from '../contract/strategy.js';
import { checkIntegerIn } from '../contract/validate.js';
import { AbortedError, InvalidParameterError, UnsupportedError, WeightInitError } from '../errors.js';
import type { InitializePlan } from '../init/plan-initialize.js';
import { convertF32 } from '../twin/generate.js';
import { initializePlanned } from '../twin/initialize.js';
import { orthogonalPlanned } from '../twin/orthogonal.js';
import { createSimdOrthogonal, type SimdOrthogonal, type SourceGenerator } from './orthogonal.js';
import { WindowChunks } from './window-chunks.js';
import { createWorkerPool, isShared, MAX_THREADS, type WorkerPool } from './worker-pool.js';

/**
 * One caller's stream of windows: the host bytes of consecutive slices of initialize plans. A session holds what
 * its windows reuse (the chunks handed back; the GPU work and staging buffers of the kernel executor; the orthogonal
 * matrix of the tensor being cut into windows) until close().
 */
export interface WindowBytes {
  /**
   * The bytes of `slices` back to back: each slice's count * element size bytes, little-endian, exactly as the CPU
   * twin gives them. The slices, each rounded up to whole 4-byte words, fit the session's window size. Two calls
   * may be in flight at once (window k + 1 made while window k is written); an orthogonal matrix that several
   * slices (of one call or of consecutive calls) share is computed once. `signal` is seen between slices and during
   * a QR on the host (AbortedError). The chunk is the session's until handed back with release(): it may be in
   * shared memory (a SharedArrayBuffer: copy it, `chunk.slice()`, for whoever needs an ArrayBuffer of its own).
   */
  bytes(slices: readonly InitializePlan[], signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Hands back a chunk bytes() gave once nothing reads it any more: a later window is made in the same memory
   * instead of fresh memory (whose first touch costs more than making the bytes on some machines). Optional: a
   * chunk never handed back stays the caller's.
   */
  release?(chunk: Uint8Array): void;
  /** Releases what the session holds; call it once no bytes() call is pending. */
  close(): void;
}

/** An executor that makes host bytes of plans: every output format (safetensors files, checkpoints) writes these. */
export interface ByteExecutor {
  /** How it runs: the WGSL kernels and a readback ('kernel'), or the SIMD CPU path ('upload' on a device, 'host' without one). */
  readonly kind: ExecutorKind;
  /** Largest window a session takes, in bytes. */
  readonly maxWindowBytes: number;
  /** A session of windows of at most `windowBytes` bytes (a positive multiple of 4, at most maxWindowBytes). */
  windows(windowBytes: number): WindowBytes;
  /** Stops what the executor started (its threads); later calls reject. */
  close(): void;
}

export interface HostExecutorOptions {
  /** Worker threads of the SIMD generator, and threads of the QR; default: the number of logical cores (at most 16). */
  threads?: number;
}

/** Elements per worker job. */
const HOST_PIECE = 1 << 20;
/** Largest window of a host session: 1 GiB. */
const MAX_HOST_WINDOW = 1 << 30;

/** The host executor (see the top of this file); createHostExecutor makes one. */
export class HostExecutor implements ByteExecutor {
  readonly kind = 'host' as const;
  readonly maxWindowBytes = MAX_HOST_WINDOW;
  private readonly threads: number | undefined;
  private pool: Promise<WorkerPool> | undefined;
  private qr: Promise<SimdOrthogonal | undefined> | undefined;
  private closed = false;

  constructor(options: HostExecutorOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidParameterError('options', options, '{ threads? }');
    if (options.threads !== undefined) checkIntegerIn('threads', options.threads, 1, MAX_THREADS);
    this.threads = options.threads;
  }

  /** @internal The SIMD generator's workers, started on first use; rejects (UnsupportedError) where they cannot start. */
  workers(): Promise<WorkerPool> {
    if (this.closed) return Promise.reject(new UnsupportedError('the host executor is closed'));
    if (!this.pool) {
      const pool = createWorkerPool(this.threads === undefined ? {} : { threads: this.threads });
      this.pool = pool;
      pool.catch(() => {
        if (this.pool === pool) this.pool = undefined;
      });
    }
    return this.pool.catch((e: unknown) => {
      throw e instanceof WeightInitError ? e : new UnsupportedError(`the SIMD generator's workers: ${String(e)}`);
    });
  }

  /** @internal The SIMD QR, loaded on first use; undefined where WebAssembly SIMD is missing. */
  simd(): Promise<SimdOrthogonal | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const threads = this.threads === undefined ? undefined : Math.min(this.threads, 16);
    this.qr ??= createSimdOrthogonal(threads === undefined ? {} : { threads }).catch(() => undefined);
    return this.qr;
  }

  /**
   * @internal Q of an orthogonal plan (f32, row-major) on the host: the SIMD QR with its Gaussian matrix from the workers,
   * the event loop free during it and `signal` seen within 50 ms of work. Where WebAssembly SIMD is missing, the CPU
   * twin (on this thread, with no pause). Every call computes the matrix: callers that need it again keep it.
   */
  async orthogonal(plan: OrthogonalPlan, signal?: AbortSignal): Promise<Float32Array<ArrayBuffer>> {
    if (this.closed) throw new UnsupportedError('the host executor is closed');
    const simd = await this.simd();
    if (signal?.aborted) throw new AbortedError(signal.reason);
    if (!simd) return orthogonalPlanned(plan) as Float32Array<ArrayBuffer>;
    const pool = await this.workers().catch(() => undefined);
    const source: SourceGenerator | undefined = pool
      ? (g, into, s) =>
          pool.runPieces(g, HOST_PIECE, (elements, at) => {
            if (s?.aborted) throw new AbortedError(s.reason);
            into.set(elements as Uint32Array, at);
          })
      : undefined;
    return simd.planned(plan, source ? { signal, source } : { signal });
  }

  /**
   * @internal The plan's elements into `into` (count * element size bytes) by the workers: straight into shared memory, else
   * piece by piece through this thread.
   */
  async generateInto(plan: GeneratePlan, into: Uint8Array): Promise<void> {
    const pool = await this.workers();
    if (isShared(into)) return pool.runInto(plan, into, HOST_PIECE);
    const eb = DTYPE_BYTES[plan.dtype];
    await pool.runPieces(plan, HOST_PIECE, (elements, first) => {
      into.set(new Uint8Array(elements.buffer, elements.byteOffset, elements.byteLength), first * eb);
    });
  }

  windows(windowBytes: number): WindowBytes {
    checkWindowBytes(windowBytes, this.maxWindowBytes);
    return new HostWindows(this, windowBytes);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.pool?.then(
      (p) => p.close(),
      () => undefined,
    );
    void this.qr?.then((q) => q?.close());
    this.pool = undefined;
    this.qr = undefined;
  }
}

/** A window size a session takes: a positive multiple of 4 up to `max` (a RangeError otherwise: callers check their own option first). */
export function checkWindowBytes(windowBytes: number, max: number): void {
  if (!Number.isSafeInteger(windowBytes) || windowBytes < 4 || windowBytes % 4 !== 0 || windowBytes > max) {
    throw new RangeError(`window of ${windowBytes} bytes: a multiple of 4 in [4, ${max}]`);
  }
}

/**
 * A host session: the bytes of each window made here, in a chunk of its own (reused once handed back), every
 * distribution slice of the window queued at the workers at once while this thread makes the others; the current
 * orthogonal matrix kept for the next windows.
 */
class HostWindows implements WindowBytes {
  private q: { readonly plan: OrthogonalPlan; readonly value: Promise<Float32Array> } | undefined;
  private readonly chunks: WindowChunks;

  constructor(
    private readonly executor: HostExecutor,
    windowBytes: number,
  ) {
    this.chunks = new WindowChunks(windowBytes);
  }

  async bytes(slices: readonly InitializePlan[], signal?: AbortSignal): Promise<Uint8Array> {
    const chunk = this.chunks.take(slices.reduce((n, p) => n + p.count * DTYPE_BYTES[p.dtype], 0));
    const generating: Promise<void>[] = [];
    let stopped: { error: unknown } | undefined;
    try {
      let at = 0;
      for (const p of slices) {
        if (signal?.aborted) throw new AbortedError(signal.reason);
        const size = p.count * DTYPE_BYTES[p.dtype];
        const into = chunk.subarray(at, at + size);
        if (p.generate) {
          const done = this.executor.generateInto(p.generate, into);
          done.catch(() => undefined); // awaited below
          generating.push(done);
        } else if (p.orthogonal && p.resolved.kind === 'orthogonal') {
          const q = await this.orthogonal(p.orthogonal, signal);
          const values = convertF32(q.subarray(p.start, p.start + p.count), p.resolved.gain, p.dtype);
          into.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
        } else {
          const values = initializePlanned(p);
          into.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
        }
        at += size;
      }
    } catch (e) {
      stopped = { error: e };
    }
    // Nothing writes into the chunk once the call settled; a failed window's chunk is not reused.
    const failed = (await Promise.allSettled(generating)).find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (stopped) throw stopped.error;
    if (failed) throw failed.reason;
    return chunk;
  }

  release(chunk: Uint8Array): void {
    this.chunks.release(chunk);
  }

  /** The matrix of `plan`: the one kept when it is the same plan (slices of one tensor share it), else computed. */
  private orthogonal(plan: OrthogonalPlan, signal: AbortSignal | undefined): Promise<Float32Array> {
    if (this.q?.plan === plan) return this.q.value;
    const value = this.executor.orthogonal(plan, signal);
    const entry = { plan, value };
    this.q = entry;
    value.catch(() => {
      if (this.q === entry) this.q = undefined;
    });
    return value;
  }

  close(): void {
    this.q = undefined;
    this.chunks.clear();
  }
}

/** A host executor with no GPU device (see HostExecutor): `writeCheckpoint` runs on it as it runs on a context. */
export function createHostExecutor(options: HostExecutorOptions = {}): HostExecutor {
  return new HostExecutor(options);
}
