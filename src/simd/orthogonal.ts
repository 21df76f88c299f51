// The fast CPU path of the orthogonal initializer: the definition of src/twin/orthogonal.ts run with the
// WebAssembly SIMD kernels of src/simd/orthogonal-wat.ts, with the same bits as orthogonalF32 (and as the
// GPU kernels). The Gaussian matrix comes from the SIMD generator; the steps run in the order of
// gramSchmidtSteps, each step's arithmetic in the kernels' tiles. test/simd/orthogonal.test.ts holds it
// bit-equal to the scalar twin.
//
// Threads: where shared WebAssembly memory is available (Node; cross-origin isolated pages), the block
// projections (almost all the work) are split over the calling thread and one worker per further core,
// all running the same kernels on one shared memory: projectionDots by source columns, subtractProjection
// by row blocks (from a row-major copy of the finished columns, kept up to date panel by panel). Each output
// value is computed by exactly one thread in the fixed order, so the split does not change any bit. The small
// in-panel steps run on the calling thread. Elsewhere one thread does it all.
//
// The event loop stays free: the calling thread's share of a block projection is cut into pieces of about
// CHUNK_WORK multiply-adds (the same bits: a piece is a range of whole sources or whole rows), and between
// pieces and steps the run yields to the event loop at least every YIELD_MS, where an AbortSignal is seen.

import { roundDown4 } from '../contract/align.js';
import { type GramSchmidtStep, type OrthogonalOptions, type OrthogonalPlan, PANEL_WIDTH, type Projection, planOrthogonal } from '../contract/orthogonal.js';
import type { GeneratePlan } from '../contract/plan.js';
import { AbortedError, InvalidParameterError, OutOfMemoryError, UnsupportedError, WorkerFailedError } from '../errors.js';
import { inverseNorm } from '../twin/orthogonal.js';
import { createSimdGenerator, decodeBase64 } from './generator.js';
import { ORTHOGONAL_WASM_BASE64 } from './orthogonal-binary.js';
import { dotsKernel, MAX_PAGES, ROW_BLOCK, ROW_TILE_TARGETS, subtractKernel } from './orthogonal-wat.js';
import { defaultThreads, type PortLike, type Reply, startWorkers } from './worker-pool.js';

type Kernel = (...args: number[]) => void;
/** One kernel call: export name and arguments. */
type Call = readonly [string, readonly number[]];

interface OrthogonalExports {
  readonly scaleColumn: (ptr: number, quads: number, scale: number) => void;
  readonly [name: string]: unknown;
}

/** Multiply-adds below which a block projection is not worth splitting over threads. */
const SPLIT_MIN_WORK = 1 << 22;
/** Multiply-adds of one piece of the calling thread's share of a block projection (a few milliseconds). */
const CHUNK_WORK = 1 << 24;
/** Longest stretch the calling thread computes without yielding to the event loop. */
const YIELD_MS = 50;

/** Yields to the event loop when YIELD_MS have passed since the last yield; throws AbortedError once `signal` fired. */
class Yielder {
  private last = performance.now();
  constructor(private readonly signal: AbortSignal | undefined) {
    this.check();
  }

  check(): void {
    if (this.signal?.aborted) throw new AbortedError(this.signal.reason);
  }

  async tick(): Promise<void> {
    this.check();
    if (performance.now() - this.last < YIELD_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.last = performance.now();
    this.check();
  }
}

/** [from, to) cut into consecutive pieces of at most `size` from `from` (a size that is a multiple of the caller's alignment keeps every inner bound aligned). */
function pieces(from: number, to: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let at = from; at < to; at += size) out.push([at, Math.min(to, at + size)]);
  return out;
}

/** Grows the memory to at least `bytes`. */
function reserve(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
}

/** What each worker runs: instantiate the shared module on the shared memory, then run lists of calls. */
const WORKER_SOURCE = `'use strict';
const port = typeof require === 'function' ? require('node:worker_threads').parentPort : self;
let kernels;
const onMessage = (m) => {
  try {
    if (m.module) {
      kernels = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports;
      port.postMessage({ id: 0, ready: true });
      return;
    }
    for (const [name, args] of m.calls) kernels[name](...args);
    port.postMessage({ id: m.id });
  } catch (e) {
    port.postMessage({ id: m.id, error: String((e && e.stack) || e) });
  }
};
if (typeof port.on === 'function') port.on('message', onMessage);
else port.onmessage = (e) => onMessage(e.data);
`;

/** Workers sharing one memory with the calling thread's instance. */
class Helpers {
  private readonly pending = new Map<number, { resolve(): void; reject(e: Error): void }>();
  private nextId = 1;
  private failure: Error | undefined;
  private constructor(private readonly workers: PortLike[]) {}

  static async start(count: number, module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Helpers> {
    let helpers: Helpers | undefined;
    let workers: PortLike[];
    try {
      workers = await startWorkers(
        WORKER_SOURCE,
        count,
        { module, memory },
        (reply: Reply) => helpers?.settle(reply),
        (e) => helpers?.fail(e),
      );
    } catch (e) {
      throw new UnsupportedError(`the SIMD orthogonal path's workers: ${String(e)}`);
    }
    helpers = new Helpers(workers);
    for (const w of workers) w.unref?.();
    return helpers;
  }

  get count(): number {
    return this.workers.length;
  }

  /** Runs calls[w] on worker w; resolves when all are done. */
  run(calls: readonly (readonly Call[])[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return Promise.all(
      calls.map(
        (list, w) =>
          new Promise<void>((resolve, reject) => {
            if (list.length === 0) return resolve();
            const id = this.nextId++;
            const worker = this.workers[w]!;
            worker.ref?.();
            this.pending.set(id, {
              resolve: () => {
                worker.unref?.();
                resolve();
              },
              reject: (e) => {
                worker.unref?.();
                reject(e);
              },
            });
            worker.postMessage({ id, calls: list });
          }),
      ),
    ).then(() => undefined);
  }

  private settle(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.error) p.reject(new WorkerFailedError(`SIMD orthogonal worker: ${reply.error}`));
    else p.resolve();
  }

  /** Stops the workers; pending runs reject. */
  close(): void {
    this.fail(new Error('closed'));
    for (const w of this.workers) void w.terminate();
  }

  private fail(e: Error): void {
    this.failure = new WorkerFailedError(`SIMD orthogonal worker: ${e.message}`);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

/** [from, to) cut into `parts` consecutive ranges whose inner bounds are multiples of `step` from `from`. */
function split(from: number, to: number, parts: number, step: number): [number, number][] {
  const units = Math.floor((to - from) / step);
  const out: [number, number][] = [];
  let at = from;
  for (let p = 0; p < parts; p++) {
    const end = p === parts - 1 ? to : from + step * Math.round((units * (p + 1)) / parts);
    out.push([at, end]);
    at = end;
  }
  return out;
}

/** Makes A: the plan's elements as f32 bits into `into`. */
export type SourceGenerator = (plan: GeneratePlan, into: Uint32Array<ArrayBuffer>, signal: AbortSignal | undefined) => Promise<void>;

/** One instance on one memory, and its helpers (none without shared memory). */
class Engine {
  private queue: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly kernels: OrthogonalExports,
    private readonly memory: WebAssembly.Memory,
    private readonly helpers: Helpers | undefined,
  ) {}

  /** The calling thread and the helpers. */
  get threads(): number {
    return 1 + (this.helpers?.count ?? 0);
  }

  /** Q of the plan, with A made by `source`; calls run one at a time. */
  orthogonal(plan: OrthogonalPlan, source: SourceGenerator, signal: AbortSignal | undefined): Promise<Float32Array<ArrayBuffer>> {
    const run = this.queue.then(() => this.compute(plan, source, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.helpers?.close();
  }

  private async compute(o: OrthogonalPlan, source: SourceGenerator, signal: AbortSignal | undefined): Promise<Float32Array<ArrayBuffer>> {
    const y = new Yielder(signal);
    const { m, n } = o;
    const stride = Math.ceil(m / ROW_BLOCK) * ROW_BLOCK;
    const layout = { work: 0, stride, rows: 4 * n * stride, coeffs: 4 * n * stride * (n > PANEL_WIDTH ? 2 : 1) };
    // Every allocation is made before A is generated and the QR runs, so that one that fails fails first.
    const need = layout.coeffs + 4 * (n * PANEL_WIDTH + 1);
    const failed = (what: string, e?: unknown) =>
      new OutOfMemoryError(`orthogonal ${o.rows}x${o.cols} on the SIMD path: ${what}${e === undefined ? '' : ` (${String(e)})`}`);
    if (need > MAX_PAGES * 65536) throw failed(`needs ${need} bytes of WebAssembly memory; at most ${MAX_PAGES * 65536}`);
    let a: Float32Array<ArrayBuffer>;
    try {
      reserve(this.memory, need);
      a = new Float32Array(o.rows * o.cols);
    } catch (e) {
      throw failed(`cannot allocate ${need} bytes of WebAssembly memory and ${4 * o.rows * o.cols} bytes for the matrix`, e);
    }
    await source(o.source, new Uint32Array(a.buffer), signal);
    await y.tick();
    const heap = new Float32Array(this.memory.buffer);
    // M column-major: the columns of A (tall) or its rows (wide: M = A^T); padding rows 0 (they stay 0).
    heap.fill(0, 0, n * stride);
    if (o.tall) {
      for (let i = 0; i < o.rows; i++) {
        const row = i * o.cols;
        for (let k = 0; k < o.cols; k++) heap[k * stride + i] = a[row + k]!;
        if (i % 256 === 255) await y.tick();
      }
    } else {
      for (let r = 0; r < o.rows; r++) heap.set(a.subarray(r * o.cols, (r + 1) * o.cols), r * stride);
    }
    await this.orthonormalize(m, n, layout, heap, o.steps, y);
    if (o.tall) {
      for (let i = 0; i < o.rows; i++) {
        const row = i * o.cols;
        for (let k = 0; k < o.cols; k++) a[row + k] = heap[k * stride + i]!;
        if (i % 256 === 255) await y.tick();
      }
    } else {
      for (let r = 0; r < o.rows; r++) a.set(heap.subarray(r * stride, r * stride + o.cols), r * o.cols);
    }
    return a;
  }

  /**
   * Replaces the n columns of M (column-major at layout.work, column stride layout.stride floats, a
   * multiple of ROW_BLOCK) with Q: the plan's steps. layout.rows: room for the row-major copy of the
   * finished columns (n > 64); layout.coeffs: room for n * 64 + 1 floats.
   */
  private async orthonormalize(
    m: number,
    n: number,
    layout: { work: number; stride: number; rows: number; coeffs: number },
    heap: Float32Array,
    steps: Iterable<GramSchmidtStep>,
    y: Yielder,
  ): Promise<void> {
    const k = this.kernels;
    const kernel = (name: string) => k[name] as Kernel;
    const { work, stride, rows, coeffs } = layout;
    const strideBytes = 4 * stride;
    const quads = m >>> 2;
    const tail = m & 3;
    const blocks = stride / ROW_BLOCK;
    const normSlot = coeffs + 4 * n * PANEL_WIDTH;
    const threads = 1 + (this.helpers?.count ?? 0);
    /** Columns [0, copied) are in the row-major copy (row i at rows + 4 * i * n). */
    let copied = 0;
    const copyFinished = (to: number) => {
      const base = rows >>> 2;
      for (let c = copied; c < to; c++) {
        const col = (work >>> 2) + c * stride;
        for (let i = 0; i < stride; i++) heap[base + i * n + c] = heap[col + i]!;
      }
      copied = to;
    };
    const dotsCall = (ta: number, tc: number, a0: number, a1: number, c0: number, c1: number, p: Projection, wp: number): Call[] =>
      a1 > a0 && c1 > c0 ? [[dotsKernel(ta, tc), [work, strideBytes, quads, tail, a0, a1, c0, c1, coeffs, wp, p.s0, p.t0]]] : [];
    /**
     * Runs mine here, piece by piece with a yield between pieces, and others[w] on helper w, concurrently;
     * settles once the helpers are done too, whatever happened here (they share this memory).
     */
    const parallel = async (mine: readonly Call[][], others: readonly Call[][] = []) => {
      const away = this.helpers && others.length > 0 ? this.helpers.run(others) : undefined;
      away?.catch(() => undefined); // awaited below
      let failure: { error: unknown } | undefined;
      try {
        for (const piece of mine) {
          for (const [name, args] of piece) kernel(name)(...args);
          await y.tick();
        }
      } catch (e) {
        failure = { error: e };
      }
      if (away) {
        try {
          await away;
        } catch (e) {
          failure ??= { error: e };
        }
      }
      if (failure) throw failure.error;
    };
    for (const step of steps) {
      if (step.kind === 'normalize') {
        const j = step.column;
        kernel(dotsKernel(1, 1))(work, strideBytes, quads, tail, j, j + 1, j, j + 1, normSlot, 1, j, j);
        k.scaleColumn(work + j * strideBytes, Math.ceil(m / 4), inverseNorm(heap[normSlot >>> 2]!));
        await y.tick();
        continue;
      }
      const { p } = step;
      const w = p.t1 - p.t0;
      const sources = p.s1 - p.s0;
      if (w === 1) {
        // In-panel step: few sources, one target; here.
        const aEnd = p.s0 + roundDown4(sources);
        await parallel([
          [
            ...dotsCall(4, 1, p.s0, aEnd, p.t0, p.t1, p, 1),
            ...dotsCall(1, 1, aEnd, p.s1, p.t0, p.t1, p, 1),
            [subtractKernel(4, 1), [work, strideBytes, 0, blocks, p.s0, p.s1, p.t0, p.t0, p.t1, coeffs, 1]],
          ],
        ]);
        continue;
      }
      // Block projection: sources [0, k) are finished panels. Coefficient rows padded to 16 targets.
      const wp = Math.ceil(w / ROW_TILE_TARGETS) * ROW_TILE_TARGETS;
      const parts = threads > 1 && sources * w * m >= SPLIT_MIN_WORK ? threads : 1;
      // Bulk in 4 x 2 tiles (the fastest measured) split by sources; the sources beyond a multiple of 4
      // and the odd last target in 1 x 1 tiles. The calling thread's share in pieces of whole sources.
      const aEnd = p.s0 + roundDown4(sources);
      const cEnd = p.t0 + (w - (w % 2));
      const dots = ([a0, a1]: [number, number]): Call[] => [...dotsCall(4, 2, a0, a1, p.t0, cEnd, p, wp), ...dotsCall(1, 1, a0, a1, cEnd, p.t1, p, wp)];
      const [mine, ...others] = split(p.s0, aEnd, parts, 4);
      const sourcesPerPiece = 4 * Math.max(1, Math.floor(CHUNK_WORK / (4 * w * m)));
      const myDots = pieces(mine![0], mine![1], sourcesPerPiece).map(dots);
      myDots.push(dotsCall(1, 1, aEnd, p.s1, p.t0, p.t1, p, wp));
      await parallel(myDots, others.map(dots));
      copyFinished(p.s1);
      const subtract = ([r0, r1]: [number, number]): Call[] =>
        r1 > r0 ? [['subtractProjectionRows', [work, strideBytes, rows, 4 * n, r0, r1, p.s1, p.t0, w, wp, coeffs]]] : [];
      const [myRows, ...otherRows] = split(0, stride, parts, ROW_BLOCK);
      const rowsPerPiece = ROW_BLOCK * Math.max(1, Math.floor(CHUNK_WORK / (ROW_BLOCK * sources * w)));
      await parallel(pieces(myRows![0], myRows![1], rowsPerPiece).map(subtract), otherRows.map(subtract));
    }
  }
}

/** The memory import of the module: module "env", field "memory", kind memory, then the limits flags. */
const MEMORY_IMPORT = [3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2];
/** Limits flags: a maximum, and shared. */
const SHARED_WITH_MAXIMUM = 3;
const WITH_MAXIMUM = 1;

/**
 * The module on a plain (unshared) memory, from the committed shared-memory module: the same bytes but
 * the memory import's limits flags (test/simd/orthogonal.test.ts holds it equal to assembling
 * orthogonalWat(false)).
 */
export function plainMemoryModule(shared: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const at = shared.findIndex((_, i) => MEMORY_IMPORT.every((b, k) => shared[i + k] === b) && shared[i + MEMORY_IMPORT.length] === SHARED_WITH_MAXIMUM);
  if (at < 0) throw new Error('orthogonal module: no shared memory import');
  const plain = shared.slice();
  plain[at + MEMORY_IMPORT.length] = WITH_MAXIMUM;
  return plain;
}

/** An engine on a shared memory with threads - 1 helpers where possible, else on a plain memory alone. */
async function createEngine(threads: number | undefined): Promise<Engine> {
  if (typeof WebAssembly !== 'object') throw new UnsupportedError('WebAssembly is not available here');
  const helpers = (threads ?? (await defaultThreads())) - 1;
  if (helpers > 0 && typeof SharedArrayBuffer === 'function') {
    try {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
      const module = await WebAssembly.compile(decodeBase64(ORTHOGONAL_WASM_BASE64));
      const instance = await WebAssembly.instantiate(module, { env: { memory } });
      const pool = await Helpers.start(helpers, module, memory);
      return new Engine(instance.exports as unknown as OrthogonalExports, memory, pool);
    } catch {
      // No WebAssembly threads or no workers here: one thread.
    }
  }
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
    const module = await WebAssembly.compile(plainMemoryModule(decodeBase64(ORTHOGONAL_WASM_BASE64)));
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    return new Engine(instance.exports as unknown as OrthogonalExports, memory, undefined);
  } catch (e) {
    throw new UnsupportedError(`the SIMD orthogonal path needs WebAssembly SIMD (fixed-width SIMD): ${String(e)}`);
  }
}

/** A loaded SIMD orthogonal path: `orthogonal` resolves with the bits of orthogonalF32. */
export interface SimdOrthogonal {
  orthogonal(options: OrthogonalOptions): Promise<Float32Array<ArrayBuffer>>;
  /**
   * Q of a planned matrix, with A made by `source` (default: a SIMD generator on the calling thread). Every
   * allocation is made before A is generated (a failed one rejects with OutOfMemoryError); the event loop is
   * free at least every 50 ms of the QR, and `signal` is seen there (AbortedError).
   */
  planned(plan: OrthogonalPlan, options?: { signal?: AbortSignal; source?: SourceGenerator }): Promise<Float32Array<ArrayBuffer>>;
  /** Threads the block projections run on (1 without shared memory). */
  readonly threads: number;
  /** Stops the helper threads; later calls reject. */
  close(): void;
}

/**
 * Instantiates the SIMD orthogonal path: the same Q as orthogonalF32, bit for bit, many times faster, on
 * `threads` threads (default: the number of logical cores, at most 16; the calling thread is one of them).
 * Calls run one at a time, in the instance's memory (grown to about 4 * max(rows, cols) * min(rows, cols)
 * bytes and kept); options are validated before anything runs (InvalidParameterError).
 */
export async function createSimdOrthogonal(options: { threads?: number } = {}): Promise<SimdOrthogonal> {
  const { threads } = options;
  if (threads !== undefined && (!Number.isSafeInteger(threads) || threads < 1 || threads > 16)) {
    throw new InvalidParameterError('threads', threads, 'an integer from 1 to 16');
  }
  const [engine, generator] = await Promise.all([createEngine(threads), createSimdGenerator()]);
  const here: SourceGenerator = async (plan, into) => generator.run(plan, into);
  let closed = false;
  const planned: SimdOrthogonal['planned'] = (plan, o = {}) => {
    if (closed) return Promise.reject(new WorkerFailedError('the SIMD orthogonal path is closed'));
    return engine.orthogonal(plan, o.source ?? here, o.signal);
  };
  return {
    threads: engine.threads,
    planned,
    orthogonal: (options) => {
      try {
        return planned(planOrthogonal(options));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    close() {
      closed = true;
      engine.close();
    },
  };
}
