// Orthogonal initializer core: Q of the thin QR of a Gaussian matrix by block classical Gram-Schmidt with
// re-orthogonalization (BCGS2 over 64-column panels, CGS2 inside a panel). Composed after transforms.wgsl
// (fenceF32, sqrtF32, reciprocalF32; see src/gpu/orthogonal.ts). CPU twin: src/twin/orthogonal.ts (same
// function names, same bits), which also holds the full definition of the result (part of the stream
// contract) and the order of the steps (gramSchmidtSteps); src/gpu/orthogonal.ts records one dispatch per
// entry point below in that order.
//
// The working matrix `work` holds M (m x n, m >= n) column-major: element (i, k) at k * m + i. A
// projection step takes the source columns [s0, s1) and the target columns [t0, t1) (s1 <= t0):
//   projectionDots:     coeffs[(a - s0) * w + (c - t0)] = columnDot(a, c)   (w = t1 - t0), one thread each;
//   subtractProjection: y_c[i] = y_c[i] - projectionSum(c - t0, i), one thread per target element.
// normalizeColumn scales column `column` by inverseNorm(columnDot(column, column)).
//
// Fixed orders (every +, - and * rounded to f32 through fenceF32, so nothing is fused or reassociated):
// - columnDot: DOT_LANES = 4 partials; partial t starts at 0 and adds the products of rows t, t + 4, ...
//   in ascending order; the result is (p0 + p2) + (p1 + p3).
// - projectionSum: ascending source column from 0; then one rounding for the subtraction.
//
// Index arithmetic stays below 2^32: m * n <= 2^28 and grid strides are below 2^24.

struct OrthogonalParams {
  m: u32,      // rows of M: the length of a column
  n: u32,      // columns of M
  s0: u32,     // first source column of a projection
  s1: u32,     // end of the source columns
  t0: u32,     // first target column
  t1: u32,     // end of the target columns
  column: u32, // normalizeColumn: the column to normalize
  rows: u32,   // transposeMatrix: rows of the row-major source
  cols: u32,   // transposeMatrix: columns of the row-major source
  fence: u32,  // always 0; see fmaFence in transforms.wgsl
}

@group(0) @binding(0) var<uniform> params: OrthogonalParams;
// M column-major; becomes Q.
@group(0) @binding(1) var<storage, read_write> work: array<f32>;
// The coefficients of the current projection.
@group(0) @binding(2) var<storage, read_write> coeffs: array<f32>;
// transposeMatrix only: a row-major rows x cols matrix and its transpose.
@group(0) @binding(3) var<storage, read> matrixIn: array<f32>;
@group(0) @binding(4) var<storage, read_write> matrixOut: array<f32>;

// Partial sums of one columnDot; part of the definition of the result (not a tuning knob).
const DOT_LANES: u32 = 4u;
// Columns per panel; part of the definition of the result (the host walks the panels).
const PANEL_WIDTH: u32 = 64u;
// Threads per workgroup.
const WORKGROUP_SIZE: u32 = 64u;
// sqrtF32's lower domain bound 2^-100: a residual with a smaller squared norm is scaled by 2^50 instead
// of being normalized (see inverseNorm).
const MIN_NORM_SQUARED: f32 = 7.88860905e-31;

var<workgroup> columnScale: f32;

// acc + x * y with both operations rounded to f32.
fn accumulateProduct(acc: f32, x: f32, y: f32) -> f32 {
  return fenceF32(acc + fenceF32(x * y));
}

// The dot product of columns a and b in the fixed order (DOT_LANES partials, then (p0 + p2) + (p1 + p3)).
fn columnDot(a: u32, b: u32) -> f32 {
  let m = params.m;
  let xa = a * m;
  let xb = b * m;
  var p0 = 0.0;
  var p1 = 0.0;
  var p2 = 0.0;
  var p3 = 0.0;
  var i = 0u;
  for (; i + 3u < m; i = i + DOT_LANES) {
    p0 = accumulateProduct(p0, work[xa + i], work[xb + i]);
    p1 = accumulateProduct(p1, work[xa + i + 1u], work[xb + i + 1u]);
    p2 = accumulateProduct(p2, work[xa + i + 2u], work[xb + i + 2u]);
    p3 = accumulateProduct(p3, work[xa + i + 3u], work[xb + i + 3u]);
  }
  if (i < m) {
    p0 = accumulateProduct(p0, work[xa + i], work[xb + i]);
  }
  if (i + 1u < m) {
    p1 = accumulateProduct(p1, work[xa + i + 1u], work[xb + i + 1u]);
  }
  if (i + 2u < m) {
    p2 = accumulateProduct(p2, work[xa + i + 2u], work[xb + i + 2u]);
  }
  return fenceF32(fenceF32(p0 + p2) + fenceF32(p1 + p3));
}

// sum over the sources a = s0 .. s1 - 1 (ascending, from 0) of work[a * m + i] * coeffs[(a - s0) * w + c].
fn projectionSum(c: u32, i: u32) -> f32 {
  let m = params.m;
  let w = params.t1 - params.t0;
  var s = 0.0;
  for (var a = params.s0; a < params.s1; a = a + 1u) {
    s = accumulateProduct(s, work[a * m + i], coeffs[(a - params.s0) * w + c]);
  }
  return s;
}

// 1 / sqrt(normSquared) as reciprocalF32(sqrtF32(.)), with normSquared raised to 2^-100 first (sqrtF32's
// domain); normSquared <= 2^34 always (|normal| < 6, m <= 2^28).
fn inverseNorm(normSquared: f32) -> f32 {
  return reciprocalF32(sqrtF32(max(normSquared, MIN_NORM_SQUARED)));
}

// coeffs[e] = columnDot(s0 + e / w, t0 + e % w) for every e < (s1 - s0) * w (grid-stride loop).
@compute @workgroup_size(WORKGROUP_SIZE)
fn projectionDots(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  fmaFence = params.fence;
  let w = params.t1 - params.t0;
  let count = (params.s1 - params.s0) * w;
  let stride = groups.x * WORKGROUP_SIZE;
  for (var e = gid.x; e < count; e = e + stride) {
    let a = e / w;
    let c = e - a * w;
    coeffs[e] = columnDot(params.s0 + a, params.t0 + c);
  }
}

// y_c[i] = y_c[i] - projectionSum(c, i) for every target c and row i (grid-stride loop over m * w).
@compute @workgroup_size(WORKGROUP_SIZE)
fn subtractProjection(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  fmaFence = params.fence;
  let m = params.m;
  let count = m * (params.t1 - params.t0);
  let stride = groups.x * WORKGROUP_SIZE;
  for (var e = gid.x; e < count; e = e + stride) {
    let c = e / m;
    let i = e - c * m;
    let at = (params.t0 + c) * m + i;
    work[at] = fenceF32(work[at] - projectionSum(c, i));
  }
}

// column *= inverseNorm(columnDot(column, column)). One workgroup: thread 0 computes the scale.
@compute @workgroup_size(WORKGROUP_SIZE)
fn normalizeColumn(@builtin(local_invocation_index) u: u32) {
  fmaFence = params.fence;
  let m = params.m;
  let j = params.column;
  if (u == 0u) {
    columnScale = inverseNorm(columnDot(j, j));
  }
  let scale = workgroupUniformLoad(&columnScale);
  for (var i = u; i < m; i = i + WORKGROUP_SIZE) {
    let at = j * m + i;
    work[at] = fenceF32(work[at] * scale);
  }
}

// matrixOut[c * rows + r] = matrixIn[r * cols + c]: the transpose of a row-major rows x cols matrix
// (grid-stride loop over the source elements). Moves bits only.
@compute @workgroup_size(WORKGROUP_SIZE)
fn transposeMatrix(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let rows = params.rows;
  let cols = params.cols;
  let count = rows * cols;
  let stride = groups.x * WORKGROUP_SIZE;
  for (var e = gid.x; e < count; e = e + stride) {
    let r = e / cols;
    let c = e - r * cols;
    matrixOut[c * rows + r] = matrixIn[e];
  }
}
