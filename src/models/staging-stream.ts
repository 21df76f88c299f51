// Read GPU data back to the host in bounded pieces: windows of copies into one of two MAP_READ staging buffers,
// mapped, cut to the bytes that matter and handed on in order. Shared by writeSafetensors (tensors already in GPU
// buffers) and writeCheckpoint (tensors generated window by window into one work buffer).
import { DeviceLostError, GPUValidationError, WeightInitError } from '../errors.js';
import { BufferUsage, MapMode } from '../gpu/flags.js';

const LABEL = 'webgpu-weight-init';

/** A copy of whole 4-byte words from a source buffer into the staging buffer, and the part of it to keep. */
export interface StagingPiece {
  readonly buffer: GPUBuffer;
  /** Byte offset in `buffer` (a multiple of 4). */
  readonly src: number;
  /** Byte offset in the staging buffer (a multiple of 4). */
  readonly dst: number;
  /** Bytes copied (a multiple of 4). */
  readonly size: number;
  /** The bytes kept: [dst + keepFrom, dst + keepTo) of the staging buffer. */
  readonly keepFrom: number;
  readonly keepTo: number;
}

/** One staging fill: its pieces, whose source values have been submitted to the device's queue. */
export interface StagingWindow {
  readonly pieces: readonly StagingPiece[];
  /** Staging bytes the pieces use: the end of the last one. */
  readonly used: number;
}

interface InFlight {
  readonly stage: GPUBuffer;
  readonly window: StagingWindow;
  readonly validated: Promise<GPUError | null>;
  readonly mapped: Promise<unknown>;
}

/**
 * Streams windows back to the host: for each window from `next()` (null ends the stream), copies its pieces into a
 * staging buffer of `stagingBytes`, maps it, copies the kept bytes into a fresh chunk, unmaps and passes the chunk to
 * `write` (which must not start a write before the previous one settled). Two staging buffers alternate, so window
 * k + 1 is produced and copied while window k is mapped and written; the chunks reach `write` in window order.
 * GPU memory: two staging buffers; host memory: the chunk being cut and the one being written. Each window's copies
 * run in their own validation scope, so a bad source stops the stream before its bytes reach `write`; the whole
 * stream runs in validation and out-of-memory scopes. `what` names the caller in error messages. Returns the number
 * of windows. Cancellation is the caller's: `next()` throws.
 */
export async function streamThroughStaging(
  device: GPUDevice,
  next: () => Promise<StagingWindow | null>,
  stagingBytes: number,
  write: (chunk: Uint8Array) => Promise<void>,
  what: string,
): Promise<number> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const stages: GPUBuffer[] = [];
  const inFlight: InFlight[] = [];
  let failure: unknown;
  let windows = 0;
  const land = async (f: InFlight): Promise<void> => {
    const mapError = await f.mapped;
    const invalid = await f.validated.catch(() => null);
    if (invalid) {
      const names = [...new Set(f.window.pieces.map((p) => `"${p.buffer.label}"`))].join(', ');
      throw new GPUValidationError(`${what}: copying from ${names}: ${invalid.message}`);
    }
    if (mapError !== undefined) throw await mapFailure(device, mapError, what);
    let kept = 0;
    for (const p of f.window.pieces) kept += p.keepTo - p.keepFrom;
    const chunk = new Uint8Array(kept);
    const mapped = new Uint8Array(f.stage.getMappedRange(0, f.window.used));
    let at = 0;
    for (const p of f.window.pieces) {
      chunk.set(mapped.subarray(p.dst + p.keepFrom, p.dst + p.keepTo), at);
      at += p.keepTo - p.keepFrom;
    }
    f.stage.unmap();
    await write(chunk);
  };
  try {
    for (;;) {
      if (inFlight.length === 2) await land(inFlight.shift()!);
      const window = await next();
      if (window === null) break;
      const slot = windows % 2;
      stages[slot] ??= device.createBuffer({ label: `${LABEL}: ${what} staging ${slot}`, size: stagingBytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      const stage = stages[slot]!;
      device.pushErrorScope('validation');
      const encoder = device.createCommandEncoder({ label: `${LABEL}: ${what} copy` });
      for (const p of window.pieces) encoder.copyBufferToBuffer(p.buffer, p.src, stage, p.dst, p.size);
      device.queue.submit([encoder.finish()]);
      const validated = device.popErrorScope();
      const mapped = stage.mapAsync(MapMode.READ, 0, window.used).then(
        () => undefined,
        (e: unknown) => e ?? new Error('mapAsync rejected'),
      );
      inFlight.push({ stage, window, validated, mapped });
      windows++;
    }
    while (inFlight.length > 0) await land(inFlight.shift()!);
  } catch (e) {
    failure = e;
    await Promise.all(inFlight.map((f) => f.mapped));
  } finally {
    for (const stage of stages) {
      if (stage.mapState === 'mapped') stage.unmap();
      stage.destroy();
    }
    const [validation, oom] = await Promise.all([device.popErrorScope(), device.popErrorScope()]).catch(() => [null, null] as const);
    const error = validation ?? oom;
    if (failure === undefined && error) failure = new GPUValidationError(`${what}: ${error.message}`);
  }
  if (failure !== undefined) throw failure;
  return windows;
}

/** A rejected mapAsync: a DeviceLostError when the device went away, else a GPUValidationError. */
async function mapFailure(device: GPUDevice, e: unknown, what: string): Promise<WeightInitError> {
  const lost = await Promise.race([device.lost, new Promise<undefined>((r) => setTimeout(r, 50, undefined))]);
  if (lost) return new DeviceLostError(String(lost.reason ?? 'unknown'), lost.message);
  return e instanceof WeightInitError ? e : new GPUValidationError(`${what}: mapping the staging buffer failed: ${String(e)}`);
}

/**
 * Hands chunks to a sink one at a time: `write` waits for the previous write to settle, starts this one and returns
 * (so the caller prepares the next chunk while this one is written); `settle` waits for the last. `onWritten` runs
 * with each chunk's length once the sink has taken it.
 */
export function sequentialWriter(
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
