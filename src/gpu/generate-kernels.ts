// The kernel calls of shaders/generate.wgsl: a plan (or a fill, scatter or convert) and a target turned
// into the dispatches of one entry point, split along binding windows and grid limits by planDispatches.
// Pure arithmetic: the runner (src/gpu/kernel.ts) records what these return.

import { roundDown4 } from '../contract/align.js';
import { DTYPE_BYTES, DTYPE_CODE, type DType, type FloatDType } from '../contract/dtypes.js';
import type { JaxPlan } from '../contract/jax-plan.js';
import { type ElementRange, type GeneratePlan, slicePlan } from '../contract/plan.js';
import { type DispatchLimits, planDispatches } from './dispatch-plan.js';
import type { KernelDispatch, ParamValues } from './kernel.js';

/** One entry point of generate.wgsl with its override constants and dispatches. */
export interface KernelCall {
  readonly entryPoint: string;
  readonly constants: Readonly<Record<string, number>>;
  readonly dispatches: readonly KernelDispatch[];
}

function constants(dtype: DType, limits: DispatchLimits, blocks: boolean): Record<string, number> {
  const c: Record<string, number> = { WORKGROUP_SIZE: limits.workgroupSize, DTYPE: DTYPE_CODE[dtype] };
  // scatterConstant maps invocations to single elements, not blocks.
  if (blocks) c['BLOCKS_PER_INVOCATION'] = limits.blocksPerInvocation ?? 1;
  return c;
}

/**
 * The dispatches of one block-based entry point over a plan's slice: the slice cut along binding windows and
 * grid limits, each piece's params being `params(piece)` plus where the piece goes.
 */
function rangeDispatches<P extends ElementRange>(
  plan: P,
  elementBytes: 2 | 4,
  buffer: GPUBuffer,
  offset: number,
  limits: DispatchLimits,
  params: (slice: P) => ParamValues,
): KernelDispatch[] {
  const chunks = planDispatches(offset, plan.count, plan.start, limits, elementBytes);
  let done = 0;
  return chunks.map((c): KernelDispatch => {
    const slice = slicePlan(plan, done, c.count);
    done += c.count;
    return {
      workgroups: c.workgroups,
      bindings: { out: { buffer, offset: c.bindOffset, size: c.bindSize } },
      params: {
        ...params(slice),
        startBlock: slice.startBlock,
        phase: slice.phase,
        count: slice.count,
        outIndex: c.outIndex,
        rowBlocks: c.rowBlocks,
        blockStride: c.blockStride,
      },
    };
  });
}

/** Executes a generation plan into bytes from `offset` of `buffer`. */
export function generateCall(plan: GeneratePlan, buffer: GPUBuffer, offset: number, limits: DispatchLimits): KernelCall {
  const dispatches = rangeDispatches(plan, DTYPE_BYTES[plan.dtype], buffer, offset, limits, (slice) => ({
    ...slice.params,
    key: slice.key,
    stream: slice.stream,
  }));
  return { entryPoint: plan.entryPoint, constants: constants(plan.dtype, limits, true), dispatches };
}

/** Executes a JAX plan into bytes from `offset` of `buffer`: its jax* entry point for the key's implementation. */
export function jaxCall(plan: JaxPlan, buffer: GPUBuffer, offset: number, limits: DispatchLimits): KernelCall {
  const dispatches = rangeDispatches(plan, DTYPE_BYTES[plan.dtype], buffer, offset, limits, (slice) => ({ ...slice.params, key: slice.key }));
  return {
    entryPoint: plan.entryPoint,
    constants: { ...constants(plan.dtype, limits, true), JAX_IMPL: plan.impl === 'philox4x32' ? 1 : 0 },
    dispatches,
  };
}

/** `count` copies of f32(value) in the dtype. */
export function fillCall(count: number, value: number, dtype: FloatDType, buffer: GPUBuffer, offset: number, limits: DispatchLimits): KernelCall {
  const dispatches = planDispatches(offset, count, 0n, limits, DTYPE_BYTES[dtype]).map(
    (c): KernelDispatch => ({
      workgroups: c.workgroups,
      bindings: { out: { buffer, offset: c.bindOffset, size: c.bindSize } },
      params: { count: c.count, outIndex: c.outIndex, rowBlocks: c.rowBlocks, blockStride: c.blockStride, mean: value },
    }),
  );
  return { entryPoint: 'fillConstant', constants: constants(dtype, limits, true), dispatches };
}

/** The progression base + t * stride (t < n) of a range of `count` elements set to f32(value). */
export interface Progression {
  readonly base: number;
  readonly stride: number;
  readonly n: number;
}

/**
 * Elements base + t * stride (t < n) of the range set to value. The range is split along the windows a
 * fill of it would use; each window gets its slice of the progression.
 */
export function scatterCall(
  count: number,
  p: Progression,
  value: number,
  dtype: FloatDType,
  buffer: GPUBuffer,
  offset: number,
  limits: DispatchLimits,
): KernelCall {
  const { base, stride, n } = p;
  const step = Math.max(stride, 1);
  const dispatches: KernelDispatch[] = [];
  for (const c of planDispatches(offset, count, 0n, limits, DTYPE_BYTES[dtype])) {
    const chunkStart = Number(c.start);
    const tFirst = Math.max(0, Math.ceil((chunkStart - base) / step));
    const tEnd = Math.min(n, Math.floor((chunkStart + c.count - 1 - base) / step) + 1);
    if (tEnd <= tFirst) continue;
    const groups = Math.ceil((tEnd - tFirst) / limits.workgroupSize);
    const x = Math.min(groups, limits.maxWorkgroupsPerDimension);
    dispatches.push({
      workgroups: [x, Math.ceil(groups / x)],
      bindings: { out: { buffer, offset: c.bindOffset, size: c.bindSize } },
      params: { count: tEnd - tFirst, outIndex: c.outIndex + base + tFirst * stride - chunkStart, stride, rowBlocks: x * limits.workgroupSize, mean: value },
    });
  }
  return { entryPoint: 'scatterConstant', constants: constants(dtype, limits, false), dispatches };
}

/**
 * f32(source[i] * scale) stored in the dtype, for `count` f32 values of `source` from byte `sourceOffset`.
 * The target is planned so that the matching source window (4 bytes per element plus alignment slack)
 * also fits one binding.
 */
export function convertCall(
  count: number,
  source: GPUBuffer,
  sourceOffset: number,
  scale: number,
  dtype: FloatDType,
  buffer: GPUBuffer,
  offset: number,
  limits: DispatchLimits,
): KernelCall {
  const eb = DTYPE_BYTES[dtype];
  const align = limits.bindingAlignment;
  const window = roundDown4(((limits.maxBindingBytes - align) * eb) / 4);
  const windowed = { ...limits, maxBindingBytes: Math.max(2 * align, window) };
  let done = 0;
  const dispatches = planDispatches(offset, count, 0n, windowed, eb).map((c): KernelDispatch => {
    const srcByte = sourceOffset + 4 * done;
    const srcBind = Math.floor(srcByte / align) * align;
    done += c.count;
    return {
      workgroups: c.workgroups,
      bindings: {
        out: { buffer, offset: c.bindOffset, size: c.bindSize },
        source: { buffer: source, offset: srcBind, size: srcByte + 4 * c.count - srcBind },
      },
      params: { count: c.count, outIndex: c.outIndex, rowBlocks: c.rowBlocks, blockStride: c.blockStride, sourceIndex: (srcByte - srcBind) / 4, stddev: scale },
    };
  });
  return { entryPoint: 'convertF32', constants: constants(dtype, windowed, true), dispatches };
}
