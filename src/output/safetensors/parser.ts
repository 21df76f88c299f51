// safetensors headers read back with every check a hostile file needs (format: ./format.ts). Browser-safe.

import { isWellFormedUnicode } from '../../contract/unicode.js';
import { checkInteger, checkNonNegativeInteger } from '../../contract/validate.js';
import { InvalidParameterError } from '../../errors.js';
import { fail, SAFETENSORS_DTYPE_BITS, SAFETENSORS_MAX_HEADER_BYTES, SAFETENSORS_MAX_TENSORS, type SafetensorsDType, show } from './format.js';

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
  if (!isWellFormedUnicode(name)) fail('Name', `${at} name`, show(name), 'a name without lone surrogates (UTF-8 encodable)');
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
    if (!isWellFormedUnicode(k) || !isWellFormedUnicode(v))
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
