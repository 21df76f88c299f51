import { describe, expect, it } from 'vitest';
import type { FanLayout } from '../../src/init/fans.js';
import {
  erf,
  erfc,
  INITIALIZER_KINDS,
  type InitializerSpec,
  type ResolvedInitializer,
  resolveInitializer,
  TRUNCATED_NORMAL_STD_2,
  truncatedNormalMoments,
} from '../../src/init/resolve-initializer.js';
import { expectInvalid } from '../helpers/errors.js';

/** |actual − expected| ≤ rel·|expected|. */
function expectRel(actual: number, expected: number, rel = 1e-14): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel * Math.abs(expected));
}

type Dist = Extract<ResolvedInitializer, { kind: 'distribution' }>;
function dist(spec: InitializerSpec, shape: number[], layout: FanLayout): Dist {
  const r = resolveInitializer(spec, shape, layout);
  expect(r.kind).toBe('distribution');
  return r as Dist;
}

/** Independent check of truncated-normal moments: composite Simpson on [alpha, beta] with 200 000 intervals. */
function simpsonMoments(alpha: number, beta: number): { mean: number; std: number } {
  const n = 200_000;
  const h = (beta - alpha) / n;
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i <= n; i++) {
    const x = alpha + i * h;
    const w = (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp((-x * x) / 2);
    m0 += w;
    m1 += w * x;
    m2 += w * x * x;
  }
  const mean = m1 / m0;
  return { mean, std: Math.sqrt(m2 / m0 - mean * mean) };
}

// Shapes used below. torch: Conv2d(3, 64, 7): fan_in 147, fan_out 3136. keras: Conv2D(32, 3) on 16 channels: 144, 288.
const TORCH_CONV = [64, 3, 7, 7];
const KERAS_CONV = [3, 3, 16, 32];

describe('erf, erfc and truncated-normal moments (reporting only)', () => {
  it('erf/erfc agree with the C library (Python math.erf / math.erfc) to a few ulp', () => {
    const ref: [number, number, number][] = [
      [0.1, 0.1124629160182849, 0.8875370839817152],
      [0.5, 0.5204998778130465, 0.4795001221869535],
      [1, 0.8427007929497149, 0.15729920705028513],
      [Math.SQRT2, 0.9544997361036416, 0.045500263896358396],
      [1.99, 0.995111413199617, 0.004888586800383003],
      [2, 0.9953222650189527, 0.004677734981047265],
      [2.5, 0.999593047982555, 0.0004069520174449589],
      [3, 0.9999779095030014, 2.2090496998585438e-5],
      [5, 0.9999999999984626, 1.5374597944280351e-12],
      [10, 1, 2.088487583762545e-45],
      [26, 1, 5.663192408856143e-296],
    ];
    for (const [x, e, ec] of ref) {
      expectRel(erf(x), e, 1e-15);
      expectRel(erf(-x), -e, 1e-15);
      expectRel(erfc(x), ec, x < 2 ? 1e-13 : 1e-14);
      expectRel(erfc(-x), 2 - ec, 1e-15);
    }
    expect(erf(0)).toBe(0);
    expect(erfc(0)).toBe(1);
  });

  it('the std of a standard normal truncated to [-2, 2] is the Keras/JAX divisor 0.87962566103423978', () => {
    const m = truncatedNormalMoments(-2, 2);
    expectRel(m.std, TRUNCATED_NORMAL_STD_2, 2e-16);
    expect(m.mean).toBe(0);
    expectRel(m.mass, 0.9544997361036416, 1e-15); // erf(√2)
  });

  it('matches the closed form evaluated with Python math.erf, and Simpson integration', () => {
    // [alpha, beta, mass, mean, std] from Python: Z = Φ(b) − Φ(a), mean = (φ(a) − φ(b))/Z, var = 1 + (aφ(a) − bφ(b))/Z − mean².
    const ref: [number, number, number, number, number][] = [
      [-1, 1, 0.6826894921370859, 0, 0.5395600937548969],
      [0, 3, 0.4986501019683699, 0.7911568260634169, 0.5894130989686281],
      [-1, 3, 0.8399948480369128, 0.28278611072715404, 0.7849469634044259],
      [0.5, 3, 0.3071876406943568, 1.13166492495135, 0.4990982211099086],
      [-3, -0.5, 0.3071876406943568, -1.13166492495135, 0.4990982211099086],
    ];
    for (const [a, b, mass, mean, std] of ref) {
      const m = truncatedNormalMoments(a, b);
      expectRel(m.mass, mass, 1e-14);
      if (mean === 0) expect(Math.abs(m.mean)).toBeLessThan(1e-16);
      else expectRel(m.mean, mean, 1e-13);
      expectRel(m.std, std, 1e-13);
      const s = simpsonMoments(a, b);
      expectRel(m.std, s.std, 1e-10);
    }
    // Half-normal: std √(1 − 2/π), mean √(2/π).
    const half = truncatedNormalMoments(0, 40);
    expectRel(half.std, Math.sqrt(1 - 2 / Math.PI), 1e-14);
    expectRel(half.mean, Math.sqrt(2 / Math.PI), 1e-14);
  });

  it('stays accurate on narrow intervals and far tails', () => {
    for (const [a, b] of [
      [-0.001, 0.001],
      [-0.2, 0.2],
      [1, 1.3],
      [-0.1, 0.45],
      [3, 3.2],
      [5, 6],
    ] as const) {
      const m = truncatedNormalMoments(a, b);
      const s = simpsonMoments(a, b);
      expectRel(m.std, s.std, 1e-9);
      expect(Math.abs(m.mean - s.mean)).toBeLessThan(1e-9 * Math.max(1, Math.abs(s.mean)));
    }
    // Tiny symmetric interval → nearly uniform: std ≈ width/√12.
    expectRel(truncatedNormalMoments(-1e-6, 1e-6).std, 2e-6 / Math.sqrt(12), 1e-9);
    // Far tail [30, 31]: mean ≈ 30 + 1/30 (Mills ratio), std ≈ 1/30.
    const tail = truncatedNormalMoments(30, 31);
    expectRel(tail.mean, simpsonMoments(30, 31).mean, 1e-9);
    expect(Math.abs(tail.std - 1 / 30)).toBeLessThan(2e-4);
  });
});

describe('resolveInitializer: constants', () => {
  it('zeros, ones, constant', () => {
    expect(resolveInitializer({ kind: 'zeros' }, [3, 4], 'torch')).toEqual({ kind: 'constant', value: 0 });
    expect(resolveInitializer({ kind: 'ones' }, [5], 'torch')).toEqual({ kind: 'constant', value: 1 });
    expect(resolveInitializer({ kind: 'constant', value: -0.25 }, [], 'keras')).toEqual({ kind: 'constant', value: -0.25 });
  });
});

describe('resolveInitializer: plain distributions', () => {
  it('uniform(low, high): std (high − low)/√12, no fans (so a rank-1 bias works in the torch layout)', () => {
    const r = dist({ kind: 'uniform', low: -0.5, high: 1.5 }, [30], 'torch');
    expect(r.dist).toEqual({ kind: 'uniform', low: -0.5, high: 1.5 });
    expect([r.fanIn, r.fanOut]).toEqual([null, null]);
    expectRel(r.expectedStd, 2 / Math.sqrt(12));
    expect(r.expectedMean).toBe(0.5);
  });

  it('normal(mean, std): std is a standard deviation; mean defaults to 0', () => {
    const r = dist({ kind: 'normal', mean: 1, std: 0.3 }, [4, 4], 'keras');
    expect(r.dist).toEqual({ kind: 'normal', mean: 1, std: 0.3 });
    expect([r.expectedMean, r.expectedStd]).toEqual([1, 0.3]);
    expect(dist({ kind: 'normal', std: 2 }, [1], 'keras').dist).toEqual({ kind: 'normal', mean: 0, std: 2 });
  });

  it('truncatedNormal: defaults a = -2, b = 2 in std units; expectedStd is the truncated std', () => {
    const r = dist({ kind: 'truncatedNormal', std: 1 }, [8], 'keras');
    expect(r.dist).toEqual({ kind: 'truncatedNormal', mean: 0, std: 1, a: -2, b: 2, bounds: 'std' });
    expectRel(r.expectedStd, TRUNCATED_NORMAL_STD_2, 1e-15);
  });

  it("truncatedNormal with bounds 'absolute' (PyTorch trunc_normal_) converts the bounds to std units", () => {
    // mean 1, std 2, [a, b] = [-1, 3] → [-1, 1] std units → std 2·0.5395600937548969, mean 1.
    const r = dist({ kind: 'truncatedNormal', mean: 1, std: 2, a: -1, b: 3, bounds: 'absolute' }, [8], 'torch');
    expect(r.dist).toEqual({ kind: 'truncatedNormal', mean: 1, std: 2, a: -1, b: 3, bounds: 'absolute' });
    expectRel(r.expectedStd, 2 * 0.5395600937548969, 1e-13);
    expectRel(r.expectedMean, 1, 1e-15);
    // PyTorch's default trunc_normal_(mean=0, std=1, a=-2, b=2) equals ±2 std units here.
    const d = dist({ kind: 'truncatedNormal', mean: 0, std: 1, a: -2, b: 2, bounds: 'absolute' }, [8], 'torch');
    expectRel(d.expectedStd, TRUNCATED_NORMAL_STD_2, 1e-15);
    // Asymmetric: std 0.5, [0, 1.5] absolute = [0, 3] std units.
    const asym = dist({ kind: 'truncatedNormal', std: 0.5, a: 0, b: 1.5, bounds: 'absolute' }, [8], 'torch');
    expectRel(asym.expectedStd, 0.5 * 0.5894130989686281, 1e-13);
    expectRel(asym.expectedMean, 0.5 * 0.7911568260634169, 1e-13);
  });
});

describe('resolveInitializer: PyTorch (torch/nn/init.py)', () => {
  it('xavierUniform: bound = gain·√(6/(fan_in + fan_out)), bit-equal to PyTorch on nn.Linear(20, 30)', () => {
    const r = dist({ kind: 'xavierUniform' }, [30, 20], 'torch');
    // Python: std = 1 * math.sqrt(2.0 / float(50)); a = math.sqrt(3.0) * std
    expect(r.dist).toEqual({ kind: 'uniform', low: -0.34641016151377546, high: 0.34641016151377546 });
    expect([r.fanIn, r.fanOut]).toEqual([20, 30]);
    expectRel(r.expectedStd, Math.sqrt(2 / 50));
    const g = dist({ kind: 'xavierUniform', gain: 5 / 3 }, TORCH_CONV, 'torch');
    const bound = (5 / 3) * Math.sqrt(6 / (147 + 3136));
    expectRel((g.dist as { high: number }).high, bound);
  });

  it('xavierNormal: untruncated N(0, (gain·√(2/(fan_in + fan_out)))²)', () => {
    const r = dist({ kind: 'xavierNormal', gain: 2 }, TORCH_CONV, 'torch');
    expect(r.dist.kind).toBe('normal');
    expectRel((r.dist as { std: number }).std, 2 * Math.sqrt(2 / (147 + 3136)));
    expectRel(r.expectedStd, 2 * Math.sqrt(2 / 3283));
  });

  it("kaimingUniform defaults (a = 0, 'fan_in', 'leaky_relu'): bound √(6/fan_in)", () => {
    const r = dist({ kind: 'kaimingUniform' }, TORCH_CONV, 'torch');
    expect(r.dist.kind).toBe('uniform');
    expectRel((r.dist as { high: number }).high, Math.sqrt(6 / 147));
    expectRel(r.expectedStd, Math.sqrt(2 / 147));
  });

  it('kaimingUniform with a = √5 (nn.Linear default) is PyTorch-bit-equal and ≈ 1/√fan_in', () => {
    const r = dist({ kind: 'kaimingUniform', a: Math.sqrt(5) }, [30, 20], 'torch');
    // Python: gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2)); math.sqrt(3.0) * (gain / math.sqrt(20))
    expect(r.dist).toEqual({ kind: 'uniform', low: -0.22360679774997894, high: 0.22360679774997894 });
    expectRel((r.dist as { high: number }).high, 1 / Math.sqrt(20), 1e-15);
  });

  it('kaimingNormal: untruncated N(0, (gain/√fan)²); mode fan_out; other nonlinearities', () => {
    // Python: math.sqrt(2.0 / (1 + 0 ** 2)) / math.sqrt(147)
    const d = dist({ kind: 'kaimingNormal' }, TORCH_CONV, 'torch');
    expect(d.dist).toEqual({ kind: 'normal', mean: 0, std: 0.11664236870396087 });
    const out = dist({ kind: 'kaimingNormal', mode: 'fan_out', nonlinearity: 'relu' }, TORCH_CONV, 'torch');
    expectRel((out.dist as { std: number }).std, Math.sqrt(2 / 3136));
    const tanh = dist({ kind: 'kaimingNormal', nonlinearity: 'tanh' }, TORCH_CONV, 'torch');
    expectRel(tanh.expectedStd, 5 / 3 / Math.sqrt(147));
    const leaky = dist({ kind: 'kaimingUniform', a: 0.2 }, [10, 40], 'torch');
    expectRel((leaky.dist as { high: number }).high, (Math.sqrt(3) * Math.sqrt(2 / 1.04)) / Math.sqrt(40));
    const selu = dist({ kind: 'kaimingNormal', nonlinearity: 'selu' }, [10, 40], 'torch');
    expectRel(selu.expectedStd, 0.75 / Math.sqrt(40));
  });
});

describe('resolveInitializer: Keras / JAX variance scaling', () => {
  const vs = (spec: InitializerSpec) => dist(spec, KERAS_CONV, 'keras');

  it('glorotUniform: limit √(6/(fan_in + fan_out))', () => {
    const r = vs({ kind: 'glorotUniform' });
    expect([r.fanIn, r.fanOut]).toEqual([144, 288]);
    expectRel((r.dist as { high: number }).high, Math.sqrt(6 / (144 + 288)));
    expect((r.dist as { low: number }).low).toBe(-(r.dist as { high: number }).high);
    expectRel(r.expectedStd, Math.sqrt(2 / 432));
  });

  it('glorotNormal: truncated at ±2 std units, std √(2/(fi+fo))/0.8796…, bit-equal to Keras', () => {
    const r = vs({ kind: 'glorotNormal' });
    // Python (Keras VarianceScaling.__call__): scale = 1.0 / max(1.0, (144 + 288) / 2.0); math.sqrt(scale) / 0.87962566103423978
    expect(r.dist).toEqual({ kind: 'truncatedNormal', mean: 0, std: 0.0773526566562144, a: -2, b: 2, bounds: 'std' });
    expectRel(r.expectedStd, Math.sqrt(2 / 432), 1e-15); // std after truncation = √(scale/n)
  });

  it('heNormal / heUniform: scale 2, fan_in', () => {
    const n = vs({ kind: 'heNormal' });
    expectRel((n.dist as { std: number }).std, Math.sqrt(2 / 144) / 0.87962566103423978, 1e-15);
    expectRel(n.expectedStd, Math.sqrt(2 / 144), 1e-15);
    const u = vs({ kind: 'heUniform' });
    expect((u.dist as { high: number }).high).toBe(0.2041241452319315); // Python: math.sqrt(3.0 * (2.0 / 144))
  });

  it('lecunNormal / lecunUniform: scale 1, fan_in', () => {
    const n = vs({ kind: 'lecunNormal' });
    expectRel((n.dist as { std: number }).std, Math.sqrt(1 / 144) / 0.87962566103423978, 1e-15);
    expectRel(n.expectedStd, 1 / 12, 1e-15);
    const u = vs({ kind: 'lecunUniform' });
    expectRel((u.dist as { high: number }).high, Math.sqrt(3 / 144), 1e-15);
  });

  it('varianceScaling: every mode and distribution', () => {
    const fi = 144;
    const fo = 288;
    const n = { fan_in: fi, fan_out: fo, fan_avg: (fi + fo) / 2, fan_geo_avg: Math.sqrt(fi * fo) } as const;
    for (const mode of ['fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'] as const) {
      const scale = 0.7;
      const want = Math.sqrt(scale / n[mode]);
      const tn = vs({ kind: 'varianceScaling', scale, mode, distribution: 'truncated_normal' });
      expectRel((tn.dist as { std: number }).std, want / 0.87962566103423978, 1e-15);
      expectRel(tn.expectedStd, want, 1e-15);
      const alias = vs({ kind: 'varianceScaling', scale, mode, distribution: 'normal' }); // Keras: 'normal' = truncated
      expect(alias.dist).toEqual(tn.dist);
      const un = vs({ kind: 'varianceScaling', scale, mode, distribution: 'untruncated_normal' });
      expect(un.dist.kind).toBe('normal');
      expectRel((un.dist as { std: number }).std, want, 1e-15);
      const u = vs({ kind: 'varianceScaling', scale, mode, distribution: 'uniform' });
      expectRel((u.dist as { high: number }).high, Math.sqrt((3 * scale) / n[mode]), 1e-15);
      expectRel(u.expectedStd, want, 1e-15);
    }
  });

  it("varianceScaling defaults are Keras's (1, 'fan_in', 'truncated_normal')", () => {
    expect(vs({ kind: 'varianceScaling' })).toEqual(vs({ kind: 'lecunNormal' }));
  });

  it('truncationCorrection: false drops the 0.8796… divisor (TF.js), so the values have std 0.8796·√(scale/n)', () => {
    const r = vs({ kind: 'varianceScaling', scale: 2, mode: 'fan_in', truncationCorrection: false });
    expectRel((r.dist as { std: number }).std, Math.sqrt(2 / 144), 1e-15);
    expectRel(r.expectedStd, 0.87962566103423978 * Math.sqrt(2 / 144), 1e-15);
  });

  it('a zero-element shape divides by max(1, n) like Keras (nothing is generated anyway)', () => {
    const r = dist({ kind: 'heUniform' }, [0, 5], 'keras');
    expect(r.fanIn).toBe(0);
    expectRel((r.dist as { high: number }).high, Math.sqrt(6));
    const t = dist({ kind: 'xavierNormal' }, [0, 0], 'torch');
    expectRel(t.expectedStd, Math.sqrt(2));
  });

  it('explicit JAX axes', () => {
    const r = dist({ kind: 'lecunNormal' }, [64, 3, 7, 7], { inAxis: 1, outAxis: 0 });
    expect([r.fanIn, r.fanOut]).toEqual([147, 3136]);
    expectRel(r.expectedStd, Math.sqrt(1 / 147), 1e-15);
  });
});

describe('resolveInitializer: structured matrices', () => {
  it('eye / identity: 2-D, rectangular allowed, value = gain', () => {
    expect(resolveInitializer({ kind: 'eye' }, [3, 5], 'torch')).toEqual({ kind: 'eye', rows: 3, cols: 5, value: 1 });
    expect(resolveInitializer({ kind: 'identity', gain: 2 }, [4, 4], 'keras')).toEqual({ kind: 'eye', rows: 4, cols: 4, value: 2 });
    expectInvalid(() => resolveInitializer({ kind: 'eye' }, [2, 2, 2], 'torch'), 'shape');
    expectInvalid(() => resolveInitializer({ kind: 'identity' }, [4], 'keras'), 'shape');
  });

  it('dirac: 3–5-D torch shapes, groups dividing shape[0]', () => {
    expect(resolveInitializer({ kind: 'dirac' }, [3, 16, 5, 5], 'torch')).toEqual({ kind: 'dirac', groups: 1, shape: [3, 16, 5, 5] });
    expect(resolveInitializer({ kind: 'dirac', groups: 3 }, [3, 24, 5, 5], 'torch')).toEqual({
      kind: 'dirac',
      groups: 3,
      shape: [3, 24, 5, 5],
    });
    expect(resolveInitializer({ kind: 'dirac' }, [4, 4, 3], 'torch').kind).toBe('dirac');
    expect(resolveInitializer({ kind: 'dirac' }, [4, 4, 3, 3, 3], 'torch').kind).toBe('dirac');
    expectInvalid(() => resolveInitializer({ kind: 'dirac', groups: 4 }, [6, 4, 3, 3], 'torch'), 'spec.groups');
    expectInvalid(() => resolveInitializer({ kind: 'dirac', groups: 0 }, [6, 4, 3, 3], 'torch'), 'spec.groups');
    expectInvalid(() => resolveInitializer({ kind: 'dirac', groups: 1.5 }, [6, 4, 3, 3], 'torch'), 'spec.groups');
    expectInvalid(() => resolveInitializer({ kind: 'dirac' }, [6, 4], 'torch'), 'shape');
    expectInvalid(() => resolveInitializer({ kind: 'dirac' }, [2, 2, 2, 2, 2, 2], 'torch'), 'shape');
    expectInvalid(() => resolveInitializer({ kind: 'dirac' }, [3, 3, 4, 6], 'keras'), 'layout');
  });

  it('orthogonal: PyTorch flattening (rows = shape[0]) and Keras flattening (cols = shape[-1])', () => {
    expect(resolveInitializer({ kind: 'orthogonal' }, TORCH_CONV, 'torch')).toEqual({
      kind: 'orthogonal',
      rows: 64,
      cols: 147,
      gain: 1,
      flatten: 'torch',
    });
    expect(resolveInitializer({ kind: 'orthogonal', gain: 2 }, KERAS_CONV, 'keras')).toEqual({
      kind: 'orthogonal',
      rows: 144,
      cols: 32,
      gain: 2,
      flatten: 'keras',
    });
    expect(resolveInitializer({ kind: 'orthogonal' }, KERAS_CONV, { inAxis: -2, outAxis: -1 })).toMatchObject({ flatten: 'keras' });
    expect(resolveInitializer({ kind: 'orthogonal', flatten: 'keras' }, TORCH_CONV, 'torch')).toMatchObject({
      rows: 64 * 3 * 7,
      cols: 7,
    });
    expectInvalid(() => resolveInitializer({ kind: 'orthogonal' }, [5], 'keras'), 'shape');
    expectInvalid(() => resolveInitializer({ kind: 'orthogonal', flatten: 'jax' as 'keras' }, [5, 5], 'keras'), 'spec.flatten');
  });
});

describe('resolveInitializer: bad inputs', () => {
  const shape = [30, 20];
  const bad: [InitializerSpec | unknown, string, number[]?, FanLayout?][] = [
    [null, 'spec'],
    ['glorotUniform', 'spec'],
    [{ kind: 'gaussian' }, 'spec.kind'],
    [{}, 'spec.kind'],
    [{ kind: 'constant' }, 'spec.value'],
    [{ kind: 'constant', value: Infinity }, 'spec.value'],
    [{ kind: 'constant', value: 1e39 }, 'spec.value'], // beyond f32
    [{ kind: 'uniform', low: 1, high: 1 }, 'spec.high'],
    [{ kind: 'uniform', low: 2, high: 1 }, 'spec.high'],
    [{ kind: 'uniform', low: 1, high: 1 + 1e-12 }, 'spec.high'], // equal after rounding to f32
    [{ kind: 'uniform', low: NaN, high: 1 }, 'spec.low'],
    [{ kind: 'uniform', high: 1 }, 'spec.low'],
    [{ kind: 'normal', std: -1 }, 'spec.std'],
    [{ kind: 'normal', std: 0 }, 'spec.std'],
    [{ kind: 'normal', std: NaN }, 'spec.std'],
    [{ kind: 'normal' }, 'spec.std'],
    [{ kind: 'normal', std: 1, mean: '0' }, 'spec.mean'],
    [{ kind: 'truncatedNormal', std: -0.1 }, 'spec.std'],
    [{ kind: 'truncatedNormal', std: 1, a: 2, b: 1 }, 'spec.b'],
    [{ kind: 'truncatedNormal', std: 1, a: 1, b: 1 }, 'spec.b'],
    [{ kind: 'truncatedNormal', std: 1, bounds: 'sigma' }, 'spec.bounds'],
    [{ kind: 'truncatedNormal', std: 1, a: 100, b: 101, bounds: 'absolute' }, 'spec.a'], // no mass left in doubles
    [{ kind: 'truncatedNormal', std: 1, a: 13, b: 14 }, 'spec.b'], // beyond the generator's truncation limit
    [{ kind: 'varianceScaling', scale: -1 }, 'spec.scale'],
    [{ kind: 'varianceScaling', scale: 0 }, 'spec.scale'],
    [{ kind: 'varianceScaling', mode: 'fan_sum' }, 'spec.mode'],
    [{ kind: 'varianceScaling', mode: 'FAN_IN' }, 'spec.mode'],
    [{ kind: 'varianceScaling', distribution: 'gaussian' }, 'spec.distribution'],
    [{ kind: 'varianceScaling', truncationCorrection: 'yes' }, 'spec.truncationCorrection'],
    [{ kind: 'xavierUniform', gain: -1 }, 'spec.gain'],
    [{ kind: 'xavierNormal', gain: 0 }, 'spec.gain'],
    [{ kind: 'kaimingUniform', mode: 'fan_avg' }, 'spec.mode'],
    [{ kind: 'kaimingNormal', nonlinearity: 'gelu' }, 'spec.nonlinearity'],
    [{ kind: 'kaimingNormal', a: NaN }, 'spec.a'],
    [{ kind: 'kaimingNormal', a: true }, 'spec.a'],
    [{ kind: 'eye', gain: NaN }, 'spec.gain'],
    [{ kind: 'orthogonal', gain: Infinity }, 'spec.gain'],
    // Fan-based initializers need rank >= 2 in the torch layout (PyTorch errors too); plain ones do not.
    [{ kind: 'kaimingUniform' }, 'shape', [30], 'torch'],
    [{ kind: 'xavierNormal' }, 'shape', [], 'torch'],
    [{ kind: 'glorotUniform' }, 'shape[1]', [3, -1], 'keras'],
    [{ kind: 'zeros' }, 'shape[0]', [1.5, 2], 'keras'],
    [{ kind: 'zeros' }, 'shape[1]', [2, NaN], 'keras'],
    [{ kind: 'zeros' }, 'layout', [2, 2], 'nchw' as FanLayout],
    [{ kind: 'lecunNormal' }, 'layout.inAxis', [2, 2], { inAxis: 5, outAxis: 0 }],
  ];
  for (const [spec, parameter, s, layout] of bad) {
    it(`${JSON.stringify(spec)} on ${JSON.stringify(s ?? shape)} → ${parameter}`, () => {
      expectInvalid(() => resolveInitializer(spec as InitializerSpec, s ?? shape, layout ?? 'torch'), parameter);
    });
  }

  it('every error names the parameter, the value and the accepted range', () => {
    expect(() => resolveInitializer({ kind: 'normal', std: -1 }, [3], 'torch')).toThrow(/^spec\.std: got -1; expected a positive/);
    expect(() => resolveInitializer({ kind: 'gaussian' } as unknown as InitializerSpec, [3], 'torch')).toThrow(/'glorotUniform'/);
    expect(() => resolveInitializer({ kind: 'normal', std: -1 }, [3], 'torch', 'layers[2].weight')).toThrow(/^layers\[2\]\.weight\.std/);
  });

  it('plain distributions do not need fans (a rank-1 bias in the torch layout)', () => {
    expect(resolveInitializer({ kind: 'uniform', low: -1, high: 1 }, [30], 'torch').kind).toBe('distribution');
    expect(resolveInitializer({ kind: 'zeros' }, [30], 'torch').kind).toBe('constant');
  });
});

describe('specs are JSON', () => {
  it('every kind resolves the same after a JSON round trip', () => {
    const specs: InitializerSpec[] = [
      { kind: 'zeros' },
      { kind: 'ones' },
      { kind: 'constant', value: 0.1 },
      { kind: 'uniform', low: -0.1, high: 0.2 },
      { kind: 'normal', mean: 0, std: 0.02 },
      { kind: 'truncatedNormal', mean: 0, std: 0.02, a: -2, b: 2, bounds: 'std' },
      { kind: 'varianceScaling', scale: 2, mode: 'fan_out', distribution: 'uniform' },
      { kind: 'glorotUniform' },
      { kind: 'glorotNormal' },
      { kind: 'xavierUniform', gain: 1 },
      { kind: 'xavierNormal', gain: 1 },
      { kind: 'heUniform' },
      { kind: 'heNormal' },
      { kind: 'kaimingUniform', a: Math.sqrt(5) },
      { kind: 'kaimingNormal', mode: 'fan_out', nonlinearity: 'relu' },
      { kind: 'lecunUniform' },
      { kind: 'lecunNormal' },
      { kind: 'eye' },
      { kind: 'identity' },
      { kind: 'dirac' },
      { kind: 'orthogonal', gain: 1 },
    ];
    expect(specs.map((s) => s.kind).sort()).toEqual([...INITIALIZER_KINDS].sort());
    for (const spec of specs) {
      const shape = spec.kind === 'eye' || spec.kind === 'identity' ? [6, 6] : [6, 6, 3, 3];
      const copy = JSON.parse(JSON.stringify(spec)) as InitializerSpec;
      expect(resolveInitializer(copy, shape, 'torch')).toEqual(resolveInitializer(spec, shape, 'torch'));
    }
  });
});
