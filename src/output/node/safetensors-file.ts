// safetensors files in Node: a file sink for writeSafetensors (written to a temporary name and renamed into
// place when complete), and header / tensor reads that touch only the bytes they need. Kept apart from
// ./safetensors.ts so that the browser bundle never imports node built-ins.

import type { FileHandle } from 'node:fs/promises';
import { open, rename, unlink } from 'node:fs/promises';
import { InvalidParameterError } from '../../errors.js';
import { type ParsedSafetensorsHeader, type ParseHeaderOptions, parseSafetensorsHeader, safetensorsHeaderSize } from '../safetensors/parser.js';
import type { SafetensorsSink } from '../safetensors/sinks.js';
import { type SafetensorsTensor, type WriteSafetensorsOptions, type WriteSafetensorsResult, writeSafetensors } from '../safetensors/writer.js';
import { FileAppender } from './file-appender.js';
import { checkOutputPath, openRegularFile, readExactly } from './regular-file.js';

export interface FileSinkOptions {
  /**
   * Write to `${path}.partial-<pid>-<random>`, sync it and rename it to `path` on close, removing it on abort,
   * so that `path` never holds a partial file (default true). With false, `path` is written in place and
   * left as it is on abort. Either way `path` must be absent or a regular file (a folder, FIFO, device, socket
   * or symbolic link is a FileAccessError, and is left as it is).
   */
  atomic?: boolean;
  /**
   * Write the bulk of the bytes with direct I/O where the file system takes it (Linux O_DIRECT: around the page
   * cache, which costs the writing process CPU that generation needs), else through the cache (default true).
   */
  direct?: boolean;
}

export interface FileSink extends SafetensorsSink {
  readonly path: string;
}

/** A sink writing to a file with fs.promises (opened on the first write). */
export function fileSink(path: string, options: FileSinkOptions = {}): FileSink {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidParameterError('path', path, 'a file path');
  const atomic = options.atomic ?? true;
  const target = atomic ? `${path}.partial-${process.pid}-${Math.random().toString(36).slice(2, 10)}` : path;
  const direct = options.direct ?? true;
  let handle: FileHandle | undefined;
  let appender: FileAppender | undefined;
  let opening: Promise<FileHandle> | undefined;
  // Only a missing path or a regular file is written or replaced (checked again before the rename).
  const get = () =>
    (opening ??= checkOutputPath('path', path)
      .then(() => open(target, atomic ? 'wx' : 'w'))
      .then((h) => {
        appender = new FileAppender(h, direct);
        handle = h;
        return h;
      }));
  const abort = async (): Promise<void> => {
    if (opening) await opening.catch(() => undefined);
    await appender?.close().catch(() => undefined);
    if (handle) await handle.close().catch(() => undefined);
    handle = undefined;
    if (atomic && opening) await unlink(target).catch(() => undefined);
  };
  return {
    path,
    // Each chunk is written, or copied into the direct writes' staging area, before write() resolves; nothing keeps it.
    borrowsChunks: true,
    async write(chunk) {
      await get();
      await appender!.append(chunk);
    },
    async close() {
      const h = await get();
      try {
        // The last staged bytes are written here: a full disk or a size limit may show only now.
        await appender!.finish();
        // On disk before it gets its name: a crash after the rename never leaves a named file with missing bytes.
        if (atomic) await h.sync();
      } catch (e) {
        await abort();
        throw e;
      }
      await h.close();
      handle = undefined;
      if (atomic) {
        try {
          await checkOutputPath('path', path);
        } catch (e) {
          await unlink(target).catch(() => undefined);
          throw e;
        }
        await rename(target, path);
      }
    },
    abort,
  };
}

/** writeSafetensors into a file (see fileSink for how the file appears). */
export function writeSafetensorsFile(
  device: GPUDevice,
  tensors: readonly SafetensorsTensor[],
  path: string,
  options: WriteSafetensorsOptions & FileSinkOptions = {},
): Promise<WriteSafetensorsResult> {
  const sinkOptions: FileSinkOptions = {
    ...(options.atomic === undefined ? {} : { atomic: options.atomic }),
    ...(options.direct === undefined ? {} : { direct: options.direct }),
  };
  return writeSafetensors(device, tensors, fileSink(path, sinkOptions), options);
}

/**
 * Reads and checks the header of a safetensors file, reading only its first 8 + N bytes; N is checked
 * against the cap and the file's size before anything is allocated (see parseSafetensorsHeader). Only a regular
 * file is read (a FIFO, device or folder is a FileAccessError at once); `parameter` names the path in errors.
 */
export async function readSafetensorsHeaderFromFile(
  path: string,
  options: Omit<ParseHeaderOptions, 'fileSize'> & { parameter?: string } = {},
): Promise<ParsedSafetensorsHeader> {
  const { parameter = 'path', ...parse } = options;
  const { handle: h, size: fileSize } = await openRegularFile(parameter, path);
  try {
    const prefix = await readExactly(h, 0, Math.min(8, fileSize), endedEarly(0, 8));
    const n = safetensorsHeaderSize(prefix, { ...parse, fileSize });
    const bytes = new Uint8Array(8 + n);
    bytes.set(prefix);
    bytes.set(await readExactly(h, 8, n, endedEarly(8, n)), 8);
    return parseSafetensorsHeader(bytes, { ...parse, fileSize });
  } finally {
    await h.close();
  }
}

/** Reads one tensor's bytes (little-endian, row-major) from a file whose header was read with the above. */
export async function readSafetensorsTensorBytes(path: string, header: ParsedSafetensorsHeader, name: string): Promise<Uint8Array> {
  const t = header.tensors.find((x) => x.name === name);
  if (!t) throw new InvalidParameterError('name', name, 'the name of a tensor in the header');
  const { handle: h } = await openRegularFile('path', path);
  try {
    return await readExactly(h, header.dataOffset + t.dataOffsets[0], t.byteLength, endedEarly(header.dataOffset + t.dataOffsets[0], t.byteLength));
  } finally {
    await h.close();
  }
}

function endedEarly(position: number, length: number): (got: number) => Error {
  return (got) => new InvalidParameterError('file', `${position + got} bytes`, `at least ${position + length} bytes (the file ended early)`);
}
