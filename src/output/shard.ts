// Tensor-parallel shards: any element range, or a row/column block of a tensor viewed as a matrix
// [shape[0], numel / shape[0]], generated into its own buffer with exactly the bits of that block of the
// full tensor.

import { DTYPE_BYTES } from '../contract/dtypes.js';
import type { U64Input } from '../contract/u64.js';
import { InvalidParameterError } from '../errors.js';
import type { WeightWriter } from '../gpu/batch.js';
import { checkTarget, type GeneratedRange, type TargetOptions } from '../gpu/target.js';
import { sliceInitializePlan } from '../init/plan-initialize.js';
import { planTensor } from '../models/model-plan.js';
import { type Shard, shardLayout } from '../models/shard-layout.js';
import type { ModelTensor } from '../models/spec.js';
import { allocate, convertF32, type GeneratedArray } from '../twin/generate.js';
import { initializePlanned } from '../twin/initialize.js';
import { orthogonalPlanned } from '../twin/orthogonal.js';

export type { Segment, Shard, ShardLayout } from '../models/shard-layout.js';

/**
 * Generates a shard of `tensor` into `buffer` at `offset` (or a new buffer): the bits of that block of
 * the full tensor. All segments go out in one submission, as slices of the tensor's plan written by the context's
 * executor (an orthogonal tensor's matrix is computed once for all of them).
 */
export async function initShard(
  ctx: WeightWriter,
  tensor: ModelTensor,
  shard: Shard,
  options: { seed: U64Input } & TargetOptions,
): Promise<GeneratedRange & { shape: readonly number[] }> {
  if (tensor === null || typeof tensor !== 'object') throw new InvalidParameterError('tensor', tensor, '{ name, shape, dtype, init, layout, stream }');
  if (options === null || typeof options !== 'object') throw new InvalidParameterError('options', options, '{ seed, buffer?, offset? }');
  const plan = planTensor(tensor, options.seed);
  const layout = shardLayout(tensor.shape, shard);
  const eb = DTYPE_BYTES[tensor.dtype];
  // The target is checked before any GPU work (the QR included).
  checkTarget(options, layout.count, tensor.dtype, 'shard', ctx.device.limits.maxBufferSize);
  return ctx.batch(async (b) => {
    // Allocate (or validate) the whole shard's range once; the segments then write into it.
    const whole = await b.fillConstant({ ...options, count: layout.count, dtype: tensor.dtype, value: 0 });
    await b.writePlans(
      layout.segments.map((s) => ({ plan: sliceInitializePlan(plan, s.start, s.count), target: { buffer: whole.buffer, offset: whole.offset + s.at * eb } })),
    );
    return { ...whole, shape: layout.shape };
  });
}

/** CPU twin of initShard. */
export function initShardCpu(tensor: ModelTensor, shard: Shard, options: { seed: U64Input }): GeneratedArray {
  const plan = planTensor(tensor, options.seed);
  const layout = shardLayout(tensor.shape, shard);
  const out = allocate(tensor.dtype, layout.count);
  const r = plan.resolved;
  const q = plan.orthogonal ? orthogonalPlanned(plan.orthogonal) : undefined;
  for (const s of layout.segments) {
    const part =
      q && r.kind === 'orthogonal'
        ? convertF32(q.subarray(s.start, s.start + s.count), r.gain, tensor.dtype)
        : initializePlanned(sliceInitializePlan(plan, s.start, s.count));
    out.set(part as never, s.at);
  }
  return out;
}
