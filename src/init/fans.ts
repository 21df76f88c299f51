import { checkNonNegativeInteger } from '../contract/validate.js';
import { InvalidParameterError } from '../errors.js';

/**
 * How a weight shape is read when computing fans (see docs/initializers.md, "Fans").
 *
 * - `'torch'`: `[out, in, ...kernel]`, PyTorch `torch.nn.init._calculate_fan_in_and_fan_out`
 *   (pytorch/pytorch torch/nn/init.py). Rank < 2 is an error, as in PyTorch.
 * - `'keras'`: `[...kernel, in, out]`, Keras `compute_fans` (keras-team/keras
 *   keras/src/initializers/random_initializers.py): rank 0 → (1, 1), rank 1 → (n, n).
 * - `'tfjs'`: TF.js layers `computeFans` (tensorflow/tfjs tfjs-layers/src/initializers.ts, channelsLast):
 *   ranks 2–5 as `'keras'`; any other rank (0, 1, 6+) → fanIn = fanOut = √(element count).
 * - `FanAxes`: JAX `_compute_fans(shape, in_axis, out_axis, batch_axis)` (jax-ml/jax jax/_src/nn/initializers.py):
 *   the receptive field is the product of the dims that are in none of the three axis sets. Rank < 2 is an error.
 */
export type FanLayout = 'torch' | 'keras' | 'tfjs' | FanAxes;

/** Explicit axes, JAX style. Negative indices count from the end. */
export interface FanAxes {
  readonly inAxis: number | readonly number[];
  readonly outAxis: number | readonly number[];
  /** Axes ignored entirely (neither fan nor receptive field). Default none. */
  readonly batchAxis?: number | readonly number[];
}

export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
  /** Product of the kernel (receptive-field) dims; 1 for a dense weight. NaN-free, may be 0. */
  readonly receptiveField: number;
}

/** Element counts up to 2^53 are exact in a double. */
export const MAX_ELEMENTS = 2 ** 53;

/**
 * Validates a shape: an array of non-negative safe integers whose product is at most 2^53.
 * Zero dims are allowed (a zero-element tensor). Returns a copy.
 */
export function validateShape(shape: unknown, parameter = 'shape'): number[] {
  if (!Array.isArray(shape)) {
    throw new InvalidParameterError(parameter, shape, 'an array of non-negative integers');
  }
  const out: number[] = [];
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = checkNonNegativeInteger(`${parameter}[${i}]`, shape[i]);
    out.push(d);
    count *= d;
  }
  // Once a dim is 0 the product stays 0, so an overflow past 2^53 can only come from non-zero dims.
  if (count > MAX_ELEMENTS) {
    throw new InvalidParameterError(parameter, shape, `at most 2^53 elements in all (got [${out.join(', ')}])`);
  }
  return out;
}

/** Number of elements of a validated shape (1 for rank 0). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function product(shape: readonly number[], from: number, to: number): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i]!;
  return n;
}

/** Validates a layout; throws InvalidParameterError naming `parameter`. */
export function validateLayout(layout: unknown, parameter = 'layout'): FanLayout {
  if (layout === 'torch' || layout === 'keras' || layout === 'tfjs') return layout;
  if (layout !== null && typeof layout === 'object' && !Array.isArray(layout)) {
    const l = layout as Record<string, unknown>;
    for (const key of ['inAxis', 'outAxis'] as const) {
      if (l[key] === undefined) {
        throw new InvalidParameterError(`${parameter}.${key}`, undefined, 'an axis or an array of axes');
      }
    }
    return layout as FanAxes;
  }
  throw new InvalidParameterError(
    parameter,
    layout,
    "'torch' ([out, in, ...kernel]), 'keras' ([...kernel, in, out]), 'tfjs', or { inAxis, outAxis, batchAxis? }",
  );
}

function normalizeAxes(axes: unknown, rank: number, parameter: string, seen: Map<number, string>): number[] {
  if (!Array.isArray(axes) && typeof axes !== 'number') {
    throw new InvalidParameterError(parameter, axes, 'an integer axis or an array of integer axes');
  }
  const list: unknown[] = typeof axes === 'number' ? [axes] : axes;
  const out: number[] = [];
  list.forEach((a, i) => {
    const name = typeof axes === 'number' ? parameter : `${parameter}[${i}]`;
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank || a >= rank) {
      throw new InvalidParameterError(name, a, `an integer axis in [${-rank}, ${rank - 1}] for a rank-${rank} shape`);
    }
    const n = a < 0 ? a + rank : a;
    const prev = seen.get(n);
    if (prev !== undefined) {
      throw new InvalidParameterError(name, a, `an axis not already used by ${prev} (axis ${n})`);
    }
    seen.set(n, name);
    out.push(n);
  });
  return out;
}

/**
 * Fan-in and fan-out of a weight shape read with `layout`. Validates the shape (every dim a non-negative
 * safe integer, at most 2^53 elements) and the layout; throws InvalidParameterError naming the parameter.
 * Zero dims are accepted and can give zero fans (only for zero-element shapes).
 */
export function computeFans(shape: readonly number[], layout: FanLayout, parameter = 'shape', layoutParameter = 'layout'): Fans {
  const s = validateShape(shape, parameter);
  const l = validateLayout(layout, layoutParameter);
  const rank = s.length;
  if (l === 'torch') {
    if (rank < 2) {
      throw new InvalidParameterError(
        parameter,
        shape,
        `at least 2 dims for the 'torch' layout [out, in, ...kernel] (got rank ${rank}; PyTorch cannot compute fans of it either)`,
      );
    }
    const receptiveField = product(s, 2, rank);
    return { fanIn: s[1]! * receptiveField, fanOut: s[0]! * receptiveField, receptiveField };
  }
  if (l === 'keras' || l === 'tfjs') {
    if (l === 'tfjs' && (rank < 2 || rank > 5)) {
      const f = Math.sqrt(numel(s));
      return { fanIn: f, fanOut: f, receptiveField: 1 };
    }
    if (rank === 0) return { fanIn: 1, fanOut: 1, receptiveField: 1 };
    if (rank === 1) return { fanIn: s[0]!, fanOut: s[0]!, receptiveField: 1 };
    const receptiveField = product(s, 0, rank - 2);
    return { fanIn: s[rank - 2]! * receptiveField, fanOut: s[rank - 1]! * receptiveField, receptiveField };
  }
  if (rank < 2) {
    throw new InvalidParameterError(parameter, shape, `at least 2 dims for explicit fan axes (got rank ${rank}; JAX requires the same)`);
  }
  const seen = new Map<number, string>();
  const inAxes = normalizeAxes(l.inAxis, rank, `${layoutParameter}.inAxis`, seen);
  const outAxes = normalizeAxes(l.outAxis, rank, `${layoutParameter}.outAxis`, seen);
  normalizeAxes(l.batchAxis ?? [], rank, `${layoutParameter}.batchAxis`, seen);
  let receptiveField = 1;
  for (let i = 0; i < rank; i++) if (!seen.has(i)) receptiveField *= s[i]!;
  const inSize = inAxes.reduce((n, a) => n * s[a]!, 1);
  const outSize = outAxes.reduce((n, a) => n * s[a]!, 1);
  return { fanIn: inSize * receptiveField, fanOut: outSize * receptiveField, receptiveField };
}
