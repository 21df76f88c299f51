// The layout of an ONNX external-data file (model.onnx_data): each weight's bytes at an offset recorded in its
// initializer (location, offset, length), zero bytes between them where an offset is rounded up.
//
// Alignment: ONNX Runtime maps external data into memory when it can, which needs offsets that are multiples of the
// allocation granularity (4 KiB, 64 KiB on Windows); its own writer aligns initializers above 1 MiB
// (microsoft/onnxruntime include/onnxruntime/core/graph/model_saving_options.h: align_threshold = 1048576,
// on_disk_alignment_factor = 4096, "64KB for windows and 4K for other OSes"). Here every weight of at least 1 MiB
// starts at a multiple of 64 KiB (both granularities), smaller ones at a multiple of 64 bytes (so no element ever
// straddles its natural alignment). ONNX's own reader takes any offset (onnx external_data_helper.py).
import { InvalidParameterError } from '../../errors.js';

/** Weights of at least this many bytes start at a multiple of LARGE_ALIGNMENT. */
export const EXTERNAL_DATA_ALIGN_THRESHOLD = 1 << 20;
export const EXTERNAL_DATA_LARGE_ALIGNMENT = 1 << 16;
export const EXTERNAL_DATA_SMALL_ALIGNMENT = 64;

/** The external-data file's name next to `model.onnx`, as Optimum and transformers.js name it. */
export const externalDataFileName = (onnxFile: string): string => `${onnxFile}_data`;

export interface ExternalDataEntry {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
}

export interface ExternalDataLayout {
  readonly location: string;
  readonly entries: readonly ExternalDataEntry[];
  /** The file's size: the end of the last weight. */
  readonly bytes: number;
  readonly byName: ReadonlyMap<string, ExternalDataEntry>;
}

/** Offsets of `weights` (in order) in the file `location`. */
export function planExternalData(location: string, weights: readonly { readonly name: string; readonly bytes: number }[]): ExternalDataLayout {
  if (typeof location !== 'string' || location.length === 0 || /[\\/]/.test(location)) {
    throw new InvalidParameterError('location', location, 'a file name without a folder (ONNX resolves it next to the .onnx)');
  }
  let end = 0;
  const entries: ExternalDataEntry[] = [];
  for (const w of weights) {
    const align = w.bytes >= EXTERNAL_DATA_ALIGN_THRESHOLD ? EXTERNAL_DATA_LARGE_ALIGNMENT : EXTERNAL_DATA_SMALL_ALIGNMENT;
    const offset = Math.ceil(end / align) * align;
    entries.push({ name: w.name, offset, length: w.bytes });
    end = offset + w.bytes;
    if (!Number.isSafeInteger(end)) throw new InvalidParameterError('weights', `${end} bytes`, 'at most 2^53 - 1 bytes of external data');
  }
  return { location, entries, bytes: end, byName: new Map(entries.map((e) => [e.name, e])) };
}
