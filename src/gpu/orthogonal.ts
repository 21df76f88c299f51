// The orthogonal initializer's core on the GPU: Q of the thin QR of a Gaussian matrix (block CGS2),
// computed by shaders/orthogonal.wgsl from the matrix's plan (src/contract/orthogonal.ts). CPU twin:
// orthogonalF32 in src/twin/orthogonal.ts, which also holds the definition of the result; the two produce the
// same bits. The kernel executor (src/gpu/kernel-executor.ts) owns one OrthogonalKernels; on a software adapter
// the upload executor computes the same bits on the SIMD CPU path (src/simd/orthogonal.ts) instead.
//
// Kernel work plan for rows x cols (M is m x n, m >= n, column-major in a `work` buffer):
//   1. The batch generates A (the plan's source: normal(0, 1), row-major) into the output buffer.
//   2. rows >= cols: transposeMatrix copies A into a separate work buffer (column-major M = A).
//      rows < cols: A row-major already is M = A^T column-major; the output buffer is the work buffer.
//   3. The plan's steps (gramSchmidtSteps), in order: a projection is projectionDots then subtractProjection,
//      a normalization one normalizeColumn dispatch (one workgroup). Every dispatch reads its ranges from
//      a 256-byte slot of one uniform buffer through a dynamic offset (one slot per panel and one per
//      column), so all steps are recorded up front (a few command buffers, one submit).
//   4. rows >= cols: transposeMatrix writes Q = Q_M back into the output buffer, row-major.
// No dispatch covers more than 1024 or the device's maxComputeWorkgroupsPerDimension workgroups
// (every kernel but normalizeColumn loops over a grid stride).
import orthogonalWgsl from '../../shaders/orthogonal.wgsl?raw';
import orthogonalLayout from '../../shaders/orthogonal.wgsl?reflect';
import { type GramSchmidtStep, type OrthogonalOptions, type OrthogonalPlan, PANEL_WIDTH, planOrthogonal } from '../contract/orthogonal.js';
import { UnsupportedError } from '../errors.js';
import type { Batch, WeightWriter } from './batch.js';
import type { DeviceHandle } from './device-handle.js';
import type { DispatchLimits } from './dispatch-plan.js';
import { BufferUsage } from './flags.js';
import { KernelRunner, type ParamValues } from './kernel.js';
import type { ShaderLayout } from './shader-layout.js';
import { functionSources } from './shader-sources.js';

const LABEL = 'webgpu-weight-init: orthogonal';

/** The WGSL module as compiled: transforms.wgsl (fenceF32, sqrtF32, reciprocalF32), then orthogonal.wgsl. */
export const orthogonalModule: { readonly label: string; readonly code: string; readonly layout: ShaderLayout } = {
  label: `${LABEL} module`,
  code: [functionSources.transforms, orthogonalWgsl].join('\n'),
  layout: orthogonalLayout,
};

const ENTRY_POINTS = ['projectionDots', 'subtractProjection', 'normalizeColumn', 'transposeMatrix'] as const;
type EntryPoint = (typeof ENTRY_POINTS)[number];

/** Threads per workgroup of shaders/orthogonal.wgsl. */
const WORKGROUP_SIZE = 64;
/** Dispatches recorded per command buffer (each is one compute pass). */
const DISPATCHES_PER_COMMAND_BUFFER = 1024;

/** The four compiled pipelines. */
type Kernels = Readonly<Record<EntryPoint, GPUComputePipeline>>;

/** The label of a Q buffer. */
export function orthogonalLabel(plan: OrthogonalPlan): string {
  return `${LABEL} Q ${plan.rows}x${plan.cols}`;
}

/**
 * Throws UnsupportedError when the matrix does not fit one storage binding of the device (checked before any work,
 * the QR included).
 */
export function checkOrthogonalFits(plan: OrthogonalPlan, limits: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>): void {
  const bytes = 4 * plan.rows * plan.cols;
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (bytes > maxBinding) {
    throw new UnsupportedError(
      `orthogonal ${plan.rows}x${plan.cols}: the matrix needs ${bytes} bytes in one storage binding; this device's limit is ${maxBinding} bytes`,
    );
  }
}

/**
 * The QR on the GPU (shaders/orthogonal.wgsl), for one context: its runner and four pipelines, compiled on first use
 * and kept by the kernel executor that owns this object.
 */
export class OrthogonalKernels {
  private compiled: Promise<{ runner: KernelRunner; kernels: Kernels }> | undefined;

  constructor(
    private readonly handle: DeviceHandle,
    private readonly limits: DispatchLimits,
  ) {}

  private kernels(): Promise<{ runner: KernelRunner; kernels: Kernels }> {
    if (!this.compiled) {
      const handle = this.handle;
      const compiled = (async () => {
        const runner = await handle.scoped(orthogonalModule.label, () => new KernelRunner(handle, orthogonalModule));
        const pipelines = await Promise.all(ENTRY_POINTS.map((name) => runner.pipeline(name)));
        return { runner, kernels: Object.fromEntries(ENTRY_POINTS.map((name, i) => [name, pipelines[i]!])) as Record<EntryPoint, GPUComputePipeline> };
      })();
      this.compiled = compiled;
      compiled.catch(() => {
        if (this.compiled === compiled) this.compiled = undefined;
      });
    }
    return this.compiled;
  }

  /**
   * Q of the plan in a new buffer: A generated into it in `batch` (after what the batch recorded before) and
   * submitted, then every step of the QR recorded and submitted. The caller checked checkOrthogonalFits.
   */
  async run(batch: Batch, plan: OrthogonalPlan): Promise<GPUBuffer> {
    const { handle } = this;
    handle.assertAlive();
    const { runner, kernels } = await this.kernels();
    // A, normal(0, 1), row-major, generated and submitted (in the caller's batch, after what it recorded
    // before) ahead of the QR's own submission.
    const output = (await batch.generatePlanned(plan.source, { label: orthogonalLabel(plan) })).buffer;
    await batch.flush();
    const bytes = 4 * plan.rows * plan.cols;
    const created: GPUBuffer[] = [];
    try {
      await handle.scoped(`${LABEL} ${plan.rows}x${plan.cols}`, () => {
        const buffer = (label: string, size: number, usage: number) => {
          const b = handle.device.createBuffer({ label: `${LABEL} ${label}`, size, usage });
          created.push(b);
          return b;
        };
        const work = plan.tall ? buffer(`work ${plan.m}x${plan.n}`, bytes, BufferUsage.STORAGE) : output;
        const coeffs = buffer('coefficients', 4 * plan.n * Math.min(plan.n, PANEL_WIDTH), BufferUsage.STORAGE);
        record(handle.device, this.limits, runner, kernels, plan, output, work, coeffs, buffer);
      });
    } catch (e) {
      output.destroy();
      throw e;
    } finally {
      for (const b of created) b.destroy();
    }
    return output;
  }
}

/**
 * Computes the (semi-)orthogonal rows x cols matrix Q of the orthogonal initializer (definition:
 * src/twin/orthogonal.ts) with the context's executor. Resolves with a new f32 buffer of rows * cols values,
 * row-major, with STORAGE | COPY_SRC | COPY_DST usage, owned by the caller (destroy it when done), once the work is
 * submitted and WebGPU validated it; later work on the device's queue sees the values. Its bits equal
 * orthogonalF32's for the same options. On the 'kernel' strategy the WGSL kernels compute Q; on 'upload' (software
 * adapters by default) the SIMD CPU path, then one writeBuffer.
 */
export async function computeOrthogonal(ctx: WeightWriter, options: OrthogonalOptions): Promise<GPUBuffer> {
  const plan = planOrthogonal(options);
  checkOrthogonalFits(plan, ctx.device.limits);
  return ctx.batch((b) => b.executor.orthogonal(b, plan));
}

/** Records and submits every dispatch: the transposes and the steps of gramSchmidtSteps. */
function record(
  device: GPUDevice,
  limits: DispatchLimits,
  runner: KernelRunner,
  kernels: Kernels,
  o: OrthogonalPlan,
  output: GPUBuffer,
  work: GPUBuffer,
  coeffs: GPUBuffer,
  buffer: (label: string, size: number, usage: number) => GPUBuffer,
): void {
  const { m, n } = o;

  // The steps in order, and one parameter slot per distinct set of values: the two transposes, each
  // panel's block projection, and each column's in-panel projection together with its normalization.
  const slotValues: ParamValues[] = [
    { m, n, rows: o.rows, cols: o.cols },
    { m, n, rows: n, cols: m },
  ];
  const panelSlot = (t0: number) => 2 + t0 / PANEL_WIDTH;
  const columnSlot = (j: number) => 2 + Math.ceil(n / PANEL_WIDTH) + j;
  for (let k = 0; k < n; k += PANEL_WIDTH) slotValues.push({ m, n, s1: k, t0: k, t1: Math.min(n, k + PANEL_WIDTH) });
  for (let j = 0; j < n; j++) {
    const k = j - (j % PANEL_WIDTH);
    slotValues.push({ m, n, s0: k, s1: j, t0: j, t1: j + 1, column: j });
  }
  const slotOf = (step: GramSchmidtStep): number => {
    if (step.kind === 'normalize') return columnSlot(step.column);
    const { p } = step;
    // A panel's block projection targets the panel from its first column; an in-panel one, a later column.
    const i = p.t0 % PANEL_WIDTH === 0 ? panelSlot(p.t0) : columnSlot(p.t0);
    const v = slotValues[i]!;
    if ((v['s0'] ?? 0) !== p.s0 || v['s1'] !== p.s1 || v['t0'] !== p.t0 || v['t1'] !== p.t1)
      throw new Error(`orthogonal: no parameter slot for ${JSON.stringify(p)}`);
    return i;
  };
  // The four entry points share the OrthogonalParams struct, and so its slots.
  const packed = runner.packParams('projectionDots', slotValues)!;
  const params = buffer(`params x${packed.slots}`, packed.data.byteLength, BufferUsage.UNIFORM | BufferUsage.COPY_DST);
  device.queue.writeBuffer(params, 0, packed.data);

  const buffers = { work: { buffer: work }, coeffs: { buffer: coeffs } };
  const groups = {
    projectionDots: runner.bindGroup('projectionDots', params, buffers),
    subtractProjection: runner.bindGroup('subtractProjection', params, buffers),
    normalizeColumn: runner.bindGroup('normalizeColumn', params, buffers),
  };
  const transpose = (from: GPUBuffer, to: GPUBuffer, what: string) =>
    runner.bindGroup('transposeMatrix', params, { matrixIn: { buffer: from }, matrixOut: { buffer: to } }, what);
  const gridCap = Math.min(limits.maxWorkgroupsPerDimension, device.limits.maxComputeWorkgroupsPerDimension);
  const grid = (elements: number) => Math.max(1, Math.min(Math.ceil(elements / WORKGROUP_SIZE), gridCap));

  const commandBuffers: GPUCommandBuffer[] = [];
  let encoder: GPUCommandEncoder | undefined;
  let pass: GPUComputePassEncoder | undefined;
  let recorded = 0;
  const finish = () => {
    if (!encoder || !pass) return;
    pass.end();
    commandBuffers.push(encoder.finish({ label: `${LABEL} command buffer ${commandBuffers.length}` }));
    encoder = undefined;
    pass = undefined;
  };
  const dispatch = (name: EntryPoint, bind: GPUBindGroup, slotIndex: number, workgroups: number) => {
    if (!pass || recorded % DISPATCHES_PER_COMMAND_BUFFER === 0) {
      finish();
      const what = `dispatches ${recorded}..`;
      encoder = device.createCommandEncoder({ label: `${LABEL} ${what}` });
      pass = encoder.beginComputePass({ label: `${LABEL} ${what}` });
    }
    recorded++;
    runner.dispatch(pass, name, kernels[name], bind, slotIndex, [workgroups]);
  };

  if (o.tall) dispatch('transposeMatrix', transpose(output, work, 'transpose A'), 0, grid(m * n));
  for (const step of o.steps) {
    const at = slotOf(step);
    if (step.kind === 'normalize') {
      dispatch('normalizeColumn', groups.normalizeColumn, at, 1);
    } else {
      const w = step.p.t1 - step.p.t0;
      dispatch('projectionDots', groups.projectionDots, at, grid((step.p.s1 - step.p.s0) * w));
      dispatch('subtractProjection', groups.subtractProjection, at, grid(m * w));
    }
  }
  if (o.tall) dispatch('transposeMatrix', transpose(work, output, 'transpose Q'), 1, grid(m * n));
  finish();
  device.queue.submit(commandBuffers);
}
