// The upload executor's look-ahead (Batch.prepare, what initModel does for each submission): the prepared slices'
// pieces are generated ahead and their buffers created between pieces, with the same bits and buffers as without;
// a batch that fails after preparing leaves no buffer alive and the context keeps working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightInitContext } from '../../src/gpu/context.js';
import type { UploadExecutor } from '../../src/gpu/upload.js';
import { type InitializeOptions, planInitialize } from '../../src/init/plan-initialize.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { nodeContext, trackBuffers } from '../helpers/gpu.js';

let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext({ strategy: 'upload', threads: 2 });
});
afterAll(() => ctx?.destroy());

const OPTIONS: InitializeOptions[] = [
  { init: { kind: 'normal', std: 0.02 }, shape: [1100, 1000], seed: 9, stream: 1, dtype: 'f32' }, // two pieces and a bit
  { init: { kind: 'zeros' }, shape: [77], seed: 9, stream: 2, dtype: 'f32' }, // the kernels
  { init: { kind: 'uniform', low: -2, high: 2 }, shape: [4, 333], seed: 9, stream: 3, dtype: 'bf16' },
  { init: { kind: 'truncatedNormal', std: 1 }, shape: [70_000], seed: 9, stream: 4, dtype: 'f16' },
];

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('Batch.prepare on the upload executor', () => {
  it('the prepared slices, written one call each, come from one stream of the three distributions, with the CPU twin’s bits', async () => {
    const plans = OPTIONS.map((o) => planInitialize(o));
    const pool = await (ctx.executor as UploadExecutor).host.workers();
    const stream = pool.stream.bind(pool);
    const streams: number[] = [];
    pool.stream = (p, ...rest) => {
      streams.push(p.length);
      return stream(p, ...rest);
    };
    const ranges = await ctx
      .batch(async (b) => {
        await b.prepare(plans.map((plan) => ({ plan, target: {} })));
        const out = [];
        for (const plan of plans) out.push(await b.initializePlanned(plan));
        return out;
      })
      .finally(() => {
        pool.stream = stream;
      });
    expect(streams).toEqual([3]);
    try {
      for (const [i, r] of ranges.entries()) {
        expect(r.via, `slice ${i}`).toBe(OPTIONS[i]!.init!.kind === 'zeros' ? 'kernel' : 'upload');
        expect(bytesOf(await ctx.readRange(r)).equals(bytesOf(initializeCpu(OPTIONS[i]!))), `slice ${i}`).toBe(true);
      }
    } finally {
      for (const r of ranges) r.buffer.destroy();
    }
  });

  it('a batch that throws after preparing destroys every buffer it created, those created ahead included', async () => {
    const plans = OPTIONS.map((o) => planInitialize(o));
    const watch = trackBuffers(ctx.device);
    try {
      await expect(
        ctx.batch(async (b) => {
          await b.prepare(plans.map((plan) => ({ plan, target: {} })));
          await b.initializePlanned(plans[0]!);
          throw new Error('stop');
        }),
      ).rejects.toThrow('stop');
      await ctx.device.queue.onSubmittedWorkDone();
      expect([...watch.live].map((b) => b.label)).toEqual([]);
    } finally {
      watch.restore();
    }
    // The context (its workers, their buffers) keeps working.
    const r = await ctx.initializePlanned(plans[3]!);
    expect(bytesOf(await ctx.readRange(r)).equals(bytesOf(initializeCpu(OPTIONS[3]!)))).toBe(true);
    r.buffer.destroy();
  });
});
