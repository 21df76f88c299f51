// Where a write goes: a caller's buffer (checked) or a new buffer (created inside an out-of-memory scope).

import { roundUp4 } from '../contract/align.js';
import { DTYPE_BYTES, type DType } from '../contract/dtypes.js';
import type { Strategy } from '../contract/strategy.js';
import { checkNonNegativeInteger, isGPUBuffer } from '../contract/validate.js';
import { BufferTooSmallError, BufferUsageError, InvalidParameterError, MisalignedError } from '../errors.js';
import type { ResolvedInitializer } from '../init/resolve-initializer.js';
import type { DeviceHandle } from './device-handle.js';
import { BufferUsage } from './flags.js';

/** Options naming the target of a write: a caller's buffer and offset, or a new buffer. */
export interface TargetOptions {
  /** Target buffer (needs STORAGE usage). When absent, a buffer is created and returned. */
  buffer?: GPUBuffer;
  /** Byte offset into `buffer`; a multiple of the element size (4, or 2 for f16/bf16). Default 0. */
  offset?: number;
  /** Label of a created buffer. */
  label?: string;
  /** Extra usage flags of a created buffer (STORAGE | COPY_SRC | COPY_DST are always set). */
  usage?: number;
}

/** Where the generated elements are: bytes [offset, offset + byteLength) of buffer. */
export interface GeneratedRange {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly byteLength: number;
  readonly count: number;
  readonly dtype: DType;
  /** Compute dispatches used (more than one when the range exceeds a binding window or a grid); 0 for 'upload'. */
  readonly dispatches: number;
  /** How the values got there: the WGSL kernels or the SIMD CPU generator and writeBuffer. */
  readonly via: Strategy;
}

/** Where an initializer's values are, and what the initializer resolved to. */
export interface InitializedRange extends GeneratedRange {
  /** What the initializer resolved to for this shape (distribution and parameters, fans, expected std). */
  readonly resolved: ResolvedInitializer;
}

/** A checked target: the bytes [offset, offset + byteLength) of buffer. */
export interface Target {
  readonly buffer: GPUBuffer | undefined;
  readonly offset: number;
  readonly byteLength: number;
  readonly count: number;
  readonly dtype: DType;
  /** Label and usage of the buffer to create when `buffer` is undefined. */
  readonly label: string;
  readonly usage: number;
}

/** Usage flags a created storage buffer may add: every GPUBufferUsage flag except MAP_READ and MAP_WRITE. */
const EXTRA_USAGE = 0x3fc;

/** Checks the target of `count` elements of `dtype` (synchronously: before any GPU work). */
export function checkTarget(options: TargetOptions, count: number, dtype: DType, what: string, maxBufferSize: number): Target {
  if (options === null || typeof options !== 'object') throw new InvalidParameterError('options', options, 'an object');
  const elementBytes = DTYPE_BYTES[dtype];
  const byteLength = count * elementBytes;
  const offset = options.offset ?? 0;
  checkNonNegativeInteger('offset', offset, 'a non-negative integer number of bytes');
  if (offset % elementBytes !== 0) throw new MisalignedError('offset', offset, elementBytes);
  const buffer = options.buffer;
  const base = { offset, byteLength, count, dtype, label: options.label ?? `webgpu-weight-init: ${what} x${count}`, usage: 0 };
  if (buffer !== undefined) {
    checkTargetBuffer(buffer, offset, byteLength);
    return { ...base, buffer };
  }
  if (offset !== 0) throw new InvalidParameterError('offset', offset, '0 when no buffer is given');
  const usage = options.usage ?? 0;
  if (!Number.isInteger(usage) || usage < 0 || (usage & ~EXTRA_USAGE) !== 0) {
    throw new InvalidParameterError('usage', usage, 'GPUBufferUsage flags other than MAP_READ and MAP_WRITE (a subset of 0x3fc)');
  }
  const size = roundUp4(Math.max(4, byteLength));
  if (size > maxBufferSize) {
    throw new BufferTooSmallError(`count: ${count} elements need ${size} bytes; this device's maxBufferSize is ${maxBufferSize}`);
  }
  return { ...base, buffer: undefined, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST | usage };
}

export function checkTargetBuffer(buffer: GPUBuffer, offset: number, byteLength: number): void {
  if (!isGPUBuffer(buffer)) {
    throw new InvalidParameterError('buffer', buffer, 'a GPUBuffer');
  }
  if ((buffer.usage & BufferUsage.STORAGE) === 0) {
    throw new BufferUsageError(`buffer "${buffer.label}": needs GPUBufferUsage.STORAGE (usage is 0x${buffer.usage.toString(16)})`);
  }
  if (buffer.mapState !== 'unmapped') {
    throw new BufferUsageError(`buffer "${buffer.label}": is ${buffer.mapState}; unmap it before generating into it`);
  }
  // The storage binding covers whole 4-byte words, so the buffer must reach the end of the last word.
  const end = roundUp4(offset + byteLength);
  if (end > buffer.size) {
    throw new BufferTooSmallError(`buffer "${buffer.label}": ${buffer.size} bytes; writing ${byteLength} bytes at offset ${offset} needs ${end}`);
  }
}

/** Creates the target's buffer when it has none (an out-of-memory error becomes OutOfMemoryError). */
export async function createTargetBuffer(handle: DeviceHandle, target: Target): Promise<GPUBuffer> {
  if (target.buffer) return target.buffer;
  const size = roundUp4(Math.max(4, target.byteLength));
  return handle.scoped(
    `creating a ${size}-byte buffer for ${target.count} elements`,
    () => handle.device.createBuffer({ label: target.label, size, usage: target.usage }),
    (b) => b.destroy(),
  );
}

/** The range a write into `target` (whose buffer is now `buffer`) covers. */
export function rangeOf(buffer: GPUBuffer, target: Target, dispatches: number, via: Strategy): GeneratedRange {
  return { buffer, offset: target.offset, byteLength: target.byteLength, count: target.count, dtype: target.dtype, dispatches, via };
}
