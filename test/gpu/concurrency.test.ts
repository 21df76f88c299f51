// Many calls at once on one context: initModel (both placements, some aborted), initShard, initialize,
// generate, explicit batches, a batch whose body fails and a call WebGPU rejects, started in an order and
// with delays drawn from a fixed-seed generator. Every call that resolves must equal the CPU twin bit for
// bit; the failing calls fail alone; canaries stay intact; no rejection goes unhandled; every buffer the
// library created is destroyed once the callers destroy what they were given. Run on both strategies.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Distribution, normal, truncatedNormal, uniform } from '../../src/contract/distributions.js';
import { AbortedError } from '../../src/errors.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { initialize } from '../../src/gpu/initialize.js';
import { fnv1a64 } from '../../src/models/stream.js';
import { createNodeContext } from '../../src/node.js';
import { initModel, type ModelTensor } from '../../src/output/init-model.js';
import { initShard, initShardCpu } from '../../src/output/shard.js';
import { generate as generateCpu } from '../../src/twin/generate.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { fillCanary, trackBuffers } from '../helpers/gpu.js';

/** Mulberry32: a small seeded generator for the schedule (not for weights). */
function scheduleRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const INITS: [ModelTensor['init'], ModelTensor['dtype']][] = [
  [{ kind: 'normal', std: 0.02 }, 'f32'],
  [{ kind: 'kaimingUniform', a: Math.sqrt(5) }, 'bf16'],
  [{ kind: 'zeros' }, 'f32'],
  [{ kind: 'ones' }, 'f16'],
  [{ kind: 'truncatedNormal', std: 0.02 }, 'f16'],
  [{ kind: 'eye' }, 'f32'],
  [{ kind: 'uniform', low: -0.1, high: 0.1 }, 'bf16'],
  [{ kind: 'glorotNormal' }, 'f32'],
];

/** A model of 40 small tensors (one orthogonal when asked), each stream the hash of its name. */
function model(prefix: string, withOrthogonal: boolean): ModelTensor[] {
  const tensors = Array.from({ length: 40 }, (_, i): ModelTensor => {
    const [init, dtype] = INITS[i % INITS.length]!;
    const name = `${prefix}.layer.${i}.weight`;
    return { name, shape: [8 + (i % 5), 6 + (i % 3)], dtype, init, layout: 'torch', stream: fnv1a64(name) };
  });
  if (withOrthogonal) {
    const name = `${prefix}.proj.weight`;
    tensors[17] = { name, shape: [12, 8], dtype: 'f32', init: { kind: 'orthogonal' }, layout: 'torch', stream: fnv1a64(name) };
  }
  return tensors;
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

type Outcome = 'resolved' | 'aborted' | 'failed';
interface Op {
  readonly kind: string;
  /** Runs the call, checks what it produced against the CPU twin, destroys it; says how it ended. */
  run(ctx: WeightInitContext): Promise<Outcome>;
  /** How it may end. */
  readonly allowed: readonly Outcome[];
}

async function readBytes(ctx: WeightInitContext, r: { buffer: GPUBuffer; offset: number; byteLength: number }): Promise<Uint8Array> {
  // Whole words around the range (the offsets here are multiples of 4 or of 2 inside whole words).
  const first = r.offset - (r.offset % 4);
  const words = await ctx.read(r.buffer, { offset: first, count: Math.ceil((r.offset + r.byteLength - first) / 4), dtype: 'u32' });
  return new Uint8Array(words.buffer, r.offset - first, r.byteLength);
}

/** A call that must resolve with a range equal to `want()`, which it then destroys. */
function checkedOp(
  kind: string,
  call: (ctx: WeightInitContext) => Promise<{ buffer: GPUBuffer; offset: number; byteLength: number }>,
  want: () => ArrayBufferView,
): Op {
  return {
    kind,
    allowed: ['resolved'],
    async run(ctx) {
      const r = await call(ctx);
      try {
        expect(bytesOf(await readBytes(ctx, r)), kind).toEqual(bytesOf(want()));
      } finally {
        r.buffer.destroy();
      }
      return 'resolved';
    },
  };
}

function ops(random: () => number, index: number): Op[] {
  const seed = 1000 + index;
  const shardTensor: ModelTensor = {
    name: 'shard',
    shape: [30, 20],
    dtype: 'bf16',
    init: { kind: 'truncatedNormal', std: 0.5 },
    layout: 'torch',
    stream: 77n + BigInt(index),
  };
  const shardBlock = { rows: [3, 17], cols: [2, 15] } as const;
  const initOptions = { init: { kind: 'dirac' } as const, shape: [6, 6, 3, 3], seed, stream: 5, dtype: 'f16' as const };
  const genOptions = { seed, stream: 3, start: 5, count: 70_001, dist: normal(0, 2), dtype: 'bf16' as const };
  const initModelOp = (placement: 'tensor' | 'arena', abortAfter: number | undefined): Op => ({
    kind: `initModel ${placement}${abortAfter === undefined ? '' : ' aborted'}`,
    allowed: abortAfter === undefined ? ['resolved'] : ['resolved', 'aborted'],
    async run(ctx) {
      const tensors = model(`m${index}`, placement === 'tensor');
      const controller = new AbortController();
      if (abortAfter !== undefined) setTimeout(() => controller.abort(new Error('test abort')), abortAfter);
      let m: Awaited<ReturnType<typeof initModel>>;
      try {
        m = await initModel(ctx, tensors, { seed, placement, batchBytes: 1024, signal: controller.signal });
      } catch (e) {
        if (e instanceof AbortedError && abortAfter !== undefined) return 'aborted';
        throw e;
      }
      try {
        for (const t of tensors) {
          expect(bytesOf(await readBytes(ctx, m.get(t.name)!)), t.name).toEqual(bytesOf(initializeCpu({ ...t, seed })));
        }
      } finally {
        m.destroy();
      }
      return 'resolved';
    },
  });
  const all: Op[] = [
    initModelOp('tensor', undefined),
    initModelOp('arena', undefined),
    initModelOp('arena', 1 + Math.floor(random() * 40)),
    initModelOp('tensor', 1 + Math.floor(random() * 40)),
    checkedOp(
      'initShard',
      (ctx) => initShard(ctx, shardTensor, shardBlock, { seed }),
      () => initShardCpu(shardTensor, shardBlock, { seed }),
    ),
    checkedOp(
      'initialize',
      (ctx) => initialize(ctx, initOptions),
      () => initializeCpu(initOptions),
    ),
    checkedOp(
      'generate',
      (ctx) => ctx.generate(genOptions),
      () => generateCpu(genOptions),
    ),
    {
      kind: 'batch with canaries',
      allowed: ['resolved'],
      async run(ctx) {
        // Three ranges with canary gaps between them in one buffer, written by one batch.
        const buffer = ctx.device.createBuffer({ label: 'canaries', size: 4096, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
        try {
          fillCanary(ctx.device, buffer);
          const parts: [number, number, Distribution, 'f32' | 'f16'][] = [
            [64, 100, uniform(-1, 1), 'f32'],
            [1024, 301, truncatedNormal(0, 1, -2, 2), 'f16'],
            [2048, 200, normal(), 'f32'],
          ];
          await ctx.batch(async (b) => {
            for (const [offset, count, dist, dtype] of parts) await b.generate({ seed, stream: offset, count, dist, dtype, buffer, offset });
          });
          const words = await ctx.read(buffer, { count: 1024, dtype: 'u32' });
          const want = new Uint32Array(1024).fill(0xdeadbeef);
          const wantBytes = new Uint8Array(want.buffer);
          for (const [offset, count, dist, dtype] of parts) wantBytes.set(bytesOf(generateCpu({ seed, stream: offset, count, dist, dtype })), offset);
          expect(bytesOf(words)).toEqual(wantBytes);
        } finally {
          buffer.destroy();
        }
        return 'resolved';
      },
    },
    {
      kind: 'batch whose body fails',
      allowed: ['failed'],
      async run(ctx) {
        const deliberate = new Error('deliberate failure');
        await expect(
          ctx.batch(async (b) => {
            await b.generate({ seed, count: 10_000, dist: normal() });
            await b.fillConstant({ count: 100, value: 1 });
            throw deliberate;
          }),
        ).rejects.toBe(deliberate);
        return 'failed';
      },
    },
    {
      kind: 'generate into a destroyed buffer',
      allowed: ['failed'],
      async run(ctx) {
        const buffer = ctx.device.createBuffer({ label: 'destroyed', size: 1024, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
        buffer.destroy();
        await expect(ctx.generate({ seed, count: 256, dist: uniform(), buffer })).rejects.toMatchObject({ code: 'GPUValidation' });
        return 'failed';
      },
    },
  ];
  return all;
}

describe.each(['kernel', 'upload'] as const)('concurrent calls on one context, strategy %s', (strategy) => {
  let ctx: WeightInitContext;
  let tracker: ReturnType<typeof trackBuffers>;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);
  beforeEach(async () => {
    ctx = await createNodeContext({ strategy });
    tracker = trackBuffers(ctx.device);
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    tracker.restore();
    ctx.destroy();
  });

  // Two schedules per strategy. False-failure rate: 0 — nothing here is statistical; a schedule only
  // decides the order and the delays.
  it.each([20261130, 7])('schedule seed %i: every call that resolves equals the CPU twin; failures stay their own', async (scheduleSeed) => {
    const random = scheduleRandom(scheduleSeed + (strategy === 'upload' ? 1 : 0));
    const list = ops(random, scheduleSeed % 97);
    // A random order, and a random delay before each call starts (0 to 3 ms, or none).
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    const outcomes = await Promise.allSettled(
      list.map(async (op) => {
        const wait = random();
        if (wait > 0.25) await new Promise((r) => setTimeout(r, wait * 3));
        return op.run(ctx);
      }),
    );
    outcomes.forEach((o, i) => {
      const op = list[i]!;
      if (o.status === 'rejected') throw new Error(`${op.kind}: ${String(o.reason?.stack ?? o.reason)}`);
      expect(op.allowed, op.kind).toContain(o.value);
    });
    // Let the device finish, then: nothing the library created is left alive.
    await ctx.device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 20));
    expect([...tracker.live].map((b) => b.label)).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});
