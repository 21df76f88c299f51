// Checkpoint folders in Node: a CheckpointFolder on a directory (created when missing), each file written to a
// temporary name, synced and renamed into place when complete (fileSink), completed files removed when a later one
// fails. The folder is held by a lock file naming the checkpoint being written (created exclusively, so two writers
// of different checkpoints never mix their files, while the parts and reruns of one checkpoint share it); files
// already there are recognized by their size and first bytes; the free space is checked before any work.
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rmdir, stat, statfs, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FileAccessError, InvalidParameterError, WeightInitError } from '../../errors.js';
import type { CheckpointFolder, FolderClaim } from '../checkpoint.js';
import { describeFileType, describeFsError } from './regular-file.js';
import { fileSink } from './safetensors-file.js';

/** The lock file that holds a checkpoint folder while a checkpoint is written into it (removed when complete). */
export const CHECKPOINT_LOCK_FILE = '.webgpu-weight-init.lock';

const WRITABLE = 'a folder this user may write, on a writable file system with room for the checkpoint';

/**
 * The folder `path` as a checkpoint folder: created (with its parents) when missing; a path that exists and is not a
 * directory is refused. writeCheckpoint lists it first and refuses to mix a new checkpoint into an old one, holds it
 * with CHECKPOINT_LOCK_FILE while it writes, and checks the room left before any GPU work. Failures of the file
 * system (a read-only one, no permission, a full disk) are FileAccessErrors naming the path.
 */
export async function openCheckpointFolder(path: string): Promise<CheckpointFolder> {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidParameterError('path', path, 'a folder path');
  const fail = (where: string, problem: string, e: unknown) =>
    e instanceof WeightInitError ? e : new FileAccessError('folder', where, `${problem}: ${describeFsError(e)}`, WRITABLE, { cause: e });
  const existing = await stat(path).catch(() => null);
  if (existing && !existing.isDirectory())
    throw new FileAccessError('folder', path, `is ${describeFileType(existing)}`, 'a folder (or a path that does not exist yet)');
  let createdDir = false;
  if (!existing) {
    // The folder alone first: a recursive mkdir on a read-only file system reports ENOENT rather than EROFS. Other
    // writers (the parts of one checkpoint) may create it at the same moment: then it is theirs.
    createdDir = await mkdir(path)
      .then(
        () => true,
        async (e: unknown) => {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          return (await mkdir(path, { recursive: true })) !== undefined; // undefined: it exists by now
        },
      )
      .catch(async (e: unknown) => {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(path).catch(() => null))?.isDirectory()) return false;
        throw fail(path, 'cannot be created', e);
      });
  }
  const lockPath = join(path, CHECKPOINT_LOCK_FILE);
  const releaseLock = async (identity: string) => {
    const text = await readFile(lockPath, 'utf8').catch(() => null);
    if (text?.startsWith(`${identity}\n`)) await unlink(lockPath).catch(() => undefined);
    // A folder this call created and left empty (the write failed before any file) goes too.
    if (createdDir) await rmdir(path).catch(() => undefined);
  };
  return {
    create(name) {
      const target = join(path, name);
      const sink = fileSink(target);
      const wrap = <T>(p: Promise<T>): Promise<T> =>
        p.catch((e: unknown) => {
          throw fail(target, 'could not be written', e);
        });
      return {
        // write() settles once fileSink has written the chunk: the wrapper borrows as fileSink does.
        borrowsChunks: sink.borrowsChunks,
        write: (chunk) => wrap(Promise.resolve(sink.write(chunk))),
        close: () => wrap(Promise.resolve(sink.close?.())).then(() => syncFolder(path)),
        abort: (reason) => sink.abort?.(reason),
      };
    },
    remove: (name) => unlink(join(path, name)),
    list: () =>
      readdir(path).catch((e: unknown) => {
        throw fail(path, 'cannot be listed', e);
      }),
    async inspect(name, length) {
      const file = join(path, name);
      let h: Awaited<ReturnType<typeof open>>;
      try {
        h = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw fail(file, 'cannot be read', e);
      }
      try {
        const s = await h.stat();
        if (!s.isFile()) return { size: -1, head: new Uint8Array(0) };
        const head = new Uint8Array(Math.min(length, s.size));
        let at = 0;
        while (at < head.length) {
          const { bytesRead } = await h.read(head, at, head.length - at, at);
          if (bytesRead === 0) break;
          at += bytesRead;
        }
        return { size: s.size, head: head.subarray(0, at) };
      } finally {
        await h.close().catch(() => undefined);
      }
    },
    async claim(identity): Promise<FolderClaim> {
      const owner = `${identity}\n${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() })}\n`;
      for (let attempt = 0; ; attempt++) {
        let h: Awaited<ReturnType<typeof open>> | undefined;
        try {
          h = await open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fail(path, 'cannot be written', e);
        }
        if (h) {
          try {
            await h.writeFile(owner);
            await h.sync();
          } catch (e) {
            await h.close().catch(() => undefined);
            await unlink(lockPath).catch(() => undefined);
            throw fail(path, 'cannot be written', e);
          }
          await h.close();
          return { created: true, release: () => releaseLock(identity) };
        }
        // Held: by a writer of this checkpoint (join it) or of another (refuse). A lock being created may still be
        // empty, or gone again by now: look again shortly.
        const text = await readFile(lockPath, 'utf8').catch(() => '');
        const [id, who] = text.split('\n');
        if (text.endsWith('\n') && id === identity) return { created: false, release: () => releaseLock(identity) };
        if (text.endsWith('\n') || attempt >= 100) {
          throw new FileAccessError(
            'folder',
            path,
            `is being written by another checkpoint (${CHECKPOINT_LOCK_FILE}: ${who ?? 'unreadable'})`,
            `a folder no other checkpoint is being written into; if that writer is gone, remove ${lockPath} and the files it left, or pick another folder`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async reserve(bytes) {
      const free = await statfs(path).then(
        (f) => f.bavail * f.bsize,
        () => Number.POSITIVE_INFINITY,
      );
      if (free < bytes) {
        throw new FileAccessError(
          'folder',
          path,
          `cannot take the checkpoint: its file system has ${free} bytes free`,
          `room for the ${bytes} bytes left to write`,
        );
      }
    },
    async removeLeftovers(name) {
      const prefix = `${name}.partial-`;
      for (const f of await readdir(path).catch(() => [] as string[])) {
        if (f.startsWith(prefix)) await unlink(join(path, f)).catch(() => undefined);
      }
    },
  };
}

/** Makes a rename in `path` durable (best effort: some file systems cannot sync a folder). */
async function syncFolder(path: string): Promise<void> {
  try {
    const h = await open(path, constants.O_RDONLY);
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // not supported here
  }
}
