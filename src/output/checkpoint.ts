// A model straight to a Hugging Face checkpoint folder (config.json, model.safetensors or shards + index), made and
// written window by window by the executor (window-pipeline.ts), so memory stays bounded whatever the model's size.
// Browser-safe: the folder is an interface (a File System Access API directory here; a Node folder in
// ./checkpoint-node.ts).

import { roundDown4, roundUp4 } from '../contract/align.js';
import type { U64Input } from '../contract/u64.js';
import { AbortedError, InvalidParameterError } from '../errors.js';
import type { WeightInitContext } from '../gpu/context.js';
import type { InitializePlan } from '../init/plan-initialize.js';
import { type PartIndex, parsePart, planParts } from '../models/checkpoint-parts.js';
import {
  CHECKPOINT_INDEX_FILE,
  type CheckpointFile,
  DEFAULT_MAX_SHARD_SIZE,
  encodeCheckpointIndex,
  isCheckpointFileName,
  planCheckpoint,
} from '../models/checkpoint-plan.js';
import { planModel } from '../models/model-plan.js';
import type { ModelTensor } from '../models/spec.js';
import type { ByteExecutor } from '../simd/host-executor.js';
import { type EncodedHeader, encodeHeader } from './safetensors/format.js';
import { checkSink, type SafetensorsSink, writableStreamSink } from './safetensors/sinks.js';
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
  /**
   * An existing file's size and its first `length` bytes (fewer when it is shorter), or null when there is none
   * (optional): how a file already in the folder is recognized as this checkpoint's (a rerun, another part).
   */
  inspect?(name: string, length: number): Promise<{ readonly size: number; readonly head: Uint8Array } | null>;
  /**
   * Holds the folder for the checkpoint `identity` until released (optional): a writer of another checkpoint is
   * refused while it is held; writers of the same checkpoint (parts, reruns) share it.
   */
  claim?(identity: string): Promise<FolderClaim>;
  /** Throws when the folder cannot take `bytes` more bytes (optional: checked before any GPU work). */
  reserve?(bytes: number): Promise<void>;
  /** Removes what unfinished writers of `name` left (temporary files), once `name` is complete (optional). */
  removeLeftovers?(name: string): Promise<void>;
}

/** A folder held for one checkpoint (CheckpointFolder.claim). */
export interface FolderClaim {
  /** True when this call took the folder; false when a writer of the same checkpoint held it already. */
  readonly created: boolean;
  /** Gives the folder up. */
  release(): Promise<void>;
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
  /**
   * Write only part `index` of `count` (or 'K/N'): the weight files planParts gives that part. Files of this
   * checkpoint already in the folder are checked and kept; a failure keeps the part's completed files (a rerun skips
   * them); the part that finds every weight file in place writes the index and config.json.
   */
  part?: PartIndex | string;
}

export interface WriteCheckpointResult {
  /** Every file this call wrote, in order: weight files, the index when sharded, config.json when given. */
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly tensors: number }[];
  /** Files of this checkpoint that were in the folder already, complete, and were kept. */
  readonly kept: readonly string[];
  /** The part written, or null for the whole checkpoint. */
  readonly part: PartIndex | null;
  /** True when every file of the checkpoint is in the folder (index and config.json included). */
  readonly complete: boolean;
  /** Bytes of tensor data (the index's total_size). */
  readonly totalSize: number;
  /** Bytes of the files this call wrote. */
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
 * tensors (same header layout, same values). With `options.part`, only that part's weight files (see planParts).
 *
 * The bytes are made by `ctx`'s executor (a context's, chosen from its strategy: the kernels and a readback, or on
 * a software adapter the SIMD CPU path with no GPU round trip), or by a host executor with no device at all
 * (`createHostExecutor()`); the files are the same.
 *
 * Memory: two work buffers (STORAGE) and two staging buffers (MAP_READ) of `stagingBytes` on the GPU (none on the
 * host path), two chunks of at most `stagingBytes` on the host, whatever the model's size; window k + 1 is made while
 * window k is read back and written. An orthogonal tensor also needs its whole matrix in f32, computed once for all
 * the windows it spans. Everything is checked before any GPU work; a failure or an abort
 * aborts the file being written and removes the files completed before it (`folder.remove`), unless a part is
 * written or an interrupted write of the same checkpoint is resumed: then completed files stay for the rerun.
 * `prepareCheckpoint` + `PreparedCheckpoint.write` are the same call in two steps (everything checked and the folder
 * held before a device is needed).
 */
export async function writeCheckpoint(
  ctx: WeightInitContext | ByteExecutor,
  tensors: readonly ModelTensor[],
  folder: CheckpointFolder,
  options: WriteCheckpointOptions,
): Promise<WriteCheckpointResult> {
  checkStagingBytes(executorOf(ctx), options.stagingBytes);
  const prepared = await prepareCheckpoint(tensors, folder, options);
  return prepared.write(ctx, options);
}

/** A checkpoint write checked and planned, its folder held: what is left to write, and the call that writes it. */
export interface PreparedCheckpoint {
  /** The part, or null for the whole checkpoint. */
  readonly part: PartIndex | null;
  /** The weight files this call will write (then the index and config.json, if they complete the checkpoint). */
  readonly toWrite: readonly string[];
  /** Files of this checkpoint already in the folder, complete (kept, not written again). */
  readonly kept: readonly string[];
  /** True when weight files are left to write (write() then needs a context or a host executor). */
  readonly needsDevice: boolean;
  /** Writes what is left (a context or a host executor is needed only when `needsDevice`); call it once. */
  write(
    ctx: WeightInitContext | ByteExecutor | null,
    options?: Pick<WriteCheckpointOptions, 'stagingBytes' | 'onProgress' | 'signal'>,
  ): Promise<WriteCheckpointResult>;
  /** Stops without writing (when the caller gives up before write()): a whole write gives the folder up. */
  release(): Promise<void>;
}

function checkStagingBytes(executor: ByteExecutor, stagingBytes: number | undefined): number {
  const bytes = stagingBytes ?? DEFAULT_STAGING_BYTES;
  const maxWindow = executor.maxWindowBytes;
  if (!Number.isSafeInteger(bytes) || bytes < 4 || bytes > maxWindow) {
    throw new InvalidParameterError('stagingBytes', bytes, `an integer number of bytes in [4, ${maxWindow}] (the executor's largest window)`);
  }
  return roundDown4(bytes);
}

/** A short fingerprint of everything the checkpoint's files hold (names, headers, index, config): SHA-256, hex. */
async function checkpointIdentity(files: readonly PlannedFile[]): Promise<string> {
  const text = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const f of files) {
    parts.push(text.encode(`${f.name}\n${f.header ? f.header.dataBytes : 0}\n`), f.header ? f.header.bytes : f.bytes!);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Checks and plans a checkpoint write (the same checks as writeCheckpoint, all before any GPU work), holds the
 * folder (`folder.claim`), recognizes the files of this checkpoint already there (`folder.inspect`: a rerun, other
 * parts) and checks the room left (`folder.reserve`).
 */
export async function prepareCheckpoint(
  tensors: readonly ModelTensor[],
  folder: CheckpointFolder,
  options: WriteCheckpointOptions,
): Promise<PreparedCheckpoint> {
  const optional = ['remove', 'list', 'inspect', 'claim', 'reserve', 'removeLeftovers'] as const;
  if (
    folder === null ||
    typeof folder !== 'object' ||
    typeof folder.create !== 'function' ||
    optional.some((m) => folder[m] !== undefined && typeof folder[m] !== 'function')
  ) {
    throw new InvalidParameterError(
      'folder',
      folder,
      `an object with create(name) returning a sink, and optionally ${optional.map((m) => `${m}()`).join(', ')}`,
    );
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidParameterError('onProgress', options.onProgress, 'a function');
  }
  const part = options.part === undefined ? null : parsePart(options.part, 'part');
  if (part !== null && (typeof folder.list !== 'function' || typeof folder.inspect !== 'function')) {
    throw new InvalidParameterError('folder', folder, 'a folder with list() and inspect(), to find the other parts’ files (needed with part)');
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
  const weightFiles = files.filter((f) => f.header !== null);
  const mine = new Set(part === null ? weightFiles.map((f) => f.name) : planParts(plan, part.count)[part.index]!.files.map((f) => f.name));
  const sizeOf = (f: PlannedFile) => (f.header ? f.header.bytes.length + f.header.dataBytes : f.bytes!.length);
  /** True when the folder holds `f` complete: its size, and its header (weight files) or all its bytes. */
  const inFolder = async (f: PlannedFile): Promise<boolean> => {
    const expected = f.header ? f.header.bytes : f.bytes!;
    const seen = await folder.inspect?.(f.name, expected.length);
    return !!seen && seen.size === sizeOf(f) && seen.head.length === expected.length && seen.head.every((b, i) => b === expected[i]);
  };

  const claim = folder.claim ? await folder.claim(await checkpointIdentity(files)) : null;
  const kept: string[] = [];
  try {
    const present = (await listFolder(folder)).filter((n) => isCheckpointFileName(n) || n === CHECKPOINT_CONFIG_FILE).sort();
    // A whole write into a folder with a checkpoint in it is refused, unless it resumes an interrupted write of this
    // same checkpoint (the claim was held); a part shares the folder with the other parts.
    if (part === null && claim?.created !== false) await refuseOccupiedFolder(folder);
    const foreign: string[] = [];
    for (const name of present) {
      const f = files.find((x) => x.name === name);
      if (f && (await inFolder(f))) kept.push(name);
      else foreign.push(name);
    }
    if (foreign.length > 0) {
      throw new InvalidParameterError(
        'folder',
        foreign.join(', '),
        'a folder whose checkpoint files are all of this checkpoint (these are not: another seed, model, shard size or version, or damaged); remove them or pick another folder',
      );
    }
    const toWrite = weightFiles.filter((f) => mine.has(f.name) && !kept.includes(f.name));
    const rest = files.filter((f) => f.header === null && !kept.includes(f.name));
    await folder.reserve?.([...toWrite, ...rest].reduce((n, f) => n + sizeOf(f), 0));
    let used = false;
    // Whoever took the folder for a whole checkpoint gives it up; a part, or a rerun of an interrupted write, leaves
    // it held for the other parts or the next try.
    const owner = part === null && claim?.created === true;
    return {
      part,
      toWrite: toWrite.map((f) => f.name),
      kept: [...kept],
      needsDevice: toWrite.length > 0,
      release: async () => {
        if (!used && owner) await claim?.release();
        used = true;
      },
      write: async (ctx, writeOptions = {}) => {
        if (used) throw new InvalidParameterError('prepared', 'used', 'a prepared checkpoint written once');
        used = true;
        const executor = toWrite.length > 0 ? executorOf(ctx) : null;
        const window = executor ? checkStagingBytes(executor, writeOptions.stagingBytes) : 4;
        return writeFiles({ executor, folder, plan, plans, files, toWrite, rest, kept, part, claim, window, sizeOf, inFolder, options: writeOptions });
      },
    };
  } catch (e) {
    if (claim?.created) await claim.release().catch(() => undefined);
    throw e;
  }
}

/** The executor that makes the bytes: a context's, or a host executor given as it is. */
function executorOf(ctx: WeightInitContext | ByteExecutor | null): ByteExecutor {
  const executor: ByteExecutor | null = ctx !== null && typeof ctx === 'object' && 'executor' in ctx ? ctx.executor : ctx;
  if (executor === null || typeof executor !== 'object' || typeof executor.windows !== 'function') {
    throw new InvalidParameterError('ctx', ctx, 'a WeightInitContext or a host executor (createHostExecutor)');
  }
  return executor;
}

interface WriteFilesInput {
  readonly executor: ByteExecutor | null;
  readonly folder: CheckpointFolder;
  readonly plan: ReturnType<typeof planCheckpoint<ModelTensor>>;
  readonly plans: ReadonlyMap<string, InitializePlan>;
  readonly files: readonly PlannedFile[];
  readonly toWrite: readonly PlannedFile[];
  readonly rest: readonly PlannedFile[];
  readonly kept: readonly string[];
  readonly part: PartIndex | null;
  readonly claim: FolderClaim | null;
  readonly window: number;
  readonly sizeOf: (f: PlannedFile) => number;
  readonly inFolder: (f: PlannedFile) => Promise<boolean>;
  readonly options: Pick<WriteCheckpointOptions, 'onProgress' | 'signal'>;
}

async function writeFiles(input: WriteFilesInput): Promise<WriteCheckpointResult> {
  const { executor, folder, plan, plans, files, toWrite, rest, kept, part, claim, window, sizeOf, inFolder, options } = input;
  // Whoever started this checkpoint in this folder undoes it on failure; a part, or a rerun of an interrupted
  // write, keeps its completed files for the next try.
  const owner = part === null && claim?.created !== false;
  const signal = options.signal;
  const abortIfNeeded = () => {
    if (signal?.aborted) throw new AbortedError(signal.reason);
  };
  const written: PlannedFile[] = [];
  const bytesTotal = [...toWrite, ...rest].reduce((n, f) => n + sizeOf(f), 0);
  let bytesDone = 0;
  let windows = 0;
  // No window is larger than the largest file's data (each tensor's bytes rounded up to a word): a small model
  // written with a large stagingBytes holds chunks of its own size, not of stagingBytes.
  const largest = toWrite.reduce((n, f) => Math.max(n, f.header ? f.header.dataBytes + 2 * f.tensors.length : 0), 4);
  const windowBytes = Math.min(window, roundUp4(largest));
  const pipeline = executor ? new WindowPipeline(executor, windowBytes) : null;
  /** Writes one file through its sink (the folder's: a temporary name renamed into place when complete). */
  const writeFile = async (f: PlannedFile, i: number, count: number): Promise<void> => {
    abortIfNeeded();
    const sink = checkSink(await folder.create(f.name), `folder.create(${JSON.stringify(f.name)})`);
    const writer = sequentialWriter(sink, (n) => {
      bytesDone += n;
      options.onProgress?.({ bytesDone, bytesTotal, file: f.name, filesDone: i, filesTotal: count });
    });
    try {
      if (f.header) {
        await writer.write(f.header.bytes);
        windows += await pipeline!.run(
          planWindows(
            f.header.order.map((n) => plans.get(n)!),
            windowBytes,
          ),
          writer.write,
          sink.borrowsChunks === true,
          abortIfNeeded,
          signal,
        );
      } else {
        await writer.write(f.bytes!);
      }
      await writer.settle();
      abortIfNeeded();
    } catch (e) {
      await writer.settle().catch(() => {});
      try {
        await sink.abort?.(e);
      } catch {
        // the first error is the one to report
      }
      throw e;
    }
    try {
      await sink.close?.();
    } catch (e) {
      // Another writer of this checkpoint (the same part given twice) completed this file and removed this
      // writer's temporary file: the file is in place all the same.
      if (!(await inFolder(f).catch(() => false))) throw e;
    }
    await folder.removeLeftovers?.(f.name);
  };
  try {
    const count = toWrite.length + rest.length;
    for (const [i, f] of toWrite.entries()) {
      await writeFile(f, i, count);
      written.push(f);
    }
    for (const name of kept) await folder.removeLeftovers?.(name);
    // The index and config.json complete the checkpoint: written once every weight file is in place (the other
    // parts' files, and those kept, checked again), so that a loader never finds an index whose shards are missing.
    const missing: string[] = [];
    for (const f of files) if (f.header && !written.includes(f) && !(await inFolder(f))) missing.push(f.name);
    const complete = missing.length === 0;
    if (!complete && part === null) {
      throw new InvalidParameterError(
        'folder',
        missing.join(', '),
        'the files this write kept still in place (another writer removed them meanwhile): run it again',
      );
    }
    if (complete) {
      for (const [i, f] of rest.entries()) {
        if (part !== null && (await inFolder(f))) continue; // another part finished first
        await writeFile(f, toWrite.length + i, count);
        written.push(f);
      }
      // Temporary files of any writer of this checkpoint are garbage now (a duplicate still writing finds the file
      // in place when its rename fails).
      for (const f of files) await folder.removeLeftovers?.(f.name);
      await claim?.release();
    }
    return {
      files: written.map((f) => ({ name: f.name, bytes: sizeOf(f), tensors: f.tensors.length })),
      kept: [...kept],
      part,
      complete,
      totalSize: plan.totalSize,
      bytesWritten: written.reduce((n, f) => n + sizeOf(f), 0),
      sharded: plan.index !== null,
      maxShardSize: plan.maxShardSize,
      windows,
    };
  } catch (e) {
    if (owner) {
      for (const f of written.reverse()) {
        try {
          await folder.remove?.(f.name);
        } catch {
          // keep removing the others; the first error is the one to report
        }
      }
      await claim?.release().catch(() => undefined);
    }
    throw e;
  } finally {
    pipeline?.destroy();
  }
}

/**
 * Throws when `folder` (listed with `folder.list`, when it has one) already holds checkpoint files (config.json,
 * model.safetensors, shards, index): a new checkpoint is never mixed into an old one, and no file is replaced.
 */
export async function refuseOccupiedFolder(folder: CheckpointFolder): Promise<void> {
  const present = await listFolder(folder);
  const clash = present.filter((n) => isCheckpointFileName(n) || n === CHECKPOINT_CONFIG_FILE).sort();
  if (clash.length > 0) {
    throw new InvalidParameterError(
      'folder',
      clash.join(', '),
      'a folder without a checkpoint (config.json, model*.safetensors, index): remove those files or pick another folder',
    );
  }
}

/** The names `folder.list()` gives (none without it), checked: an array of strings, else a typed error. */
async function listFolder(folder: CheckpointFolder): Promise<readonly string[]> {
  const present: unknown = folder.list ? await folder.list() : [];
  if (!Array.isArray(present) || present.some((n) => typeof n !== 'string')) {
    throw new InvalidParameterError('folder.list()', present, 'an array of the names (strings) of the files in the folder');
  }
  return present as readonly string[];
}

/**
 * Hands chunks to a sink one at a time: `write` waits for the previous write to settle, starts this one and returns
 * (so the caller prepares the next chunk while this one is written); `settle` waits for the last. `onWritten` runs
 * with each chunk's length once the sink has taken it, and `taken` (given with the chunk) once its write settled.
 */
function sequentialWriter(
  sink: { write(chunk: Uint8Array): Promise<void> | void },
  onWritten: (bytes: number) => void,
): { write(chunk: Uint8Array, taken?: () => void): Promise<void>; settle(): Promise<void> } {
  let pending: Promise<void> | undefined;
  return {
    async write(chunk, taken) {
      if (pending) await pending;
      const p = Promise.resolve()
        .then(() => sink.write(chunk))
        .finally(taken)
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
