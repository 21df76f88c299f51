// The SIMD CPU generator on several threads: Web Workers in browsers, worker_threads in Node. Each worker
// instantiates the same compiled module and runs jobs (src/simd/generator.ts) posted to it; the values are
// bit-identical to a single-threaded run because every element's value depends only on its index.

import { bitsArray, bitsOf, DTYPE_BYTES } from '../contract/dtypes.js';
import { type GeneratePlan, planGenerate, splitPlan } from '../contract/plan.js';
import { checkIntegerIn } from '../contract/validate.js';
import { InvalidParameterError, UnsupportedError, WorkerFailedError } from '../errors.js';
import { allocate, type CpuGenerateOptions, type GeneratedArray } from '../twin/generate.js';
import { compileSimdModule, runSimdPlan, SIMD_MAX_ELEMENTS } from './generator.js';

/** Most workers a pool starts (the `threads` option of a pool and of a context). */
export const MAX_THREADS = 64;

export interface WorkerPoolOptions {
  /** Number of workers in [1, MAX_THREADS]; default: the number of logical cores (at least 1, at most 16). */
  threads?: number;
}

/** The part of a Web Worker / worker_threads Worker the pool uses. */
export interface PortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  terminate(): unknown;
  ref?(): void;
  unref?(): void;
}

export interface Reply {
  readonly id: number;
  readonly ready?: boolean;
  readonly buffer?: ArrayBuffer;
  readonly error?: string;
}

/**
 * What each worker runs. runSimdPlan is self-contained, so its source text is the worker's copy of it;
 * `__name` covers transpilers that wrap named functions in a helper call.
 */
function workerSource(): string {
  return `'use strict';
const __name = (f) => f;
const runSimdPlan = (${runSimdPlan.toString()});
const port = typeof require === 'function' ? require('node:worker_threads').parentPort : self;
let instance;
// Output buffers the main thread has handed back: reusing them avoids touching fresh pages for every
// piece, which costs more than generating into them on some systems.
const free = [];
const take = (bytes) => {
  const i = free.findIndex((b) => b.byteLength === bytes);
  return i >= 0 ? free.splice(i, 1)[0] : new ArrayBuffer(bytes);
};
const onMessage = (m) => {
  if (m.module) {
    instance = new WebAssembly.Instance(m.module, {}).exports;
    port.postMessage({ id: 0, ready: true });
    return;
  }
  if (m.recycle) {
    if (free.length < 4) free.push(m.recycle);
    return;
  }
  try {
    const half = m.bytes === 2;
    if (m.into) {
      // Straight into the caller's shared memory: nothing comes back but the reply.
      const bytes = m.bytes * m.plan.count;
      if (m.byteOffset % m.bytes === 0) {
        runSimdPlan(instance, m.plan, half ? new Uint16Array(m.into, m.byteOffset, m.plan.count) : new Uint32Array(m.into, m.byteOffset, m.plan.count), 0);
      } else {
        // A 4-byte element after an odd number of 2-byte ones: made here, copied as bytes.
        const out = half ? new Uint16Array(take(bytes)) : new Uint32Array(take(bytes));
        runSimdPlan(instance, m.plan, out, 0);
        new Uint8Array(m.into, m.byteOffset, bytes).set(new Uint8Array(out.buffer));
        if (free.length < 4) free.push(out.buffer);
      }
      port.postMessage({ id: m.id });
      return;
    }
    const out = half ? new Uint16Array(take(2 * m.plan.count)) : new Uint32Array(take(4 * m.plan.count));
    runSimdPlan(instance, m.plan, out, 0);
    port.postMessage({ id: m.id, buffer: out.buffer }, [out.buffer]);
  } catch (e) {
    port.postMessage({ id: m.id, error: String((e && e.stack) || e) });
  }
};
if (typeof port.on === 'function') port.on('message', onMessage);
else port.onmessage = (e) => onMessage(e.data);
`;
}

const NODE_WORKER_THREADS = 'node:worker_threads';
/** How long the workers may take to start and instantiate the module. */
export const STARTUP_TIMEOUT_MS = 30_000;
const NODE_OS = 'node:os';

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** The number of logical cores (navigator.hardwareConcurrency, os.availableParallelism), 1 .. 16. */
export async function defaultThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  let n = nav?.hardwareConcurrency;
  if (!n && isNode()) {
    const os = (await import(/* @vite-ignore */ NODE_OS)) as { availableParallelism?: () => number; cpus: () => unknown[] };
    n = os.availableParallelism?.() ?? os.cpus().length;
  }
  return Math.max(1, Math.min(16, n || 1));
}

/** Starts a worker (worker_threads in Node, a blob: Web Worker elsewhere) running `source`. */
export async function spawn(source: string, onReply: (reply: Reply) => void, onError: (error: Error) => void): Promise<PortLike> {
  if (isNode()) {
    const { Worker } = (await import(/* @vite-ignore */ NODE_WORKER_THREADS)) as typeof import('node:worker_threads');
    const worker = new Worker(source, { eval: true, name: 'webgpu-weight-init SIMD generator' });
    worker.on('message', onReply);
    worker.on('error', onError);
    return worker as unknown as PortLike;
  }
  const G = globalThis as { Worker?: typeof Worker; Blob?: typeof Blob; URL?: typeof URL };
  if (typeof G.Worker !== 'function' || typeof G.Blob !== 'function' || typeof G.URL?.createObjectURL !== 'function') {
    throw new UnsupportedError('the worker pool needs Web Workers (or Node worker_threads)');
  }
  const url = G.URL.createObjectURL(new G.Blob([source], { type: 'text/javascript' }));
  try {
    const worker = new G.Worker(url, { name: 'webgpu-weight-init SIMD generator' });
    worker.onmessage = (e: MessageEvent<Reply>) => onReply(e.data);
    worker.onerror = (e: ErrorEvent) => onError(new Error(e.message));
    return worker as unknown as PortLike;
  } finally {
    // The worker has fetched its script by the time it runs; revoking later keeps the URL from leaking.
    setTimeout(() => G.URL!.revokeObjectURL(url), 10_000);
  }
}

/**
 * Starts `count` workers running `source` and posts `init` to each; resolves once every one has replied
 * `{ ready: true }` (within STARTUP_TIMEOUT_MS). Later replies go to `onReply`, errors to `onError`. An error
 * event first (a worker that cannot start, e.g. under a Content-Security-Policy without blob: workers) or the
 * timeout terminates them all and rejects.
 */
export async function startWorkers(
  source: string,
  count: number,
  init: unknown,
  onReply: (reply: Reply) => void,
  onError: (error: Error) => void,
): Promise<PortLike[]> {
  const workers: PortLike[] = [];
  const ready: Promise<void>[] = [];
  try {
    for (let i = 0; i < count; i++) {
      let started!: () => void;
      let failed!: (e: Error) => void;
      ready.push(
        new Promise<void>((resolve, reject) => {
          started = resolve;
          failed = reject;
        }),
      );
      const worker = await spawn(
        source,
        (reply) => (reply.ready ? started() : onReply(reply)),
        (error) => {
          failed(error);
          onError(error);
        },
      );
      workers.push(worker);
      worker.postMessage(init);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no reply within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
    });
    await Promise.race([Promise.all(ready), timeout]).finally(() => clearTimeout(timer));
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw e;
  }
  return workers;
}

/** A finished job: its elements (none for a job written into shared memory), and the worker that made them. */
interface Done {
  readonly buffer: ArrayBuffer | undefined;
  readonly worker: number;
}

/** A job: a plan, and where its elements go (shared memory), or nowhere (they come back, transferred). */
interface Job {
  readonly id: number;
  readonly plan: GeneratePlan;
  readonly into: { readonly buffer: SharedArrayBuffer; readonly byteOffset: number } | undefined;
  resolve(done: Done): void;
  reject(error: Error): void;
}

/** Jobs a worker holds at once: the next one waits in its message queue while it runs the current one. */
const JOBS_PER_WORKER = 2;

/** Whether `bytes` lies in memory the workers can write (a SharedArrayBuffer: Node, cross-origin isolated pages). */
export function isShared(bytes: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer === 'function' && bytes.buffer instanceof SharedArrayBuffer;
}

/**
 * Generates on `threads` workers. Jobs wait in one queue and each worker is handed the next when it has fewer than
 * JOBS_PER_WORKER, so a slow worker (a core another process took) never holds up work the others could do.
 * `generate` has the scalar twin's signature and bits; `runInto` writes a plan straight into shared memory (the
 * caller's window: no copy on the calling thread); `runPieces` hands a large job out in pieces and delivers them in
 * order, for a caller that uploads them as they arrive.
 */
export class WorkerPool {
  readonly threads: number;
  private readonly workers: PortLike[];
  private readonly busy: number[];
  private readonly queue: Job[] = [];
  private readonly pending = new Map<number, Job & { readonly worker: number }>();
  private nextId = 1;
  private closed = false;
  private failure: WorkerFailedError | undefined;

  private constructor(workers: PortLike[]) {
    this.workers = workers;
    this.threads = workers.length;
    this.busy = workers.map(() => 0);
  }

  /** Starts the workers (each compiles nothing: they share the module compiled here). */
  static async create(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const threads = options.threads ?? (await defaultThreads());
    checkIntegerIn('threads', threads, 1, MAX_THREADS);
    const module = await compileSimdModule();
    const source = workerSource();
    let pool: WorkerPool | undefined;
    let workers: PortLike[];
    try {
      workers = await startWorkers(
        source,
        threads,
        { module },
        (reply) => pool?.settle(reply),
        (error) => pool?.fail(error),
      );
    } catch (e) {
      throw new UnsupportedError(`the SIMD generator's workers could not start: ${e instanceof Error ? e.message : String(e)}`);
    }
    // Idle workers do not keep Node's event loop alive; a worker with a job pending does (see pump).
    for (const w of workers) w.unref?.();
    pool = new WorkerPool(workers);
    return pool;
  }

  private settle(reply: Reply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    if (--this.busy[job.worker]! === 0) this.workers[job.worker]!.unref?.();
    this.pump();
    if (reply.error !== undefined || (!job.into && !reply.buffer)) job.reject(new WorkerFailedError(`SIMD generator worker: ${reply.error ?? 'no result'}`));
    else job.resolve({ buffer: reply.buffer, worker: job.worker });
  }

  private fail(error: Error): void {
    this.failure = new WorkerFailedError(`SIMD generator worker failed: ${error.message}`);
    for (const job of [...this.pending.values(), ...this.queue]) job.reject(this.failure);
    this.pending.clear();
    this.queue.length = 0;
  }

  /** Hands queued jobs to the least busy workers while some worker has room. */
  private pump(): void {
    while (this.queue.length > 0) {
      let w = 0;
      for (let i = 1; i < this.workers.length; i++) if (this.busy[i]! < this.busy[w]!) w = i;
      if (this.busy[w]! >= JOBS_PER_WORKER) return;
      const job = this.queue.shift()!;
      if (this.busy[w]!++ === 0) this.workers[w]!.ref?.();
      this.pending.set(job.id, { ...job, worker: w });
      const bytes = DTYPE_BYTES[job.plan.dtype];
      this.workers[w]!.postMessage(
        job.into ? { id: job.id, plan: job.plan, bytes, into: job.into.buffer, byteOffset: job.into.byteOffset } : { id: job.id, plan: job.plan, bytes },
      );
    }
  }

  /** Runs a plan of at most SIMD_MAX_ELEMENTS elements on the next free worker; resolves with its elements (32- or 16-bit). */
  async run(plan: GeneratePlan): Promise<ArrayBuffer> {
    if (plan.count > SIMD_MAX_ELEMENTS)
      throw new InvalidParameterError('plan.count', plan.count, `at most ${SIMD_MAX_ELEMENTS} elements per run (use runPieces)`);
    return (await this.dispatch(plan, undefined)).buffer!;
  }

  private dispatch(plan: GeneratePlan, into: Job['into']): Promise<Done> {
    if (this.closed) return Promise.reject(new WorkerFailedError('the worker pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Done>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, plan, into, resolve, reject });
      this.pump();
    });
  }

  /**
   * Writes the elements of `plan` into `into` (bytes in a SharedArrayBuffer, exactly count * element size of them:
   * see isShared), little-endian as the CPU twin gives them, in pieces of at most `pieceElements` queued at once;
   * resolves once every piece is written. The calling thread copies nothing.
   */
  async runInto(plan: GeneratePlan, into: Uint8Array, pieceElements: number): Promise<void> {
    const bytes = DTYPE_BYTES[plan.dtype];
    if (!isShared(into) || into.byteLength !== plan.count * bytes) {
      throw new InvalidParameterError('into', into, `${plan.count * bytes} bytes of a SharedArrayBuffer`);
    }
    let at = into.byteOffset;
    const done = splitPlan(plan, pieceSize(pieceElements)).map((piece) => {
      const p = this.dispatch(piece, { buffer: into.buffer as SharedArrayBuffer, byteOffset: at });
      at += piece.count * bytes;
      return p;
    });
    // Every piece settles before the call does: none writes into `into` after it returned.
    const failed = (await Promise.allSettled(done)).find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Splits `plan` into pieces of at most `pieceElements` and calls `onPiece(elements, at)` for each, in
   * order (`at` = index of its first element in the plan), keeping about two pieces per worker in
   * flight. Resolves after the last onPiece has returned. `elements` is only valid until onPiece
   * returns (or its promise settles): its buffer goes back to the worker for the next piece.
   */
  async runPieces(plan: GeneratePlan, pieceElements: number, onPiece: OnPiece): Promise<void> {
    const stream = this.stream([plan], () => pieceElements);
    try {
      await stream.consume(plan, onPiece);
    } finally {
      stream.close();
    }
  }

  /**
   * The pieces of several plans as one stream (see PieceStream): the workers go on from one plan to the next while
   * the caller consumes the earlier ones. `pieceElements` gives each plan's piece size.
   */
  stream(plans: readonly GeneratePlan[], pieceElements: (plan: GeneratePlan) => number, window = JOBS_PER_WORKER * this.threads): PieceStream {
    return new PieceStream(
      plans.map((plan) => ({ plan, pieces: splitPlan(plan, pieceSize(pieceElements(plan))) })),
      window,
      (piece) => this.dispatch(piece, undefined),
      (buffer, worker) => {
        if (!this.closed && buffer.byteLength > 0) this.workers[worker]!.postMessage({ recycle: buffer }, [buffer]);
      },
    );
  }

  /** Generates like `generate()` from the scalar twin (same signature, same bits), on the workers. */
  async generate(options: CpuGenerateOptions): Promise<GeneratedArray> {
    const plan = planGenerate(options);
    const out = allocate(plan.dtype, plan.count);
    const view = bitsOf(out);
    const piece = Math.max(1 << 16, Math.ceil(plan.count / (4 * this.threads)));
    await this.runPieces(plan, piece, (elements, at) => void view.set(elements, at));
    return out;
  }

  /** Stops the workers; pending jobs reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the worker pool was closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** What a caller does with each piece: its elements (valid until the call returns or its promise settles) and where they start. */
export type OnPiece = (elements: Uint32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>, at: number) => void | Promise<void>;

/**
 * Pieces of one or more plans, made by the workers in order and at most `window` ahead of the caller, who consumes
 * them plan by plan in the same order (WorkerPool.stream). Each piece's buffer goes back to its worker once consumed.
 */
export class PieceStream {
  private readonly pieces: readonly GeneratePlan[];
  private readonly inFlight: Promise<Done>[] = [];
  /** Pieces dispatched so far; plans consumed so far. */
  private dispatched = 0;
  private plan = 0;
  private closed = false;

  constructor(
    private readonly plans: readonly { readonly plan: GeneratePlan; readonly pieces: readonly GeneratePlan[] }[],
    private readonly window: number,
    private readonly dispatch: (piece: GeneratePlan) => Promise<Done>,
    private readonly recycle: (buffer: ArrayBuffer, worker: number) => void,
  ) {
    this.pieces = plans.flatMap((p) => p.pieces);
    this.launch();
  }

  /** The plan whose pieces come next, if any. */
  get upcoming(): GeneratePlan | undefined {
    return this.plans[this.plan]?.plan;
  }

  private launch(): void {
    while (!this.closed && this.dispatched < this.pieces.length && this.inFlight.length < this.window) {
      const p = this.dispatch(this.pieces[this.dispatched++]!);
      p.catch(() => undefined); // awaited in order by consume, or settled by close
      this.inFlight.push(p);
    }
  }

  /**
   * Calls `onPiece(elements, at)` for each piece of `plan` (the upcoming one) in order, `at` the index of its first
   * element in the plan; resolves after the last onPiece has returned.
   */
  async consume(plan: GeneratePlan, onPiece: OnPiece): Promise<void> {
    const entry = this.plans[this.plan];
    if (this.closed || entry?.plan !== plan) throw new Error('PieceStream: plans are consumed in the order given, before close()');
    this.plan++;
    let at = 0;
    try {
      for (const piece of entry.pieces) {
        const { buffer, worker } = await this.inFlight.shift()!;
        this.launch();
        try {
          await onPiece(bitsArray(piece.dtype, buffer!) as Uint32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>, at);
        } finally {
          this.recycle(buffer!, worker);
        }
        at += piece.count;
      }
    } catch (e) {
      // The rest of this plan's pieces are still first in line: a later consume must not take them for its own.
      this.close();
      throw e;
    }
  }

  /** Starts no more pieces; those in flight go back to their workers as they arrive. */
  close(): void {
    this.closed = true;
    for (const p of this.inFlight.splice(0))
      p.then(
        ({ buffer, worker }) => this.recycle(buffer!, worker),
        () => undefined,
      );
  }
}

/** A piece size the SIMD generator takes: a multiple of 16 elements in [16, SIMD_MAX_ELEMENTS]. */
function pieceSize(pieceElements: number): number {
  return Math.min(SIMD_MAX_ELEMENTS, Math.max(16, pieceElements - (pieceElements % 16)));
}

/** Starts a pool of SIMD generator workers (see WorkerPool). Close it when done. */
export function createWorkerPool(options?: WorkerPoolOptions): Promise<WorkerPool> {
  return WorkerPool.create(options);
}
