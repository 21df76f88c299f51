// The safetensors format: the dtype table, the typed format errors and the header encoder. Browser-safe.
// The format (huggingface/safetensors, README.md "Format" and "Notes"; the reference implementation is
// safetensors/src/tensor.rs of the same repository):
//   - 8 bytes: N, a little-endian u64, the size of the header;
//   - N bytes: a UTF-8 JSON object {"TENSOR_NAME": {"dtype": "F16", "shape": [1, 16, 256],
//     "data_offsets": [BEGIN, END]}, ...}, with an optional "__metadata__" key holding a string-to-string
//     map (README: "free form text-to-text map"; tensor.rs: Option<HashMap<String, String>>);
//   - the rest of the file: the byte buffer. BEGIN and END are relative to its start, END is one past the
//     last byte, END - BEGIN = numel(shape) * size(dtype); data is little-endian and row-major ('C').
// What the README leaves to the reference, checked in tensor.rs:
//   - the reference writer sorts tensors by dtype, descending alignment (the Dtype enum is declared "in
//     increasing alignment order"), then by name, lays them out back to back in that order, writes
//     "__metadata__" first and the tensors in data order, and pads the JSON with spaces (0x20) to a
//     multiple of 8 bytes so that the data, and with the sort every tensor, is aligned;
//   - the reference reader caps N at 100,000,000 bytes (MAX_HEADER_SIZE), sorts the tensors by
//     data_offsets and requires them to cover the buffer exactly: the first begins at 0, each begins where
//     the previous ends (InvalidOffset), and the last ends at the end of the file (MetadataIncompleteBuffer);
//     the shape product and the byte count must not overflow (ValidationOverflow);
//   - README notes: duplicate keys are disallowed ("not all parsers may respect this"), tensors with a 0
//     dimension (no data, same BEGIN and END) and 0-rank tensors (shape [], one element) are allowed.

import { DTYPE_BYTES, DTYPES, type DType, dtypeOfSafetensors } from '../../contract/dtypes.js';
import { compareCodePoints, isWellFormedUnicode } from '../../contract/unicode.js';
import { checkDType, checkNonNegativeInteger } from '../../contract/validate.js';
import { InvalidParameterError } from '../../errors.js';
import { MODEL_LIMITS } from '../../models/spec.js';

// ---------------------------------------------------------------------------------------------------
// dtypes

/**
 * Every dtype of the reference implementation (safetensors/src/tensor.rs `Dtype`) with its size in bits,
 * in the reference's declaration order, which is increasing alignment. F8_E4M3FNUZ and F8_E5M2FNUZ are
 * the 8-bit variants the reference's Python binding also names. All parse; this library only writes
 * F32, F16, BF16 and U32.
 */
export const SAFETENSORS_DTYPE_BITS = Object.freeze({
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
} as const);

export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_BITS;

/** The dtypes this library writes (its own names) and their safetensors names. */
export type SafetensorsWriteDType = DType;
const WRITE_DTYPES: readonly SafetensorsWriteDType[] = ['f32', 'f16', 'bf16', 'u32'];

/** This library's dtype for a safetensors dtype it can initialize into (F32, F16, BF16, U32), else null. */
export function weightDTypeOf(dtype: SafetensorsDType): SafetensorsWriteDType | null {
  return dtypeOfSafetensors(dtype) ?? null;
}

const DTYPE_RANK: ReadonlyMap<string, number> = new Map(Object.keys(SAFETENSORS_DTYPE_BITS).map((d, i) => [d, i]));

/** The reference implementation's default header cap (tensor.rs MAX_HEADER_SIZE). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Default cap on the tensors of a header, the models' limit (MODEL_LIMITS.maxTensors); counted while scanning. */
export const SAFETENSORS_MAX_TENSORS: number = MODEL_LIMITS.maxTensors;

// ---------------------------------------------------------------------------------------------------
// errors

/** What is wrong with a safetensors header; stable, for programs (the message is for people). */
export type SafetensorsProblem =
  | 'HeaderTooSmall'
  | 'HeaderTooLarge'
  | 'HeaderLength'
  | 'Utf8'
  | 'Json'
  | 'Depth'
  | 'NotObject'
  | 'DuplicateKey'
  | 'Entry'
  | 'DType'
  | 'Shape'
  | 'Offsets'
  | 'ByteCount'
  | 'Coverage'
  | 'FileSize'
  | 'Metadata'
  | 'TensorCount'
  | 'Name';

/**
 * A safetensors header that breaks the format or a safety rule. An InvalidParameterError (code
 * 'InvalidParameter') whose `parameter` names the place in the file (e.g. `safetensors tensor "w"
 * data_offsets`) and whose `problem` says which rule failed.
 */
export class SafetensorsFormatError extends InvalidParameterError {
  readonly problem: SafetensorsProblem;
  constructor(problem: SafetensorsProblem, parameter: string, value: unknown, accepted: string) {
    super(parameter, value, accepted);
    this.problem = problem;
  }
}

export function fail(problem: SafetensorsProblem, where: string, value: unknown, accepted: string): never {
  throw new SafetensorsFormatError(problem, `safetensors ${where}`, value, accepted);
}

/** A short JSON rendering of a header value for an error message. */
export function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// ---------------------------------------------------------------------------------------------------
// header encoding

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsWriteDType;
  shape: readonly number[];
}

export interface EncodeHeaderOptions {
  /** The `__metadata__` map (string to string); omitted from the header when absent. */
  metadata?: Readonly<Record<string, string>>;
  /**
   * Data order: 'reference' (default) sorts like the reference writer, by dtype alignment (F32, U32,
   * then BF16, F16) and then by name (UTF-8 byte order), so every tensor starts at a multiple of its
   * element size; 'given' keeps the order of the list (a 2-byte tensor with an odd element count then
   * misaligns the 4-byte tensors after it, which readers that map the file as typed arrays reject).
   */
  order?: 'reference' | 'given';
}

export interface EncodedHeader {
  /** What the file starts with: the 8-byte length N, then the N header bytes (JSON padded with spaces). */
  readonly bytes: Uint8Array;
  /** N: the JSON header's size in bytes, a multiple of 8. */
  readonly headerSize: number;
  /** Bytes of the data buffer (after the header). */
  readonly dataBytes: number;
  /** [BEGIN, END) of each tensor, relative to the start of the data buffer. */
  readonly dataOffsets: ReadonlyMap<string, readonly [number, number]>;
  /** Tensor names in data order. */
  readonly order: readonly string[];
}

/**
 * Builds the header of a safetensors file from names, dtypes and shapes only (no data needed): tensors
 * laid out back to back in data order, `__metadata__` first, compact JSON padded with spaces to a multiple
 * of 8 bytes, byte for byte what the reference writer produces for the same tensors and metadata order.
 */
export function encodeHeader(tensors: readonly SafetensorsEntry[], options: EncodeHeaderOptions = {}): EncodedHeader {
  if (!Array.isArray(tensors)) throw new InvalidParameterError('tensors', tensors, 'an array of { name, dtype, shape }');
  const order = options.order ?? 'reference';
  if (order !== 'reference' && order !== 'given') throw new InvalidParameterError('order', order, "'reference' or 'given'");
  const checked = tensors.map((t, i) => checkEntry(t, i));
  const names = new Set<string>();
  for (const t of checked) {
    if (names.has(t.name)) throw new InvalidParameterError(`tensors[${t.index}].name`, t.name, 'a name no other tensor has');
    names.add(t.name);
  }
  if (order === 'reference') {
    checked.sort((a, b) => DTYPE_RANK.get(DTYPES[b.dtype].safetensors)! - DTYPE_RANK.get(DTYPES[a.dtype].safetensors)! || compareCodePoints(a.name, b.name));
  }
  const parts: string[] = [];
  if (options.metadata !== undefined) parts.push(`"__metadata__":${encodeMetadata(options.metadata)}`);
  const dataOffsets = new Map<string, readonly [number, number]>();
  let offset = 0;
  for (const t of checked) {
    const end = offset + t.byteLength;
    if (!Number.isSafeInteger(end)) throw new InvalidParameterError('tensors', end, `a data buffer of at most ${Number.MAX_SAFE_INTEGER} bytes`);
    dataOffsets.set(t.name, [offset, end]);
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${DTYPES[t.dtype].safetensors}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerSize = json.length + ((8 - (json.length % 8)) % 8);
  if (headerSize > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new InvalidParameterError(
      'tensors',
      `${headerSize} header bytes`,
      `a header of at most ${SAFETENSORS_MAX_HEADER_BYTES} bytes (readers reject larger ones)`,
    );
  }
  const bytes = new Uint8Array(8 + headerSize).fill(0x20, 8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerSize), true);
  bytes.set(json, 8);
  return { bytes, headerSize, dataBytes: offset, dataOffsets, order: checked.map((t) => t.name) };
}

interface CheckedEntry {
  readonly index: number;
  readonly name: string;
  readonly dtype: SafetensorsWriteDType;
  readonly shape: readonly number[];
  readonly numel: number;
  readonly byteLength: number;
}

function checkEntry(t: SafetensorsEntry, i: number): CheckedEntry {
  const at = `tensors[${i}]`;
  if (t === null || typeof t !== 'object') throw new InvalidParameterError(at, t, 'an object { name, dtype, shape }');
  if (typeof t.name !== 'string' || !isWellFormedUnicode(t.name))
    throw new InvalidParameterError(`${at}.name`, t.name, 'a string without lone surrogates (UTF-8 encodable)');
  if (t.name === '__metadata__') throw new InvalidParameterError(`${at}.name`, t.name, 'any name but "__metadata__" (reserved for the metadata map)');
  const dtype = checkDType(`${at}.dtype`, t.dtype, WRITE_DTYPES);
  if (!Array.isArray(t.shape)) throw new InvalidParameterError(`${at}.shape`, t.shape, 'an array of non-negative integers');
  let numel = 1;
  t.shape.forEach((d: unknown, k) => {
    numel *= checkNonNegativeInteger(`${at}.shape[${k}]`, d);
  });
  if (t.shape.includes(0)) numel = 0;
  const byteLength = numel * DTYPE_BYTES[dtype];
  if (!Number.isSafeInteger(byteLength))
    throw new InvalidParameterError(`${at}.shape`, `[${t.shape.join(',')}]`, `a shape of at most ${Number.MAX_SAFE_INTEGER} bytes`);
  return { index: i, name: t.name, dtype, shape: [...t.shape], numel, byteLength };
}

function encodeMetadata(metadata: Readonly<Record<string, string>>): string {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new InvalidParameterError('metadata', metadata, 'an object of string values');
  }
  const entries = Object.entries(metadata).map(([k, v]) => {
    if (typeof v !== 'string') throw new InvalidParameterError(`metadata[${JSON.stringify(k)}]`, v, 'a string (safetensors metadata maps strings to strings)');
    if (!isWellFormedUnicode(k) || !isWellFormedUnicode(v))
      throw new InvalidParameterError(`metadata[${JSON.stringify(k)}]`, v, 'strings without lone surrogates');
    return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
  });
  return `{${entries.join(',')}}`;
}
