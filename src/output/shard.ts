// Tensor-parallel shards: any element range, or a row/column block of a tensor viewed as a matrix
// [shape[0], numel / shape[0]], generated into its own buffer with exactly the bits of that block of the
// full tensor.
import { InvalidParameterError } from '../errors.js';
import type { WeightWriter } from '../gpu/batch.js';
import { checkTarget, type GeneratedRange, type TargetOptions } from '../gpu/target.js';
import { writeInitializePlan } from '../gpu/initialize.js';
import { computeOrthogonal } from '../gpu/orthogonal.js';
import { initializePlanned } from '../twin/initialize.js';
import { sliceInitializePlan } from '../init/plan-initialize.js';
import { orthogonalF32 } from '../twin/orthogonal.js';
import { DTYPE_BYTES } from '../contract/dtypes.js';
import { allocate, convertF32, type GeneratedArray } from '../twin/generate.js';
import type { U64Input } from '../contract/u64.js';
import type { ModelTensor } from '../models/spec.js';
import { planTensor } from '../models/model-plan.js';
import { shardLayout, type Shard } from '../models/shard-layout.js';

export type { Segment, Shard, ShardLayout } from '../models/shard-layout.js';

/**
 * Generates a shard of `tensor` into `buffer` at `offset` (or a new buffer): the bits of that block of
 * the full tensor. All segments go out in one submission (orthogonal computes its Q once).
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
  const r = plan.resolved;
  // The target is checked before any GPU work (the QR included).
  checkTarget(options, layout.count, tensor.dtype, 'shard', ctx.device.limits.maxBufferSize);
  // Q once for every segment of an orthogonal tensor.
  const q = r.kind === 'orthogonal' ? await computeOrthogonal(ctx, { seed: plan.seed, stream: plan.stream, rows: r.rows, cols: r.cols }) : undefined;
  try {
    return await ctx.batch(async (b) => {
      // Allocate (or validate) the whole shard's range once; the segments then write into it.
      const whole = await b.fillConstant({ ...options, count: layout.count, dtype: tensor.dtype, value: 0 });
      const base = { buffer: whole.buffer, dtype: tensor.dtype };
      for (const s of layout.segments) {
        const offset = whole.offset + s.at * eb;
        if (q && r.kind === 'orthogonal') {
          await b.convertF32({ ...base, offset, source: q, sourceOffset: 4 * s.start, count: s.count, scale: r.gain });
        } else {
          await writeInitializePlan(b, sliceInitializePlan(plan, s.start, s.count), { buffer: whole.buffer, offset });
        }
      }
      // The copies must reach the queue while q still exists.
      if (q) await b.flush();
      return { ...whole, shape: layout.shape };
    });
  } finally {
    q?.destroy();
  }
}

/** CPU twin of initShard. */
export function initShardCpu(tensor: ModelTensor, shard: Shard, options: { seed: U64Input }): GeneratedArray {
  const plan = planTensor(tensor, options.seed);
  const layout = shardLayout(tensor.shape, shard);
  const out = allocate(tensor.dtype, layout.count);
  const r = plan.resolved;
  const q = r.kind === 'orthogonal' ? orthogonalF32({ seed: plan.seed, stream: plan.stream, rows: r.rows, cols: r.cols }) : undefined;
  for (const s of layout.segments) {
    const part =
      q && r.kind === 'orthogonal'
        ? convertF32(q.subarray(s.start, s.start + s.count), r.gain, tensor.dtype)
        : initializePlanned(sliceInitializePlan(plan, s.start, s.count));
    out.set(part as never, s.at);
  }
  return out;
}
