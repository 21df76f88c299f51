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
//    orthogonal_ convention q *= sign(diag(r))), computed by block classical Gram-Schmidt with
//    re-orthogonalization (BCGS2, Barlow and Smoktunowicz 2013) over panels of PANEL_WIDTH = 64 columns,
//    each panel orthonormalized inside by column-wise CGS2. In place on the columns of M, for each panel
//    [k, k + w) (k = 0, 64, 128, ...; w = min(64, n - k)):
//      twice:
//        project(0, k, k, k + w)                       (skipped when k = 0)
//        for j = k .. k + w - 1:
//          twice: project(k, j, j, j + 1)              (skipped when j = k)
//          normalizeColumn(j)
//    where project(s0, s1, t0, t1) takes the sources x_a (columns a in [s0, s1)) and the targets
//    y_c (columns c in [t0, t1)):
//      first every coefficient  C[a][c] = columnDot(x_a, y_c)  (all of them before any update), then
//      every target row         y_c[i] = y_c[i] - projectionSum(i, c),
//                               projectionSum(i, c) = (((0 + x_s0[i] C[s0][c]) + x_{s0+1}[i] C[s0+1][c]) + ...)
//    and normalizeColumn(j) sets column j to v * inverseNorm(columnDot(v, v)) (v = column j),
//    inverseNorm(s) = reciprocalF32(sqrtF32(max(s, 2^-100))).
// 4. Q = Q_M when rows >= cols, else Q = Q_M^T.
//
// Arithmetic: f32, each +, -, * correctly rounded (Math.fround here, fenceF32 in WGSL, f32x4 in the SIMD
// path; never fused or reassociated); square root and reciprocal are sqrtF32 and reciprocalF32 of
// transforms (no platform sqrt or division). Summation orders:
// - columnDot(x, y), length m: DOT_LANES = 4 partial sums; partial t (t < 4) starts at +0 and adds the
//   products x_i y_i of the rows i = t, t + 4, t + 8, ... < m in ascending order; the result is
//   (p0 + p2) + (p1 + p3). (Lane t of one f32x4 accumulator is partial t.)
// - projectionSum: ascending source column a, starting at +0; y_c[i] - (that sum) rounds once.
// - inverseNorm and the scaling v_i * inverseNorm(...) round once each.
// Because every column starts from Gaussian values, ||v||^2 is positive and far above 2^-100 in practice;
// the clamp only keeps the arithmetic defined (a residual below it is scaled by 2^50, not normalized,
// and a zero column stays zero, like PyTorch's sign(0) = 0). f32 subnormals do not occur in practice
// (a GPU may flush them; the bits would then differ). Gaussian matrices are full rank with probability
// one; BCGS2 with a stable inner QR keeps max |Q^T Q - I| at O(u) while cond(M) * u << 1 (u = 2^-24),
// which holds by a wide margin for Gaussian M up to 8192 columns (measured: test/twin/orthogonal.test.ts,
// test/simd/orthogonal.test.ts). No fallback is needed or taken: there is no Cholesky step to fail.
//
// Why this algorithm: almost all of its work (2 m n^2 multiply-adds) is in the block projections, two
// matrix products per panel (C = X^T Y, Y = Y - X C), which run as tiled matrix products on a GPU and in
// SIMD registers on a CPU with the fixed orders above; the column-wise work is O(m n 64).
import {
  type GramSchmidtStep,
  gramSchmidtSteps,
  type OrthogonalOptions,
  type OrthogonalPlan,
  PANEL_WIDTH,
  type Projection,
  planOrthogonal,
  type ResolvedOrthogonal,
} from '../contract/orthogonal.js';
import { generatePlanned } from './generate.js';
import { reciprocalF32, sqrtF32 } from './transforms.js';

export type { GramSchmidtStep, OrthogonalOptions, OrthogonalPlan, Projection, ResolvedOrthogonal } from '../contract/orthogonal.js';
// The plan of the definition (validation, the shape of M, the step sequence) lives in the contract; these
// names stay importable from here.
export {
  gramSchmidtSteps,
  MAX_ORTHOGONAL_ELEMENTS,
  MAX_ORTHOGONAL_RANK,
  PANEL_WIDTH,
  planOrthogonal,
  resolveOrthogonal,
} from '../contract/orthogonal.js';

const f = Math.fround;

/** Partial sums of one columnDot (lanes of an f32x4); part of the definition of the result. */
export const DOT_LANES = 4;
/** sqrtF32's lower domain bound, 2^-100. */
export const MIN_NORM_SQUARED = 2 ** -100;

/** Twin of accumulateProduct: acc + x * y, each operation rounded to f32. */
export function accumulateProduct(acc: number, x: number, y: number): number {
  return f(acc + f(x * y));
}

/**
 * Twin of columnDot: the dot product of columns a and b of the column-major m-row matrix `work` in the
 * fixed order: DOT_LANES = 4 partials (partial t: rows t, t + 4, ... ascending, from +0), then
 * (p0 + p2) + (p1 + p3).
 */
export function columnDot(work: Float32Array, m: number, a: number, b: number): number {
  const xa = a * m;
  const xb = b * m;
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let i = 0;
  for (; i + 3 < m; i += 4) {
    p0 = f(p0 + f(work[xa + i]! * work[xb + i]!));
    p1 = f(p1 + f(work[xa + i + 1]! * work[xb + i + 1]!));
    p2 = f(p2 + f(work[xa + i + 2]! * work[xb + i + 2]!));
    p3 = f(p3 + f(work[xa + i + 3]! * work[xb + i + 3]!));
  }
  if (i < m) p0 = f(p0 + f(work[xa + i]! * work[xb + i]!));
  if (i + 1 < m) p1 = f(p1 + f(work[xa + i + 1]! * work[xb + i + 1]!));
  if (i + 2 < m) p2 = f(p2 + f(work[xa + i + 2]! * work[xb + i + 2]!));
  return f(f(p0 + p2) + f(p1 + p3));
}

/** Twin of inverseNorm: reciprocalF32(sqrtF32(max(normSquared, 2^-100))). */
export function inverseNorm(normSquared: number): number {
  return reciprocalF32(sqrtF32(Math.max(normSquared, MIN_NORM_SQUARED)));
}

/**
 * Twin of the projectionDots entry point: coeffs[(a - s0) * w + (c - t0)] = columnDot(a, c) for every
 * source a and target c (w = t1 - t0).
 */
export function projectionDots(work: Float32Array, m: number, p: Projection, coeffs: Float32Array): void {
  const w = p.t1 - p.t0;
  for (let a = p.s0; a < p.s1; a++) {
    for (let c = p.t0; c < p.t1; c++) coeffs[(a - p.s0) * w + (c - p.t0)] = columnDot(work, m, a, c);
  }
}

/**
 * Twin of projectionSum: sum over the sources a = s0 .. s1 - 1 (ascending, from +0) of
 * work[a * m + i] * coeffs[(a - s0) * w + c] (c: target index relative to t0).
 */
export function projectionSum(work: Float32Array, m: number, p: Projection, coeffs: Float32Array, c: number, i: number): number {
  const w = p.t1 - p.t0;
  let s = 0;
  for (let a = p.s0; a < p.s1; a++) s = accumulateProduct(s, work[a * m + i]!, coeffs[(a - p.s0) * w + c]!);
  return s;
}

/**
 * Twin of the subtractProjection entry point: y_c[i] = y_c[i] - projectionSum(i, c) for every target c
 * and row i. The sums of all rows advance together, source by source, which keeps each row's ascending
 * order and reads memory in order. `sums` is scratch space of at least m values.
 */
export function subtractProjection(work: Float32Array, m: number, p: Projection, coeffs: Float32Array, sums = new Float32Array(m)): void {
  const w = p.t1 - p.t0;
  for (let c = 0; c < w; c++) {
    sums.fill(0, 0, m);
    for (let a = p.s0; a < p.s1; a++) {
      const k = coeffs[(a - p.s0) * w + c]!;
      const base = a * m;
      for (let i = 0; i < m; i++) sums[i] = f(sums[i]! + f(work[base + i]! * k));
    }
    const out = (p.t0 + c) * m;
    for (let i = 0; i < m; i++) work[out + i] = f(work[out + i]! - sums[i]!);
  }
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
 * Replaces the n columns of the column-major m x n matrix `work` (m >= n) with Q of its thin QR (the
 * definition): the steps of the plan (default gramSchmidtSteps(n)) in order.
 */
export function orthonormalizeColumns(work: Float32Array, m: number, n: number, steps: Iterable<GramSchmidtStep> = gramSchmidtSteps(n)): void {
  const coeffs = new Float32Array(Math.max(1, n * Math.min(n, PANEL_WIDTH)));
  const sums = new Float32Array(m);
  for (const step of steps) {
    if (step.kind === 'normalize') {
      normalizeColumn(work, m, step.column);
    } else {
      projectionDots(work, m, step.p, coeffs);
      subtractProjection(work, m, step.p, coeffs, sums);
    }
  }
}

/** The Gaussian matrix A (rows x cols, row-major) of the definition: the plan's source generation. */
export function orthogonalSource(o: ResolvedOrthogonal | OrthogonalPlan): Float32Array {
  const plan = 'source' in o ? o : planOrthogonal(o);
  return generatePlanned(plan.source) as Float32Array;
}

/**
 * The (semi-)orthogonal rows x cols matrix Q (row-major f32) of the definition above, with exactly the
 * bits computeOrthogonal (src/gpu/orthogonal.ts) and the SIMD path (src/simd/orthogonal.ts) produce.
 * Rows are orthonormal when rows <= cols, columns when rows >= cols.
 */
export function orthogonalF32(options: OrthogonalOptions): Float32Array {
  return orthogonalPlanned(planOrthogonal(options));
}

/** Executes an orthogonal plan on the CPU (see orthogonalF32). */
export function orthogonalPlanned(plan: OrthogonalPlan): Float32Array {
  const a = orthogonalSource(plan);
  if (!plan.tall) {
    // A row-major rows x cols is M = A^T column-major (m = cols, n = rows); Q_M column-major is Q row-major.
    orthonormalizeColumns(a, plan.m, plan.n, plan.steps);
    return a;
  }
  const work = new Float32Array(plan.m * plan.n);
  transposeMatrix(a, plan.rows, plan.cols, work);
  orthonormalizeColumns(work, plan.m, plan.n, plan.steps);
  transposeMatrix(work, plan.n, plan.m, a);
  return a;
}
