// The SIMD CPU generator on several threads: Web Workers in browsers, worker_threads in Node. Each worker
// instantiates the same compiled module and runs jobs (src/simd/generator.ts) posted to it; the values are
// bit-identical to a single-threaded run because every element's value depends only on its index.
import { InvalidParameterError, UnsupportedError, WorkerFailedError } from '../errors.js';
import { planGenerate, splitPlan, type GeneratePlan } from '../contract/plan.js';
import { allocate, type CpuGenerateOptions, type GeneratedArray } from '../twin/generate.js';
import { checkIntegerIn } from '../contract/validate.js';
import { compileSimdModule, runSimdPlan, SIMD_MAX_ELEMENTS } from './generator.js';
import { bitsArray, bitsOf } from '../contract/dtypes.js';

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
    const half = m.plan.dtype === 'f16' || m.plan.dtype === 'bf16';
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

/** A finished job: its elements, and the worker that made them (to hand the buffer back to). */
interface Done {
  readonly buffer: ArrayBuffer;
  readonly worker: number;
}

interface Pending {
  readonly worker: number;
  resolve(done: Done): void;
  reject(error: Error): void;
}

/**
 * Generates on `threads` workers. `generate` has the scalar twin's signature and bits; `runPieces` hands
 * a large job out in pieces and delivers them in order, for a caller that uploads as they arrive.
 */
export class WorkerPool {
  readonly threads: number;
  private readonly workers: PortLike[];
  private readonly busy: number[];
  private readonly pending = new Map<number, Pending>();
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
    // Idle workers do not keep Node's event loop alive; a worker with a job pending does (see dispatch).
    for (const w of workers) w.unref?.();
    pool = new WorkerPool(workers);
    return pool;
  }

  private settle(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (--this.busy[p.worker]! === 0) this.workers[p.worker]!.unref?.();
    if (reply.error !== undefined || !reply.buffer) p.reject(new WorkerFailedError(`SIMD generator worker: ${reply.error ?? 'no result'}`));
    else p.resolve({ buffer: reply.buffer, worker: p.worker });
  }

  private fail(error: Error): void {
    this.failure = new WorkerFailedError(`SIMD generator worker failed: ${error.message}`);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  /** Runs a plan of at most SIMD_MAX_ELEMENTS elements on the least busy worker; resolves with its elements (32- or 16-bit). */
  async run(plan: GeneratePlan): Promise<ArrayBuffer> {
    if (plan.count > SIMD_MAX_ELEMENTS)
      throw new InvalidParameterError('plan.count', plan.count, `at most ${SIMD_MAX_ELEMENTS} elements per run (use runPieces)`);
    return (await this.dispatch(plan)).buffer;
  }

  private dispatch(plan: GeneratePlan): Promise<Done> {
    if (this.closed) return Promise.reject(new WorkerFailedError('the worker pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.busy[i]! < this.busy[w]!) w = i;
    const id = this.nextId++;
    if (this.busy[w]!++ === 0) this.workers[w]!.ref?.();
    return new Promise<Done>((resolve, reject) => {
      this.pending.set(id, { worker: w, resolve, reject });
      this.workers[w]!.postMessage({ id, plan });
    });
  }

  /**
   * Splits `plan` into pieces of at most `pieceElements` and calls `onPiece(elements, at)` for each, in
   * order (`at` = index of its first element in the plan), keeping about two pieces per worker in
   * flight. Resolves after the last onPiece has returned. `elements` is only valid until onPiece
   * returns (or its promise settles): its buffer goes back to the worker for the next piece.
   */
  async runPieces(
    plan: GeneratePlan,
    pieceElements: number,
    onPiece: (elements: Uint32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>, at: number) => void | Promise<void>,
  ): Promise<void> {
    const size = Math.min(SIMD_MAX_ELEMENTS, Math.max(16, pieceElements - (pieceElements % 16)));
    const pieces = splitPlan(plan, size);
    const window = 2 * this.threads;
    const inFlight: Promise<Done>[] = [];
    let next = 0;
    let at = 0;
    const launch = () => {
      while (next < pieces.length && inFlight.length < window) {
        const p = this.dispatch(pieces[next++]!);
        p.catch(() => undefined); // awaited below; this keeps a piece left behind by an error from going unhandled
        inFlight.push(p);
      }
    };
    launch();
    for (const piece of pieces) {
      const { buffer, worker } = await inFlight.shift()!;
      launch();
      await onPiece(bitsArray(piece.dtype, buffer) as Uint32Array<ArrayBuffer> | Uint16Array<ArrayBuffer>, at);
      at += piece.count;
      if (!this.closed && buffer.byteLength > 0) this.workers[worker]!.postMessage({ recycle: buffer }, [buffer]);
    }
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

/** Starts a pool of SIMD generator workers (see WorkerPool). Close it when done. */
export function createWorkerPool(options?: WorkerPoolOptions): Promise<WorkerPool> {
  return WorkerPool.create(options);
}
