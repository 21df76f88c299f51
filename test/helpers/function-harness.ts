// Runs single WGSL library functions on the GPU over arrays of inputs, so each function can be compared
// with its CPU twin bit for bit. The test kernel is composed around the same shader files the library
// compiles.

import type { WeightInitContext } from '../../src/gpu/context.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { functionSources } from '../../src/gpu/shader-sources.js';
import type { Scope } from './gpu.js';

/**
 * `body` is WGSL that reads `input[base + j]` (j < inWords) and writes `output[obase + j]` (j < outWords)
 * for record `r`; `base = r * inWords`, `obase = r * outWords`. fmaFence is set from a zero in the uniform.
 */
export async function runFunctionKernel(
  ctx: WeightInitContext,
  scope: Scope,
  body: string,
  input: Uint32Array<ArrayBuffer>,
  inWords: number,
  outWords: number,
): Promise<Uint32Array> {
  const { device } = ctx;
  const records = input.length / inWords;
  const code = `${Object.values(functionSources).join('\n')}\n
struct Harness { records: u32, zero: u32 }
@group(0) @binding(0) var<uniform> harness: Harness;
@group(0) @binding(1) var<storage, read> input: array<u32>;
@group(0) @binding(2) var<storage, read_write> output: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = harness.zero;
  let r = gid.y * 65535u * 64u + gid.x;
  if (r >= harness.records) { return; }
  let base = r * ${inWords}u;
  let obase = r * ${outWords}u;
  ${body}
}`;
  const module = device.createShaderModule({ label: 'test: function harness', code });
  const pipeline = await device.createComputePipelineAsync({ label: 'test: function harness', layout: 'auto', compute: { module, entryPoint: 'main' } });
  const meta = scope.track(device.createBuffer({ label: 'test: meta', size: 16, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST }));
  device.queue.writeBuffer(meta, 0, new Uint32Array([records, 0, 0, 0]));
  const inBuf = scope.track(
    device.createBuffer({ label: 'test: input', size: Math.max(4, input.byteLength), usage: BufferUsage.STORAGE | BufferUsage.COPY_DST }),
  );
  device.queue.writeBuffer(inBuf, 0, input);
  const outBuf = scope.buffer(Math.max(4, records * outWords * 4), 'test: output');
  const bindGroup = device.createBindGroup({
    label: 'test: function harness',
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: meta } },
      { binding: 1, resource: { buffer: inBuf } },
      { binding: 2, resource: { buffer: outBuf } },
    ],
  });
  const encoder = device.createCommandEncoder({ label: 'test: function harness' });
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  const groups = Math.ceil(records / 64);
  pass.dispatchWorkgroups(Math.min(groups, 65535), Math.ceil(groups / 65535));
  pass.end();
  device.queue.submit([encoder.finish()]);
  return ctx.read(outBuf, { count: records * outWords, dtype: 'u32' });
}
