import { describe, expect, it } from 'vitest';
import type { FanLayout } from '../../src/init/fans.js';
import {
  flaxDense,
  he,
  kerasDense,
  type LayerInit,
  random,
  SCHEMES,
  smallRandom,
  type TfjsInitializerName,
  tfjsDense,
  tfjsInitializer,
  tfjsVarianceScaling,
  torchConv,
  torchDefaultBias,
  torchLinear,
  xavier,
} from '../../src/init/presets.js';
import { type InitializerSpec, type ResolvedInitializer, resolveInitializer } from '../../src/init/resolve-initializer.js';
import { expectInvalid } from '../helpers/errors.js';

function expectRel(actual: number, expected: number, rel = 1e-14): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel * Math.abs(expected));
}

type Dist = Extract<ResolvedInitializer, { kind: 'distribution' }>;
function resolveDist(spec: InitializerSpec, shape: readonly number[], layout: FanLayout): Dist {
  const r = resolveInitializer(spec, shape, layout);
  expect(r.kind).toBe('distribution');
  return r as Dist;
}
function weightOf(p: LayerInit): Dist {
  return resolveDist(p.weight, p.weightShape, p.layout);
}
function biasOf(p: LayerInit): ResolvedInitializer {
  return resolveInitializer(p.bias, p.biasShape, p.layout);
}

describe('PyTorch defaults (nn.Linear / nn.ConvNd reset_parameters)', () => {
  it('nn.Linear(20, 30): weight [30, 20] U(±1/√20) via kaiming_uniform_(a=√5), bias [30] U(±1/√20)', () => {
    const p = torchLinear(20, 30);
    expect(p.weightShape).toEqual([30, 20]);
    expect(p.biasShape).toEqual([30]);
    expect(p.weight).toEqual({ kind: 'kaimingUniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' });
    const w = weightOf(p);
    // Python: math.sqrt(3.0) * (math.sqrt(2.0 / (1 + math.sqrt(5) ** 2)) / math.sqrt(20)): one ulp below 1/√20.
    expect(w.dist).toEqual({ kind: 'uniform', low: -0.22360679774997894, high: 0.22360679774997894 });
    expectRel(w.expectedStd, 1 / Math.sqrt(20) / Math.sqrt(3));
    // Python: bound = 1 / math.sqrt(fan_in)
    expect(p.bias).toEqual({ kind: 'uniform', low: -0.22360679774997896, high: 0.22360679774997896 });
    expect(biasOf(p)).toMatchObject({ kind: 'distribution', fanIn: null });
  });

  it('nn.Conv2d(16, 33, (3, 5)): weight [33, 16, 3, 5], fan_in 240 for weight and bias', () => {
    const p = torchConv(16, 33, [3, 5]);
    expect(p.weightShape).toEqual([33, 16, 3, 5]);
    expect(p.biasShape).toEqual([33]);
    const w = weightOf(p);
    expect(w.fanIn).toBe(16 * 15);
    // Python: math.sqrt(3.0) * (math.sqrt(2.0 / (1 + math.sqrt(5) ** 2)) / math.sqrt(240))
    expect((w.dist as { high: number }).high).toBe(0.06454972243679027);
    const bound = 1 / Math.sqrt(240);
    expect(p.bias).toEqual({ kind: 'uniform', low: -bound, high: bound });
  });

  it('groups divide in_channels in the weight, so fan_in = in/groups · kernel', () => {
    const p = torchConv(16, 32, [3, 3], { groups: 4 });
    expect(p.weightShape).toEqual([32, 4, 3, 3]);
    const bound = 1 / Math.sqrt(4 * 9);
    expect(p.bias).toEqual({ kind: 'uniform', low: -bound, high: bound });
    // Depthwise conv1d: groups = in_channels.
    expect(torchConv(8, 8, [5], { groups: 8 }).weightShape).toEqual([8, 1, 5]);
  });

  it("ConvTranspose: weight [in, out/groups, ...k], so PyTorch's fan_in is out/groups · kernel", () => {
    const p = torchConv(16, 32, [3, 3], { transposed: true, groups: 2 });
    expect(p.weightShape).toEqual([16, 16, 3, 3]);
    expect(p.biasShape).toEqual([32]);
    expect(weightOf(p).fanIn).toBe(16 * 9);
    const q = torchConv(4, 10, [3, 3, 3], { transposed: true });
    expect(q.weightShape).toEqual([4, 10, 3, 3, 3]);
    const bound = 1 / Math.sqrt(10 * 27);
    expect(q.bias).toEqual({ kind: 'uniform', low: -bound, high: bound });
  });

  it('fan_in 0 gives a zero bias (Linear uses bound 0; Conv would leave it uninitialized)', () => {
    expect(torchLinear(0, 5).bias).toEqual({ kind: 'zeros' });
    expect(torchDefaultBias([5, 0, 3])).toEqual({ kind: 'zeros' });
  });

  it('rejects bad layer arguments', () => {
    expectInvalid(() => torchLinear(-1, 5), 'inFeatures');
    expectInvalid(() => torchLinear(3, 2.5), 'outFeatures');
    expectInvalid(() => torchConv(15, 32, [3, 3], { groups: 4 }), 'inChannels');
    expectInvalid(() => torchConv(16, 30, [3, 3], { groups: 4 }), 'outChannels');
    expectInvalid(() => torchConv(16, 32, [3, 3], { groups: 0 }), 'options.groups');
    expectInvalid(() => torchConv(16, 32, []), 'kernelSize');
    expectInvalid(() => torchConv(16, 32, [3, 3, 3, 3]), 'kernelSize');
    expectInvalid(() => torchConv(16, 32, [3, -1]), 'kernelSize[1]');
    expectInvalid(() => torchDefaultBias([5]), 'weightShape');
  });
});

describe('Keras, Flax and TF.js Dense defaults', () => {
  it('Keras Dense(30) on 20 inputs: kernel [20, 30] glorot_uniform, bias zeros', () => {
    const p = kerasDense(20, 30);
    expect([p.weightShape, p.biasShape, p.layout]).toEqual([[20, 30], [30], 'keras']);
    expect(p.weight).toEqual({ kind: 'glorotUniform' });
    const w = weightOf(p);
    expectRel((w.dist as { high: number }).high, Math.sqrt(6 / (20 + 30)));
    expect(biasOf(p)).toEqual({ kind: 'constant', value: 0 });
  });

  it('Flax nn.Dense(30) on 20 inputs: kernel [20, 30] lecun_normal (corrected truncated normal), bias zeros', () => {
    const p = flaxDense(20, 30);
    expect([p.weightShape, p.biasShape]).toEqual([[20, 30], [30]]);
    expect(p.layout).toEqual({ inAxis: -2, outAxis: -1 });
    const w = weightOf(p);
    expect(w.fanIn).toBe(20);
    expect(w.dist).toMatchObject({ kind: 'truncatedNormal', mean: 0, a: -2, b: 2, bounds: 'std' });
    expectRel((w.dist as { std: number }).std, Math.sqrt(1 / 20) / 0.87962566103423978, 1e-15);
    expectRel(w.expectedStd, Math.sqrt(1 / 20), 1e-15);
    expect(biasOf(p)).toEqual({ kind: 'constant', value: 0 });
  });

  it('TF.js dense: kernel glorotNormal WITHOUT the truncation correction, so its std is 0.8796·√(2/(fi+fo))', () => {
    const p = tfjsDense(20, 30);
    expect([p.weightShape, p.biasShape, p.layout]).toEqual([[20, 30], [30], 'tfjs']);
    const w = weightOf(p);
    // TF.js: scale = 1 / max(1, (20 + 30) / 2); truncatedNormal(shape, 0, Math.sqrt(scale)) → stddev 0.2.
    expect(w.dist).toEqual({ kind: 'truncatedNormal', mean: 0, std: 0.2, a: -2, b: 2, bounds: 'std' });
    expectRel(w.expectedStd, 0.2 * 0.87962566103423978, 1e-15);
    expect(biasOf(p)).toEqual({ kind: 'constant', value: 0 });
  });

  it('rejects bad sizes', () => {
    expectInvalid(() => kerasDense(NaN, 3), 'inputDim');
    expectInvalid(() => flaxDense(3, -2), 'features');
    expectInvalid(() => tfjsDense(3, 0.5), 'units');
  });
});

describe('TF.js initializers (tfjs-layers/src/initializers.ts)', () => {
  it('varianceScaling defaults: scale 1, fanIn, normal = truncated, uncorrected', () => {
    expect(tfjsVarianceScaling()).toEqual({
      kind: 'varianceScaling',
      scale: 1,
      mode: 'fan_in',
      distribution: 'truncated_normal',
      truncationCorrection: false,
    });
  });

  it("distribution 'truncatedNormal' passes TF.js validation but takes its uniform branch", () => {
    expect(tfjsVarianceScaling({ distribution: 'truncatedNormal' })).toMatchObject({ distribution: 'uniform' });
    expect(tfjsVarianceScaling({ distribution: 'uniform', mode: 'fanOut', scale: 3 })).toMatchObject({
      distribution: 'uniform',
      mode: 'fan_out',
      scale: 3,
    });
  });

  it('the named initializers', () => {
    const shape = [3, 3, 16, 32]; // fanIn 144, fanOut 288
    const std = (name: TfjsInitializerName) => resolveDist(tfjsInitializer(name), shape, 'tfjs');
    expectRel((std('glorotNormal').dist as { std: number }).std, Math.sqrt(1 / 216), 1e-15);
    expectRel((std('glorotUniform').dist as { high: number }).high, Math.sqrt(3 / 216), 1e-15);
    expectRel((std('heNormal').dist as { std: number }).std, Math.sqrt(2 / 144), 1e-15);
    expectRel((std('heUniform').dist as { high: number }).high, Math.sqrt(6 / 144), 1e-15);
    expectRel((std('leCunNormal').dist as { std: number }).std, Math.sqrt(1 / 144), 1e-15);
    expectRel((std('leCunUniform').dist as { high: number }).high, Math.sqrt(3 / 144), 1e-15);
    expect(std('randomNormal').dist).toEqual({ kind: 'normal', mean: 0, std: 0.05 });
    expect(std('randomUniform').dist).toEqual({ kind: 'uniform', low: -0.05, high: 0.05 });
    expect(std('truncatedNormal').dist).toEqual({ kind: 'truncatedNormal', mean: 0, std: 0.05, a: -2, b: 2, bounds: 'std' });
    expect(tfjsInitializer('zeros')).toEqual({ kind: 'zeros' });
    expect(tfjsInitializer('ones')).toEqual({ kind: 'ones' });
    expect(tfjsInitializer('varianceScaling')).toEqual(tfjsVarianceScaling());
  });

  it("a rank-1 shape uses TF.js's sqrt(numel) fans", () => {
    const r = resolveDist(tfjsInitializer('heNormal'), [10], 'tfjs');
    expectRel((r.dist as { std: number }).std, Math.sqrt(2 / Math.sqrt(10)), 1e-15);
  });

  it('rejects bad arguments', () => {
    expectInvalid(() => tfjsVarianceScaling({ mode: 'fan_in' as 'fanIn' }), 'args.mode');
    expectInvalid(() => tfjsVarianceScaling({ distribution: 'untruncatedNormal' as 'normal' }), 'args.distribution');
    expectInvalid(() => tfjsInitializer('orthogonal' as TfjsInitializerName), 'name');
    expectInvalid(() => resolveInitializer(tfjsVarianceScaling({ scale: -1 }), [3, 3], 'tfjs'), 'spec.scale');
  });
});

describe('the four schemes, with the published formulas', () => {
  const shape = [3, 3, 16, 32]; // Keras layout: fan_in 144, fan_out 288
  it('random: N(0, 1)', () => {
    const r = resolveDist(random(), shape, 'keras');
    expect(r.dist).toEqual({ kind: 'normal', mean: 0, std: 1 });
    expect(r.expectedStd).toBe(1);
  });

  it('smallRandom: N(0, 0.01²), 0.01 being the standard deviation', () => {
    const r = resolveDist(smallRandom(), shape, 'keras');
    expect(r.dist).toEqual({ kind: 'normal', mean: 0, std: 0.01 });
    expectRel(r.expectedStd ** 2, 1e-4);
  });

  it('xavier (Glorot & Bengio 2010, eq. 16): U(±√(6/(fan_in + fan_out))), Var = 2/(fan_in + fan_out)', () => {
    const r = resolveDist(xavier(), shape, 'keras');
    expect(r.dist.kind).toBe('uniform');
    expectRel((r.dist as { high: number }).high, Math.sqrt(6 / (144 + 288)));
    expectRel(r.expectedStd ** 2, 2 / (144 + 288));
  });

  it('he (He et al. 2015): N(0, 2/fan_in), untruncated', () => {
    const r = resolveDist(he(), shape, 'keras');
    expect(r.dist.kind).toBe('normal');
    expectRel(r.expectedStd ** 2, 2 / 144);
    expect(r.fanIn).toBe(144);
    // The same with a PyTorch weight [out, in, kh, kw].
    expectRel(resolveDist(he(), [32, 16, 3, 3], 'torch').expectedStd ** 2, 2 / 144);
  });

  it('SCHEMES lists exactly the four', () => {
    expect(Object.keys(SCHEMES).sort()).toEqual(['he', 'random', 'smallRandom', 'xavier']);
    expect(SCHEMES.xavier()).toEqual(xavier());
  });
});

describe('preset specs are JSON', () => {
  it('every preset spec survives a JSON round trip', () => {
    const layers = [torchLinear(7, 9), torchConv(4, 8, [3, 3]), kerasDense(7, 9), flaxDense(7, 9), tfjsDense(7, 9)];
    for (const p of layers) {
      const copy = JSON.parse(JSON.stringify(p)) as LayerInit;
      expect(copy).toEqual(p);
      expect(resolveInitializer(copy.weight, copy.weightShape, copy.layout)).toEqual(weightOf(p));
    }
  });
});
