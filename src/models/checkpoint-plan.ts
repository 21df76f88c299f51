// The Hugging Face checkpoint layout of a model's tensors: which file each tensor goes to, the files' names and the
// index, computed from names, dtypes and shapes alone (no data), before anything is written.
//
// Sources:
// - huggingface/huggingface_hub src/huggingface_hub/serialization/_base.py @ 122aa5cc
//   (split_state_dict_into_shards_factory, parse_size_to_int; MAX_SHARD_SIZE = "5GB"; SIZE_UNITS: KB = 10^3,
//   MB = 10^6, GB = 10^9, TB = 10^12): tensors are taken in the state dict's order; a tensor whose storage size
//   (numel · element size, headers not counted) is above the limit gets a shard of its own; otherwise a tensor that
//   would take the current shard above the limit starts a new one. One shard: the file is `model.safetensors` and
//   there is no index. Several: `model-{i:05d}-of-{n:05d}.safetensors` (1-based) and
//   `model.safetensors.index.json` = {"metadata": {"total_size": sum of storage sizes}, "weight_map": {name: file}}.
// - huggingface/transformers src/transformers/utils/hub.py (convert_file_size_to_int, what `save_pretrained`'s
//   max_shard_size accepted before it moved to huggingface_hub): the binary units KiB = 2^10, MiB = 2^20,
//   GiB = 2^30 besides the decimal ones. So "5GB" is 5·10^9 bytes and "5GiB" is 5·2^30 bytes.
// Deviation: huggingface_hub appends an oversized tensor's own shard before the shard being filled, which puts that
// shard out of the model's order; here the shard being filled is closed first, so shards follow the tensor order.

import { DTYPE_BYTES, type FloatDType } from '../contract/dtypes.js';
import { compareCodePoints } from '../contract/unicode.js';
import { InvalidParameterError } from '../errors.js';

/** Hugging Face's default max_shard_size, "5GB" = 5·10^9 bytes. */
export const DEFAULT_MAX_SHARD_SIZE = '5GB';

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
};

/**
 * A shard size in bytes: a positive safe integer, or a string with a number and a unit, as Hugging Face reads
 * `max_shard_size`: KB, MB, GB, TB are powers of 10, KiB, MiB, GiB, TiB powers of 2 ("100MB" = 10^8,
 * "2GiB" = 2^31, "1.5GB" = 1.5·10^9, "3mib" = 3·2^20); a plain number is bytes. Fractions of a byte are dropped, as
 * Python's int() does. A lowercase final "b" after K, M, G or T ("5Gb", "10kb") is bits to transformers'
 * convert_file_size_to_int and bytes to huggingface_hub's parse_size_to_int, so it is rejected rather than guessed.
 */
export function parseShardSize(size: unknown, parameter = 'maxShardSize'): number {
  const accepted =
    "a positive number of bytes, or a number with a unit: KB, MB, GB, TB (powers of 10) or KiB, MiB, GiB, TiB (powers of 2), e.g. '5GB', '100MB', '2GiB'";
  let bytes: number;
  if (typeof size === 'number') {
    bytes = size;
  } else if (typeof size === 'string') {
    const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(size);
    const unit = m?.[2] ?? '';
    if (!m || /[^i]b$/.test(unit) || (unit.length > 0 && !Object.hasOwn(SIZE_UNITS, unit.toUpperCase()))) {
      throw new InvalidParameterError(parameter, size, accepted);
    }
    bytes = Math.floor(Number(m[1]) * (unit.length > 0 ? SIZE_UNITS[unit.toUpperCase()]! : 1));
  } else {
    throw new InvalidParameterError(parameter, size, accepted);
  }
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new InvalidParameterError(parameter, size, accepted);
  return bytes;
}

/** What the layout needs of a tensor. */
export interface CheckpointEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
}

export interface CheckpointFile<T extends CheckpointEntry = CheckpointEntry> {
  /** `model.safetensors`, or `model-00001-of-00003.safetensors`, ... */
  readonly name: string;
  /** Its tensors, in the model's order. */
  readonly tensors: readonly T[];
  /** Bytes of tensor data in the file, as Hugging Face counts a shard's size (headers not included). */
  readonly dataBytes: number;
}

export interface CheckpointPlan<T extends CheckpointEntry = CheckpointEntry> {
  readonly files: readonly CheckpointFile<T>[];
  /** Sum of every tensor's bytes (the index's metadata.total_size). */
  readonly totalSize: number;
  /** The limit the files were cut at, in bytes. */
  readonly maxShardSize: number;
  /** `model.safetensors.index.json`'s object when there are several files, else null. */
  readonly index: { readonly metadata: { readonly total_size: number }; readonly weight_map: Readonly<Record<string, string>> } | null;
}

/** The index's file name. */
export const CHECKPOINT_INDEX_FILE = 'model.safetensors.index.json';
/** The single file's name. */
export const CHECKPOINT_SINGLE_FILE = 'model.safetensors';

/** The name of shard `i` (1-based) of `n`: model-00001-of-00002.safetensors. */
export function shardFileName(i: number, n: number): string {
  return `model-${String(i).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
}

/** True for the names a checkpoint folder's weight files and index can have (to find a previous checkpoint). */
export function isCheckpointFileName(name: string): boolean {
  return name === CHECKPOINT_SINGLE_FILE || name === CHECKPOINT_INDEX_FILE || /^model-\d{5,}-of-\d{5,}\.safetensors$/.test(name);
}

/** Splits `tensors` (in order) into files of at most `maxShardSize` bytes of data, named and indexed as Hugging Face does. */
export function planCheckpoint<T extends CheckpointEntry>(tensors: readonly T[], maxShardSize: number | string = DEFAULT_MAX_SHARD_SIZE): CheckpointPlan<T> {
  const limit = parseShardSize(maxShardSize);
  if (!Array.isArray(tensors as unknown)) throw new InvalidParameterError('tensors', tensors, 'an array of { name, shape, dtype }');
  const groups: { tensors: T[]; dataBytes: number }[] = [];
  let current: { tensors: T[]; dataBytes: number } = { tensors: [], dataBytes: 0 };
  const close = () => {
    if (current.tensors.length > 0) groups.push(current);
    current = { tensors: [], dataBytes: 0 };
  };
  let totalSize = 0;
  const names = new Set<string>();
  tensors.forEach((t, i) => {
    if (names.has(t.name)) throw new InvalidParameterError(`tensors[${i}].name`, t.name, 'a name no other tensor has');
    names.add(t.name);
    const bytes = t.shape.reduce((n, d) => n * d, 1) * DTYPE_BYTES[t.dtype];
    if (!Number.isSafeInteger(bytes)) throw new InvalidParameterError(`tensors[${i}].shape`, t.shape, 'at most 2^53 - 1 bytes');
    totalSize += bytes;
    if (bytes > limit) {
      close();
      current.tensors.push(t);
      current.dataBytes = bytes;
      close();
      return;
    }
    if (current.dataBytes + bytes > limit) close();
    current.tensors.push(t);
    current.dataBytes += bytes;
  });
  close();
  if (groups.length <= 1) {
    return { files: [{ name: CHECKPOINT_SINGLE_FILE, tensors: groups[0]?.tensors ?? [], dataBytes: totalSize }], totalSize, maxShardSize: limit, index: null };
  }
  const files = groups.map((g, i) => ({ name: shardFileName(i + 1, groups.length), tensors: g.tensors, dataBytes: g.dataBytes }));
  const weightMap: Record<string, string> = {};
  const sorted = files.flatMap((f) => f.tensors.map((t) => [t.name, f.name] as const)).sort(([a], [b]) => compareCodePoints(a, b));
  for (const [name, file] of sorted) Object.defineProperty(weightMap, name, { value: file, enumerable: true, writable: true, configurable: true });
  return { files, totalSize, maxShardSize: limit, index: { metadata: { total_size: totalSize }, weight_map: weightMap } };
}

/**
 * The index file's text as transformers writes it (`json.dumps(index, indent=2, sort_keys=True) + "\n"`): keys sorted
 * by code point at every level, two-space indent. Python escapes non-ASCII characters (ensure_ascii); so does this.
 */
export function encodeCheckpointIndex(index: NonNullable<CheckpointPlan['index']>): string {
  const text = JSON.stringify({ metadata: { total_size: index.metadata.total_size }, weight_map: index.weight_map }, null, 2);
  return `${text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
