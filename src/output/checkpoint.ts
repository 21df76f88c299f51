// A model straight to a Hugging Face checkpoint folder (config.json, model.safetensors or shards + index), made and
// written window by window by the executor (window-pipeline.ts), so memory stays bounded whatever the model's size.
// Browser-safe: the folder is an interface (a File System Access API directory here; a Node folder in
// ./checkpoint-node.ts).
import { AbortedError, InvalidParameterError } from '../errors.js';
import type { WeightInitContext } from '../gpu/context.js';
import type { ByteExecutor } from '../simd/host-executor.js';
import type { InitializePlan } from '../init/plan-initialize.js';
import type { U64Input } from '../contract/u64.js';
import {
  CHECKPOINT_INDEX_FILE,
  DEFAULT_MAX_SHARD_SIZE,
  encodeCheckpointIndex,
  isCheckpointFileName,
  planCheckpoint,
  type CheckpointFile,
} from '../models/checkpoint-plan.js';
import type { ModelTensor } from '../models/spec.js';
import { planModel } from '../models/model-plan.js';
import { encodeHeader, type EncodedHeader } from './safetensors/format.js';
import { writableStreamSink, type SafetensorsSink } from './safetensors/sinks.js';
import { planWindows, WindowPipeline } from './window-pipeline.js';

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
   * buffers on the kernels, of the chunks on the host. A tensor larger than this is generated in slices, with the
   * bits of the whole tensor.
   */
  stagingBytes?: number;
  /** Called after each chunk a sink took. */
  onProgress?: (progress: CheckpointProgress) => void;
  /**
   * Stops before the next window (and within a fraction of a second during an orthogonal matrix's QR on the host);
   * written files are removed and the call rejects with an AbortedError.
   */
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
 * The bytes are made by `ctx`'s executor (a context's, chosen from its strategy: the kernels and a readback, or on
 * a software adapter the SIMD CPU path with no GPU round trip), or by a host executor with no device at all
 * (`createHostExecutor()`); the files are the same.
 *
 * Memory: two work buffers (STORAGE) and two staging buffers (MAP_READ) of `stagingBytes` on the GPU (none on the
 * host path), two chunks of at most `stagingBytes` on the host, whatever the model's size; window k + 1 is made while
 * window k is read back and written. An orthogonal tensor also needs its whole matrix in f32, computed once for all
 * the windows it spans. Everything is checked before any GPU work; a failure or an abort aborts the file being
 * written and removes the files completed before it (`folder.remove`).
 */
export async function writeCheckpoint(
  ctx: WeightInitContext | ByteExecutor,
  tensors: readonly ModelTensor[],
  folder: CheckpointFolder,
  options: WriteCheckpointOptions,
): Promise<WriteCheckpointResult> {
  if (folder === null || typeof folder !== 'object' || typeof folder.create !== 'function') {
    throw new InvalidParameterError('folder', folder, 'an object with create(name) returning a sink');
  }
  const executor: ByteExecutor | null = ctx !== null && typeof ctx === 'object' && 'executor' in ctx ? ctx.executor : ctx;
  if (executor === null || typeof executor !== 'object' || typeof executor.windows !== 'function') {
    throw new InvalidParameterError('ctx', ctx, 'a WeightInitContext or a host executor (createHostExecutor)');
  }
  const stagingBytes = options.stagingBytes ?? DEFAULT_STAGING_BYTES;
  const maxWindow = executor.maxWindowBytes;
  if (!Number.isSafeInteger(stagingBytes) || stagingBytes < 4 || stagingBytes > maxWindow) {
    throw new InvalidParameterError('stagingBytes', stagingBytes, `an integer number of bytes in [4, ${maxWindow}] (the executor's largest window)`);
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
  const pipeline = new WindowPipeline(executor, window);
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
            signal,
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
