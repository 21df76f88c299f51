// The plan of a model initialization, made before any buffer exists: every tensor's initializer resolved
// once, the buffers initModel would create, and whether they fit the adapter's limits and the memory the
// caller says is available. `init --dry-run` prints it; initModel refuses a plan that does not fit.

import { DTYPE_BYTES, type FloatDType } from '../contract/dtypes.js';
import { parseU64, type U64Input } from '../contract/u64.js';
import { InvalidParameterError, OutOfMemoryError, UnsupportedError } from '../errors.js';
import { type InitializePlan, planInitialize } from '../init/plan-initialize.js';
import type { ResolvedInitializer } from '../init/resolve-initializer.js';
import { checkTensorName, type ModelTensor } from './spec.js';

/** A model tensor's initialize plan (the whole tensor) for a seed; `stream` defaults to the tensor's own. */
export function planTensor(t: ModelTensor, seed: U64Input, stream: U64Input = t.stream): InitializePlan {
  return planInitialize({ init: t.init, shape: t.shape, layout: t.layout, seed, stream, dtype: t.dtype });
}

/** The adapter limits a plan is checked against (a GPUSupportedLimits, an AdapterSummary's limits). */
export interface PlanLimits {
  readonly maxBufferSize: number;
  readonly minStorageBufferOffsetAlignment: number;
}

export interface ModelPlanOptions {
  /** The seed the tensors' initialize plans carry (default 0); the layout and the sizes do not depend on it. */
  readonly seed?: U64Input;
  /** 'tensor' (default): one buffer per tensor; 'arena': one buffer, each tensor at an aligned offset. */
  readonly placement?: 'tensor' | 'arena';
  /** Arena offset alignment in bytes (default: limits.minStorageBufferOffsetAlignment). */
  readonly alignment?: number;
  /** The adapter's limits (adapter.limits: no device is needed); without them `fitsAdapter` is null. */
  readonly limits?: PlanLimits;
  /**
   * Bytes of memory the buffers may take. On a software adapter (SwiftShader, llvmpipe) GPU buffers are
   * host memory, so the Node CLI passes the machine's available memory; WebGPU does not expose a real
   * GPU's memory, so leave it out there. Without it `fitsMemory` is null.
   */
  readonly memoryBytes?: number;
}

export interface PlannedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
  readonly numel: number;
  readonly byteLength: number;
  /** Byte offset in the arena (placement 'arena'), else 0 (its own buffer). */
  readonly offset: number;
  readonly resolved: ResolvedInitializer;
  /** What initModel executes for this tensor (writeInitializePlan). */
  readonly plan: InitializePlan;
}

export interface ModelPlan {
  readonly placement: 'tensor' | 'arena';
  readonly tensors: readonly PlannedTensor[];
  readonly parameters: number;
  /** Bytes of tensor data, without arena padding. */
  readonly bytes: number;
  /** Parameters and bytes of each dtype that occurs. */
  readonly byDtype: Readonly<Partial<Record<FloatDType, { readonly tensors: number; readonly parameters: number; readonly bytes: number }>>>;
  /** The buffers initModel creates: how many, their total and largest size (4-byte rounded, arena padded). */
  readonly buffers: { readonly count: number; readonly bytes: number; readonly largest: number };
  /** Scratch of the largest orthogonal tensor (its f32 Gaussian matrix and a QR work copy), 0 if none. */
  readonly scratchBytes: number;
  /** buffers.bytes + scratchBytes: the peak device memory of initModel. */
  readonly peakBytes: number;
  readonly limits: PlanLimits | null;
  readonly memoryBytes: number | null;
  /** null when no limits were given. */
  readonly fitsAdapter: boolean | null;
  /** null when no memoryBytes was given. */
  readonly fitsMemory: boolean | null;
  /** Why it does not fit, one sentence each; empty when it fits (as far as it was checked). */
  readonly problems: readonly string[];
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function bytesText(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * resolveModel's stream rule: every tensor has a stream (an unsigned 64-bit integer) that no other tensor uses, since
 * two tensors on one stream would get the same random bits.
 */
function checkStream(value: unknown, i: number, streams: Map<bigint, number>): bigint {
  if (value === undefined) {
    throw new InvalidParameterError(`tensors[${i}].stream`, undefined, 'an unsigned 64-bit stream per tensor (resolveModel gives each tensor fnv1a64(name))');
  }
  const stream = parseU64(value as U64Input, `tensors[${i}].stream`);
  const other = streams.get(stream);
  if (other !== undefined) {
    throw new InvalidParameterError(
      `tensors[${i}].stream`,
      stream,
      `a stream no other tensor uses (tensors[${other}] has ${stream}; the same stream would give both the same random bits)`,
    );
  }
  streams.set(stream, i);
  return stream;
}

/**
 * Plans initModel(ctx, tensors, { seed, placement, alignment }) without a device: validates every tensor
 * (unique names and streams, initializer against shape), plans its initialization once and lays out the buffers.
 */
export function planModel(tensors: readonly ModelTensor[], options: ModelPlanOptions = {}): ModelPlan {
  const placement = options.placement ?? 'tensor';
  if (placement !== 'tensor' && placement !== 'arena') throw new InvalidParameterError('placement', placement, "'tensor' or 'arena'");
  const limits = options.limits ?? null;
  const minAlign = limits?.minStorageBufferOffsetAlignment ?? 256;
  const alignment = options.alignment ?? minAlign;
  if (!Number.isSafeInteger(alignment) || alignment < minAlign || alignment % minAlign !== 0) {
    throw new InvalidParameterError('alignment', alignment, `a multiple of ${minAlign} (minStorageBufferOffsetAlignment)`);
  }
  const memoryBytes = options.memoryBytes ?? null;
  if (memoryBytes !== null && !(Number.isFinite(memoryBytes) && memoryBytes >= 0)) {
    throw new InvalidParameterError('memoryBytes', memoryBytes, 'a non-negative number of bytes');
  }
  if (!Array.isArray(tensors)) throw new InvalidParameterError('tensors', tensors, 'an array of tensors (resolveModel gives one)');
  const names = new Set<string>();
  const streams = new Map<bigint, number>();
  const planned: PlannedTensor[] = [];
  const byDtype: Partial<Record<FloatDType, { tensors: number; parameters: number; bytes: number }>> = {};
  let arenaBytes = 0;
  let largest = 0;
  let tensorBuffers = 0;
  let scratchBytes = 0;
  let largestName = '';
  tensors.forEach((t: ModelTensor | null, i) => {
    if (t === null || typeof t !== 'object') throw new InvalidParameterError(`tensors[${i}]`, t, '{ name, shape, dtype, init, layout, stream }');
    checkTensorName(t.name, `tensors[${i}].name`);
    if (names.has(t.name)) throw new InvalidParameterError(`tensors[${i}].name`, t.name, 'a name not used by another tensor');
    names.add(t.name);
    const stream = checkStream(t.stream, i, streams);
    const plan = planTensor(t, options.seed ?? 0, stream);
    const byteLength = plan.count * DTYPE_BYTES[t.dtype];
    const offset = placement === 'arena' ? arenaBytes : 0;
    if (placement === 'arena') arenaBytes = alignUp(arenaBytes + Math.max(byteLength, 4), alignment);
    const size = alignUp(Math.max(4, byteLength), 4);
    tensorBuffers += size;
    if (size > largest) {
      largest = size;
      largestName = t.name;
    }
    if (plan.resolved.kind === 'orthogonal') scratchBytes = Math.max(scratchBytes, 2 * 4 * plan.resolved.rows * plan.resolved.cols);
    byDtype[t.dtype] ??= { tensors: 0, parameters: 0, bytes: 0 };
    const d = byDtype[t.dtype]!;
    d.tensors++;
    d.parameters += plan.count;
    d.bytes += byteLength;
    planned.push({ name: t.name, shape: t.shape, dtype: t.dtype, numel: plan.count, byteLength, offset, resolved: plan.resolved, plan });
  });
  const buffers =
    placement === 'arena'
      ? { count: 1, bytes: Math.max(4, arenaBytes), largest: Math.max(4, arenaBytes) }
      : { count: planned.length, bytes: tensorBuffers, largest };
  const peakBytes = buffers.bytes + scratchBytes;
  const problems: string[] = [];
  if (limits) {
    if (buffers.largest > limits.maxBufferSize) {
      problems.push(
        placement === 'arena'
          ? `the arena needs ${buffers.largest} bytes (${bytesText(buffers.largest)}); the adapter's maxBufferSize is ${limits.maxBufferSize}: use placement 'tensor'`
          : `tensor '${largestName}' needs ${buffers.largest} bytes (${bytesText(buffers.largest)}); the adapter's maxBufferSize is ${limits.maxBufferSize}`,
      );
    }
  }
  const fitsMemory = memoryBytes === null ? null : peakBytes <= memoryBytes;
  if (fitsMemory === false) {
    problems.push(`the buffers need ${bytesText(peakBytes)}; ${bytesText(memoryBytes!)} of memory is available`);
  }
  const parameters = planned.reduce((n, t) => n + t.numel, 0);
  const bytes = planned.reduce((n, t) => n + t.byteLength, 0);
  return {
    placement,
    tensors: planned,
    parameters,
    bytes,
    byDtype,
    buffers,
    scratchBytes,
    peakBytes,
    limits,
    memoryBytes,
    fitsAdapter: limits ? buffers.largest <= limits.maxBufferSize : null,
    fitsMemory,
    problems,
  };
}

/** Throws, before anything is allocated, when the plan exceeds the adapter's limits or the memory given. */
export function assertPlanFits(plan: ModelPlan): void {
  if (plan.fitsAdapter === false) throw new UnsupportedError(plan.problems[0]!);
  if (plan.fitsMemory === false) throw new OutOfMemoryError(plan.problems[plan.problems.length - 1]!);
}
