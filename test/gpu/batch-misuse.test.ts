// Batches used wrongly (issue 19): a body that is not a function, a batch used after its body returned, a
// context destroyed inside a body, a call left un-awaited, a nested batch that throws. Both strategies give the
// same typed errors, and no buffer the library created outlives a call that gave it to no one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normal, uniform } from '../../src/contract/distributions.js';
import type { Batch } from '../../src/gpu/batch.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { computeOrthogonal } from '../../src/gpu/orthogonal.js';
import { generate } from '../../src/twin/generate.js';
import { nodeContext, trackBuffers } from '../helpers/gpu.js';

/** Lets the queue finish and pending promise callbacks run. */
async function settle(ctx: WeightInitContext): Promise<void> {
  await ctx.device.queue.onSubmittedWorkDone();
  await new Promise((r) => setTimeout(r, 20));
}

describe.each(['kernel', 'upload'] as const)('strategy %s', (strategy) => {
  let ctx: WeightInitContext;
  beforeAll(async () => {
    ctx = await nodeContext({ strategy, threads: 2 });
  });
  afterAll(() => ctx?.destroy());

  it('ctx.batch(null), ctx.batch(42) and b.batch("x") are InvalidParameter errors naming the body', async () => {
    for (const body of [null, 42, undefined, {}]) {
      await expect(ctx.batch(body as never)).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'body' });
    }
    await expect(ctx.batch((b) => b.batch('x' as never))).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'body' });
  });

  it('computeOrthogonal(b) after the body resolved rejects before the QR, creating nothing', async () => {
    let kept: Batch | undefined;
    await ctx.batch(async (b) => {
      kept = b;
    });
    const watch = trackBuffers(ctx.device);
    try {
      await expect(computeOrthogonal(kept!, { seed: 1, rows: 64, cols: 32 })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'batch' });
      await expect(kept!.flush()).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'batch' });
    } finally {
      watch.restore();
    }
    expect(watch.live.size).toBe(0);
  });

  it('a b.generate left un-awaited when the body returns rejects, and its buffer is destroyed', async () => {
    const watch = trackBuffers(ctx.device);
    let pending: Promise<unknown> | undefined;
    try {
      const kept = await ctx.batch(async (b) => {
        const r = await b.generate({ seed: 3, count: 256, dist: uniform() });
        pending = b.generate({ seed: 4, count: 1 << 16, dist: normal(), label: 'left behind' });
        return r;
      });
      await expect(pending).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'batch' });
      await settle(ctx);
      // Only the awaited call's buffer, which its caller got, is alive.
      expect([...watch.live]).toEqual([kept.buffer]);
      expect(await ctx.readRange(kept)).toEqual(generate({ seed: 3, count: 256, dist: uniform() }));
      kept.buffer.destroy();
    } finally {
      watch.restore();
    }
  });

  it('a nested batch that throws leaves no buffer alive; the outer batch goes on and submits its own work', async () => {
    const watch = trackBuffers(ctx.device);
    const failure = new Error('inner failed');
    try {
      const kept = await ctx.batch(async (b) => {
        const before = await b.generate({ seed: 5, count: 300, dist: normal() });
        await expect(
          b.batch(async (inner) => {
            await inner.generate({ seed: 6, count: 500, dist: uniform(), label: 'inner' });
            await inner.fillConstant({ count: 64, value: 2 });
            throw failure;
          }),
        ).rejects.toBe(failure);
        const after = await b.batch((inner) => inner.fillConstant({ count: 16, value: 7 }));
        return [before, after] as const;
      });
      await settle(ctx);
      expect(new Set(watch.live)).toEqual(new Set([kept[0].buffer, kept[1].buffer]));
      expect(await ctx.readRange(kept[0])).toEqual(generate({ seed: 5, count: 300, dist: normal() }));
      expect(Array.from(await ctx.readRange(kept[1]))).toEqual(new Array(16).fill(7));
      for (const r of kept) r.buffer.destroy();
    } finally {
      watch.restore();
    }
  });

  it('ctx.destroy() inside an open batch: the batch rejects (context destroyed) and destroys what it created', async () => {
    const other = await nodeContext({ strategy, threads: 2 });
    const watch = trackBuffers(other.device);
    try {
      await expect(
        other.batch(async (b) => {
          await b.generate({ seed: 1, count: 128, dist: normal() });
          other.destroy();
        }),
      ).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'context' });
      await expect(other.batch(async (b) => b.generate({ seed: 1, count: 8 }))).rejects.toMatchObject({ parameter: 'context' });
    } finally {
      watch.restore();
    }
    expect(watch.live.size).toBe(0);
    // A call on the batch after destroy() is refused the same way.
    const third = await nodeContext({ strategy, threads: 2 });
    await expect(
      third.batch(async (b) => {
        third.destroy();
        return computeOrthogonal(b, { seed: 1, rows: 16, cols: 16 });
      }),
    ).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'context' });
  });
});
