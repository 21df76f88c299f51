// Initialize a whole model on the GPU: every tensor of a resolved model spec into its own buffer or into
// one arena, in a few batched submissions, with progress and cancellation. No host copy of any weight.
import { AbortedError, InvalidParameterError } from '../errors.js';
import type { FloatDType, TargetOptions, WeightInitContext } from '../gpu/context.js';
import { checkTarget, type InitializedRange } from '../gpu/target.js';
import type { ResolvedInitializer } from '../init/resolve-initializer.js';
import { assertPlanFits, planModel } from '../models/model-plan.js';
import type { ModelTensor } from '../models/spec.js';

export type { ModelTensor } from '../models/spec.js';

import type { U64Input } from '../contract/u64.js';
import { checkPositiveInteger } from '../contract/validate.js';

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
  /** Memory the buffers may take (see ModelPlanOptions.memoryBytes); more rejects before allocating. */
  memoryBytes?: number;
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

/**
 * Initializes `tensors` on the GPU. Tensors are grouped into submissions of about `batchBytes`; an
 * orthogonal tensor (which needs its own QR submissions) closes a group. The returned buffers belong to
 * the caller (`model.destroy()`).
 */
export async function initModel(ctx: WeightInitContext, tensors: readonly ModelTensor[], options: InitModelOptions): Promise<InitializedModel> {
  if (options === null || typeof options !== 'object') throw new InvalidParameterError('options', options, '{ seed, placement?, ... }');
  const placement = options.placement ?? 'tensor';
  const batchBytes = options.batchBytes ?? 64 << 20;
  checkPositiveInteger('batchBytes', batchBytes);
  const usage = options.usage ?? 0;
  // The usage flags, checked before any GPU work (the same check as every created buffer's).
  checkTarget({ usage }, 0, 'u32', 'tensor', ctx.device.limits.maxBufferSize);
  // Validate, plan and lay out everything before touching the GPU; a model that does not fit stops here.
  const modelPlan = planModel(tensors, {
    seed: options.seed,
    placement,
    ...(options.alignment !== undefined ? { alignment: options.alignment } : {}),
    ...(options.memoryBytes !== undefined ? { memoryBytes: options.memoryBytes } : {}),
    limits: ctx.device.limits,
  });
  assertPlanFits(modelPlan);
  const plans = modelPlan.tensors.map((p, i) => ({ tensor: tensors[i]!, plan: p.plan, offset: p.offset, byteLength: p.byteLength }));
  const bytesTotal = modelPlan.bytes;
  const arenaSize = modelPlan.buffers.bytes;
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
      const target = checkTarget({ usage, label: 'webgpu-weight-init: model arena' }, arenaSize / 4, 'u32', 'arena', ctx.device.limits.maxBufferSize);
      arena = await ctx.batch((b) => b.createBuffer(target));
      created.push(arena);
    }
    let tensorsDone = 0;
    let bytesDone = 0;
    let i = 0;
    while (i < plans.length) {
      // One submission: tensors up to batchBytes; an orthogonal tensor runs on its own.
      let groupBytes = 0;
      const group: { readonly p: (typeof plans)[number]; readonly target: TargetOptions }[] = [];
      while (i < plans.length) {
        const p = plans[i]!;
        const orthogonal = p.plan.resolved.kind === 'orthogonal';
        if (group.length > 0 && (orthogonal || groupBytes + p.byteLength > batchBytes)) break;
        group.push({ p, target: arena ? { buffer: arena, offset: p.offset } : { label: `webgpu-weight-init: ${p.tensor.name}`, usage } });
        groupBytes += p.byteLength;
        i++;
        if (orthogonal) break;
      }
      await ctx.batch(async (b) => {
        // The executor may start on the group's tensors early (the upload path generates the next ones while it
        // creates buffers); each is still written by its own call, after a look at the signal.
        abortIfNeeded();
        await b.prepare(group.map(({ p, target }) => ({ plan: p.plan, target })));
        for (const { p, target } of group) {
          abortIfNeeded();
          const r: InitializedRange = await b.initializePlanned(p.plan, target, signal ? { signal } : {});
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
