// Whole-model initialization on the GPU: batched submissions, arena and per-tensor placement, progress,
// abort, and shards equal to the same block of the full tensor; everything against the CPU twin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { planModel } from '../../src/models/model-plan.js';
import { shardLayout } from '../../src/models/shard-layout.js';
import { fnv1a64 } from '../../src/models/stream.js';
import { initModel, type ModelProgress, type ModelTensor } from '../../src/output/init-model.js';
import { initShard, initShardCpu } from '../../src/output/shard.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { inErrorScope, nodeContext } from '../helpers/gpu.js';

let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

const t = (name: string, shape: number[], init: ModelTensor['init'], dtype: ModelTensor['dtype'] = 'f32', stream = fnv1a64(name)): ModelTensor => ({
  name,
  shape,
  dtype,
  init,
  layout: 'torch',
  stream,
});

const tensors: ModelTensor[] = [
  t('embed.weight', [50, 16], { kind: 'normal', std: 0.02 }),
  t('layer.0.weight', [16, 16], { kind: 'kaimingUniform', a: Math.sqrt(5) }, 'bf16'),
  t('layer.0.bias', [16], { kind: 'zeros' }),
  t('layer.0.norm.weight', [16], { kind: 'ones' }, 'f16'),
  t('layer.1.weight', [24, 16], { kind: 'orthogonal' }),
  t('conv.weight', [8, 8, 3, 3], { kind: 'dirac' }),
  t('head.weight', [7, 16], { kind: 'truncatedNormal', std: 0.02 }, 'f16'),
];

async function expectEqualsCpu(m: { buffer: GPUBuffer; offset: number; byteLength: number }, want: ArrayBufferView): Promise<void> {
  const bytes = Math.ceil(m.byteLength / 4) * 4;
  const words = await ctx.read(m.buffer, { offset: m.offset, count: bytes / 4, dtype: 'u32' });
  const got = new Uint8Array(words.buffer, 0, m.byteLength);
  expect(Buffer.from(got).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
}

describe('initModel', () => {
  it.each(['tensor', 'arena'] as const)('placement %s: every tensor equals the CPU twin; progress reaches the totals', async (placement) => {
    await inErrorScope(ctx, async () => {
      const progress: ModelProgress[] = [];
      const model = await initModel(ctx, tensors, { seed: 42, placement, batchBytes: 2048, onProgress: (p) => progress.push(p) });
      try {
        expect(model.tensors.map((x) => x.name)).toEqual(tensors.map((x) => x.name));
        for (const x of tensors) {
          const got = model.get(x.name)!;
          if (placement === 'arena') {
            expect(got.buffer).toBe(model.arena);
            expect(got.offset % 256).toBe(0);
          }
          await expectEqualsCpu(got, initializeCpu({ ...x, seed: 42 }));
        }
        const last = progress.at(-1)!;
        expect(last.tensorsDone).toBe(tensors.length);
        expect(last.bytesDone).toBe(model.byteLength);
        // Small batches: several submissions, the orthogonal tensor on its own.
        expect(progress.length).toBeGreaterThan(2);
        expect(progress.length).toBeLessThan(tensors.length + 1);
      } finally {
        model.destroy();
      }
    });
  });

  it('abort stops before the next tensor, rejects with Aborted and destroys every tensor buffer it made', async () => {
    // Watch the device's createBuffer: every tensor buffer initModel creates must be destroyed on abort.
    const device = ctx.device;
    const original = device.createBuffer.bind(device);
    const made: { label: string; destroyed: boolean }[] = [];
    device.createBuffer = (descriptor: GPUBufferDescriptor) => {
      const buffer = original(descriptor);
      const record = { label: descriptor.label ?? '', destroyed: false };
      made.push(record);
      const destroy = buffer.destroy.bind(buffer);
      buffer.destroy = () => {
        record.destroyed = true;
        destroy();
      };
      return buffer;
    };
    const controller = new AbortController();
    let seen = 0;
    const p = initModel(ctx, tensors, {
      seed: 1,
      batchBytes: 1,
      signal: controller.signal,
      onProgress: (x) => {
        seen = x.tensorsDone;
        if (x.tensorsDone === 2) controller.abort(new Error('user'));
      },
    });
    try {
      await expect(p).rejects.toMatchObject({ code: 'Aborted' });
    } finally {
      device.createBuffer = original;
    }
    expect(seen).toBe(2);
    const tensorBuffers = made.filter((b) => tensors.some((t) => b.label === `webgpu-weight-init: ${t.name}`));
    expect(tensorBuffers.length).toBeGreaterThanOrEqual(2);
    expect(tensorBuffers.filter((b) => !b.destroyed)).toEqual([]);
    const already = new AbortController();
    already.abort();
    await expect(initModel(ctx, tensors, { seed: 1, signal: already.signal })).rejects.toMatchObject({ code: 'Aborted' });
  });

  it('rejects duplicate names and bad options before any GPU work', async () => {
    await expect(initModel(ctx, [tensors[0]!, tensors[0]!], { seed: 1 })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'tensors[1].name' });
    await expect(initModel(ctx, tensors, { seed: 1, alignment: 100 })).rejects.toMatchObject({ parameter: 'alignment' });
    await expect(initModel(ctx, tensors, { seed: 1, placement: 'heap' as never })).rejects.toMatchObject({ parameter: 'placement' });
  });

  it('refuses a tensor named "" (or with a lone surrogate) as resolveModel does, before any GPU work', async () => {
    const created = ctx.device.createBuffer;
    let buffers = 0;
    ctx.device.createBuffer = (d: GPUBufferDescriptor) => {
      buffers++;
      return created.call(ctx.device, d);
    };
    try {
      for (const name of ['', 'w\ud800']) {
        const bad = [tensors[0]!, { ...tensors[1]!, name }];
        await expect(initModel(ctx, bad, { seed: 1 })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'tensors[1].name' });
        expect(() => planModel(bad, { seed: 1 })).toThrow(/tensors\[1\]\.name: got .*; expected a non-empty tensor name/);
      }
    } finally {
      ctx.device.createBuffer = created;
    }
    expect(buffers).toBe(0);
  });
});

describe('shards', () => {
  const cases: [string, ModelTensor, Parameters<typeof shardLayout>[1]][] = [
    ['row block', t('w', [12, 10], { kind: 'glorotNormal' }), { rows: [3, 7] }],
    ['column block', t('w', [12, 10], { kind: 'normal', std: 1 }, 'f16'), { cols: [3, 8] }],
    ['row x column block', t('w', [12, 10], { kind: 'truncatedNormal', std: 0.5 }, 'bf16'), { rows: [5, 11], cols: [1, 4] }],
    ['flat range', t('w', [6, 7, 3], { kind: 'uniform', low: -1, high: 1 }), { start: 17, count: 50 }],
    ['eye column block', t('w', [9, 9], { kind: 'eye' }), { cols: [4, 9] }],
    ['orthogonal column block', t('w', [20, 12], { kind: 'orthogonal' }), { rows: [2, 18], cols: [5, 11] }],
  ];
  it.each(cases)('%s equals that block of the full tensor, on the GPU and the CPU', async (_n, tensor, shard) => {
    const full = initializeCpu({ ...tensor, seed: 9 });
    const layout = shardLayout(tensor.shape, shard);
    const want = new (full.constructor as Uint16ArrayConstructor)(layout.count);
    for (const s of layout.segments) want.set(full.subarray(s.start, s.start + s.count) as never, s.at);
    expect(initShardCpu(tensor, shard, { seed: 9 })).toEqual(want);
    await inErrorScope(ctx, async (scope) => {
      const r = await initShard(ctx, tensor, shard, { seed: 9 });
      scope.track(r.buffer);
      expect(r.shape).toEqual(layout.shape);
      await expectEqualsCpu(r, want);
    });
  });
});
