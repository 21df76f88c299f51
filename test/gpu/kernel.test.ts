// The kernel runner: pipelines cached per entry point and constants; bindings given by their WGSL names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { DeviceHandle } from '../../src/gpu/device-handle.js';
import { fillCall } from '../../src/gpu/generate-kernels.js';
import { KernelRunner } from '../../src/gpu/kernel.js';
import { generateModule } from '../../src/gpu/shader-sources.js';
import { inErrorScope, nodeContext } from '../helpers/gpu.js';

let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

describe('KernelRunner', () => {
  it('compiles a pipeline once per entry point and constants', async () => {
    const runner = new KernelRunner(new DeviceHandle(ctx.device), generateModule);
    const a = runner.pipeline('fillConstant', { WORKGROUP_SIZE: 64, DTYPE: 0 });
    expect(runner.pipeline('fillConstant', { DTYPE: 0, WORKGROUP_SIZE: 64 })).toBe(a);
    expect(runner.pipeline('fillConstant', { WORKGROUP_SIZE: 32, DTYPE: 0 })).not.toBe(a);
    await a;
  });

  it('records a call with its buffers named as in the WGSL, and refuses a call missing one', async () => {
    await inErrorScope(ctx, async (scope) => {
      const handle = new DeviceHandle(ctx.device);
      const runner = new KernelRunner(handle, generateModule);
      const buffer = scope.buffer(64);
      const call = fillCall(16, 1.5, 'f32', buffer, 0, ctx.limits);
      const pipeline = await runner.pipeline(call.entryPoint, call.constants);
      const encoder = ctx.device.createCommandEncoder();
      const uniform = runner.record(encoder, pipeline, call.entryPoint, call.dispatches);
      ctx.device.queue.submit([encoder.finish()]);
      uniform?.destroy();
      expect(Array.from(await ctx.read(buffer, { count: 16, dtype: 'f32' }))).toEqual(new Array(16).fill(1.5));
      const missing = call.dispatches.map((d) => ({ ...d, bindings: {} }));
      expect(() => runner.record(ctx.device.createCommandEncoder(), pipeline, call.entryPoint, missing)).toThrowError(/binding 'out'/);
    });
  });

  it('one bind group serves several dispatches, each reading its own parameter slot through a dynamic offset', async () => {
    await inErrorScope(ctx, async (scope) => {
      const handle = new DeviceHandle(ctx.device);
      const runner = new KernelRunner(handle, generateModule);
      const buffer = scope.buffer(64);
      const constants = { WORKGROUP_SIZE: 64, DTYPE: 0, BLOCKS_PER_INVOCATION: 1 };
      const pipeline = await runner.pipeline('fillConstant', constants);
      const slot = (outIndex: number, mean: number) => ({ count: 8, outIndex, rowBlocks: 64, blockStride: 2, mean });
      const packed = runner.packParams('fillConstant', [slot(0, 1), slot(8, 2)])!;
      const params = scope.track(ctx.device.createBuffer({ size: packed.data.byteLength, usage: 0x40 | 0x8 }));
      ctx.device.queue.writeBuffer(params, 0, packed.data);
      const group = runner.bindGroup('fillConstant', params, { out: { buffer }, unused: { buffer } });
      const encoder = ctx.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      runner.dispatch(pass, 'fillConstant', pipeline, group, 1, [1]);
      runner.dispatch(pass, 'fillConstant', pipeline, group, 0, [1]);
      pass.end();
      ctx.device.queue.submit([encoder.finish()]);
      expect(Array.from(await ctx.read(buffer, { count: 16, dtype: 'f32' }))).toEqual([...new Array(8).fill(1), ...new Array(8).fill(2)]);
    });
  });
});
