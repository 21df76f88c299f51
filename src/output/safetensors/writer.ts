// writeSafetensors: initialized tensors straight from GPU buffers to a sink, through one bounded staging buffer.

import { roundDown4, roundUp4 } from '../../contract/align.js';
import { checkDevice, checkNonNegativeInteger, checkPositiveInteger, isGPUBuffer } from '../../contract/validate.js';
import { BufferTooSmallError, BufferUsageError, InvalidParameterError } from '../../errors.js';
import { DeviceHandle } from '../../gpu/device-handle.js';
import { BufferUsage } from '../../gpu/flags.js';
import { Readback } from '../../gpu/readback.js';
import { type EncodeHeaderOptions, encodeHeader, type SafetensorsEntry } from './format.js';
import { checkSink, type SafetensorsSink } from './sinks.js';

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
  checkSink(sink, 'sink');
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
    if (!isGPUBuffer(buffer)) {
      throw new InvalidParameterError(`${at}.buffer`, buffer, 'a GPUBuffer');
    }
    const offset = checkNonNegativeInteger(`${at}.offset`, t.offset ?? 0, 'a non-negative integer number of bytes');
    if ((buffer.usage & BufferUsage.COPY_SRC) === 0)
      throw new BufferUsageError(`${at} "${name}": buffer "${buffer.label}" needs COPY_SRC usage to be read back`);
    if (buffer.mapState !== 'unmapped') throw new BufferUsageError(`${at} "${name}": buffer "${buffer.label}" is ${buffer.mapState}; unmap it first`);
    if (byteLength === 0) continue;
    const a = roundDown4(offset);
    const b = roundUp4(offset + byteLength);
    if (b > buffer.size) {
      throw new BufferTooSmallError(
        `${at} "${name}": buffer "${buffer.label}" has ${buffer.size} bytes; ${byteLength} bytes at offset ${offset} read as whole 4-byte words need ${b}`,
      );
    }
    segments.push({ buffer, start: offset, end: offset + byteLength, a, b });
  }
  const requested = checkPositiveInteger('stagingBytes', options.stagingBytes ?? DEFAULT_STAGING_BYTES, 'a positive integer number of bytes');
  const wordsTotal = segments.reduce((s, g) => s + (g.b - g.a), 0);
  const maxBuffer = roundDown4(device.limits.maxBufferSize);
  const staging = Math.max(4, Math.min(roundUp4(requested), maxBuffer, wordsTotal));
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
