// CPU twin of shaders/orthogonal.wgsl (same function names, same bits): the core of the orthogonal
// initializer.
//
// Definition (part of the stream contract, docs/rng.md): for seed, stream (u64) and rows, cols (positive
// integers, rows * cols <= 2^28, min(rows, cols) <= 8192), the result Q is the rows x cols row-major f32
// matrix computed as follows.
//
// 1. A = rows x cols, row-major: element (i, j) is element i * cols + j of normal(0, 1) with that seed and
//    stream (the f32 values `generate` returns; docs/rng.md).
// 2. M = A (m = rows, n = cols) when rows >= cols, else M = A^T (m = cols, n = rows); so m >= n.
// 3. Q_M (m x n) is the Q factor of the thin QR decomposition of M with R's diagonal positive (PyTorch's
//    orthogonal_ convention q *= sign(diag(r))), computed column by column (j = 0, 1, ..., n - 1) by
//    classical Gram-Schmidt with one re-orthogonalization pass. With v = column j of M and q_k the
//    finished columns (k < j):
//      twice: r_k = columnDot(q_k, v) for every k < j; then v_i = v_i - columnProjection_i (every row i),
//             where columnProjection_i = r_0 q_0[i] + r_1 q_1[i] + ... + r_{j-1} q_{j-1}[i];
//      then:  q_j = v * inverseNorm(columnDot(v, v)), inverseNorm(s) = reciprocalF32(sqrtF32(max(s, 2^-100))).
// 4. Q = Q_M when rows >= cols, else Q = Q_M^T.
//
// Arithmetic: f32, each +, -, * correctly rounded (Math.fround here, fenceF32 in WGSL); square root and
// reciprocal are sqrtF32 and reciprocalF32 of transforms (no platform sqrt or division). Summation orders:
// - columnDot(x, y), length m: REDUCTION_WIDTH = 256 partial sums; partial t is
//   ((x_t y_t + x_{t+256} y_{t+256}) + x_{t+512} y_{t+512}) + ... over the rows t + 256 c < m (0 when
//   t >= m); then the tree p[t] = p[t] + p[t + s] for s = 128, 64, ..., 1 and t < s; the result is p[0].
// - columnProjection_i: ascending k, starting from the product for k = 0; v_i - (that sum) rounds once.
// - inverseNorm and the scaling q_j[i] = v_i * inverseNorm(...) round once each.
// Because every column starts from Gaussian values, ||v||^2 is positive and far above 2^-100 in practice;
// the clamp only keeps the arithmetic defined (a residual below it is scaled by 2^50, not normalized,
// and a zero column stays zero, like PyTorch's sign(0) = 0). f32 subnormals do not occur in practice
// (a GPU may flush them; the bits would then differ).
//
// Why CGS2: all its work is dot products and matrix-vector updates, which run as wide parallel
// reductions on the GPU with a fixed order; "twice is enough" (Giraud, Langou, Rozloznik 2005) keeps
// max |Q^T Q - I| at a few f32 ulps times log factors (measured: test/twin/orthogonal.test.ts).
import { InvalidParameterError } from '../errors.js';
import { checkPositiveInteger } from '../contract/validate.js';
import { normal } from '../contract/distributions.js';
import { generate } from './generate.js';
import { parseU64, type U64Input } from '../contract/u64.js';
import { reciprocalF32, sqrtF32 } from './transforms.js';

const f = Math.fround;

/** Threads of one reduction in shaders/orthogonal.wgsl; part of the definition of the result. */
export const REDUCTION_WIDTH = 256;
/** sqrtF32's lower domain bound, 2^-100. */
export const MIN_NORM_SQUARED = 2 ** -100;
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

/** Twin of accumulateProduct: acc + x * y, each operation rounded to f32. */
export function accumulateProduct(acc: number, x: number, y: number): number {
  return f(acc + f(x * y));
}

/**
 * Twin of columnDotPartial: thread t's share of the dot product of columns a and b of the column-major
 * m-row matrix `work` (rows t, t + 256, ... in ascending order; 0 when t >= m).
 */
export function columnDotPartial(work: Float32Array, m: number, a: number, b: number, t: number): number {
  if (t >= m) return 0;
  const xa = a * m;
  const xb = b * m;
  let acc = f(work[xa + t]! * work[xb + t]!);
  for (let i = t + REDUCTION_WIDTH; i < m; i += REDUCTION_WIDTH) acc = accumulateProduct(acc, work[xa + i]!, work[xb + i]!);
  return acc;
}

/** Threads per workgroup of shaders/orthogonal.wgsl; thread u computes the partials u + 64c, c < 4. */
export const WORKGROUP_SIZE = 64;
/** Previous columns per columnDots workgroup in shaders/orthogonal.wgsl. */
export const DOT_TILE = 8;

/**
 * Twin of threadPartial: thread u's (< 64) value after the tree levels s = 128 and s = 64,
 * (p[u] + p[u + 128]) + (p[u + 64] + p[u + 192]) with p = columnDotPartial.
 */
export function threadPartial(work: Float32Array, m: number, a: number, b: number, u: number): number {
  const p0 = columnDotPartial(work, m, a, b, u);
  const p1 = columnDotPartial(work, m, a, b, u + WORKGROUP_SIZE);
  const p2 = columnDotPartial(work, m, a, b, u + 2 * WORKGROUP_SIZE);
  const p3 = columnDotPartial(work, m, a, b, u + 3 * WORKGROUP_SIZE);
  return f(f(p0 + p2) + f(p1 + p3));
}

/**
 * Twin of tailSum: the tree levels s = 32, ..., 1 (p[t] = p[t] + p[t + s], t < s) over the 64 values
 * `partials[base .. base + 64)`, in place (like the shader's workgroup array). Returns p[base].
 */
export function tailSum(partials: Float32Array | Float64Array | number[], base = 0): number {
  if (partials.length < base + WORKGROUP_SIZE) throw new RangeError(`tailSum: needs ${WORKGROUP_SIZE} values from ${base}`);
  for (let s = WORKGROUP_SIZE >> 1; s > 0; s >>= 1) {
    for (let t = 0; t < s; t++) partials[base + t] = f(partials[base + t]! + partials[base + t + s]!);
  }
  return partials[base]!;
}

const scratchPartials = new Float64Array(REDUCTION_WIDTH);

/**
 * The dot product of columns a and b in the fixed order: the 256 partials of columnDotPartial, then the
 * tree levels s = 128 and 64 (threadPartial) and s = 32 .. 1 (tailSum). Walks the rows once in ascending
 * order, which gives every partial its rows in the same order as the shader's strided loop.
 */
export function columnDot(work: Float32Array, m: number, a: number, b: number): number {
  const p = scratchPartials;
  const xa = a * m;
  const xb = b * m;
  const first = Math.min(REDUCTION_WIDTH, m);
  for (let t = 0; t < first; t++) p[t] = f(work[xa + t]! * work[xb + t]!);
  p.fill(0, first);
  let t = 0;
  for (let i = REDUCTION_WIDTH; i < m; i++) {
    p[t] = f(p[t]! + f(work[xa + i]! * work[xb + i]!));
    t = t + 1 === REDUCTION_WIDTH ? 0 : t + 1;
  }
  for (let s = REDUCTION_WIDTH >> 1; s >= WORKGROUP_SIZE; s >>= 1) {
    for (let u = 0; u < s; u++) p[u] = f(p[u]! + p[u + s]!);
  }
  return tailSum(p);
}

/** Twin of columnProjection: sum_{k < j} coeffs[k] * work[k * m + i] in ascending k (j >= 1). */
export function columnProjection(work: Float32Array, m: number, coeffs: Float32Array, j: number, i: number): number {
  let s = f(coeffs[0]! * work[i]!);
  for (let k = 1; k < j; k++) s = accumulateProduct(s, coeffs[k]!, work[k * m + i]!);
  return s;
}

/** Twin of inverseNorm: reciprocalF32(sqrtF32(max(normSquared, 2^-100))). */
export function inverseNorm(normSquared: number): number {
  return reciprocalF32(sqrtF32(Math.max(normSquared, MIN_NORM_SQUARED)));
}

/**
 * Twin of the columnDots entry point: coeffs[k] = columnDot(q_k, column j) for k < j (the shader gives each
 * workgroup DOT_TILE = 8 of them; the grouping does not change the values).
 */
export function columnDots(work: Float32Array, m: number, j: number, coeffs: Float32Array): void {
  for (let k = 0; k < j; k++) coeffs[k] = columnDot(work, m, k, j);
}

/**
 * Twin of the updateColumn entry point: column j -= columnProjection for every row (j >= 1). The sums of
 * all rows advance together, k by k, which keeps each row's ascending-k order and reads memory in order.
 * `sums` is scratch space of at least m values.
 */
export function updateColumn(work: Float32Array, m: number, j: number, coeffs: Float32Array, sums = new Float32Array(m)): void {
  const s = sums;
  const c0 = coeffs[0]!;
  for (let i = 0; i < m; i++) s[i] = f(c0 * work[i]!);
  for (let k = 1; k < j; k++) {
    const c = coeffs[k]!;
    const base = k * m;
    for (let i = 0; i < m; i++) s[i] = f(s[i]! + f(c * work[base + i]!));
  }
  const out = j * m;
  for (let i = 0; i < m; i++) work[out + i] = f(work[out + i]! - s[i]!);
}

/** Twin of the normalizeColumn entry point: column j *= inverseNorm(columnDot(j, j)). */
export function normalizeColumn(work: Float32Array, m: number, j: number): void {
  const scale = inverseNorm(columnDot(work, m, j, j));
  const out = j * m;
  for (let i = 0; i < m; i++) work[out + i] = f(work[out + i]! * scale);
}

/** Twin of the transposeMatrix entry point: target[c * rows + r] = source[r * cols + c]. */
export function transposeMatrix(source: Float32Array, rows: number, cols: number, target: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) target[c * rows + r] = source[base + c]!;
  }
}

/**
 * Replaces the n columns of the column-major m x n matrix `work` (m >= n) with Q of its thin QR (CGS2),
 * in the order of the shader's dispatches: per column j, (columnDots, updateColumn) twice when j > 0, then
 * normalizeColumn.
 */
export function orthonormalizeColumns(work: Float32Array, m: number, n: number): void {
  const coeffs = new Float32Array(Math.max(1, n));
  const sums = new Float32Array(n > 1 ? m : 0);
  for (let j = 0; j < n; j++) {
    if (j > 0) {
      for (let pass = 0; pass < 2; pass++) {
        columnDots(work, m, j, coeffs);
        updateColumn(work, m, j, coeffs, sums);
      }
    }
    normalizeColumn(work, m, j);
  }
}

/** The Gaussian matrix A (rows x cols, row-major) of the definition. */
export function orthogonalSource(o: ResolvedOrthogonal): Float32Array {
  return generate({ seed: o.seed, stream: o.stream, count: o.rows * o.cols, dist: normal() });
}

/**
 * The (semi-)orthogonal rows x cols matrix Q (row-major f32) of the definition above, with exactly the
 * bits computeOrthogonal (src/gpu/orthogonal.ts) produces on the GPU. Rows are orthonormal when
 * rows <= cols, columns when rows >= cols.
 */
export function orthogonalF32(options: OrthogonalOptions): Float32Array {
  const o = resolveOrthogonal(options);
  const a = orthogonalSource(o);
  if (!o.tall) {
    // A row-major rows x cols is M = A^T column-major (m = cols, n = rows); Q_M column-major is Q row-major.
    orthonormalizeColumns(a, o.m, o.n);
    return a;
  }
  const work = new Float32Array(o.m * o.n);
  transposeMatrix(a, o.rows, o.cols, work);
  orthonormalizeColumns(work, o.m, o.n);
  transposeMatrix(work, o.n, o.m, a);
  return a;
}
