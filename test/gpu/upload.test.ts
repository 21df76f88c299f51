// The upload executor's look-ahead (Batch.prepare, what initModel does for each submission): the prepared slices'
// pieces are generated ahead and their buffers created between pieces, with the same bits and buffers as without;
// a batch that fails after preparing leaves no buffer alive and the context keeps working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightInitContext } from '../../src/gpu/context.js';
import type { UploadExecutor } from '../../src/gpu/upload.js';
import { type InitializeOptions, type InitializePlan, planInitialize } from '../../src/init/plan-initialize.js';
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

/** A batch that prepares `plans`, writes the first and throws. */
function prepareWriteFirstAndThrow(plans: readonly InitializePlan[]): Promise<unknown> {
  return ctx.batch(async (b) => {
    await b.prepare(plans.map((plan) => ({ plan, target: {} })));
    await b.initializePlanned(plans[0]!);
    throw new Error('stop');
  });
}

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
      await expect(prepareWriteFirstAndThrow(plans)).rejects.toThrow('stop');
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

  it('a stream prepared by a nested batch is closed when that batch ends, whether its body returns or throws', async () => {
    const plans = OPTIONS.map((o) => planInitialize(o));
    const pool = await (ctx.executor as UploadExecutor).host.workers();
    const stream = pool.stream.bind(pool);
    let open = 0;
    pool.stream = (...args) => {
      const s = stream(...args);
      open++;
      const close = s.close.bind(s);
      s.close = () => {
        open--;
        close();
      };
      return s;
    };
    try {
      await ctx.batch(async (b) => {
        await b.batch((inner) => inner.prepare(plans.map((plan) => ({ plan, target: {} }))));
        expect(open).toBe(0);
        await expect(
          b.batch(async (inner) => {
            await inner.prepare(plans.map((plan) => ({ plan, target: {} })));
            throw new Error('stop');
          }),
        ).rejects.toThrow('stop');
        expect(open).toBe(0);
      });
    } finally {
      pool.stream = stream;
    }
  });

  it('a batch that throws right after a one-piece slice leaves no buffer alive, those still being created ahead included', async () => {
    // Each slice is one piece: the next slice's buffer is created ahead once the first slice's piece is written.
    const small: InitializeOptions[] = [0, 1, 2, 3].map((k) => ({ init: { kind: 'normal', std: 1 }, shape: [64], seed: 4, stream: 40 + k }));
    const plans = small.map((o) => planInitialize(o));
    const watch = trackBuffers(ctx.device);
    // Error scopes that take 20 ms to pop: the buffer created ahead is still being created when the body throws.
    const pop = ctx.device.popErrorScope;
    ctx.device.popErrorScope = () => pop.call(ctx.device).then((e) => new Promise((resolve) => setTimeout(() => resolve(e), 20)));
    try {
      for (let round = 0; round < 3; round++) {
        await expect(prepareWriteFirstAndThrow(plans)).rejects.toThrow('stop');
      }
      // Every creation started has settled once the queue has drained.
      await ctx.device.queue.onSubmittedWorkDone();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([...watch.live].map((b) => b.label)).toEqual([]);
    } finally {
      ctx.device.popErrorScope = pop;
      watch.restore();
    }
  });
});
