// A model straight to a Hugging Face checkpoint folder (config.json, model.safetensors or shards + index), generated
// and written window by window through one GPU work buffer, so memory stays bounded whatever the model's size.
// Browser-safe: the folder is an interface (a File System Access API directory here; a Node folder in
// ./checkpoint-node.ts).
import { AbortedError, InvalidParameterError } from '../errors.js';
import type { WeightInitContext } from '../gpu/context.js';
import { BufferUsage } from '../gpu/flags.js';
import { writeInitializePlan } from '../gpu/initialize.js';
import { sliceInitializePlan, type InitializePlan } from '../init/plan-initialize.js';
import { DTYPE_BYTES } from '../contract/dtypes.js';
import type { U64Input } from '../contract/u64.js';
import {
  CHECKPOINT_INDEX_FILE,
  DEFAULT_MAX_SHARD_SIZE,
  encodeCheckpointIndex,
  isCheckpointFileName,
  planCheckpoint,
  type CheckpointFile,
} from './checkpoint-plan.js';
import type { ModelTensor } from './init-model.js';
import { planModel } from './model-plan.js';
import { encodeHeader, writableStreamSink, type EncodedHeader, type SafetensorsSink } from './safetensors.js';
import { Readback } from '../gpu/readback.js';
import type { WorkerPool } from '../simd/worker-pool.js';
import { initializePlanned } from '../twin/initialize.js';

/** The config file of a checkpoint folder. */
export const CHECKPOINT_CONFIG_FILE = 'config.json';

/** Where a checkpoint's files go: one sink per file. */
export interface CheckpointFolder {
  /** A sink for a new file of the checkpoint; each name is asked for once, one file at a time. */
  create(name: string): SafetensorsSink | Promise<SafetensorsSink>;
  /** Removes a file this writer completed, when a later one failed (optional: without it, completed files stay). */
  remove?(name: string): void | Promise<void>;
  /** Names of the files already in the folder (optional): a previous checkpoint there is refused, not mixed in. */
  list?(): readonly string[] | Promise<readonly string[]>;
}

export interface CheckpointProgress {
  /** Bytes of all files written so far, and in all. */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** The file being written. */
  readonly file: string;
  readonly filesDone: number;
  readonly filesTotal: number;
}

export interface WriteCheckpointOptions {
  seed: U64Input;
  /** Largest shard, as Hugging Face's max_shard_size: bytes or '5GB' (10^9), '2GiB' (2^30), ... Default '5GB'. */
  maxShardSize?: number | string;
  /** The config.json object; no config.json is written without it. */
  config?: Readonly<Record<string, unknown>>;
  /** Each weight file's `__metadata__`, from the tensors it holds (or the same map for every file). */
  metadata?: Readonly<Record<string, string>> | ((tensors: readonly ModelTensor[]) => Record<string, string>);
  /**
   * Bytes generated per window (default 16 MiB): the size of each of the two GPU work buffers and two staging
   * buffers. A tensor larger than this is generated in slices, with the bits of the whole tensor.
   */
  stagingBytes?: number;
  /** Called after each chunk a sink took. */
  onProgress?: (progress: CheckpointProgress) => void;
  /** Stops before the next window; written files are removed and the call rejects with an AbortedError. */
  signal?: AbortSignal;
}

export interface WriteCheckpointResult {
  /** Every file written, in order: weight files, the index when sharded, config.json when given. */
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly tensors: number }[];
  /** Bytes of tensor data (the index's total_size). */
  readonly totalSize: number;
  /** Bytes of all files. */
  readonly bytesWritten: number;
  readonly sharded: boolean;
  /** The limit the shards were cut at, in bytes. */
  readonly maxShardSize: number;
  /** Windows generated and read back. */
  readonly windows: number;
}

const DEFAULT_STAGING_BYTES = 16 << 20;
const LABEL = 'webgpu-weight-init';

interface PlannedFile {
  readonly name: string;
  readonly bytes: Uint8Array | null;
  readonly header: EncodedHeader | null;
  readonly tensors: readonly ModelTensor[];
}

/**
 * Writes `tensors` initialized under `options.seed` as a Hugging Face checkpoint into `folder`: the weight files
 * (`model.safetensors`, or `model-0000i-of-0000n.safetensors` shards of at most `maxShardSize` bytes of data, tensors
 * whole and in the model's order), then `model.safetensors.index.json` when sharded, then `config.json` when
 * `options.config` is given. Each weight file holds exactly the bytes `initModel` + `writeSafetensors` give its
 * tensors (same header layout, same values).
 *
 * Memory: two work buffers (STORAGE) and two staging buffers (MAP_READ) of `stagingBytes` on the GPU, two chunks of
 * at most `stagingBytes` on the host, whatever the model's size; window k + 1 is generated while window k is read
 * back and written. An orthogonal tensor also needs its whole matrix in f32 for each window it spans (its QR is
 * computed again per window). Everything is checked before any GPU work; a failure or an abort
 * aborts the file being written and removes the files completed before it (`folder.remove`).
 */
export async function writeCheckpoint(
  ctx: WeightInitContext,
  tensors: readonly ModelTensor[],
  folder: CheckpointFolder,
  options: WriteCheckpointOptions,
): Promise<WriteCheckpointResult> {
  if (folder === null || typeof folder !== 'object' || typeof folder.create !== 'function') {
    throw new InvalidParameterError('folder', folder, 'an object with create(name) returning a sink');
  }
  const stagingBytes = options.stagingBytes ?? DEFAULT_STAGING_BYTES;
  if (!Number.isSafeInteger(stagingBytes) || stagingBytes < 4 || stagingBytes > ctx.device.limits.maxBufferSize) {
    throw new InvalidParameterError('stagingBytes', stagingBytes, `an integer number of bytes in [4, ${ctx.device.limits.maxBufferSize}] (maxBufferSize)`);
  }
  const window = Math.floor(stagingBytes / 4) * 4;
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidParameterError('onProgress', options.onProgress, 'a function');
  }
  // Plan everything (and so validate everything) before touching the GPU.
  // The same checks as initModel's (unique names, one stream per tensor); no buffer is laid out.
  const plans = new Map<string, InitializePlan>(planModel(tensors, { seed: options.seed }).tensors.map((p) => [p.name, p.plan]));
  const plan = planCheckpoint(tensors, options.maxShardSize ?? DEFAULT_MAX_SHARD_SIZE);
  const files: PlannedFile[] = plan.files.map((f: CheckpointFile<ModelTensor>) => {
    const metadata = typeof options.metadata === 'function' ? options.metadata(f.tensors) : options.metadata;
    const header = encodeHeader(
      f.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
      metadata === undefined ? {} : { metadata },
    );
    return { name: f.name, bytes: null, header, tensors: f.tensors };
  });
  const text = new TextEncoder();
  if (plan.index) files.push({ name: CHECKPOINT_INDEX_FILE, bytes: text.encode(encodeCheckpointIndex(plan.index)), header: null, tensors: [] });
  if (options.config !== undefined) {
    let json: string | undefined;
    try {
      json = JSON.stringify(options.config, null, 2);
    } catch {
      json = undefined;
    }
    if (options.config === null || typeof options.config !== 'object' || Array.isArray(options.config) || json === undefined) {
      throw new InvalidParameterError('config', options.config, 'a JSON object (the config.json fields)');
    }
    files.push({ name: CHECKPOINT_CONFIG_FILE, bytes: text.encode(`${json}\n`), header: null, tensors: [] });
  }
  await refuseOccupiedFolder(folder);
  const signal = options.signal;
  const abortIfNeeded = () => {
    if (signal?.aborted) throw new AbortedError(signal.reason);
  };
  abortIfNeeded();

  const sizes = files.map((f) => (f.header ? f.header.bytes.length + f.header.dataBytes : f.bytes!.length));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  let bytesDone = 0;
  let windows = 0;
  const completed: string[] = [];
  const pipeline = new WindowPipeline(ctx, window);
  try {
    for (const [i, f] of files.entries()) {
      abortIfNeeded();
      const sink = await folder.create(f.name);
      const writer = sequentialWriter(sink, (n) => {
        bytesDone += n;
        options.onProgress?.({ bytesDone, bytesTotal, file: f.name, filesDone: i, filesTotal: files.length });
      });
      try {
        if (f.header) {
          await writer.write(f.header.bytes);
          windows += await pipeline.run(
            planWindows(
              f.header.order.map((n) => plans.get(n)!),
              window,
            ),
            writer.write,
            abortIfNeeded,
          );
        } else {
          await writer.write(f.bytes!);
        }
        await writer.settle();
        abortIfNeeded();
        await sink.close?.();
      } catch (e) {
        await writer.settle().catch(() => {});
        try {
          await sink.abort?.(e);
        } catch {
          // the first error is the one to report
        }
        throw e;
      }
      completed.push(f.name);
    }
  } catch (e) {
    for (const name of completed.reverse()) {
      try {
        await folder.remove?.(name);
      } catch {
        // keep removing the others; the first error is the one to report
      }
    }
    throw e;
  } finally {
    pipeline.destroy();
  }
  return {
    files: files.map((f, i) => ({ name: f.name, bytes: sizes[i]!, tensors: f.tensors.length })),
    totalSize: plan.totalSize,
    bytesWritten: bytesTotal,
    sharded: plan.index !== null,
    maxShardSize: plan.maxShardSize,
    windows,
  };
}

/**
 * Throws when `folder` (listed with `folder.list`, when it has one) already holds checkpoint files (config.json,
 * model.safetensors, shards, index): a new checkpoint is never mixed into an old one, and no file is replaced.
 */
export async function refuseOccupiedFolder(folder: CheckpointFolder): Promise<void> {
  const present = folder.list ? await folder.list() : [];
  const clash = present.filter((n) => isCheckpointFileName(n) || n === CHECKPOINT_CONFIG_FILE).sort();
  if (clash.length > 0) {
    throw new InvalidParameterError(
      'folder',
      clash.join(', '),
      'a folder without a checkpoint (config.json, model*.safetensors, index): remove those files or pick another folder',
    );
  }
}

/** One piece of a window: a slice of a tensor's plan, at byte `at` of the work buffer. */
interface WindowPiece {
  readonly plan: InitializePlan;
  readonly at: number;
  readonly bytes: number;
}

interface Window {
  readonly pieces: readonly WindowPiece[];
  /** Bytes of the work buffer the pieces use (each piece rounded up to whole words). */
  readonly used: number;
}

/**
 * The windows of one file: its tensors' plans in data order, back to back, each piece at a 4-byte boundary of a
 * window of `window` bytes; a tensor split across windows is cut at a whole word (an even element of a 2-byte
 * dtype) and each piece is a slice of the tensor's one plan.
 */
function* planWindows(order: readonly InitializePlan[], window: number): Generator<Window> {
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
class WindowPipeline {
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

/**
 * Hands chunks to a sink one at a time: `write` waits for the previous write to settle, starts this one and returns
 * (so the caller prepares the next chunk while this one is written); `settle` waits for the last. `onWritten` runs
 * with each chunk's length once the sink has taken it.
 */
function sequentialWriter(
  sink: { write(chunk: Uint8Array): Promise<void> | void },
  onWritten: (bytes: number) => void,
): { write(chunk: Uint8Array): Promise<void>; settle(): Promise<void> } {
  let pending: Promise<void> | undefined;
  return {
    async write(chunk) {
      if (pending) await pending;
      const p = Promise.resolve()
        .then(() => sink.write(chunk))
        .then(() => onWritten(chunk.length));
      p.catch(() => {}); // awaited later; keep it from counting as unhandled meanwhile
      pending = p;
    },
    async settle() {
      const p = pending;
      pending = undefined;
      await p;
    },
  };
}

/** A structural File System Access API directory handle (FileSystemDirectoryHandle). */
export interface DirectoryHandleLike {
  getFileHandle(name: string, options?: { create?: boolean }): Promise<{ createWritable(): Promise<WritableStream<Uint8Array>> }>;
  removeEntry(name: string): Promise<void>;
  keys?(): AsyncIterable<string>;
}

/**
 * A checkpoint folder on a File System Access API directory handle (e.g. from `showDirectoryPicker({ mode:
 * 'readwrite' })`): each file through `createWritable()` (the browser writes a temporary file and swaps it in on
 * close; abort discards it), completed files removed with `removeEntry` on failure, and the folder's names listed.
 */
export function directoryHandleFolder(dir: DirectoryHandleLike): CheckpointFolder {
  if (dir === null || typeof dir !== 'object' || typeof dir.getFileHandle !== 'function') {
    throw new InvalidParameterError('dir', dir, 'a FileSystemDirectoryHandle');
  }
  return {
    async create(name) {
      const file = await dir.getFileHandle(name, { create: true });
      return writableStreamSink(await file.createWritable());
    },
    async remove(name) {
      await dir.removeEntry(name);
    },
    async list() {
      const names: string[] = [];
      if (dir.keys) for await (const name of dir.keys()) names.push(name);
      return names;
    },
  };
}
