// Files a caller names (Node only) must be regular files. Reading: never more bytes than a cap, so that a FIFO, a
// device such as /dev/urandom or a folder gives a typed error at once instead of a hang or unbounded memory.
// Writing: only a missing path or a regular file is ever replaced (never a device, FIFO, folder or symbolic link).

import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { access, type FileHandle, lstat, open } from 'node:fs/promises';
import { FileAccessError } from '../../errors.js';

/** What a stat says a path is, for messages. */
export function describeFileType(s: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
}): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** The reason of a failed fs call in a few words: "no such file or folder (ENOENT)". */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or folder',
    ENOTDIR: 'a part of the path is not a folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'it is a folder',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
    EFBIG: 'file too large',
    EIO: 'input/output error',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'name too long',
    EMFILE: 'too many open files',
  };
  return code ? `${words[code] ?? (e as Error).message} (${code})` : String((e as Error)?.message ?? e);
}

/**
 * Opens `path` for reading if it is a regular file (following symbolic links). The open does not block on a FIFO
 * (O_NONBLOCK), and the type is checked on the opened descriptor, so no other file can be swapped in between.
 * Returns the handle and the file's size; the caller closes the handle.
 */
export async function openRegularFile(parameter: string, path: string): Promise<{ handle: FileHandle; size: number }> {
  if (typeof path !== 'string' || path.length === 0) throw new FileAccessError(parameter, String(path), 'is not a path', 'the path of a regular file');
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw new FileAccessError(parameter, path, `cannot be read: ${describeFsError(e)}`, 'a readable regular file', { cause: e });
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new FileAccessError(parameter, path, `is ${describeFileType(s)}`, 'a regular file');
    return { handle, size: s.size };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e instanceof FileAccessError
      ? e
      : new FileAccessError(parameter, path, `cannot be read: ${describeFsError(e)}`, 'a readable regular file', { cause: e });
  }
}

/**
 * Reads exactly `length` bytes at `position`, or throws `ended(bytesRead)` when the file ends first. Reads never
 * exceed `length` bytes, whatever the file claims its size is.
 */
export async function readExactly(handle: FileHandle, position: number, length: number, ended: (got: number) => Error): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const { bytesRead } = await handle.read(out, at, length - at, position + at);
    if (bytesRead === 0) throw ended(at);
    at += bytesRead;
  }
  return out;
}

/**
 * The whole of a regular file of at most `maxBytes` bytes; a larger one is refused before anything is read, and no
 * more than size + 1 bytes are ever read (a file that grows while it is read is refused).
 */
export async function readRegularFile(parameter: string, path: string, maxBytes: number): Promise<Uint8Array> {
  const { handle, size } = await openRegularFile(parameter, path);
  const tooLarge = () => new FileAccessError(parameter, path, `is larger than ${maxBytes} bytes`, `a file of at most ${maxBytes} bytes`);
  try {
    if (size > maxBytes) throw tooLarge();
    // One byte more than the size: a file that grew while being read fills it and is refused.
    const out = new Uint8Array(size + 1);
    let at = 0;
    try {
      while (at < out.length) {
        const { bytesRead } = await handle.read(out, at, out.length - at, null);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
    } catch (e) {
      throw new FileAccessError(parameter, path, `cannot be read: ${describeFsError(e)}`, 'a readable regular file', { cause: e });
    }
    if (at > size) throw new FileAccessError(parameter, path, 'grew while it was read', 'a file that does not change while it is read');
    return out.subarray(0, at);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** What an output path may be, for messages. */
export const OUTPUT_ACCEPTED = 'a path that does not exist yet or a regular file (not a folder, FIFO, device, socket or symbolic link)';

/**
 * Throws a FileAccessError unless `path` is absent or a regular file this process may write. lstat, not stat: a
 * symbolic link is refused rather than followed, so the file replaced is always the one named.
 */
export async function checkOutputPath(parameter: string, path: string): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new FileAccessError(parameter, String(path), 'is not a path', OUTPUT_ACCEPTED);
  let s: Stats;
  try {
    s = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new FileAccessError(parameter, path, `cannot be examined: ${describeFsError(e)}`, OUTPUT_ACCEPTED, { cause: e });
  }
  if (!s.isFile()) throw new FileAccessError(parameter, path, `is ${describeFileType(s)}`, OUTPUT_ACCEPTED);
  try {
    await access(path, constants.W_OK);
  } catch (e) {
    throw new FileAccessError(parameter, path, `cannot be replaced: ${describeFsError(e)}`, `${OUTPUT_ACCEPTED} that this user may write`, { cause: e });
  }
}
