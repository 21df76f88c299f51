// safetensors: write initialized tensors straight from GPU buffers to a file (or any byte sink) through
// one bounded staging buffer, and read a file's header back with every check a hostile file needs.
// Browser-safe: no Node built-ins here (file output and input for Node live in ./safetensors-node.ts).
//
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
import { BufferTooSmallError, BufferUsageError, InvalidParameterError } from '../errors.js';
import { DeviceHandle } from '../gpu/device-handle.js';
import { BufferUsage } from '../gpu/flags.js';
import { DTYPE_BYTES, DTYPES, dtypeOfSafetensors, type DType } from '../contract/dtypes.js';
import { checkDevice, checkDType, checkInteger, checkNonNegativeInteger, checkPositiveInteger } from '../contract/validate.js';
import { Readback } from '../gpu/readback.js';
import { MODEL_LIMITS } from './spec.js';

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

function fail(problem: SafetensorsProblem, where: string, value: unknown, accepted: string): never {
  throw new SafetensorsFormatError(problem, `safetensors ${where}`, value, accepted);
}

/** A short JSON rendering of a header value for an error message. */
function show(value: unknown): string {
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
  if (typeof t.name !== 'string' || !isWellFormed(t.name))
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
    if (!isWellFormed(k) || !isWellFormed(v)) throw new InvalidParameterError(`metadata[${JSON.stringify(k)}]`, v, 'strings without lone surrogates');
    return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
  });
  return `{${entries.join(',')}}`;
}

/** False when the string has a lone surrogate, which UTF-8 cannot encode (TextEncoder would write U+FFFD). */
function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** Compares by code points, which is the UTF-8 byte order the reference (Rust String) sorts names in (and Python's str order). */
export function compareCodePoints(a: string, b: string): number {
  const x = a[Symbol.iterator]();
  const y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next();
    const q = y.next();
    if (p.done || q.done) return p.done && q.done ? 0 : p.done ? -1 : 1;
    const d = p.value.codePointAt(0)! - q.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

// ---------------------------------------------------------------------------------------------------
// header parsing

export interface ParsedSafetensorsTensor {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** [BEGIN, END) relative to the start of the data buffer. */
  readonly dataOffsets: readonly [number, number];
  readonly byteLength: number;
}

export interface ParsedSafetensorsHeader {
  /** N: the JSON header's size in bytes. */
  readonly headerSize: number;
  /** Where the data buffer starts in the file: 8 + N. */
  readonly dataOffset: number;
  /** Bytes of the data buffer: the END of the last tensor (0 without tensors). */
  readonly dataBytes: number;
  /** The tensors in data order (by BEGIN, then END). */
  readonly tensors: readonly ParsedSafetensorsTensor[];
  /** The `__metadata__` map; empty when the header has none. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface ParseHeaderOptions {
  /** Largest N accepted; default 100,000,000 like the reference. N is checked before anything is allocated. */
  maxHeaderBytes?: number;
  /** Size of the whole file when known: then 8 + N + the data buffer must be exactly this. */
  fileSize?: number;
  /**
   * Most tensors accepted; default SAFETENSORS_MAX_TENSORS. Counted while the text is scanned, before JSON.parse,
   * so a header listing millions of tensors costs time and memory for the first maxTensors + 1 only.
   */
  maxTensors?: number;
}

/**
 * Reads N from the first 8 bytes of a file and checks it against the cap and, when known, the file
 * size, before the caller allocates or reads N bytes.
 */
export function safetensorsHeaderSize(prefix: Uint8Array, options: ParseHeaderOptions = {}): number {
  if (!(prefix instanceof Uint8Array)) throw new InvalidParameterError('bytes', prefix, 'a Uint8Array');
  if (options === null || typeof options !== 'object')
    throw new InvalidParameterError('options', options, 'an object { maxHeaderBytes?, fileSize?, maxTensors? }');
  const max = checkInteger('maxHeaderBytes', options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES, 2, 'an integer >= 2');
  const fileSize = options.fileSize;
  if (fileSize !== undefined) checkNonNegativeInteger('fileSize', fileSize, 'a non-negative integer number of bytes');
  if (prefix.length < 8 || (fileSize !== undefined && fileSize < 8)) {
    fail('HeaderTooSmall', 'file', `${Math.min(prefix.length, fileSize ?? Infinity)} bytes`, 'at least the 8-byte header length');
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(max)) fail('HeaderTooLarge', 'header length', n, `at most ${max} bytes`);
  const size = Number(n);
  if (fileSize !== undefined && 8 + size > fileSize) {
    fail('HeaderLength', 'header length', size, `at most ${fileSize - 8} bytes (the file has ${fileSize} bytes)`);
  }
  return size;
}

/**
 * Parses and checks the header of a safetensors file. `bytes` holds at least the first 8 + N bytes of the
 * file. Every check runs in time and memory linear in N, before any tensor data is touched:
 * N against the cap (before decoding) and the file size; strict UTF-8; a JSON object nested at most three
 * deep (root, tensor entry, shape array) with no duplicate key at any level and only non-negative integer
 * literals as numbers; then each tensor: an object with exactly dtype (a known name), shape (non-negative
 * safe integers) and data_offsets ([BEGIN, END] with BEGIN <= END) whose byte count is numel * size; the
 * tensors cover the data buffer exactly (sorted by offset: the first begins at 0, each begins where the
 * previous ends, no overlap, no gap) and, with `fileSize`, end at the end of the file; `__metadata__`
 * absent, null or a string-to-string map. Failures are SafetensorsFormatErrors.
 *
 * Stricter than the reference: unknown fields in a tensor entry, duplicate keys and numbers written as
 * 1.0 or 1e3 are rejected (serde ignores the first, keeps the last duplicate, and rejects the third).
 */
export function parseSafetensorsHeader(bytes: Uint8Array, options: ParseHeaderOptions = {}): ParsedSafetensorsHeader {
  const headerSize = safetensorsHeaderSize(bytes, options);
  if (bytes.length < 8 + headerSize) {
    fail('HeaderLength', 'header', `${bytes.length} bytes`, `the 8 + ${headerSize} bytes its length announces`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerSize));
  } catch {
    fail('Utf8', 'header', `${headerSize} bytes`, 'valid UTF-8');
  }
  const maxTensors = options.maxTensors ?? SAFETENSORS_MAX_TENSORS;
  if (!Number.isSafeInteger(maxTensors) || maxTensors < 0) throw new InvalidParameterError('maxTensors', maxTensors, 'a non-negative integer');
  const scan = scanJson(text, maxTensors);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    fail('Json', 'header', (e as Error).message, 'a JSON object');
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) fail('NotObject', 'header', show(root), 'a JSON object');
  if (scan.duplicate) fail('DuplicateKey', scan.duplicate.where, scan.duplicate.key, 'keys that appear once (the format disallows duplicates)');
  if (scan.badNumber !== undefined) fail('Entry', 'header number', scan.badNumber, 'non-negative integers written as plain digits');

  let metadata: Record<string, string> = {};
  const tensors: ParsedSafetensorsTensor[] = [];
  for (const [name, entry] of Object.entries(root as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(entry);
      continue;
    }
    tensors.push(checkTensor(name, entry));
  }
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let end = 0;
  let previous: string | undefined;
  for (const t of tensors) {
    const [begin, stop] = t.dataOffsets;
    if (begin !== end) {
      const where = `tensor ${JSON.stringify(t.name)} data_offsets`;
      if (begin < end)
        fail('Coverage', where, `[${begin},${stop}]`, `a range that starts at ${end}, after tensor ${JSON.stringify(previous)} (ranges may not overlap)`);
      fail(
        'Coverage',
        where,
        `[${begin},${stop}]`,
        `a range that starts at ${end}, ${previous === undefined ? 'the start of the data buffer' : `where tensor ${JSON.stringify(previous)} ends`} (no gaps)`,
      );
    }
    end = stop;
    previous = t.name;
  }
  if (options.fileSize !== undefined) {
    const available = options.fileSize - 8 - headerSize;
    if (end > available) {
      const t = tensors.find((x) => x.dataOffsets[1] > available)!;
      fail(
        'FileSize',
        `tensor ${JSON.stringify(t.name)} data_offsets`,
        `[${t.dataOffsets[0]},${t.dataOffsets[1]}]`,
        `a range within the ${available} data bytes of the file`,
      );
    }
    if (end < available) fail('FileSize', 'data buffer', `${available} bytes`, `${end} bytes, where the last tensor ends (no trailing bytes)`);
  }
  return { headerSize, dataOffset: 8 + headerSize, dataBytes: end, tensors, metadata };
}

/**
 * The header back as its plain JSON object ({ name: { dtype, shape, data_offsets }, __metadata__ }), e.g.
 * for code that takes the raw header (models' fromSafetensorsHeader). `__metadata__` is left out when empty.
 */
export function headerToJson(
  header: ParsedSafetensorsHeader,
): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>> {
  const out: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>> = {};
  const put = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  if (Object.keys(header.metadata).length > 0) put('__metadata__', { ...header.metadata });
  for (const t of header.tensors) put(t.name, { dtype: t.dtype, shape: [...t.shape], data_offsets: [t.dataOffsets[0], t.dataOffsets[1]] });
  return out;
}

const ENTRY_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);

function checkTensor(name: string, entry: unknown): ParsedSafetensorsTensor {
  const at = `tensor ${JSON.stringify(name)}`;
  // The writer refuses names it cannot encode as UTF-8; so does the reader (JSON escapes can spell lone surrogates).
  if (!isWellFormed(name)) fail('Name', `${at} name`, show(name), 'a name without lone surrogates (UTF-8 encodable)');
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail('Entry', at, show(entry), 'an object { dtype, shape, data_offsets }');
  const e = entry as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!ENTRY_FIELDS.has(key)) fail('Entry', `${at} field`, key, 'only dtype, shape and data_offsets');
  }
  const { dtype, shape, data_offsets: offsets } = e;
  if (typeof dtype !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPE_BITS, dtype)) {
    fail('DType', `${at} dtype`, show(dtype), `one of ${Object.keys(SAFETENSORS_DTYPE_BITS).join(', ')}`);
  }
  if (!Array.isArray(shape)) fail('Shape', `${at} shape`, show(shape), 'an array of non-negative integers');
  // Elements, exact while they stay below 2^53; a 0 dimension anywhere makes the tensor empty.
  let numel = 1;
  let overflow = false;
  for (let k = 0; k < shape.length; k++) {
    const d: unknown = shape[k];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) fail('Shape', `${at} shape[${k}]`, show(d), 'a non-negative integer below 2^53');
    numel *= d;
    if (numel > Number.MAX_SAFE_INTEGER) overflow = true;
  }
  if (shape.includes(0)) {
    numel = 0;
    overflow = false;
  }
  if (overflow) fail('Shape', `${at} shape`, show(shape), 'at most 2^53 - 1 elements');
  if (!Array.isArray(offsets) || offsets.length !== 2) fail('Offsets', `${at} data_offsets`, show(offsets), 'an array [BEGIN, END]');
  const [begin, end] = offsets as unknown[];
  for (const v of [begin, end]) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('Offsets', `${at} data_offsets`, show(offsets), 'non-negative integers below 2^53');
  }
  const b = begin as number;
  const x = end as number;
  if (b > x) fail('Offsets', `${at} data_offsets`, show(offsets), 'BEGIN <= END');
  const bits = SAFETENSORS_DTYPE_BITS[dtype as SafetensorsDType];
  const totalBits = BigInt(numel) * BigInt(bits);
  if (totalBits % 8n !== 0n) fail('ByteCount', `${at} shape`, show(shape), `a whole number of bytes of ${dtype} (${bits} bits each)`);
  const bytes = totalBits / 8n;
  if (BigInt(x - b) !== bytes) {
    fail('ByteCount', `${at} data_offsets`, show(offsets), `END - BEGIN = ${bytes} (${numel} elements of ${dtype})`);
  }
  return { name, dtype: dtype as SafetensorsDType, shape: shape as number[], dataOffsets: [b, x], byteLength: x - b };
}

function checkMetadata(entry: unknown): Record<string, string> {
  if (entry === null) return {};
  if (typeof entry !== 'object' || Array.isArray(entry)) fail('Metadata', '__metadata__', show(entry), 'an object of string values');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
    if (typeof v !== 'string') fail('Metadata', `__metadata__[${JSON.stringify(k)}]`, show(v), 'a string (metadata maps strings to strings)');
    if (!isWellFormed(k) || !isWellFormed(v))
      fail('Metadata', `__metadata__[${JSON.stringify(k)}]`, show(v), 'strings without lone surrogates (UTF-8 encodable)');
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * One linear pass over the header text without recursion: rejects nesting deeper than root object,
 * tensor entry and shape array before JSON.parse sees the text, and finds duplicate keys (JSON.parse
 * silently keeps the last one) and numbers that are not plain non-negative integers. Malformed JSON is
 * left for JSON.parse to report.
 */
function scanJson(s: string, maxTensors: number): { duplicate?: { where: string; key: string }; badNumber?: string } {
  const MAX_DEPTH = 3;
  interface Frame {
    readonly keys: Set<string> | null;
    readonly where: string;
    expectKey: boolean;
    lastKey: string | undefined;
  }
  const frames: Frame[] = [];
  let duplicate: { where: string; key: string } | undefined;
  let badNumber: string | undefined;
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    const top = frames[frames.length - 1];
    if (c === 0x7b || c === 0x5b) {
      // { or [
      if (frames.length >= MAX_DEPTH) {
        fail(
          'Depth',
          'header',
          `nesting deeper than ${MAX_DEPTH} at character ${i}`,
          'an object of tensor entries whose only arrays are shape and data_offsets',
        );
      }
      const where =
        top === undefined
          ? 'header'
          : top.where === 'header'
            ? top.lastKey === '__metadata__'
              ? '__metadata__'
              : `tensor ${JSON.stringify(top.lastKey ?? '')}`
            : `${top.where} ${top.lastKey ?? ''}`.trimEnd();
      frames.push({ keys: c === 0x7b ? new Set() : null, where, expectKey: c === 0x7b, lastKey: undefined });
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      frames.pop();
      i++;
    } else if (c === 0x2c) {
      if (top?.keys) top.expectKey = true;
      i++;
    } else if (c === 0x3a) {
      if (top) top.expectKey = false;
      i++;
    } else if (c === 0x22) {
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === 0x5c) j += 2;
        else if (d === 0x22) break;
        else j++;
      }
      if (j >= n) break; // unterminated string: JSON.parse reports it
      if (top?.keys && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(s.slice(i, j + 1)) as string;
        } catch {
          key = s.slice(i + 1, j);
        }
        if (top.keys.has(key)) duplicate ??= { where: top.where, key };
        else top.keys.add(key);
        if (frames.length === 1 && top.keys.size - (top.keys.has('__metadata__') ? 1 : 0) > maxTensors) {
          fail('TensorCount', 'header', `more than ${maxTensors} tensors`, `at most ${maxTensors} tensors (maxTensors)`);
        }
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j + 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && isNumberChar(s.charCodeAt(j))) j++;
      const token = s.slice(i, j);
      if (badNumber === undefined && !isPlainInteger(token)) badNumber = token.length > 40 ? `${token.slice(0, 37)}...` : token;
      i = j;
    } else {
      i++;
    }
  }
  const result: { duplicate?: { where: string; key: string }; badNumber?: string } = {};
  if (duplicate) result.duplicate = duplicate;
  if (badNumber !== undefined) result.badNumber = badNumber;
  return result;
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2b || c === 0x2d || c === 0x65 || c === 0x45;
}

function isPlainInteger(token: string): boolean {
  if (token === '0') return true;
  const first = token.charCodeAt(0);
  if (!(first >= 0x31 && first <= 0x39)) return false;
  for (let k = 1; k < token.length; k++) {
    const c = token.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Reads and checks the header of a safetensors Blob or File (e.g. from an <input type=file>), reading only
 * its first 8 + N bytes.
 */
export async function readSafetensorsHeaderFromBlob(blob: Blob, options: Omit<ParseHeaderOptions, 'fileSize'> = {}): Promise<ParsedSafetensorsHeader> {
  if (typeof Blob === 'undefined' || !(blob instanceof Blob)) throw new InvalidParameterError('blob', blob, 'a Blob or File');
  const fileSize = blob.size;
  const prefix = new Uint8Array(await blob.slice(0, 8).arrayBuffer());
  const n = safetensorsHeaderSize(prefix, { ...options, fileSize });
  const bytes = new Uint8Array(await blob.slice(0, 8 + n).arrayBuffer());
  return parseSafetensorsHeader(bytes, { ...options, fileSize });
}

// ---------------------------------------------------------------------------------------------------
// sinks

/**
 * Where writeSafetensors puts the file's bytes, in order. `write` is never called again before the
 * previous call settled; each chunk is a fresh copy the sink may keep. writeSafetensors calls `close`
 * after the last chunk when everything succeeded, and `abort` (instead) when anything failed or the
 * signal fired.
 */
export interface SafetensorsSink {
  write(chunk: Uint8Array): Promise<void> | void;
  close?(): Promise<void> | void;
  abort?(reason: unknown): Promise<void> | void;
}

/** A sink that collects the file into a Blob. */
export interface BlobSink extends SafetensorsSink {
  /** The file, once writeSafetensors has closed the sink. */
  blob(): Blob;
}

/**
 * Collects the chunks as the parts of a Blob (for a download link or an upload). The parts stay in host
 * memory until the Blob is built, so memory grows to the size of the file: for large models write to a
 * stream instead (writableStreamSink, e.g. on a File System Access API file).
 */
export function blobSink(options: { type?: string } = {}): BlobSink {
  let parts: Uint8Array[] | null = [];
  let result: Blob | undefined;
  return {
    write(chunk) {
      if (!parts) throw new InvalidParameterError('blobSink', 'closed', 'an open sink');
      parts.push(chunk);
    },
    close() {
      if (!parts) return;
      result = new Blob(parts as BlobPart[], { type: options.type ?? 'application/octet-stream' });
      parts = null;
    },
    abort() {
      parts = null;
    },
    blob() {
      if (!result) throw new InvalidParameterError('blobSink', 'not closed', 'a sink that writeSafetensors has closed');
      return result;
    },
  };
}

/**
 * Writes into a WHATWG WritableStream (the File System Access API's FileSystemWritableFileStream, a
 * Node stream through stream.Writable.toWeb, a CompressionStream's writable side, ...), waiting for the
 * stream's backpressure; close closes the stream and abort aborts it.
 */
export function writableStreamSink(stream: WritableStream<Uint8Array>): SafetensorsSink {
  let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  const get = () => (writer ??= stream.getWriter());
  return {
    async write(chunk) {
      const w = get();
      await w.ready;
      await w.write(chunk);
    },
    async close() {
      await get().close();
    },
    async abort(reason) {
      await get().abort(reason);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// writing from the GPU

export interface SafetensorsTensor extends SafetensorsEntry {
  /** The buffer holding the tensor's elements, packed, row-major (needs COPY_SRC usage). */
  buffer: GPUBuffer;
  /** Byte offset of the first element; default 0. Any offset works (copies are widened to whole words). */
  offset?: number;
  /** Optional check: must equal numel(shape) * element size. */
  byteLength?: number;
}

export interface WriteSafetensorsOptions extends EncodeHeaderOptions {
  /** Size of the one staging (MAP_READ | COPY_DST) buffer; default 16 MiB, rounded up to a multiple of 4. */
  stagingBytes?: number;
  /** Called after each chunk the sink accepted, with bytes of the file written so far and in all. */
  onProgress?(bytesDone: number, bytesTotal: number): void;
  /** Stops between chunks; writeSafetensors then aborts the sink and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface WriteSafetensorsResult {
  /** 8 + N: bytes before the data buffer. */
  readonly headerBytes: number;
  /** Bytes of the whole file. */
  readonly totalBytes: number;
  /** [BEGIN, END) of each tensor in the data buffer, and the data order. */
  readonly dataOffsets: ReadonlyMap<string, readonly [number, number]>;
  readonly order: readonly string[];
  /** Chunks written after the header (each one staging fill). */
  readonly chunks: number;
}

const LABEL = 'webgpu-weight-init';
const DEFAULT_STAGING_BYTES = 16 << 20;

/** A copy from a tensor's buffer into the staging buffer, and the part of it that belongs to the tensor. */
interface Piece {
  readonly buffer: GPUBuffer;
  readonly src: number;
  readonly dst: number;
  readonly size: number;
  readonly keepFrom: number;
  readonly keepTo: number;
}

/**
 * Writes a safetensors file whose tensors are read from GPU buffers: the header first (from names,
 * dtypes and shapes), then the data, streamed through ONE staging buffer of `stagingBytes`: each fill
 * copies whole 4-byte words of one or more tensors (widened around 2-byte offsets and odd f16/bf16
 * counts, the extra bytes cut away), maps them, hands the sink a copy and unmaps, so host memory stays
 * about three staging sizes (the mapped staging buffer, the chunk being copied out and the chunk the sink
 * is still writing) whatever the model's size. The next fill's copy and map overlap the sink's write of
 * the previous chunk; the sink never sees two writes at once.
 *
 * The tensors' values must have been submitted to the device's queue before the call (copies run after
 * them); the buffers must stay alive and unwritten until it resolves. Inputs are checked before anything
 * is written; the GPU work runs inside validation and out-of-memory error scopes (a WebGPU error becomes
 * a GPUValidationError, a lost device a DeviceLostError). The sink is closed on success and aborted on
 * failure.
 */
export async function writeSafetensors(
  device: GPUDevice,
  tensors: readonly SafetensorsTensor[],
  sink: SafetensorsSink,
  options: WriteSafetensorsOptions = {},
): Promise<WriteSafetensorsResult> {
  checkDevice('device', device);
  if (sink === null || typeof sink !== 'object' || typeof sink.write !== 'function') {
    throw new InvalidParameterError('sink', sink, 'an object with write(chunk)');
  }
  const header = encodeHeader(tensors, options);
  const byName = new Map<string, { t: SafetensorsTensor; index: number }>();
  for (const [index, t] of tensors.entries()) byName.set(t.name, { t, index });
  // Segments in data order: [start, end) in the tensor's buffer and the whole words [a, b) around it.
  const segments: { buffer: GPUBuffer; start: number; end: number; a: number; b: number }[] = [];
  for (const name of header.order) {
    const { t, index } = byName.get(name)!;
    const [begin, end] = header.dataOffsets.get(name)!;
    const byteLength = end - begin;
    const at = `tensors[${index}]`;
    if (t.byteLength !== undefined && t.byteLength !== byteLength) {
      throw new InvalidParameterError(`${at}.byteLength`, t.byteLength, `${byteLength} (shape [${t.shape.join(',')}] of ${t.dtype})`);
    }
    const buffer = t.buffer;
    if (buffer === null || typeof buffer !== 'object' || typeof buffer.size !== 'number' || typeof buffer.usage !== 'number') {
      throw new InvalidParameterError(`${at}.buffer`, buffer, 'a GPUBuffer');
    }
    const offset = checkNonNegativeInteger(`${at}.offset`, t.offset ?? 0, 'a non-negative integer number of bytes');
    if ((buffer.usage & BufferUsage.COPY_SRC) === 0)
      throw new BufferUsageError(`${at} "${name}": buffer "${buffer.label}" needs COPY_SRC usage to be read back`);
    if (buffer.mapState !== 'unmapped') throw new BufferUsageError(`${at} "${name}": buffer "${buffer.label}" is ${buffer.mapState}; unmap it first`);
    if (byteLength === 0) continue;
    const a = offset - (offset % 4);
    const b = Math.ceil((offset + byteLength) / 4) * 4;
    if (b > buffer.size) {
      throw new BufferTooSmallError(
        `${at} "${name}": buffer "${buffer.label}" has ${buffer.size} bytes; ${byteLength} bytes at offset ${offset} read as whole 4-byte words need ${b}`,
      );
    }
    segments.push({ buffer, start: offset, end: offset + byteLength, a, b });
  }
  const requested = checkPositiveInteger('stagingBytes', options.stagingBytes ?? DEFAULT_STAGING_BYTES, 'a positive integer number of bytes');
  const wordsTotal = segments.reduce((s, g) => s + (g.b - g.a), 0);
  const maxBuffer = Math.floor(device.limits.maxBufferSize / 4) * 4;
  const staging = Math.max(4, Math.min(Math.ceil(requested / 4) * 4, maxBuffer, wordsTotal));
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InvalidParameterError('onProgress', options.onProgress, 'a function (bytesDone, bytesTotal)');
  }
  const signal = options.signal;
  const totalBytes = header.bytes.length + header.dataBytes;
  const headerBytes = header.bytes.length;

  let done = 0;
  let chunks = 0;
  let pending: Promise<void> | undefined;
  /** Hands a chunk to the sink after the previous write settled; progress is reported when it lands. */
  const write = async (chunk: Uint8Array): Promise<void> => {
    if (pending) await pending;
    const p = Promise.resolve()
      .then(() => sink.write(chunk))
      .then(() => {
        done += chunk.length;
        options.onProgress?.(done, totalBytes);
      });
    p.catch(() => {}); // awaited later; keep it from counting as unhandled meanwhile
    pending = p;
  };

  try {
    signal?.throwIfAborted();
    await write(header.bytes);
    if (segments.length > 0) {
      chunks = await streamSegments(device, segments, staging, write, signal);
    }
    if (pending) await pending;
    pending = undefined;
    signal?.throwIfAborted();
    await sink.close?.();
  } catch (e) {
    await pending?.catch(() => {});
    try {
      await sink.abort?.(e);
    } catch {
      // the first error is the one to report
    }
    throw e;
  }
  return { headerBytes, totalBytes, dataOffsets: header.dataOffsets, order: header.order, chunks };
}

async function streamSegments(
  device: GPUDevice,
  segments: readonly { buffer: GPUBuffer; start: number; end: number; a: number; b: number }[],
  stagingBytes: number,
  write: (chunk: Uint8Array) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<number> {
  const readback = new Readback(new DeviceHandle(device), stagingBytes, `${LABEL}: writeSafetensors`);
  let chunks = 0;
  try {
    let seg = 0;
    let pos = segments[0]!.a;
    while (seg < segments.length) {
      signal?.throwIfAborted();
      // Plan one fill: whole words of as many tensors as fit, the last one possibly split.
      const pieces: Piece[] = [];
      let used = 0;
      while (seg < segments.length && used < readback.stagingBytes) {
        const s = segments[seg]!;
        const size = Math.min(readback.stagingBytes - used, s.b - pos);
        pieces.push({ buffer: s.buffer, src: pos, dst: used, size, keepFrom: Math.max(s.start, pos) - pos, keepTo: Math.min(s.end, pos + size) - pos });
        used += size;
        pos += size;
        if (pos === s.b) {
          seg++;
          pos = segments[seg]?.a ?? 0;
        }
      }
      let kept = 0;
      for (const p of pieces) kept += p.keepTo - p.keepFrom;
      const chunk = new Uint8Array(kept);
      await readback.read(
        pieces.map((p) => ({ buffer: p.buffer, offset: p.src, size: p.size })),
        (mapped) => {
          let at = 0;
          for (const p of pieces) {
            chunk.set(mapped.subarray(p.dst + p.keepFrom, p.dst + p.keepTo), at);
            at += p.keepTo - p.keepFrom;
          }
        },
      );
      await write(chunk);
      chunks++;
    }
  } finally {
    readback.destroy();
  }
  return chunks;
}
