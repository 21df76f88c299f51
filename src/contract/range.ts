import { InvalidParameterError } from '../errors.js';
import { parseU64, splitU64, U64_MAX, type U64Input } from './u64.js';
import { checkIntegerIn } from './validate.js';

/** Which elements of which conceptual tensor: the part of the stream contract shared by CPU and GPU. */
export interface StreamRange {
  /** Unsigned 64-bit seed: the Philox key. */
  seed: U64Input;
  /** Unsigned 64-bit stream (TensorFlow's seed2): counter words 2 and 3. Default 0. */
  stream?: U64Input;
  /** Index of the first element to generate (64-bit). Default 0. */
  start?: U64Input;
  /** Number of elements. */
  count: number;
}

export interface ResolvedRange {
  readonly key: readonly [number, number];
  readonly stream: readonly [number, number];
  readonly start: bigint;
  readonly count: number;
}

/** Largest element count accepted in one call (a typed array or a buffer binding could not hold more). */
export const MAX_COUNT = 2 ** 53 - 1;

export function resolveRange(range: StreamRange): ResolvedRange {
  if (range === null || typeof range !== 'object') {
    throw new InvalidParameterError('options', range, 'an object with seed and count');
  }
  if (range.seed === undefined) {
    throw new InvalidParameterError('seed', undefined, 'an unsigned 64-bit integer (bigint, safe-integer number or decimal string)');
  }
  const seed = parseU64(range.seed, 'seed');
  const stream = parseU64(range.stream ?? 0n, 'stream');
  const start = parseU64(range.start ?? 0n, 'start');
  const count = checkIntegerIn('count', range.count, 0, MAX_COUNT);
  if (start + BigInt(count) > U64_MAX + 1n) {
    throw new InvalidParameterError('count', count, `start + count at most 2^64 (start is ${start})`);
  }
  return { key: splitU64(seed), stream: splitU64(stream), start, count };
}
