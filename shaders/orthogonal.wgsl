// Orthogonal initializer core: Q of the thin QR of a Gaussian matrix, by classical Gram-Schmidt with one
// re-orthogonalization pass (CGS2). Composed after transforms.wgsl (fenceF32, sqrtF32, reciprocalF32; see
// src/gpu/orthogonal.ts). CPU twin: src/init/orthogonal.ts (same function names, same bits); the full
// definition of the result, which is part of the stream contract, is written there.
//
// The working matrix `work` holds M (m x n, m >= n) column-major: element (i, k) at k * m + i, so column k
// is work[k * m .. k * m + m). Columns 0 .. j-1 already hold q_0 .. q_{j-1} when column j is processed:
//   pass 1 and pass 2: columnDots (r_k = q_k . v for k < j), updateColumn (v = v - sum_k r_k q_k);
//   then normalizeColumn (v = v * (1 / sqrt(v . v))).
//
// Fixed reduction orders (every +, - and * rounded to f32 through fenceF32):
// - Dot product of two columns (columnDot in the CPU twin): REDUCTION_WIDTH = 256 partial sums; partial t
//   sums the products at rows t, t + 256, t + 512, ... in ascending order, starting from the first product
//   (0 when t >= m); then the tree over the 256 partials: for s = 128, 64, ..., 1: p[t] = p[t] + p[t + s]
//   (t < s). The result is p[0]. Who computes what does not change the result: a workgroup of 64 threads
//   gives thread u the partials u, u + 64, u + 128, u + 192 and the levels s = 128 and 64 over them
//   (threadPartial); one thread then runs the levels s = 32 .. 1 (tailSum).
// - Projection of row i (columnProjection): r_0 q_0[i] + r_1 q_1[i] + ... + r_{j-1} q_{j-1}[i], summed in
//   ascending k starting from the first product; then v[i] = v[i] - that sum (one rounding).
//
// Index arithmetic stays below 2^32: m * n <= 2^28 and grid strides are below 2^24.

struct OrthogonalParams {
  m: u32,      // rows of M: the length of a column
  n: u32,      // columns of M
  column: u32, // column j processed by this dispatch
  rows: u32,   // transposeMatrix: rows of the row-major source
  cols: u32,   // transposeMatrix: columns of the row-major source
  fence: u32,  // always 0; see fmaFence in transforms.wgsl
}

@group(0) @binding(0) var<uniform> params: OrthogonalParams;
// M column-major; becomes Q column by column.
@group(0) @binding(1) var<storage, read_write> work: array<f32>;
// r_k of the column being processed (k < j).
@group(0) @binding(2) var<storage, read_write> coeffs: array<f32>;
// transposeMatrix only: a row-major rows x cols matrix and its transpose.
@group(0) @binding(3) var<storage, read> matrixIn: array<f32>;
@group(0) @binding(4) var<storage, read_write> matrixOut: array<f32>;

// Partial sums of one dot product; part of the definition of the result (not a tuning knob).
const REDUCTION_WIDTH: u32 = 256u;
// Threads per workgroup. Thread u of a reduction computes the partials u, u + 64, u + 128 and u + 192 and
// the first two tree levels over them (s = 128 and s = 64 only combine partials of the same thread).
const WORKGROUP_SIZE: u32 = 64u;
// Previous columns per columnDots workgroup.
const DOT_TILE: u32 = 8u;
// sqrtF32's lower domain bound 2^-100: a residual with a smaller squared norm is scaled by 2^50 instead
// of being normalized (see inverseNorm).
const MIN_NORM_SQUARED: f32 = 7.88860905e-31;

// Per-thread results of up to DOT_TILE dot products: partials[kk * 64 + u].
var<workgroup> partials: array<f32, DOT_TILE * WORKGROUP_SIZE>;
var<workgroup> columnScale: f32;

// acc + x * y with both operations rounded to f32.
fn accumulateProduct(acc: f32, x: f32, y: f32) -> f32 {
  return fenceF32(acc + fenceF32(x * y));
}

// Partial t (< 256) of the dot product of columns a and b: the products at rows t, t + 256, ... summed in
// ascending order, starting from the first product; 0 when t >= m.
fn columnDotPartial(a: u32, b: u32, t: u32) -> f32 {
  let m = params.m;
  var acc = 0.0;
  if (t < m) {
    let xa = a * m;
    let xb = b * m;
    acc = fenceF32(work[xa + t] * work[xb + t]);
    for (var i = t + REDUCTION_WIDTH; i < m; i = i + REDUCTION_WIDTH) {
      acc = accumulateProduct(acc, work[xa + i], work[xb + i]);
    }
  }
  return acc;
}

// Thread u's (< 64) value after the tree levels s = 128 and s = 64:
// (p[u] + p[u + 128]) + (p[u + 64] + p[u + 192]).
fn threadPartial(a: u32, b: u32, u: u32) -> f32 {
  let p0 = columnDotPartial(a, b, u);
  let p1 = columnDotPartial(a, b, u + WORKGROUP_SIZE);
  let p2 = columnDotPartial(a, b, u + 2u * WORKGROUP_SIZE);
  let p3 = columnDotPartial(a, b, u + 3u * WORKGROUP_SIZE);
  return fenceF32(fenceF32(p0 + p2) + fenceF32(p1 + p3));
}

// The remaining tree levels s = 32, 16, ..., 1 over partials[base .. base + 64), run by one thread:
// p[t] = p[t] + p[t + s] for t < s. Returns p[base] (the dot product).
fn tailSum(base: u32) -> f32 {
  for (var s = WORKGROUP_SIZE / 2u; s > 0u; s = s >> 1u) {
    for (var t = 0u; t < s; t = t + 1u) {
      partials[base + t] = fenceF32(partials[base + t] + partials[base + t + s]);
    }
  }
  return partials[base];
}

// sum_{k < j} coeffs[k] * work[k * m + i] in ascending k, starting from the first product (j >= 1).
fn columnProjection(j: u32, i: u32) -> f32 {
  let m = params.m;
  var s = fenceF32(coeffs[0] * work[i]);
  for (var k = 1u; k < j; k = k + 1u) {
    s = accumulateProduct(s, coeffs[k], work[k * m + i]);
  }
  return s;
}

// 1 / sqrt(normSquared) as reciprocalF32(sqrtF32(.)), with normSquared raised to 2^-100 first (sqrtF32's
// domain); normSquared <= 2^34 always (|normal| < 6, m <= 2^28).
fn inverseNorm(normSquared: f32) -> f32 {
  return reciprocalF32(sqrtF32(max(normSquared, MIN_NORM_SQUARED)));
}

// coeffs[k] = q_k . v for k < j, v = column j. Workgroup g handles k = 8g .. 8g + 7 (dispatch ceil(j / 8)).
@compute @workgroup_size(WORKGROUP_SIZE)
fn columnDots(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) u: u32) {
  fmaFence = params.fence;
  let j = params.column;
  let k0 = wg.x * DOT_TILE;
  let count = min(DOT_TILE, j - k0);
  for (var kk = 0u; kk < count; kk = kk + 1u) {
    partials[kk * WORKGROUP_SIZE + u] = threadPartial(k0 + kk, j, u);
  }
  workgroupBarrier();
  if (u < count) {
    coeffs[k0 + u] = tailSum(u * WORKGROUP_SIZE);
  }
}

// v[i] = v[i] - columnProjection(j, i) for every row i of column j (grid-stride loop over rows).
@compute @workgroup_size(WORKGROUP_SIZE)
fn updateColumn(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  fmaFence = params.fence;
  let m = params.m;
  let j = params.column;
  let stride = groups.x * WORKGROUP_SIZE;
  for (var i = gid.x; i < m; i = i + stride) {
    let at = j * m + i;
    work[at] = fenceF32(work[at] - columnProjection(j, i));
  }
}

// v = v * inverseNorm(v . v) for column j. One workgroup; thread u scales the rows it summed (u mod 64).
@compute @workgroup_size(WORKGROUP_SIZE)
fn normalizeColumn(@builtin(local_invocation_index) u: u32) {
  fmaFence = params.fence;
  let m = params.m;
  let j = params.column;
  partials[u] = threadPartial(j, j, u);
  workgroupBarrier();
  if (u == 0u) {
    columnScale = inverseNorm(tailSum(0u));
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
