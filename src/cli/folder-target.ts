// What `init --dry-run --out DIR/` checks about the folder, without creating or changing anything: that it is (or can
// become) a folder this user may write, and what the real run checks before any device (prepareCheckpoint: no other
// checkpoint in it, the files of this one recognized, room on its file system), on a view of the folder that reads.
import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { WeightInitError } from '../errors.js';
import type { CheckpointFolder } from '../output/checkpoint.js';
import { openCheckpointFolder } from '../output/node/checkpoint-folder.js';
import { describeFsError } from '../output/node/regular-file.js';

/**
 * The problems a checkpoint would meet in folder `path` (none: it fits). `prepare` runs the real run's checks on the
 * folder it is given: a view that lists and reads the folder's files and checks its room, takes no lock and writes
 * nothing. Only the resumption of an interrupted write of this same checkpoint (which the real run recognizes by its
 * lock file) is reported as a problem here.
 */
export async function checkFolderTarget(path: string, prepare: (folder: CheckpointFolder) => Promise<unknown>): Promise<string[]> {
  const problems: string[] = [];
  const existing = await stat(path).catch(() => null);
  // The folder itself when it exists, else the nearest existing folder above it, where it would be created.
  let base = resolve(path);
  if (existing) {
    if (!existing.isDirectory()) return [`${path} exists and is not a folder`];
  } else {
    while (!(await stat(base).catch(() => null))) base = dirname(base);
    if (!(await stat(base)).isDirectory()) return [`${path} cannot be created: ${base} is not a folder`];
  }
  const writable = await access(base, constants.W_OK | constants.X_OK).then(
    () => null,
    (e: unknown) => describeFsError(e),
  );
  if (writable !== null) problems.push(existing ? `${path} is not writable: ${writable}` : `${path} cannot be created in ${base}: ${writable}`);
  // Opening an existing folder creates nothing (only a missing one is made).
  const real = existing ? await openCheckpointFolder(path) : undefined;
  const view: CheckpointFolder = {
    create: () => {
      throw new Error('a dry run writes nothing');
    },
    list: () => real?.list?.() ?? [],
    inspect: async (name, length) => (real?.inspect ? real.inspect(name, length) : null),
    reserve: async (bytes) => {
      const free = await statfs(base).then(
        (f) => f.bavail * f.bsize,
        () => Number.POSITIVE_INFINITY,
      );
      if (free < bytes) problems.push(`the ${bytes} bytes to write do not fit: the file system of ${base} has ${free} bytes free`);
    },
  };
  try {
    await prepare(view);
  } catch (e) {
    if (!(e instanceof WeightInitError)) throw e;
    problems.push(e.message);
  }
  return problems;
}
