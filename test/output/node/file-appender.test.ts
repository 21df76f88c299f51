// FileAppender: the bytes of a file appended in chunks of any size are the chunks back to back, whether the bulk goes
// around the page cache (O_DIRECT through an aligned staging area) or through it; fileSink writes the same files
// either way.
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECT_STAGING_BYTES, FileAppender } from '../../../src/output/node/file-appender.js';
import { fileSink } from '../../../src/output/node/safetensors-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wwi-appender-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Chunk sizes around the staging size and the block sizes, and their concatenation (a pattern with no period). */
function chunks(): Uint8Array[] {
  const sizes = [1, 7, 4095, 4097, DIRECT_STAGING_BYTES - 5000, 3, DIRECT_STAGING_BYTES + 3, 2 * DIRECT_STAGING_BYTES, 0, 12_345];
  let x = 0x9e3779b9;
  return sizes.map((n) => {
    const c = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      c[i] = x & 255;
    }
    return c;
  });
}

/** Whether this machine's temporary folder takes O_DIRECT (what FileAppender finds out for itself). */
async function tmpTakesDirect(): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  const probe = join(dir, 'probe');
  try {
    const h = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT);
    await h.close();
    return true;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
  }
}

describe('FileAppender', () => {
  it.each([true, false])('direct %s: the file is the chunks back to back, whatever their sizes', async (direct) => {
    const parts = chunks();
    const path = join(dir, `appended-${direct}`);
    const h = await open(path, 'wx');
    const appender = new FileAppender(h, direct);
    try {
      for (const c of parts) await appender.append(c);
      await appender.finish();
      await h.sync();
    } finally {
      await h.close();
    }
    // Direct I/O where the temporary folder takes it (on the build machine's ext4: yes), never when not asked.
    expect(appender.isDirect).toBe(direct && (await tmpTakesDirect()));
    const want = Buffer.concat(parts);
    const got = await readFile(path);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });

  it('fileSink writes the same file with and without direct I/O, and an empty one', async () => {
    const parts = chunks();
    for (const direct of [true, false]) {
      const sink = fileSink(join(dir, `sink-${direct}.bin`), { direct });
      for (const c of parts) await sink.write(c);
      await sink.close!();
    }
    const [a, b] = await Promise.all([readFile(join(dir, 'sink-true.bin')), readFile(join(dir, 'sink-false.bin'))]);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(Buffer.concat(parts))).toBe(true);
    const empty = fileSink(join(dir, 'empty.bin'));
    await empty.close!();
    expect((await readFile(join(dir, 'empty.bin'))).length).toBe(0);
  });
});
