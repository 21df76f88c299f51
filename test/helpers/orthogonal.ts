// Double-precision checks of orthogonal matrices, independent of src/twin/orthogonal.ts.

/** The columns of M (m x n, m >= n) of the definition as column-major doubles: M = A or A^T. */
export function columnsOf(a: ArrayLike<number>, rows: number, cols: number): { m: number; n: number; c: Float64Array } {
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  const c = new Float64Array(m * n);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) {
      const v = a[r * cols + k]!;
      if (tall) c[k * m + r] = v;
      else c[r * m + k] = v;
    }
  }
  return { m, n, c };
}

/** max |Q^T Q - I| (rows >= cols) or max |Q Q^T - I| (rows < cols) for a row-major Q, in doubles. */
export function orthogonalityError(q: ArrayLike<number>, rows: number, cols: number): number {
  const { m, n, c } = columnsOf(q, rows, cols);
  let worst = 0;
  for (let a = 0; a < n; a++) {
    const xa = a * m;
    for (let b = a; b < n; b++) {
      const xb = b * m;
      let s = 0;
      for (let i = 0; i < m; i++) s += c[xa + i]! * c[xb + i]!;
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/**
 * max |q_a . q_b - delta_ab| over the given columns a of Q_M (against every column b) in doubles, for a
 * row-major Q: the orthogonality check at sizes where the full O(n^3) one is too slow for a test.
 */
export function sampledOrthogonalityError(q: ArrayLike<number>, rows: number, cols: number, columns: readonly number[]): number {
  const { m, n, c } = columnsOf(q, rows, cols);
  let worst = 0;
  for (const a of columns) {
    const xa = a * m;
    for (let b = 0; b < n; b++) {
      const xb = b * m;
      let s = 0;
      for (let i = 0; i < m; i++) s += c[xa + i]! * c[xb + i]!;
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/**
 * R = Q_M^T M (n x n, row-major) in doubles, for the Q and the Gaussian A of the same shape: upper
 * triangular with a positive diagonal when Q is M's QR factor with R's diagonal positive.
 */
export function rFactor(q: ArrayLike<number>, a: ArrayLike<number>, rows: number, cols: number): { n: number; r: Float64Array } {
  const qc = columnsOf(q, rows, cols);
  const mc = columnsOf(a, rows, cols);
  const { m, n } = qc;
  const r = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += qc.c[k * m + i]! * mc.c[j * m + i]!;
      r[k * n + j] = s;
    }
  }
  return { n, r };
}

/**
 * Q of the thin QR of M with R's diagonal positive (row-major rows x cols like the library's result),
 * by modified Gram-Schmidt with re-orthogonalization in doubles: the textbook answer the f32 result
 * should be close to.
 */
export function referenceQ(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const { m, n, c } = columnsOf(a, rows, cols);
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += c[k * m + i]! * c[j * m + i]!;
        for (let i = 0; i < m; i++) c[j * m + i]! -= d * c[k * m + i]!;
      }
    }
    let s = 0;
    for (let i = 0; i < m; i++) s += c[j * m + i]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < m; i++) c[j * m + i]! *= inv;
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) out[r * cols + k] = rows >= cols ? c[k * m + r]! : c[r * m + k]!;
  }
  return out;
}
