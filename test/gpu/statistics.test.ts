// Statistical checks of GPU output with fixed seeds. Each assertion has a false-failure probability of
// at most 1e-6 for a correct generator (stated next to it); over this file's ~60 assertions the chance
// of a spurious failure is below 1e-4. With fixed seeds the outcome is deterministic: a pass stays a pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bits, type Distribution, normal, truncatedNormal, uniform } from '../../src/contract/distributions.js';
import { normalCdfF64 } from '../../src/contract/normal-cdf.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { inErrorScope, nodeContext } from '../helpers/gpu.js';

const N = 1 << 20; // 1,048,576 values per sample
let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

async function sample(dist: Distribution, seed: number, stream = 0): Promise<Float32Array> {
  let out: Float32Array = new Float32Array(0);
  await inErrorScope(ctx, async (scope) => {
    const r = await ctx.generate({ seed, stream, count: N, dist });
    scope.track(r.buffer);
    out = (await ctx.readRange(r)) as Float32Array;
  });
  return out;
}

/** Kolmogorov-Smirnov statistic of the sample against a continuous CDF. */
function ksStatistic(values: Float32Array, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const F = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - F, F - i / n);
  }
  return d;
}

/** Two-sided KS critical value for false-failure probability alpha (asymptotic: P(D > c) ~ 2 exp(-2 n c^2)). */
const ksCritical = (n: number, alpha: number) => Math.sqrt(-Math.log(alpha / 2) / (2 * n));

function moments(values: Float32Array) {
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of values) {
    const d = v - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { mean, variance: m2, skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2) };
}

// |z| <= 5 for a statistic that is asymptotically normal: two-sided false-failure probability 5.7e-7.
const Z = 5;

/** Truncated standard normal on [a, b]: CDF, mean, variance (Johnson, Kotz & Balakrishnan). */
function truncatedStd(a: number, b: number) {
  const pdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  const Z0 = normalCdfF64(b) - normalCdfF64(a);
  const mean = (pdf(a) - pdf(b)) / Z0;
  const variance = 1 + (a * pdf(a) - b * pdf(b)) / Z0 - mean * mean;
  return { cdf: (x: number) => Math.min(1, Math.max(0, (normalCdfF64(x) - normalCdfF64(a)) / Z0)), mean, variance };
}

describe('Kolmogorov-Smirnov against the exact CDF (n = 2^20, alpha = 1e-6 each)', () => {
  const crit = ksCritical(N, 1e-6);
  it.each([1, 2, 3])('uniform(-1, 3), seed %i', async (seed) => {
    const v = await sample(uniform(-1, 3), seed);
    expect(ksStatistic(v, (x) => Math.min(1, Math.max(0, (x + 1) / 4)))).toBeLessThan(crit);
  });
  it.each([1, 2, 3])('normal(0.5, 2), seed %i', async (seed) => {
    const v = await sample(normal(0.5, 2), seed);
    expect(ksStatistic(v, (x) => normalCdfF64((x - 0.5) / 2))).toBeLessThan(crit);
  });
  it.each([
    [1, -2, 2],
    [2, -2, 2],
    [3, 0.5, 3],
    [4, -1, 0.25],
    [5, 4, 7],
    [6, -11, -8],
  ])('truncatedNormal(0, 1), seed %i on [%d, %d]', async (seed, a, b) => {
    const v = await sample(truncatedNormal(0, 1, a, b), seed);
    expect(ksStatistic(v, truncatedStd(a, b).cdf)).toBeLessThan(crit);
  });
});

describe('moments within Z = 5 standard errors (false-failure 5.7e-7 each)', () => {
  it.each([11, 12])('normal(0, 1), seed %i: mean, variance, skew, kurtosis', async (seed) => {
    const m = moments(await sample(normal(), seed));
    expect(Math.abs(m.mean) / Math.sqrt(1 / N)).toBeLessThan(Z);
    expect(Math.abs(m.variance - 1) / Math.sqrt(2 / N)).toBeLessThan(Z);
    expect(Math.abs(m.skew) / Math.sqrt(6 / N)).toBeLessThan(Z);
    expect(Math.abs(m.kurtosis - 3) / Math.sqrt(24 / N)).toBeLessThan(Z);
  });

  it.each([21, 22])('uniform(0, 1), seed %i: mean, variance, skew, kurtosis', async (seed) => {
    const m = moments(await sample(uniform(0, 1), seed));
    // Var(x) = 1/12; Var of the sample variance ~ (mu4 - sigma^4) / n with mu4 = 1/80.
    expect(Math.abs(m.mean - 0.5) / Math.sqrt(1 / 12 / N)).toBeLessThan(Z);
    expect(Math.abs(m.variance - 1 / 12) / Math.sqrt((1 / 80 - 1 / 144) / N)).toBeLessThan(Z);
    // Skew 0, kurtosis 9/5; their standard errors for the uniform, from the delta method, are below
    // those of the normal case, so sqrt(6/n) and sqrt(24/n) are conservative bounds.
    expect(Math.abs(m.skew) / Math.sqrt(6 / N)).toBeLessThan(Z);
    expect(Math.abs(m.kurtosis - 1.8) / Math.sqrt(24 / N)).toBeLessThan(Z);
  });

  it.each([
    [31, -2, 2],
    [32, 0.5, 3],
  ])('truncatedNormal seed %i on [%d, %d]: mean and variance', async (seed, a, b) => {
    const t = truncatedStd(a, b);
    const m = moments(await sample(truncatedNormal(0, 1, a, b), seed));
    expect(Math.abs(m.mean - t.mean) / Math.sqrt(t.variance / N)).toBeLessThan(Z);
    // Var of the sample variance <= mu4 / n <= 3 sigma^4 / n for a truncated normal (lighter tails).
    expect(Math.abs(m.variance - t.variance) / Math.sqrt((3 * t.variance * t.variance) / N)).toBeLessThan(Z);
  });
});

describe('bits', () => {
  it.each([41, 42])('bit frequencies, seed %i: chi-square over 32 positions and each position', async (seed) => {
    let words: Uint32Array = new Uint32Array(0);
    await inErrorScope(ctx, async (scope) => {
      const r = await ctx.generate({ seed, count: N, dist: bits() });
      scope.track(r.buffer);
      words = (await ctx.readRange(r)) as Uint32Array;
    });
    const ones = new Array<number>(32).fill(0);
    for (const w of words) for (let b = 0; b < 32; b++) ones[b]! += (w >>> b) & 1;
    const zs = ones.map((c) => (c - N / 2) / Math.sqrt(N / 4));
    // Each position: |z| < 5.5 (false-failure 3.8e-8 each, 1.2e-6 for all 32).
    for (const z of zs) expect(Math.abs(z)).toBeLessThan(5.5);
    // Sum of squares ~ chi-square(32); its 1 - 1e-6 quantile is about 83 (Wilson-Hilferty).
    const chi2 = zs.reduce((s, z) => s + z * z, 0);
    const k = 32;
    const q = k * (1 - 2 / (9 * k) + 4.753424 * Math.sqrt(2 / (9 * k))) ** 3; // z_{1-1e-6} = 4.753424
    expect(chi2).toBeLessThan(q);
  });
});

describe('truncated normal bounds', () => {
  it('every value lies in [a, b], also for PyTorch trunc_normal_ with a tiny std (no outliers at the bounds)', async () => {
    const v = await sample(truncatedNormal(0, 1e-3, -2, 2, 'absolute'), 51);
    let min = Infinity;
    let max = -Infinity;
    for (const x of v) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    // With u in the open interval (0, 1) the extreme quantile is Phi^-1(2^-24) = -5.3 std.
    expect(min).toBeGreaterThan(-5.5e-3);
    expect(max).toBeLessThan(5.5e-3);
    const w = await sample(truncatedNormal(0.25, 2, -0.3, 0.1), 52);
    for (const x of w) {
      if (!(x >= Math.fround(0.25 - 0.6) && x <= Math.fround(0.25 + 0.2))) expect(x).toBe('inside [a, b]');
    }
  });
});
