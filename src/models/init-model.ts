// Initialize a whole model on the GPU: every tensor of a resolved model spec into its own buffer or into
// one arena, in a few batched submissions, with progress and cancellation. No host copy of any weight.
import { AbortedError, InvalidParameterError, UnsupportedError } from '../errors.js';
import type { FloatDType, TargetOptions, WeightInitContext } from '../gpu/context.js';
import { checkTarget, createTargetBuffer } from '../gpu/target.js';
import { BufferUsage } from '../gpu/flags.js';
import { writeInitializePlan, type InitializedRange } from '../gpu/initialize.js';
import type { FanLayout } from '../init/fans.js';
import type { InitializerSpec, ResolvedInitializer } from '../init/resolve-initializer.js';
import { planInitialize } from '../init/plan-initialize.js';
import { DTYPE_BYTES } from '../contract/distributions.js';
import type { U64Input } from '../contract/u64.js';

/** One tensor to initialize (a ResolvedTensor of src/models/spec.ts has these fields). */
export interface ModelTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
  readonly init: InitializerSpec;
  readonly layout: FanLayout;
  /** Its stream (by default the FNV-1a 64 hash of the name). */
  readonly stream: bigint;
}

export interface ModelProgress {
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** The last tensor submitted. */
  readonly name: string;
}

export interface InitModelOptions {
  seed: U64Input;
  /** 'tensor' (default): one buffer per tensor; 'arena': one buffer, each tensor at an aligned offset. */
  placement?: 'tensor' | 'arena';
  /** Arena offset alignment in bytes (default: the device's minStorageBufferOffsetAlignment, 256). */
  alignment?: number;
  /** Extra usage flags for the created buffers (STORAGE | COPY_SRC | COPY_DST always). */
  usage?: number;
  /** Called after each submission has finished on the GPU. */
  onProgress?: (progress: ModelProgress) => void;
  /** Aborting stops before the next tensor; everything created is destroyed and the call rejects. */
  signal?: AbortSignal;
  /** Bytes of tensors per submission (default 64 MiB); a tensor is never split. */
  batchBytes?: number;
}

export interface InitializedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
  readonly stream: bigint;
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly byteLength: number;
  readonly resolved: ResolvedInitializer;
}

export interface InitializedModel {
  readonly tensors: readonly InitializedTensor[];
  /** The arena buffer when placement is 'arena'. */
  readonly arena: GPUBuffer | undefined;
  /** Bytes of tensor data (without arena padding). */
  readonly byteLength: number;
  get(name: string): InitializedTensor | undefined;
  /** Destroys every buffer the model owns. */
  destroy(): void;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * Initializes `tensors` on the GPU. Tensors are grouped into submissions of about `batchBytes`; an
 * orthogonal tensor (which needs its own QR submissions) closes a group. The returned buffers belong to
 * the caller (`model.destroy()`).
 */
export async function initModel(ctx: WeightInitContext, tensors: readonly ModelTensor[], options: InitModelOptions): Promise<InitializedModel> {
  const placement = options.placement ?? 'tensor';
  if (placement !== 'tensor' && placement !== 'arena') throw new InvalidParameterError('placement', placement, "'tensor' or 'arena'");
  const minAlign = ctx.device.limits.minStorageBufferOffsetAlignment;
  const alignment = options.alignment ?? minAlign;
  if (!Number.isSafeInteger(alignment) || alignment < minAlign || alignment % minAlign !== 0) {
    throw new InvalidParameterError('alignment', alignment, `a multiple of ${minAlign} (minStorageBufferOffsetAlignment)`);
  }
  const batchBytes = options.batchBytes ?? 64 << 20;
  if (!Number.isSafeInteger(batchBytes) || batchBytes < 1) throw new InvalidParameterError('batchBytes', batchBytes, 'a positive integer');
  const usage = options.usage ?? 0;
  // The usage flags, checked before any GPU work (the same check as every created buffer's).
  checkTarget({ usage }, 0, 'u32', 'tensor', ctx.device.limits.maxBufferSize);
  const names = new Set<string>();
  // Validate everything before touching the GPU.
  const plans = tensors.map((t, i) => {
    if (names.has(t.name)) throw new InvalidParameterError(`tensors[${i}].name`, t.name, 'a name not used by another tensor');
    names.add(t.name);
    const plan = planInitialize({ init: t.init, shape: t.shape, layout: t.layout, seed: options.seed, stream: t.stream, dtype: t.dtype });
    return { tensor: t, plan, byteLength: plan.count * DTYPE_BYTES[t.dtype] };
  });
  const bytesTotal = plans.reduce((n, p) => n + p.byteLength, 0);
  const offsets: number[] = [];
  let arenaSize = 0;
  if (placement === 'arena') {
    for (const p of plans) {
      offsets.push(arenaSize);
      arenaSize = alignUp(arenaSize + Math.max(p.byteLength, 4), alignment);
    }
    if (arenaSize > ctx.device.limits.maxBufferSize) {
      throw new UnsupportedError(`the arena needs ${arenaSize} bytes; this device's maxBufferSize is ${ctx.device.limits.maxBufferSize}: use placement 'tensor'`);
    }
  }
  const signal = options.signal;
  const abortIfNeeded = () => {
    if (signal?.aborted) throw new AbortedError(signal.reason);
  };
  abortIfNeeded();

  const created: GPUBuffer[] = [];
  const results: InitializedTensor[] = [];
  let arena: GPUBuffer | undefined;
  try {
    if (placement === 'arena') {
      arena = await createTargetBuffer(ctx.handle, checkTarget({ usage, label: 'webgpu-weight-init: model arena' }, arenaSize / 4, 'u32', 'arena', ctx.device.limits.maxBufferSize));
      created.push(arena);
    }
    let tensorsDone = 0;
    let bytesDone = 0;
    let i = 0;
    while (i < plans.length) {
      // One submission: tensors up to batchBytes; an orthogonal tensor runs on its own.
      let groupBytes = 0;
      const group: number[] = [];
      await ctx.batch(async (b) => {
        while (i < plans.length) {
          const p = plans[i]!;
          const orthogonal = p.plan.resolved.kind === 'orthogonal';
          if (group.length > 0 && (orthogonal || groupBytes + p.byteLength > batchBytes)) break;
          abortIfNeeded();
          const target: TargetOptions = arena
            ? { buffer: arena, offset: offsets[i]! }
            : { label: `webgpu-weight-init: ${p.tensor.name}`, usage };
          const r: InitializedRange = await writeInitializePlan(b, p.plan, target);
          if (!arena) created.push(r.buffer);
          results.push({
            name: p.tensor.name,
            shape: p.tensor.shape,
            dtype: p.tensor.dtype,
            stream: p.tensor.stream,
            buffer: r.buffer,
            offset: r.offset,
            byteLength: r.byteLength,
            resolved: r.resolved,
          });
          group.push(i);
          groupBytes += p.byteLength;
          i++;
          if (orthogonal) break;
        }
      });
      // Progress counts finished work: wait for the GPU before reporting (and before the next check of
      // the signal, so an abort also stops the GPU within one batch).
      await ctx.device.queue.onSubmittedWorkDone();
      tensorsDone += group.length;
      bytesDone += groupBytes;
      options.onProgress?.({ tensorsDone, tensorsTotal: plans.length, bytesDone, bytesTotal, name: plans[i - 1]!.tensor.name });
    }
  } catch (e) {
    for (const b of created) b.destroy();
    throw e;
  }
  const byName = new Map(results.map((t) => [t.name, t]));
  return {
    tensors: results,
    arena,
    byteLength: bytesTotal,
    get: (name) => byName.get(name),
    destroy: () => {
      for (const b of created) b.destroy();
    },
  };
}
