// Byte sinks a safetensors file or a checkpoint's files are written into, in order. Browser-safe (Node's file sink:
// src/output/node/safetensors-file.ts).

import { InvalidParameterError } from '../../errors.js';

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
  /**
   * True when the sink has no use for a chunk once its write() settled (it wrote or copied the bytes, as a file
   * does): writeCheckpoint and writeOnnxPack may then hand it chunks of memory it reuses for later chunks, perhaps shared memory (a
   * SharedArrayBuffer). Without it every chunk is a fresh copy (an ArrayBuffer of its own) the sink may keep.
   */
  readonly borrowsChunks?: boolean;
  close?(): Promise<void> | void;
  abort?(reason: unknown): Promise<void> | void;
}

/**
 * `sink` as a SafetensorsSink, or an InvalidParameterError at `parameter`: an object whose `write` is a function, and
 * whose `close` and `abort`, when present, are functions too.
 */
export function checkSink(sink: unknown, parameter: string): SafetensorsSink {
  const s = sink as Partial<Record<'write' | 'close' | 'abort', unknown>> | null;
  if (
    s === null ||
    typeof s !== 'object' ||
    typeof s.write !== 'function' ||
    (s.close !== undefined && typeof s.close !== 'function') ||
    (s.abort !== undefined && typeof s.abort !== 'function')
  ) {
    throw new InvalidParameterError(parameter, sink, 'a sink: an object with write(chunk), and optionally close() and abort(reason)');
  }
  return sink as SafetensorsSink;
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
