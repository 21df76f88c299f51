// The plan of the orthogonal initializer's core (the definition is in src/twin/orthogonal.ts): the request
// validated once into the shape of M, the generation plan of the Gaussian matrix A and the sequence of
// block Gram-Schmidt steps. The GPU recorder (src/gpu/orthogonal.ts), the SIMD path (src/simd/orthogonal.ts)
// and the scalar twin run this plan as it is; none parses the seed or the stream again.
import { InvalidParameterError } from '../errors.js';
import { normal } from './distributions.js';
import { type GeneratePlan, planGenerate } from './plan.js';
import { parseU64, type U64Input } from './u64.js';
import { checkPositiveInteger } from './validate.js';

/** Columns per panel of the block Gram-Schmidt; part of the definition of the result. */
export const PANEL_WIDTH = 64;
/** Largest rows * cols accepted. */
export const MAX_ORTHOGONAL_ELEMENTS = 2 ** 28;
/** Largest min(rows, cols) accepted (the number of Gram-Schmidt columns). */
export const MAX_ORTHOGONAL_RANK = 8192;

export interface OrthogonalOptions {
  seed: U64Input;
  /** Stream of the Gaussian matrix (one per tensor). Default 0. */
  stream?: U64Input;
  rows: number;
  cols: number;
}

/** Validated orthogonal options and the shape of M. */
export interface ResolvedOrthogonal {
  readonly seed: bigint;
  readonly stream: bigint;
  readonly rows: number;
  readonly cols: number;
  /** rows >= cols: M = A; otherwise M = A^T. */
  readonly tall: boolean;
  /** Rows of M (max(rows, cols)). */
  readonly m: number;
  /** Columns of M (min(rows, cols)). */
  readonly n: number;
}

/** The column ranges of one project step: sources [s0, s1) and targets [t0, t1), s1 <= t0. */
export interface Projection {
  readonly s0: number;
  readonly s1: number;
  readonly t0: number;
  readonly t1: number;
}

/** One step of the block Gram-Schmidt: project(s0, s1, t0, t1) or normalizeColumn(column). */
export type GramSchmidtStep = { readonly kind: 'project'; readonly p: Projection } | { readonly kind: 'normalize'; readonly column: number };

/**
 * An orthogonal matrix planned: the resolved shape, the generation of A (elements [0, rows * cols) of
 * normal(0, 1) under the seed and the stream, f32, row-major) and the steps every executor runs, in order.
 */
export interface OrthogonalPlan extends ResolvedOrthogonal {
  /** The Gaussian matrix A. */
  readonly source: GeneratePlan;
  /** The steps of gramSchmidtSteps(n), in order (iterable any number of times; made as they are read). */
  readonly steps: Iterable<GramSchmidtStep>;
}

/** Checks the options; throws InvalidParameterError naming the parameter. */
export function resolveOrthogonal(options: OrthogonalOptions): ResolvedOrthogonal {
  if (options === null || typeof options !== 'object') throw new InvalidParameterError('options', options, 'an object with seed, rows and cols');
  if (options.seed === undefined) {
    throw new InvalidParameterError('seed', undefined, 'an unsigned 64-bit integer (bigint, safe-integer number or decimal string)');
  }
  const seed = parseU64(options.seed, 'seed');
  const stream = parseU64(options.stream ?? 0n, 'stream');
  const { rows, cols } = options;
  checkPositiveInteger('rows', rows);
  checkPositiveInteger('cols', cols);
  if (Math.min(rows, cols) > MAX_ORTHOGONAL_RANK) {
    const name = rows <= cols ? 'rows' : 'cols';
    throw new InvalidParameterError(name, options[name], `min(rows, cols) <= ${MAX_ORTHOGONAL_RANK} (rows ${rows}, cols ${cols})`);
  }
  if (rows * cols > MAX_ORTHOGONAL_ELEMENTS) {
    throw new InvalidParameterError('cols', cols, `rows * cols <= 2^28 = ${MAX_ORTHOGONAL_ELEMENTS} (rows is ${rows})`);
  }
  const tall = rows >= cols;
  return { seed, stream, rows, cols, tall, m: tall ? rows : cols, n: tall ? cols : rows };
}

/** Validates the options once and plans the matrix: its shape, the generation of A and the step sequence. */
export function planOrthogonal(options: OrthogonalOptions): OrthogonalPlan {
  const o = resolveOrthogonal(options);
  const source = planGenerate({ seed: o.seed, stream: o.stream, count: o.rows * o.cols, dist: normal() });
  const n = o.n;
  return Object.freeze({ ...o, source, steps: Object.freeze({ [Symbol.iterator]: () => gramSchmidtSteps(n) }) });
}

/**
 * The steps of the definition in order (BCGS2 over panels of PANEL_WIDTH columns, CGS2 inside a panel)
 * for n columns: the one sequence the CPU twin, the SIMD path and the GPU recorder all run.
 */
export function* gramSchmidtSteps(n: number): Generator<GramSchmidtStep> {
  for (let k = 0; k < n; k += PANEL_WIDTH) {
    const end = Math.min(n, k + PANEL_WIDTH);
    for (let round = 0; round < 2; round++) {
      if (k > 0) yield { kind: 'project', p: { s0: 0, s1: k, t0: k, t1: end } };
      for (let j = k; j < end; j++) {
        if (j > k) {
          const p = { s0: k, s1: j, t0: j, t1: j + 1 };
          yield { kind: 'project', p };
          yield { kind: 'project', p };
        }
        yield { kind: 'normalize', column: j };
      }
    }
  }
}
