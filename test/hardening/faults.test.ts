// Faults: device loss during a model initialization, and very large ranges on the software adapter.
import { describe, expect, it } from 'vitest';
import { uniform } from '../../src/contract/distributions.js';
import { initModel, type ModelTensor } from '../../src/output/init-model.js';
import { generate } from '../../src/twin/generate.js';
import { nodeContext } from '../helpers/gpu.js';

const layer = (i: number): ModelTensor => ({
  name: `h.${i}.weight`,
  shape: [256, 256],
  dtype: 'f32',
  init: { kind: 'normal', std: 0.02 },
  layout: 'torch',
  stream: BigInt(i),
});

describe('device loss', () => {
  it.each(['kernel', 'upload'] as const)(
    'during initModel (strategy %s): rejects with DeviceLost, does not hang, and a new context works',
    async (strategy) => {
      const ctx = await nodeContext({ strategy });
      const tensors = Array.from({ length: 12 }, (_, i) => layer(i));
      let batches = 0;
      const outcome = await initModel(ctx, tensors, {
        seed: 1,
        batchBytes: 256 * 256 * 4,
        onProgress: () => {
          batches++;
          if (batches === 2) ctx.device.destroy();
        },
      }).then(
        () => 'resolved',
        (e: unknown) => (e as { code?: string }).code,
      );
      expect(outcome).toBe('DeviceLost');
      expect(batches).toBe(2);
      const fresh = await nodeContext({ strategy });
      try {
        const model = await initModel(fresh, tensors.slice(0, 2), { seed: 1 });
        expect(model.tensors).toHaveLength(2);
        model.destroy();
      } finally {
        fresh.destroy();
        ctx.destroy();
      }
    },
  );

  it('during an upload: the generation rejects with DeviceLost between pieces', async () => {
    const ctx = await nodeContext({ strategy: 'upload' });
    try {
      const pending = ctx.generate({ seed: 1, count: 16 << 20, dist: uniform() });
      // Lose the device while pieces are still being generated and written.
      setTimeout(() => ctx.device.destroy(), 5);
      const outcome = await pending.then(
        (r) => {
          r.buffer.destroy();
          return 'resolved';
        },
        (e: unknown) => (e as { code?: string }).code,
      );
      expect(outcome).toBe('DeviceLost');
      await expect(ctx.generate({ seed: 1, count: 4 })).rejects.toMatchObject({ code: 'DeviceLost' });
    } finally {
      ctx.destroy();
    }
  });
});

describe('scale on the software adapter', () => {
  it('a buffer the device cannot allocate is an OutOfMemory error, not a validation error later', async () => {
    const ctx = await nodeContext();
    try {
      const count = ctx.device.limits.maxBufferSize / 4;
      const outcome = await ctx.generate({ seed: 1, count }).then(
        (r) => {
          r.buffer.destroy();
          return 'allocated';
        },
        (e: unknown) => (e as { code?: string }).code,
      );
      // A real GPU may well allocate maxBufferSize; SwiftShader cannot.
      expect(['allocated', 'OutOfMemory']).toContain(outcome);
      if (ctx.adapter.architecture === 'swiftshader') expect(outcome).toBe('OutOfMemory');
    } finally {
      ctx.destroy();
    }
  });

  // SwiftShader reports maxBufferSize = 1 GiB, but its Vulkan allocation of exactly 1 GiB fails
  // (VK_ERROR_OUT_OF_DEVICE_MEMORY), so the largest buffer here is 1 GiB - 1 MiB. Filling all of it takes
  // about a minute on SwiftShader (~5 M elements/s), so ranges are written at offsets spread over the
  // whole buffer instead; the windowed path over many bindings is covered by test/gpu/generate.test.ts.
  it('a 1023 MiB buffer: ranges at offsets across it, up to its last byte, match the CPU twin; the rest stays untouched', async () => {
    const ctx = await nodeContext();
    try {
      const size = 2 ** 30 - 2 ** 20;
      const buffer = ctx.device.createBuffer({ label: 'big', size, usage: 0x80 | 0x4 | 0x8 });
      try {
        const count = size / 4;
        const spots = [0, 12345677, count / 2 - 3, count - 4096];
        for (const at of spots) {
          await ctx.generate({ seed: 77, stream: 5, start: (1n << 40n) + BigInt(at), count: 4096, dist: uniform(-1, 1), buffer, offset: 4 * at });
        }
        for (const at of spots) {
          const got = await ctx.read(buffer, { offset: 4 * at, count: 4096, dtype: 'f32' });
          expect(got).toEqual(generate({ seed: 77, stream: 5, start: (1n << 40n) + BigInt(at), count: 4096, dist: uniform(-1, 1) }));
        }
        // A word just before the third range is still zero (buffers start zeroed).
        expect(Array.from(await ctx.read(buffer, { offset: 4 * (count / 2 - 4), count: 1, dtype: 'u32' }))).toEqual([0]);
      } finally {
        buffer.destroy();
      }
    } finally {
      ctx.destroy();
    }
  });

  it('element indices near 2^53 and 2^64 match the CPU twin', async () => {
    const ctx = await nodeContext();
    try {
      for (const start of [2n ** 53n - 5n, 2n ** 53n + 1n, 2n ** 63n - 2n, 2n ** 64n - 100n]) {
        const r = await ctx.generate({ seed: 3, start, count: 100 });
        expect(await ctx.readRange(r)).toEqual(generate({ seed: 3, start, count: 100 }));
        r.buffer.destroy();
      }
    } finally {
      ctx.destroy();
    }
  });
});
