// The orthogonal initializer's core on the GPU: Q of the thin QR of a Gaussian matrix (CGS2), computed by
// shaders/orthogonal.wgsl. CPU twin: orthogonalF32 in src/twin/orthogonal.ts, which also holds the
// definition of the result; the two produce the same bits.
//
// Work plan for rows x cols (M is m x n, m >= n, column-major in a `work` buffer):
//   1. ctx.generate writes A (normal(0, 1), row-major) into the output buffer.
//   2. rows >= cols: transposeMatrix copies A into a separate work buffer (column-major M = A).
//      rows < cols: A row-major already is M = A^T column-major; the output buffer is the work buffer.
//   3. For each column j: (columnDots: ceil(j / 8) workgroups, updateColumn) twice when j > 0, then normalizeColumn
//      (one workgroup). Every dispatch reads its column from a 256-byte slot of one uniform buffer through
//      a dynamic offset, so all columns are recorded up front (a few command buffers, one submit).
//   4. rows >= cols: transposeMatrix writes Q = Q_M back into the output buffer, row-major.
// Dispatches per column: 5 (1 for column 0); no dispatch covers more than 1024 or the device's
// maxComputeWorkgroupsPerDimension workgroups (element-wise kernels loop over a grid stride).
import orthogonalWgsl from '../../shaders/orthogonal.wgsl?raw';
import orthogonalLayout from '../../shaders/orthogonal.wgsl?reflect';
import { UnsupportedError } from '../errors.js';
import { DOT_TILE, resolveOrthogonal, WORKGROUP_SIZE, type OrthogonalOptions } from '../twin/orthogonal.js';
import { normal } from '../contract/distributions.js';
import type { WeightWriter } from './batch.js';
import type { DeviceHandle } from './device-handle.js';
import { BufferUsage, ShaderStage } from './flags.js';
import { packStruct, type ShaderLayout } from './shader-layout.js';
import { functionSources } from './shader-sources.js';

const LABEL = 'webgpu-weight-init: orthogonal';

/** The WGSL module as compiled: transforms.wgsl (fenceF32, sqrtF32, reciprocalF32), then orthogonal.wgsl. */
export const orthogonalModule: { readonly label: string; readonly code: string; readonly layout: ShaderLayout } = {
  label: `${LABEL} module`,
  code: [functionSources.transforms, orthogonalWgsl].join('\n'),
  layout: orthogonalLayout,
};

const ENTRY_POINTS = ['columnDots', 'updateColumn', 'normalizeColumn', 'transposeMatrix'] as const;
type EntryPoint = (typeof ENTRY_POINTS)[number];

/** Columns recorded per command buffer (each is one compute pass). */
const COLUMNS_PER_COMMAND_BUFFER = 128;

interface Kernel {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroupLayout: GPUBindGroupLayout;
  /** Binding numbers the entry point uses (reflected). */
  readonly bindings: readonly number[];
}

type Kernels = Readonly<Record<EntryPoint, Kernel>>;

const kernelCache = new WeakMap<GPUDevice, Promise<Kernels>>();

/** Compiles the module and the four pipelines once per device. */
function kernelsFor(handle: DeviceHandle): Promise<Kernels> {
  const device = handle.device;
  let p = kernelCache.get(device);
  if (!p) {
    p = createKernels(handle);
    p.catch(() => kernelCache.delete(device));
    kernelCache.set(device, p);
  }
  return p;
}

async function createKernels(handle: DeviceHandle): Promise<Kernels> {
  const layout = orthogonalModule.layout;
  const device = handle.device;
  const types = new Map(layout.bindings.filter((b) => b.group === 0).map((b) => [b.binding, b.type]));
  // The module and the layouts in one synchronous scope; the pipelines then compile asynchronously.
  const prepared = await handle.scoped(orthogonalModule.label, () => {
    const module = device.createShaderModule({ label: orthogonalModule.label, code: orthogonalModule.code });
    return ENTRY_POINTS.map((name) => {
      const entry = layout.entryPoints.find((e) => e.name === name);
      if (!entry) throw new Error(`orthogonal.wgsl has no entry point ${name}`);
      const bindGroupLayout = device.createBindGroupLayout({
        label: `${LABEL} ${name} bind group layout`,
        entries: entry.bindings.map((binding) => {
          const type = types.get(binding);
          if (!type) throw new Error(`orthogonal.wgsl: binding ${binding} of ${name} is not reflected`);
          // The uniform block is one slot per dispatch of a shared buffer, chosen by a dynamic offset.
          return { binding, visibility: ShaderStage.COMPUTE, buffer: { type, hasDynamicOffset: type === 'uniform' } };
        }),
      });
      const pipelineLayout = device.createPipelineLayout({ label: `${LABEL} ${name} pipeline layout`, bindGroupLayouts: [bindGroupLayout] });
      return { name, module, bindGroupLayout, pipelineLayout, bindings: entry.bindings };
    });
  });
  const entries = await Promise.all(
    prepared.map(async (p): Promise<[EntryPoint, Kernel]> => {
      const pipeline = await handle.guard(
        `${LABEL} ${p.name} pipeline`,
        device.createComputePipelineAsync({ label: `${LABEL} ${p.name} pipeline`, layout: p.pipelineLayout, compute: { module: p.module, entryPoint: p.name } }),
      );
      return [p.name, { pipeline, bindGroupLayout: p.bindGroupLayout, bindings: p.bindings }];
    }),
  );
  return Object.fromEntries(entries) as Record<EntryPoint, Kernel>;
}

type ParamValues = Record<string, number | readonly number[]>;

/**
 * Computes the (semi-)orthogonal rows x cols matrix Q of the orthogonal initializer (definition:
 * src/twin/orthogonal.ts) on the GPU. Resolves with a new f32 buffer of rows * cols values, row-major,
 * with STORAGE | COPY_SRC | COPY_DST usage, owned by the caller (destroy it when done), once the work is
 * submitted and WebGPU validated it; later work on the device's queue sees the values. Its bits equal
 * orthogonalF32's for the same options.
 */
export async function computeOrthogonal(ctx: WeightWriter, options: OrthogonalOptions): Promise<GPUBuffer> {
  const o = resolveOrthogonal(options);
  const { device, handle } = ctx;
  const count = o.rows * o.cols;
  const bytes = 4 * count;
  const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (bytes > maxBinding) {
    throw new UnsupportedError(
      `orthogonal ${o.rows}x${o.cols}: the matrix needs ${bytes} bytes in one storage binding; this device's limit is ${maxBinding} bytes`,
    );
  }
  handle.assertAlive();
  const kernels = await kernelsFor(handle);
  // A, normal(0, 1), row-major, generated and submitted (in the caller's batch, after what it recorded
  // before) ahead of the QR's own submission.
  const output = (
    await ctx.batch(async (b) => {
      const a = await b.generate({ seed: o.seed, stream: o.stream, count, dist: normal(), label: `${LABEL} Q ${o.rows}x${o.cols}` });
      await b.flush();
      return a;
    })
  ).buffer;
  const created: GPUBuffer[] = [];
  try {
    await handle.scoped(`${LABEL} ${o.rows}x${o.cols}`, () => {
      const buffer = (label: string, size: number, usage: number) => {
        const b = device.createBuffer({ label: `${LABEL} ${label}`, size, usage });
        created.push(b);
        return b;
      };
      const work = o.tall ? buffer(`work ${o.m}x${o.n}`, bytes, BufferUsage.STORAGE) : output;
      const coeffs = buffer('coefficients', 4 * o.n, BufferUsage.STORAGE);
      record(ctx, kernels, o, output, work, coeffs, buffer);
    });
  } catch (e) {
    output.destroy();
    throw e;
  } finally {
    for (const b of created) b.destroy();
  }
  return output;
}

/** Records and submits every dispatch: the transposes and all columns. */
function record(
  ctx: WeightWriter,
  kernels: Kernels,
  o: ReturnType<typeof resolveOrthogonal>,
  output: GPUBuffer,
  work: GPUBuffer,
  coeffs: GPUBuffer,
  buffer: (label: string, size: number, usage: number) => GPUBuffer,
): void {
  const { device } = ctx;
  const struct = orthogonalModule.layout.structs['OrthogonalParams'];
  if (!struct) throw new Error('orthogonal.wgsl has no OrthogonalParams struct');
  const align = device.limits.minUniformBufferOffsetAlignment;
  const slot = Math.ceil(struct.size / align) * align;
  const { m, n } = o;
  // Slots 0 .. n-1: column j; slot n: transpose in (rows x cols); slot n + 1: transpose out (n x m).
  const slots = n + 2;
  const data = new Uint8Array(slot * slots);
  const put = (i: number, values: ParamValues) => {
    data.set(new Uint8Array(packStruct(struct, { m, n, column: 0, rows: 0, cols: 0, fence: 0, ...values }, 'OrthogonalParams')), i * slot);
  };
  for (let j = 0; j < n; j++) put(j, { column: j });
  put(n, { rows: o.rows, cols: o.cols });
  put(n + 1, { rows: n, cols: m });
  const params = buffer(`params x${slots}`, data.byteLength, BufferUsage.UNIFORM | BufferUsage.COPY_DST);
  device.queue.writeBuffer(params, 0, data);

  const resources: Record<number, GPUBufferBinding> = {
    0: { buffer: params, offset: 0, size: struct.size },
    1: { buffer: work },
    2: { buffer: coeffs },
  };
  const bindGroup = (name: EntryPoint, extra: Record<number, GPUBufferBinding> = {}, what: string = name): GPUBindGroup => {
    const k = kernels[name];
    return device.createBindGroup({
      label: `${LABEL} ${what} bind group`,
      layout: k.bindGroupLayout,
      entries: k.bindings.map((binding) => {
        const resource = extra[binding] ?? resources[binding];
        if (!resource) throw new Error(`orthogonal: no resource for binding ${binding} of ${name}`);
        return { binding, resource };
      }),
    });
  };
  const groups = {
    columnDots: bindGroup('columnDots'),
    updateColumn: bindGroup('updateColumn'),
    normalizeColumn: bindGroup('normalizeColumn'),
  };
  const gridCap = Math.min(ctx.limits.maxWorkgroupsPerDimension, device.limits.maxComputeWorkgroupsPerDimension);
  const grid = (elements: number) => Math.max(1, Math.min(Math.ceil(elements / WORKGROUP_SIZE), gridCap));

  const commandBuffers: GPUCommandBuffer[] = [];
  let encoder: GPUCommandEncoder | undefined;
  let pass: GPUComputePassEncoder | undefined;
  const begin = (what: string) => {
    encoder = device.createCommandEncoder({ label: `${LABEL} ${what}` });
    pass = encoder.beginComputePass({ label: `${LABEL} ${what}` });
    return pass;
  };
  const finish = () => {
    if (!encoder || !pass) return;
    pass.end();
    commandBuffers.push(encoder.finish({ label: `${LABEL} command buffer ${commandBuffers.length}` }));
    encoder = undefined;
    pass = undefined;
  };
  const transpose = (from: GPUBuffer, to: GPUBuffer, paramsSlot: number, what: string) => {
    const p = pass ?? begin(what);
    p.setPipeline(kernels.transposeMatrix.pipeline);
    p.setBindGroup(0, bindGroup('transposeMatrix', { 3: { buffer: from }, 4: { buffer: to } }, what), [paramsSlot * slot]);
    p.dispatchWorkgroups(grid(m * n));
  };

  if (o.tall) transpose(output, work, n, 'transpose A');
  const rowGroups = grid(m);
  for (let j = 0; j < n; j++) {
    if (j % COLUMNS_PER_COMMAND_BUFFER === 0) {
      finish();
      begin(`columns ${j}..${Math.min(n, j + COLUMNS_PER_COMMAND_BUFFER) - 1}`);
    }
    const p = pass!;
    const offsets = [j * slot];
    if (j > 0) {
      for (let twice = 0; twice < 2; twice++) {
        p.setPipeline(kernels.columnDots.pipeline);
        p.setBindGroup(0, groups.columnDots, offsets);
        p.dispatchWorkgroups(Math.ceil(j / DOT_TILE));
        p.setPipeline(kernels.updateColumn.pipeline);
        p.setBindGroup(0, groups.updateColumn, offsets);
        p.dispatchWorkgroups(rowGroups);
      }
    }
    p.setPipeline(kernels.normalizeColumn.pipeline);
    p.setBindGroup(0, groups.normalizeColumn, offsets);
    p.dispatchWorkgroups(1);
  }
  if (o.tall) transpose(work, output, n + 1, 'transpose Q');
  finish();
  device.queue.submit(commandBuffers);
}
