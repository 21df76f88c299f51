// The error-scope helper: each scoped() call sees its own errors only, however calls interleave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { DeviceHandle } from '../../src/gpu/device-handle.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { nodeContext } from '../helpers/gpu.js';

let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

describe('DeviceHandle.scoped', () => {
  it('an error lands in the scope of the call that caused it, not in a concurrent one', async () => {
    const handle = new DeviceHandle(ctx.device);
    const device = ctx.device;
    const good = () =>
      handle.scoped(
        'good',
        () => device.createBuffer({ size: 16, usage: BufferUsage.STORAGE }),
        (b) => b.destroy(),
      );
    // MAP_READ may only go with COPY_DST: a validation error.
    const bad = () =>
      handle.scoped(
        'bad',
        () => device.createBuffer({ size: 16, usage: BufferUsage.MAP_READ | BufferUsage.STORAGE }),
        (b) => b.destroy(),
      );
    const results = await Promise.allSettled([good(), bad(), good(), bad(), good()]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'GPUValidation' });
    for (const r of results) if (r.status === 'fulfilled') r.value.destroy();
  });

  it('an allocation the device cannot make is OutOfMemory', async () => {
    const handle = new DeviceHandle(ctx.device);
    const size = ctx.device.limits.maxBufferSize;
    // Ask for more than the adapter can hold in several buffers; at least one must fail as OutOfMemory or
    // succeed (a device with that much memory), never as another error.
    const r = await handle
      .scoped(
        'huge',
        () => ctx.device.createBuffer({ size, usage: BufferUsage.STORAGE }),
        (b) => b.destroy(),
      )
      .then(
        (b) => {
          b.destroy();
          return 'allocated';
        },
        (e: { code?: string }) => e.code,
      );
    expect(['allocated', 'OutOfMemory']).toContain(r);
  });

  it('refuses a body that returns a promise (a scope must not stay open across an await)', async () => {
    const handle = new DeviceHandle(ctx.device);
    await expect(handle.scoped('async body', () => Promise.resolve(1))).rejects.toThrowError(/synchronous/);
  });
});
