// Reading GPU buffers back to the host, shared by ctx.read and the safetensors writer: word-aligned copies
// into one bounded staging buffer, each fill validated in its own scope before its bytes are handed out.

import { roundDown4, roundUp4 } from '../contract/align.js';
import { BufferTooSmallError, BufferUsageError } from '../errors.js';
import type { DeviceHandle } from './device-handle.js';
import { BufferUsage, MapMode } from './flags.js';

/** Bytes [offset, offset + size) of a buffer; offset and size are multiples of 4. */
export interface ReadPiece {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

/** Largest staging buffer a read uses. */
export const MAX_STAGING_BYTES = 64 << 20;

/** A staging buffer that reads pieces of buffers back, one fill at a time. */
export class Readback {
  readonly stagingBytes: number;
  private readonly handle: DeviceHandle;
  private readonly label: string;
  private stage: GPUBuffer | undefined;

  constructor(handle: DeviceHandle, stagingBytes: number, label: string) {
    this.handle = handle;
    this.stagingBytes = roundUp4(Math.max(4, stagingBytes));
    this.label = label;
  }

  /**
   * Copies `pieces` (at most stagingBytes together) into the staging buffer and calls `use` with their
   * bytes, concatenated; the view is valid only while `use` runs. A copy WebGPU rejects (a destroyed
   * source, say) fails the read before `use` sees any byte.
   */
  async read(pieces: readonly ReadPiece[], use: (bytes: Uint8Array) => void): Promise<void> {
    const used = pieces.reduce((n, p) => n + p.size, 0);
    if (used > this.stagingBytes) throw new RangeError(`${used} bytes do not fit a ${this.stagingBytes}-byte staging buffer`);
    if (used === 0) return use(new Uint8Array(0));
    const { handle } = this;
    const device = handle.device;
    const stage = await handle.scoped(`${this.label}: staging buffer`, () => {
      this.stage ??= device.createBuffer({ label: `${this.label}: staging`, size: this.stagingBytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      return this.stage;
    });
    const names = [...new Set(pieces.map((p) => `"${p.buffer.label}"`))].join(', ');
    const copied = handle.scoped(`${this.label}: copying from ${names}`, () => {
      const encoder = device.createCommandEncoder({ label: `${this.label}: copy` });
      let at = 0;
      for (const p of pieces) {
        encoder.copyBufferToBuffer(p.buffer, p.offset, stage, at, p.size);
        at += p.size;
      }
      device.queue.submit([encoder.finish()]);
    });
    const mapped = handle.guard(`${this.label}: mapping the staging buffer`, stage.mapAsync(MapMode.READ, 0, used));
    const [copy, map] = await Promise.allSettled([copied, mapped]);
    if (copy.status === 'rejected' || map.status === 'rejected') {
      if (stage.mapState === 'mapped') stage.unmap();
      throw copy.status === 'rejected' ? copy.reason : (map as PromiseRejectedResult).reason;
    }
    try {
      use(new Uint8Array(stage.getMappedRange(0, used)));
    } finally {
      stage.unmap();
    }
  }

  destroy(): void {
    this.stage?.destroy();
    this.stage = undefined;
  }
}

/** Copies bytes [offset, offset + byteLength) of `buffer` (COPY_SRC usage) to the host. */
export async function readBytes(handle: DeviceHandle, buffer: GPUBuffer, offset: number, byteLength: number, label: string): Promise<ArrayBuffer> {
  if ((buffer.usage & BufferUsage.COPY_SRC) === 0) throw new BufferUsageError(`buffer "${buffer.label}": reading back needs COPY_SRC usage`);
  // Copies move whole 4-byte words: read the enclosing words and cut the range out of them.
  const first = roundDown4(offset);
  const end = roundUp4(offset + byteLength);
  if (end > buffer.size) {
    throw new BufferTooSmallError(`buffer "${buffer.label}": ${buffer.size} bytes; reading ${byteLength} bytes at offset ${offset} needs ${end}`);
  }
  const out = new Uint8Array(byteLength);
  if (byteLength === 0) return out.buffer;
  const readback = new Readback(handle, Math.min(end - first, MAX_STAGING_BYTES), label);
  try {
    for (let at = first; at < end; at += readback.stagingBytes) {
      const size = Math.min(readback.stagingBytes, end - at);
      await readback.read([{ buffer, offset: at, size }], (bytes) => {
        // Bytes [at, at + size) of the buffer; keep those inside [offset, offset + byteLength).
        const from = Math.max(offset, at);
        const to = Math.min(offset + byteLength, at + size);
        out.set(bytes.subarray(from - at, to - at), from - offset);
      });
    }
  } finally {
    readback.destroy();
  }
  return out.buffer;
}
