// The bench's own kernels on the library's kernel runner: the store kernel (the adapter's write bandwidth, the limit
// every generator is compared with) and the store variants (the same f32 bits as generate, stored other ways).
import type { WeightInitContext } from '../gpu/context.js';
import type { DeviceHandle } from '../gpu/device-handle.js';
import { type DispatchChunk, planDispatches } from '../gpu/dispatch-plan.js';
import type { KernelDispatch, KernelRunner, KernelSource, ParamValues } from '../gpu/kernel.js';
import { functionSources } from '../gpu/shader-sources.js';
import type { StoreVariant } from './cases.js';
import storeWgsl from './store.wgsl?raw';
import storeLayout from './store.wgsl?reflect';
import storeVariantsWgsl from './store-variants.wgsl?raw';
import storeVariantsLayout from './store-variants.wgsl?reflect';

/** The bench's own kernels, on the library's kernel runner: the store limit and the store variants. */
export const STORE_SOURCE: KernelSource = { label: 'bench: store.wgsl', code: storeWgsl, layout: storeLayout };
export const STORE_VARIANTS_SOURCE: KernelSource = {
  label: 'bench: store-variants.wgsl',
  code: [functionSources.philox, functionSources.transforms, functionSources.normal, storeVariantsWgsl].join('\n'),
  layout: storeVariantsLayout,
};

/** Entry point and storage binding of each store variant in store-variants.wgsl. */
export const STORE_VARIANT_ENTRY: Record<StoreVariant, { readonly entryPoint: string; readonly out: string }> = {
  atomic: { entryPoint: 'storeAtomic', out: 'outAtomic' },
  u32: { entryPoint: 'storeU32', out: 'outU32' },
  vec4: { entryPoint: 'storeVec4', out: 'outVec4' },
};

/** Params of store.wgsl for one dispatch window. */
export function storeParams(c: DispatchChunk, eb: 4 | 2): ParamValues {
  return {
    words: Math.ceil((c.count * eb) / 4),
    base: Math.floor((c.outIndex * eb) / 4),
    rowBlocks: c.rowBlocks,
    value: 0x9e3779b9,
    blockStride: c.blockStride,
  };
}

/** Params of store-variants.wgsl: store.wgsl's, and the Philox counter of the window's first block. */
export function variantParams(seed: number, stream: number): (c: DispatchChunk) => ParamValues {
  return (c) => ({ ...storeParams(c, 4), startBlock: Number(c.start / 4n), key: [seed >>> 0, 0], stream: [stream >>> 0, 0], fence: 0 });
}

/**
 * One size of a kernel in the store kernel's dispatch layout (store.wgsl, store-variants.wgsl): its
 * dispatches over the binding windows of `buffer`, recorded by the kernel runner. The returned function
 * submits `reps` passes in one submission, each a full store of the range (as ours: one pass per call).
 */
export async function prepareStore(
  ctx: WeightInitContext,
  handle: DeviceHandle,
  runner: KernelRunner,
  kernel: { readonly entryPoint: string; readonly out: string; readonly constants: Readonly<Record<string, number>> },
  buffer: GPUBuffer,
  count: number,
  eb: 4 | 2,
  paramsOf: (c: DispatchChunk) => ParamValues,
): Promise<(reps: number) => Promise<void>> {
  const device = ctx.device;
  const constants = { WORKGROUP_SIZE: ctx.limits.workgroupSize, BLOCKS_PER_INVOCATION: ctx.limits.blocksPerInvocation ?? 1, ...kernel.constants };
  const pipeline = await runner.pipeline(kernel.entryPoint, constants);
  const dispatches: KernelDispatch[] = planDispatches(0, count, 0n, ctx.limits, eb).map((c) => ({
    params: paramsOf(c),
    bindings: { [kernel.out]: { buffer, offset: c.bindOffset, size: c.bindSize } },
    workgroups: c.workgroups,
  }));
  return async (reps) => {
    const encoder = device.createCommandEncoder({ label: `bench: ${kernel.entryPoint}` });
    const uniforms: (GPUBuffer | undefined)[] = [];
    try {
      await handle.scoped(`bench: ${kernel.entryPoint}`, () => {
        for (let r = 0; r < reps; r++) uniforms.push(runner.record(encoder, pipeline, kernel.entryPoint, dispatches));
      });
      device.queue.submit([encoder.finish()]);
    } finally {
      for (const u of uniforms) u?.destroy();
    }
  };
}
