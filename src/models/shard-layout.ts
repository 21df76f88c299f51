// Tensor-parallel shards described: a flat element range, or a row/column block of a tensor viewed as a matrix
// [shape[0], numel / shape[0]], as the contiguous segments of the full tensor it holds. No GPU.
import { InvalidParameterError } from '../errors.js';

/** A flat element range, or half-open row and column intervals of the matrix view. */
export type Shard = { start: number; count: number } | { rows?: readonly [number, number]; cols?: readonly [number, number] };

/** A contiguous piece of the tensor: elements [start, start + count) go to element `at` of the shard. */
export interface Segment {
  readonly start: number;
  readonly count: number;
  readonly at: number;
}

export interface ShardLayout {
  readonly segments: readonly Segment[];
  /** Elements in the shard. */
  readonly count: number;
  /** The shard's own shape: [rows, cols] for a block, [count] for a flat range. */
  readonly shape: readonly number[];
}

function interval(name: string, v: readonly [number, number] | undefined, size: number): [number, number] {
  if (v === undefined) return [0, size];
  const [a, b] = v;
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b > size || a >= b) {
    throw new InvalidParameterError(name, v, `[begin, end) with 0 <= begin < end <= ${size}`);
  }
  return [a, b];
}

export function shardLayout(shape: readonly number[], shard: Shard): ShardLayout {
  if (shard === null || typeof shard !== 'object') throw new InvalidParameterError('shard', shard, '{ start, count } or { rows?, cols? }');
  const numel = shape.reduce((a, b) => a * b, 1);
  if ('start' in shard || 'count' in shard) {
    const { start, count } = shard as { start: number; count: number };
    if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(count) || count < 0 || start + count > numel) {
      throw new InvalidParameterError('shard', shard, `start and count with start + count <= ${numel}`);
    }
    return { segments: count > 0 ? [{ start, count, at: 0 }] : [], count, shape: [count] };
  }
  if (shape.length < 2) throw new InvalidParameterError('shape', shape, 'at least 2 dims for a row/column shard');
  const rows = shape[0]!;
  // The product of the other dims (not numel / rows, which is NaN for a tensor with 0 rows).
  const cols = shape.slice(1).reduce((a, b) => a * b, 1);
  const [r0, r1] = interval('shard.rows', shard.rows, rows);
  const [c0, c1] = interval('shard.cols', shard.cols, cols);
  const width = c1 - c0;
  const segments: Segment[] =
    width === cols
      ? [{ start: r0 * cols, count: (r1 - r0) * cols, at: 0 }]
      : Array.from({ length: r1 - r0 }, (_, k) => ({ start: (r0 + k) * cols + c0, count: width, at: k * width }));
  return { segments, count: (r1 - r0) * width, shape: [r1 - r0, width] };
}
