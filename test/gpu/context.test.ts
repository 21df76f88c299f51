// Device layer: adapter report, limits, a caller's device, typed errors before GPU work, device loss.
import { describe, expect, it } from 'vitest';
import { uniform } from '../../src/contract/distributions.js';
import { WeightInitError } from '../../src/errors.js';
import { createContext } from '../../src/gpu/context.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { requestNodeGPU } from '../../src/node.js';
import { findSwiftShaderIcd } from '../../src/node-drivers.js';
import { generate } from '../../src/twin/generate.js';
import { fillCanary, inErrorScope, nodeContext } from '../helpers/gpu.js';

describe('device acquisition', () => {
  it('reports the adapter and requests its storage-binding and buffer-size limits', async () => {
    const node = await requestNodeGPU();
    const adapter = (await node.gpu.requestAdapter())!;
    const ctx = await createContext({ gpu: node.gpu });
    try {
      expect(ctx.adapter.source).toBe('adapter');
      expect(typeof ctx.adapter.vendor).toBe('string');
      expect(typeof ctx.adapter.isFallbackAdapter).toBe('boolean');
      expect(ctx.device.limits.maxStorageBufferBindingSize).toBe(adapter.limits.maxStorageBufferBindingSize);
      expect(ctx.device.limits.maxBufferSize).toBe(adapter.limits.maxBufferSize);
      expect(ctx.adapter.limits.maxStorageBufferBindingSize).toBe(adapter.limits.maxStorageBufferBindingSize);
      if (node.swiftShaderFallback) {
        expect(ctx.adapter.architecture).toBe('swiftshader');
        expect(node.icd).toBe(findSwiftShaderIcd());
      }
    } finally {
      ctx.destroy();
    }
  });

  it("uses a caller's device without destroying it", async () => {
    const node = await requestNodeGPU();
    const adapter = (await node.gpu.requestAdapter())!;
    const device = await adapter.requestDevice({ label: 'caller device' });
    const ctx = await createContext({ device });
    expect(ctx.adapter.source).toBe('caller');
    const r = await ctx.generate({ seed: 3, count: 9, dist: uniform() });
    expect(Array.from(await ctx.readRange(r))).toEqual(Array.from(generate({ seed: 3, count: 9, dist: uniform() })));
    r.buffer.destroy();
    ctx.destroy();
    // Still usable: the context did not own it.
    const b = device.createBuffer({ size: 4, usage: BufferUsage.STORAGE });
    b.destroy();
    let lost = false;
    void device.lost.then(() => (lost = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(lost).toBe(false);
    device.destroy();
  });

  it('without navigator.gpu, createContext says where to look instead', async () => {
    await expect(createContext()).rejects.toMatchObject({ code: 'Unsupported', message: expect.stringMatching(/webgpu-weight-init\/node/) });
  });
});

describe('typed errors before any GPU work', () => {
  it('bad targets reject with the right code and leave the buffer untouched', async () => {
    const ctx = await nodeContext();
    try {
      await inErrorScope(ctx, async (scope) => {
        const buffer = scope.buffer(64);
        fillCanary(ctx.device, buffer);
        const noStorage = scope.track(ctx.device.createBuffer({ size: 64, usage: BufferUsage.COPY_DST | BufferUsage.COPY_SRC }));
        const noCopySrc = scope.track(ctx.device.createBuffer({ size: 64, usage: BufferUsage.STORAGE }));
        const cases: [string, Promise<unknown>][] = [
          ['BufferTooSmall', ctx.generate({ seed: 1, count: 17, buffer })],
          ['BufferTooSmall', ctx.generate({ seed: 1, count: 2, buffer, offset: 60 })],
          ['Misaligned', ctx.generate({ seed: 1, count: 1, buffer, offset: 2 })],
          ['InvalidParameter', ctx.generate({ seed: 1, count: 1, buffer, offset: -4 })],
          ['BufferUsage', ctx.generate({ seed: 1, count: 1, buffer: noStorage })],
          ['InvalidParameter', ctx.generate({ seed: -5, count: 1, buffer })],
          ['InvalidParameter', ctx.generate({ seed: 1, count: 1, buffer, dist: uniform(2, 1) })],
          ['InvalidParameter', ctx.generate({ seed: 1, count: 1, offset: 4 })],
          ['Misaligned', ctx.generate({ seed: 1, count: 1, buffer, offset: 1, dist: uniform(), dtype: 'f16' })],
          ['BufferTooSmall', ctx.generate({ seed: 1, count: 32, buffer, offset: 2, dist: uniform(), dtype: 'bf16' })],
          ['InvalidParameter', ctx.generate({ seed: 1, count: 1, buffer, dtype: 'f16' })],
          ['BufferUsage', ctx.read(noCopySrc, { count: 1, dtype: 'u32' })],
          ['BufferTooSmall', ctx.read(buffer, { count: 17, dtype: 'u32' })],
          ['Misaligned', ctx.read(buffer, { offset: 2, count: 1, dtype: 'u32' })],
        ];
        for (const [code, p] of cases) {
          const e = await p.then(
            () => null,
            (err: unknown) => err,
          );
          expect(e).toBeInstanceOf(WeightInitError);
          expect((e as WeightInitError).code).toBe(code);
        }
        const words = await ctx.read(buffer, { count: 16, dtype: 'u32' });
        expect(Array.from(words).every((w) => w === 0xdeadbeef)).toBe(true);
      });
    } finally {
      ctx.destroy();
    }
  });

  it('bad context options are typed errors', async () => {
    await expect(nodeContext({ workgroupSize: 0 })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'workgroupSize' });
    await expect(nodeContext({ workgroupSize: 100_000 })).rejects.toMatchObject({ code: 'InvalidParameter' });
    await expect(nodeContext({ maxBindingBytes: 16 })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'maxBindingBytes' });
  });
});

describe('device loss', () => {
  it('is detected and reported; calls reject with DeviceLost; a new context works', async () => {
    const ctx = await nodeContext();
    const r = await ctx.generate({ seed: 1, count: 4 });
    ctx.device.destroy();
    const lost = await ctx.lost;
    expect(lost.code).toBe('DeviceLost');
    expect(ctx.isLost).toBe(true);
    await expect(ctx.generate({ seed: 1, count: 4 })).rejects.toMatchObject({ code: 'DeviceLost' });
    await expect(ctx.readRange(r)).rejects.toMatchObject({ code: 'DeviceLost' });
    const fresh = await nodeContext();
    try {
      const out = await fresh.generate({ seed: 1, count: 4 });
      expect(Array.from(await fresh.readRange(out))).toEqual(Array.from(generate({ seed: 1, count: 4 })));
      out.buffer.destroy();
    } finally {
      fresh.destroy();
    }
  });

  it('a loss while a generation is in flight rejects it with DeviceLost instead of hanging', async () => {
    const ctx = await nodeContext();
    const pending = ctx.generate({ seed: 1, count: 1 << 20 });
    ctx.device.destroy();
    const outcome = await pending.then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    // Either the work was already submitted (then reading it back reports the loss), or the call saw it.
    if (outcome.ok) {
      await expect(ctx.readRange(outcome.r)).rejects.toMatchObject({ code: 'DeviceLost' });
    } else {
      expect(outcome.e).toMatchObject({ code: 'DeviceLost' });
    }
  });
});
