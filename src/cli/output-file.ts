// Output files of the command line: written under a temporary name next to the target and renamed over it only
// when complete; only a missing path or a regular file is ever replaced; the temporary file is removed on every
// failure and on SIGINT / SIGTERM / SIGHUP.
import { unlinkSync } from 'node:fs';
import { constants, type FileHandle, open, rename, statfs, unlink } from 'node:fs/promises';
import { FileAccessError } from '../errors.js';
import { OUTPUT_ACCEPTED as ACCEPTED, checkOutputPath, describeFsError } from '../output/node/regular-file.js';
import type { SafetensorsSink } from '../output/safetensors/sinks.js';
import { onProcessEnd } from './cleanup.js';

export interface OutputFile {
  /** The path the file will have when committed. */
  readonly path: string;
  /** The temporary file written meanwhile: `${path}.partial-<pid>-<random>`. */
  readonly partialPath: string;
  /** Appends bytes to the temporary file; a failed write (e.g. a full disk) is a FileAccessError. */
  write(chunk: Uint8Array): Promise<void>;
  /** Closes the temporary file and renames it over `path` (checked again first). */
  commit(): Promise<void>;
  /** Closes and removes the temporary file; safe to call more than once and after commit (then it does nothing). */
  discard(): Promise<void>;
  /** The file as a safetensors sink: close() commits, abort() discards. */
  readonly sink: SafetensorsSink;
}

/**
 * Checks `path` (see checkOutputPath) and creates its temporary file (exclusively, next to it, so the rename is
 * atomic and a missing or unwritable folder shows now), before the caller does any work whose result it would
 * write. The temporary file is removed if the process gets SIGINT, SIGTERM or SIGHUP or exits before commit.
 * Symbolic links are refused rather than followed: the file replaced is always the one named.
 */
export async function openOutputFile(parameter: string, path: string, options: { expectedBytes?: number } = {}): Promise<OutputFile> {
  await checkOutputPath(parameter, path);
  const partialPath = `${path}.partial-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  // Registered before the file exists, so that no signal can come between its creation and its cleanup.
  const forget = onProcessEnd(() => {
    try {
      unlinkSync(partialPath);
    } catch {
      // not created, or already gone
    }
  });
  let handle: FileHandle | undefined;
  try {
    handle = await open(partialPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);
  } catch (e) {
    forget();
    const problem =
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'cannot be created: its folder does not exist (ENOENT)' : `cannot be created: ${describeFsError(e)}`;
    throw new FileAccessError(parameter, path, problem, `${ACCEPTED} in a folder this user may write`, { cause: e });
  }
  if (options.expectedBytes !== undefined) {
    // A disk without room for the whole file is refused now rather than after the work (a best effort: other
    // writers may fill it meanwhile, and then the failed write removes the temporary file).
    const free = await statfs(partialPath).then(
      (f) => f.bavail * f.bsize,
      () => Infinity,
    );
    if (free < options.expectedBytes) {
      await handle.close().catch(() => undefined);
      await unlink(partialPath).catch(() => undefined);
      forget();
      throw new FileAccessError(
        parameter,
        path,
        `cannot be written: its file system has ${free} bytes free`,
        `room for the ${options.expectedBytes} bytes of the file`,
      );
    }
  }
  let state: 'open' | 'committed' | 'discarded' = 'open';
  const closeHandle = async () => {
    const h = handle;
    handle = undefined;
    if (h) await h.close();
  };
  const file: OutputFile = {
    path,
    partialPath,
    async write(chunk) {
      if (state !== 'open' || !handle) throw new FileAccessError(parameter, path, `was already ${state}`, 'writes before commit');
      try {
        let at = 0;
        while (at < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, at, chunk.length - at);
          at += bytesWritten;
        }
      } catch (e) {
        throw new FileAccessError(parameter, path, `could not be written: ${describeFsError(e)}`, 'a disk with room for the file and no size limit below it', {
          cause: e,
        });
      }
    },
    async commit() {
      if (state !== 'open') throw new FileAccessError(parameter, path, `was already ${state}`, 'one commit');
      try {
        await closeHandle();
        // The target may have changed since it was checked: check again just before it is replaced.
        await checkOutputPath(parameter, path);
        await rename(partialPath, path);
      } catch (e) {
        await file.discard();
        throw e instanceof FileAccessError ? e : new FileAccessError(parameter, path, `could not be written: ${describeFsError(e)}`, ACCEPTED, { cause: e });
      }
      state = 'committed';
      forget();
    },
    async discard() {
      if (state !== 'open') return;
      state = 'discarded';
      await closeHandle().catch(() => undefined);
      await unlink(partialPath).catch(() => undefined);
      forget();
    },
    sink: {
      write: (chunk) => file.write(chunk),
      close: () => file.commit(),
      abort: () => file.discard(),
    },
  };
  return file;
}
