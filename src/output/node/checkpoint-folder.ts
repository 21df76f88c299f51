// Checkpoint folders in Node: a CheckpointFolder on a directory (created when missing), each file written to a
// temporary name and renamed into place when complete (fileSink), completed files removed when a later one fails.
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameterError } from '../../errors.js';
import type { CheckpointFolder } from '../checkpoint.js';
import { fileSink } from './safetensors-file.js';

/**
 * The folder `path` as a checkpoint folder: created (with its parents) when missing; a path that exists and is not a
 * directory is refused. writeCheckpoint lists it first and refuses to mix a new checkpoint into an old one.
 */
export async function openCheckpointFolder(path: string): Promise<CheckpointFolder> {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidParameterError('path', path, 'a folder path');
  const existing = await stat(path).catch(() => null);
  if (existing && !existing.isDirectory()) throw new InvalidParameterError('path', path, 'a folder (this path exists and is not a directory)');
  if (!existing) {
    await mkdir(path, { recursive: true }).catch((e: unknown) => {
      throw new InvalidParameterError('path', path, `a folder that can be created (${(e as Error).message})`);
    });
  }
  return {
    create: (name) => fileSink(join(path, name)),
    remove: (name) => unlink(join(path, name)),
    list: () => readdir(path),
  };
}
