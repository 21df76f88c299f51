// The orthogonal initializer's core on the CPU (the twin of shaders/orthogonal.wgsl): orthogonality,
// the QR sign convention, the fixed reduction order, validation, and the twin-name rule for the shader.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { reflectWgsl } from '../../scripts/wgsl-reflect-plugin.js';
import { normal } from '../../src/contract/distributions.js';
import { orthogonalModule } from '../../src/gpu/orthogonal.js';
import { generate } from '../../src/twin/generate.js';
import * as orthogonalTwin from '../../src/twin/orthogonal.js';
import {
  accumulateProduct,
  columnDot,
  DOT_LANES,
  gramSchmidtSteps,
  inverseNorm,
  MIN_NORM_SQUARED,
  orthogonalF32,
  orthogonalSource,
  PANEL_WIDTH,
  type Projection,
  projectionDots,
  projectionSum,
  resolveOrthogonal,
  subtractProjection,
  transposeMatrix,
} from '../../src/twin/orthogonal.js';
import { expectInvalid } from '../helpers/errors.js';
import { orthogonalityError, referenceQ, rFactor } from '../helpers/orthogonal.js';
import { testWords } from '../helpers/reference.js';

const f = Math.fround;
const wgsl = readFileSync(new URL('../../shaders/orthogonal.wgsl', import.meta.url), 'utf8');

/** Random f32 values in (-scale, scale) from test words. */
function randomF32(n: number, seed: number, scale = 1): Float32Array {
  return Float32Array.from(testWords(n, seed), (w) => f(((w / 2 ** 32) * 2 - 1) * scale));
}

describe('shaders/orthogonal.wgsl and its CPU twin', () => {
  it('every function in shaders/orthogonal.wgsl has a same-named export in src/twin/orthogonal.ts', () => {
    const functions = new WgslReflect(wgsl).functions.map((x) => x.name);
    expect(functions).toEqual(
      expect.arrayContaining(['projectionDots', 'subtractProjection', 'normalizeColumn', 'transposeMatrix', 'columnDot', 'projectionSum']),
    );
    const twin = orthogonalTwin as Record<string, unknown>;
    expect(functions.filter((name) => typeof twin[name] !== 'function')).toEqual([]);
  });

  it('the constants of the definition are the same in the shader and the twin', () => {
    const constant = (name: string) => {
      const m = new RegExp(`const ${name}: (?:u32|f32) = ([0-9.e+-]+)u?;`).exec(wgsl);
      expect(m, name).not.toBeNull();
      return Number(m![1]);
    };
    expect(constant('DOT_LANES')).toBe(DOT_LANES);
    expect(constant('PANEL_WIDTH')).toBe(PANEL_WIDTH);
    expect(f(constant('MIN_NORM_SQUARED'))).toBe(MIN_NORM_SQUARED);
    expect(MIN_NORM_SQUARED).toBe(2 ** -100);
  });

  it('the host layout is what wgsl_reflect reports for orthogonal.wgsl now', () => {
    expect(orthogonalModule.layout).toEqual(reflectWgsl(wgsl));
    const params = orthogonalModule.layout.structs['OrthogonalParams']!;
    expect(Object.keys(params.members)).toEqual(['m', 'n', 's0', 's1', 't0', 't1', 'column', 'rows', 'cols', 'fence']);
    const uses = Object.fromEntries(orthogonalModule.layout.entryPoints.map((e) => [e.name, e.bindings]));
    expect(uses).toEqual({ projectionDots: [0, 1, 2], subtractProjection: [0, 1, 2], normalizeColumn: [0, 1], transposeMatrix: [0, 3, 4] });
    expect(orthogonalModule.code.indexOf('fn fenceF32')).toBeLessThan(orthogonalModule.code.indexOf('fn accumulateProduct'));
  });
});

describe('fixed reduction order', () => {
  /** The definition written out: 4 strided partials from +0 in ascending rows, then (p0 + p2) + (p1 + p3). */
  function definitionDot(work: Float32Array, m: number, a: number, b: number): number {
    const p = [0, 0, 0, 0];
    for (let i = 0; i < m; i++) p[i % 4] = f(p[i % 4]! + f(work[a * m + i]! * work[b * m + i]!));
    return f(f(p[0]! + p[2]!) + f(p[1]! + p[3]!));
  }

  it.each([1, 2, 3, 4, 5, 63, 64, 65, 255, 256, 257, 1000, 1031, 4096 + 77])('columnDot is the 4-lane definition (m = %i)', (m) => {
    const work = randomF32(2 * m, m, 3);
    const def = definitionDot(work, m, 0, 1);
    expect(columnDot(work, m, 0, 1)).toBe(def);
    expect(columnDot(work, m, 1, 0)).toBe(def);
    // Not the naive sequential sum in general (the order matters), but close to it.
    let seq = 0;
    for (let i = 0; i < m; i++) seq = accumulateProduct(seq, work[i]!, work[m + i]!);
    expect(Math.abs(seq - def)).toBeLessThan(1e-4 * Math.sqrt(m));
  });

  it('projectionDots computes every coefficient before subtractProjection; each row sums sources in ascending order from 0', () => {
    const m = 37;
    const work = randomF32(m * 12, 5);
    const p: Projection = { s0: 2, s1: 9, t0: 9, t1: 12 };
    const w = p.t1 - p.t0;
    const coeffs = new Float32Array(7 * w);
    projectionDots(work, m, p, coeffs);
    for (let a = p.s0; a < p.s1; a++) for (let c = 0; c < w; c++) expect(coeffs[(a - p.s0) * w + c]).toBe(columnDot(work, m, a, p.t0 + c));
    for (const [c, i] of [
      [0, 0],
      [1, 20],
      [2, 36],
    ] as const) {
      let s = 0;
      for (let a = p.s0; a < p.s1; a++) s = f(s + f(work[a * m + i]! * coeffs[(a - p.s0) * w + c]!));
      expect(projectionSum(work, m, p, coeffs, c, i)).toBe(s);
    }
    const before = work.slice();
    subtractProjection(work, m, p, coeffs);
    for (let c = 0; c < w; c++) {
      for (let i = 0; i < m; i++) expect(work[(p.t0 + c) * m + i]).toBe(f(before[(p.t0 + c) * m + i]! - projectionSum(before, m, p, coeffs, c, i)));
    }
    expect(work.subarray(0, p.t0 * m)).toEqual(before.subarray(0, p.t0 * m));
  });

  it('gramSchmidtSteps: BCGS2 over 64-column panels, CGS2 inside each panel', () => {
    const log = [...gramSchmidtSteps(130)].map((s) => (s.kind === 'normalize' ? `n ${s.column}` : `p ${s.p.s0} ${s.p.s1} ${s.p.t0} ${s.p.t1}`));
    const panel = (k: number, end: number) => {
      const round = [...(k > 0 ? [`p 0 ${k} ${k} ${end}`] : [])];
      for (let j = k; j < end; j++) {
        if (j > k) round.push(`p ${k} ${j} ${j} ${j + 1}`, `p ${k} ${j} ${j} ${j + 1}`);
        round.push(`n ${j}`);
      }
      return [...round, ...round];
    };
    expect(log).toEqual([...panel(0, 64), ...panel(64, 128), ...panel(128, 130)]);
  });

  it('inverseNorm is 1/sqrt to about an ulp, and clamps below 2^-100', () => {
    for (const x of [1, 2, 4, 0.25, 3, 1e-20, 1e20, 2 ** 34, 12345.678].map(f)) {
      expect(Math.abs(inverseNorm(x) * Math.sqrt(x) - 1)).toBeLessThan(2.5e-7);
    }
    expect(inverseNorm(0)).toBe(inverseNorm(MIN_NORM_SQUARED));
    expect(inverseNorm(-1)).toBe(inverseNorm(MIN_NORM_SQUARED));
    expect(Math.abs(inverseNorm(0) / 2 ** 50 - 1)).toBeLessThan(1e-6);
  });

  it('transposeMatrix transposes a row-major matrix', () => {
    const a = Float32Array.from({ length: 12 }, (_, i) => i);
    const t = new Float32Array(12);
    transposeMatrix(a, 3, 4, t);
    expect(Array.from(t)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });
});

describe('orthogonalF32', () => {
  it('512 x 512: max |Q^T Q - I| <= 1e-5 (measured 3.9e-7; 1024 and up: test/simd/orthogonal.test.ts)', () => {
    const q = orthogonalF32({ seed: 2024n, stream: 3n, rows: 512, cols: 512 });
    const err = orthogonalityError(q, 512, 512);
    console.log(`CPU twin 512x512: max |Q^T Q - I| = ${err.toExponential(3)}`);
    expect(err).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    [1500, 300],
    [300, 1500],
    [257, 256],
    [256, 257],
  ])('%i x %i: orthonormal columns (tall) or rows (wide) within 1e-5', (rows, cols) => {
    const q = orthogonalF32({ seed: 7n, stream: 11n, rows, cols });
    const err = orthogonalityError(q, rows, cols);
    console.log(`CPU twin ${rows}x${cols}: max |Q^T Q - I| = ${err.toExponential(3)}`);
    expect(err).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    [60, 40],
    [40, 60],
    [33, 33],
  ])('%i x %i: Q^T M is upper triangular with a positive diagonal (R of the QR), Q matches a float64 QR', (rows, cols) => {
    const options = { seed: 99n, stream: 1n, rows, cols };
    const q = orthogonalF32(options);
    const a = generate({ seed: 99n, stream: 1n, count: rows * cols, dist: normal() });
    expect(orthogonalSource(resolveOrthogonal(options))).toEqual(a);
    const { n, r } = rFactor(q, a, rows, cols);
    for (let k = 0; k < n; k++) {
      expect(r[k * n + k]!).toBeGreaterThan(0);
      for (let j = 0; j < k; j++) expect(Math.abs(r[k * n + j]!)).toBeLessThan(1e-4);
    }
    const ref = referenceQ(a, rows, cols);
    let worst = 0;
    for (let i = 0; i < q.length; i++) worst = Math.max(worst, Math.abs(q[i]! - ref[i]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it('1 x n and n x 1 are the normalized Gaussian vector; 1 x 1 is its sign', () => {
    for (const [rows, cols] of [
      [1, 50],
      [50, 1],
      [1, 1],
    ] as const) {
      const a = generate({ seed: 5n, stream: 0n, count: rows * cols, dist: normal() });
      const norm = Math.hypot(...a);
      const q = orthogonalF32({ seed: 5n, rows, cols });
      for (let i = 0; i < q.length; i++) expect(Math.abs(q[i]! - a[i]! / norm)).toBeLessThan(1e-6);
    }
    expect(Math.abs(orthogonalF32({ seed: 5n, rows: 1, cols: 1 })[0]!)).toBeCloseTo(1, 6);
  });

  it('depends on seed and stream only through the Gaussian matrix; deterministic', () => {
    const base = { seed: '18446744073709551615', stream: 2n ** 63n + 5n, rows: 20, cols: 30 };
    const q = orthogonalF32(base);
    expect(orthogonalF32({ ...base, seed: 18446744073709551615n })).toEqual(q);
    expect(orthogonalF32({ ...base, stream: 0 })).not.toEqual(q);
    expect(orthogonalF32({ ...base, seed: 1 })).not.toEqual(q);
    expect(orthogonalF32({ seed: 3, rows: 4, cols: 4 })).toEqual(orthogonalF32({ seed: 3n, stream: 0n, rows: 4, cols: 4 }));
  });

  it('tall and wide results are transposes exactly when the Gaussian matrices are', () => {
    // A wide matrix is Q of A^T transposed; feeding the transposed Gaussian matrix through the tall path
    // by hand gives the same bits.
    const rows = 7;
    const cols = 19;
    const wide = orthogonalF32({ seed: 1n, rows, cols });
    const a = generate({ seed: 1n, count: rows * cols, dist: normal() });
    const work = a.slice(); // A row-major = M = A^T column-major
    orthogonalTwin.orthonormalizeColumns(work, cols, rows);
    expect(work).toEqual(wide);
  });

  it('rejects invalid inputs with InvalidParameterError naming the parameter', () => {
    const ok = { seed: 1n, rows: 4, cols: 4 };
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, '3', undefined, 2 ** 53]) {
      expectInvalid(() => orthogonalF32({ ...ok, rows: bad as number }), 'rows');
      expectInvalid(() => orthogonalF32({ ...ok, cols: bad as number }), 'cols');
    }
    expectInvalid(() => orthogonalF32({ ...ok, rows: 8193, cols: 8193 }), 'rows');
    expectInvalid(() => orthogonalF32({ ...ok, rows: 9000, cols: 8193 }), 'cols');
    expectInvalid(() => orthogonalF32({ ...ok, rows: 2 ** 20, cols: 257 }), 'cols');
    expectInvalid(() => orthogonalF32({ ...ok, rows: 2 ** 28 + 1, cols: 1 }), 'cols');
    expectInvalid(() => orthogonalF32({ ...ok, seed: -1 }), 'seed');
    expectInvalid(() => orthogonalF32({ ...ok, seed: undefined as unknown as bigint }), 'seed');
    expectInvalid(() => orthogonalF32({ ...ok, stream: 2n ** 64n }), 'stream');
    expectInvalid(() => orthogonalF32(null as unknown as typeof ok), 'options');
    expect(resolveOrthogonal({ seed: 0, rows: 2 ** 20, cols: 256 })).toMatchObject({ tall: true, m: 2 ** 20, n: 256 });
    expect(resolveOrthogonal({ seed: 0, rows: 8192, cols: 8192 })).toMatchObject({ tall: true, m: 8192, n: 8192 });
    expect(resolveOrthogonal({ seed: 0, rows: 3, cols: 5 })).toMatchObject({ tall: false, m: 5, n: 3 });
  });
});
