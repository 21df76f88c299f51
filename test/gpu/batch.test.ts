// Batches: a caller's own encoder, submitted once when its body returns; a failing body drops only its own
// work and destroys the buffers it created; reads inside a batch see the batch's earlier work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normal, uniform } from '../../src/contract/distributions.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { generate } from '../../src/twin/generate.js';
import { inErrorScope, nodeContext } from '../helpers/gpu.js';

let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

/** Counts queue.submit calls while `body` runs. */
async function countSubmits<T>(body: () => Promise<T>): Promise<{ result: T; submits: number }> {
  const queue = ctx.device.queue;
  const original = queue.submit;
  let submits = 0;
  queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
    submits++;
    original.call(queue, buffers);
  };
  try {
    return { result: await body(), submits };
  } finally {
    queue.submit = original;
  }
}

describe('ctx.batch', () => {
  it('records the calls made on the batch and submits them once', async () => {
    await inErrorScope(ctx, async (scope) => {
      const { result, submits } = await countSubmits(() =>
        ctx.batch(async (b) => [
          await b.generate({ seed: 1, count: 1000, dist: normal() }),
          await b.fillConstant({ count: 10, value: 2 }),
          await b.generate({ seed: 1, stream: 4, count: 100, dist: uniform(), dtype: 'bf16' }),
        ]),
      );
      for (const r of result) scope.track(r.buffer);
      expect(submits).toBe(1);
      expect(await ctx.readRange(result[0]!)).toEqual(generate({ seed: 1, count: 1000, dist: normal() }));
      expect(await ctx.readRange(result[2]!)).toEqual(generate({ seed: 1, stream: 4, count: 100, dist: uniform(), dtype: 'bf16' }));
    });
  });

  it('a read inside the batch submits what the batch recorded before it', async () => {
    await inErrorScope(ctx, async (scope) => {
      const values = await ctx.batch(async (b) => {
        const r = await b.generate({ seed: 9, count: 64, dist: uniform() });
        scope.track(r.buffer);
        return b.readRange(r);
      });
      expect(values).toEqual(generate({ seed: 9, count: 64, dist: uniform() }));
    });
  });

  it('a body that throws drops its own unsubmitted work and destroys the buffers it created, and only those', async () => {
    await inErrorScope(ctx, async (scope) => {
      const mine = scope.buffer(256);
      await ctx.fillConstant({ buffer: mine, count: 64, value: 3 });
      let created: GPUBuffer | undefined;
      const failure = new Error('body failed');
      const { submits } = await countSubmits(async () => {
        await expect(
          ctx.batch(async (b) => {
            created = (await b.generate({ seed: 2, count: 64, dist: uniform() })).buffer;
            await b.fillConstant({ buffer: mine, count: 64, value: 5 });
            throw failure;
          }),
        ).rejects.toBe(failure);
      });
      expect(submits).toBe(0);
      // A destroyed buffer cannot be read back: WebGPU rejects the copy.
      await expect(ctx.read(created!, { count: 1, dtype: 'f32' })).rejects.toMatchObject({ code: 'GPUValidation' });
      expect(Array.from(await ctx.read(mine, { count: 64, dtype: 'f32' }))).toEqual(new Array(64).fill(3));
    });
  });

  it('a batch cannot be used after its body returned', async () => {
    await inErrorScope(ctx, async (scope) => {
      let kept: Parameters<Parameters<WeightInitContext['batch']>[0]>[0] | undefined;
      scope.track(
        (
          await ctx.batch(async (b) => {
            kept = b;
            return b.fillConstant({ count: 4, value: 1 });
          })
        ).buffer,
      );
      await expect(kept!.generate({ seed: 1, count: 4 })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'batch' });
    });
  });

  it('a nested batch records into the same batch; calls on the context inside a body are their own', async () => {
    await inErrorScope(ctx, async (scope) => {
      const { submits } = await countSubmits(() =>
        ctx.batch(async (b) => {
          scope.track(
            (
              await b.batch(async (inner) => {
                // A batch of its own (closed when its body returns), recording into b's encoder.
                expect(inner).not.toBe(b);
                return inner.fillConstant({ count: 4, value: 1 });
              })
            ).buffer,
          );
          scope.track((await ctx.fillConstant({ count: 4, value: 2 })).buffer);
        }),
      );
      expect(submits).toBe(2);
    });
  });

  it('a destroyed context refuses new work with a typed error', async () => {
    const other = await nodeContext();
    other.destroy();
    await expect(other.generate({ seed: 1, count: 4 })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'context' });
  });
});
