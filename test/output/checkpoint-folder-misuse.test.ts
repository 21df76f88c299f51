// writeCheckpoint with a caller's folder object that breaks its contract (issue 19): typed errors instead of raw
// TypeErrors, and the files completed before the bad one removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { gpt2 } from '../../src/models/presets.js';
import { resolveModel } from '../../src/models/spec.js';
import { type CheckpointFolder, writeCheckpoint } from '../../src/output/checkpoint.js';
import { writeSafetensors } from '../../src/output/safetensors/writer.js';
import { nodeContext } from '../helpers/gpu.js';

let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

const tensors = resolveModel(gpt2({ n_layer: 1, n_embd: 8, n_head: 2, vocab_size: 16, n_positions: 4 }));

/** A folder of in-memory files whose create() gives `bad` for the file named `badName` (every file when absent). */
function folderWith(bad: unknown, badName?: string): CheckpointFolder & { files: Map<string, number> } {
  const files = new Map<string, number>();
  return {
    files,
    create: (name) => {
      if (badName === undefined || name === badName) return bad as never;
      let n = 0;
      return {
        write: (c) => {
          n += c.length;
        },
        close: () => void files.set(name, n),
      };
    },
    remove: (name) => void files.delete(name),
    list: () => [...files.keys()],
  };
}

describe('writeCheckpoint: a folder that breaks its contract', () => {
  it.each([null, {}, 42, 'sink', { write: 'no' }, { write: () => {}, close: 1 }, { write: () => {}, abort: {} }])(
    'create() returning %j is an InvalidParameter error at folder.create("…")',
    async (bad) => {
      await expect(writeCheckpoint(ctx, tensors, folderWith(bad), { seed: 1 })).rejects.toMatchObject({
        code: 'InvalidParameter',
        parameter: 'folder.create("model.safetensors")',
      });
    },
  );

  it('a bad sink for a later file: typed error, and the files completed before it are removed', async () => {
    const folder = folderWith(null, 'config.json');
    await expect(writeCheckpoint(ctx, tensors, folder, { seed: 1, config: { n_layer: 1 } })).rejects.toMatchObject({
      parameter: 'folder.create("config.json")',
    });
    expect([...folder.files.keys()]).toEqual([]);
  });

  it.each([[null], ['model.safetensors'], [7], [[1, 2]], [{ length: 0 }]])(
    'list() returning %j is an InvalidParameter error at folder.list()',
    async (listed) => {
      const folder = { ...folderWith(null), list: () => listed as never };
      await expect(writeCheckpoint(ctx, tensors, folder, { seed: 1 })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'folder.list()' });
    },
  );

  it('list or remove that are not functions are refused with the folder', async () => {
    for (const extra of [{ list: [] }, { remove: 'x' }]) {
      await expect(writeCheckpoint(ctx, tensors, { ...folderWith(null), ...extra } as never, { seed: 1 })).rejects.toMatchObject({ parameter: 'folder' });
    }
  });

  it('writeSafetensors checks its sink the same way', async () => {
    await expect(writeSafetensors(ctx.device, [], { write: () => {}, close: 'x' } as never)).rejects.toMatchObject({ parameter: 'sink' });
  });
});
