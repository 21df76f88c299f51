// Every initializer kind on the GPU against the CPU twin (bit for bit, slices, dtypes, canaries), and
// each distribution initializer's empirical std against its formula.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DTYPE_BYTES } from '../../src/contract/dtypes.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { initialize as initializeGpu } from '../../src/gpu/initialize.js';
import type { FanLayout } from '../../src/init/fans.js';
import type { InitializeOptions } from '../../src/init/plan-initialize.js';
import { SCHEMES, tfjsVarianceScaling, torchDefaultBias, torchDefaultWeight } from '../../src/init/presets.js';
import { type InitializerSpec, resolveInitializer } from '../../src/init/resolve-initializer.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { inErrorScope, nodeContext } from '../helpers/gpu.js';

const CANARY = 0x5a5a;
let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

async function check(o: InitializeOptions & { offset: number }): Promise<void> {
  const eb = DTYPE_BYTES[o.dtype ?? 'f32'];
  const want = initializeCpu(o);
  await inErrorScope(ctx, async (scope) => {
    const size = Math.ceil((o.offset + eb * want.length + 32) / 4) * 4;
    const buffer = scope.buffer(size);
    const canary = new Uint16Array(size / 2).fill(CANARY);
    ctx.device.queue.writeBuffer(buffer, 0, canary);
    const r = await initializeGpu(ctx, { ...o, buffer });
    expect(r.count).toBe(want.length);
    const all = new Uint16Array((await ctx.read(buffer, { count: size / 4, dtype: 'u32' })).buffer);
    const expected = canary.slice();
    expected.set(new Uint16Array(want.buffer, want.byteOffset, want.byteLength / 2), o.offset / 2);
    const first = all.findIndex((h, i) => h !== expected[i]);
    expect(first, `${JSON.stringify(o.init)} ${o.shape} ${o.dtype}: first differing half-word`).toBe(-1);
  });
}

const kinds: [InitializerSpec, number[], FanLayout?][] = [
  [{ kind: 'zeros' }, [5, 7]],
  [{ kind: 'ones' }, [3, 3, 3]],
  [{ kind: 'constant', value: -0.3 }, [33]],
  [{ kind: 'glorotUniform' }, [3, 3, 16, 8], 'keras'],
  [{ kind: 'xavierNormal', gain: 2 }, [8, 16, 3, 3]],
  [{ kind: 'kaimingUniform', a: Math.sqrt(5) }, [10, 20]],
  [{ kind: 'heNormal' }, [3, 3, 4, 8], 'keras'],
  [{ kind: 'lecunNormal' }, [17, 9], 'keras'],
  [{ kind: 'truncatedNormal', std: 0.02, a: -0.04, b: 0.04, bounds: 'absolute' }, [50, 3]],
  [{ kind: 'eye' }, [7, 11]],
  [{ kind: 'eye', gain: 3 }, [11, 7]],
  [{ kind: 'dirac' }, [6, 4, 3, 3]],
  [{ kind: 'dirac', groups: 2 }, [8, 3, 5]],
  [{ kind: 'dirac' }, [4, 4, 3, 3, 3]],
  [{ kind: 'orthogonal' }, [24, 10]],
  [{ kind: 'orthogonal', gain: 2 }, [6, 4, 3]],
  [{ kind: 'orthogonal' }, [3, 3, 8], 'keras'],
];

describe('initialize: GPU == CPU twin', () => {
  it.each(kinds)('%j on %j', async (init, shape, layout) => {
    const total = shape.reduce((a, b) => a * b, 1);
    for (const dtype of ['f32', 'f16', 'bf16'] as const) {
      await check({ init, shape, layout, seed: 7, stream: 3, dtype, offset: DTYPE_BYTES[dtype] });
      // A slice that starts mid-row and ends early.
      const start = Math.floor(total / 3) + 1;
      await check({ init, shape, layout, seed: 7, stream: 3, dtype, start, count: Math.max(1, Math.floor(total / 2) - 1), offset: 2 * DTYPE_BYTES[dtype] });
    }
  });

  it('eye and dirac put their ones where PyTorch does', () => {
    const eye = initializeCpu({ init: { kind: 'eye' }, shape: [3, 4], seed: 0 });
    expect(Array.from(eye)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
    // dirac_ on [2, 2, 3]: w[0, 0, 1] = w[1, 1, 1] = 1.
    const dirac = initializeCpu({ init: { kind: 'dirac' }, shape: [2, 2, 3], seed: 0 });
    expect(Array.from(dirac)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    // groups = 2 on [4, 1, 1]: w[0, 0, 0] = w[2, 0, 0] = 1.
    const grouped = initializeCpu({ init: { kind: 'dirac', groups: 2 }, shape: [4, 1, 1], seed: 0 });
    expect(Array.from(grouped)).toEqual([1, 0, 1, 0]);
  });
});

describe('empirical std within 1% of the formula (2^19 elements on the GPU)', () => {
  // Relative standard error of a sample std over n = 2^19 is below 1e-3 for these distributions, so 1% is
  // at least 10 standard errors: false-failure probability below 1e-22 per case.
  const shape = [512, 1024];
  const cases: [string, InitializerSpec, FanLayout][] = [
    ['glorotUniform', { kind: 'glorotUniform' }, 'keras'],
    ['glorotNormal', { kind: 'glorotNormal' }, 'keras'],
    ['xavierUniform gain 1.5', { kind: 'xavierUniform', gain: 1.5 }, 'torch'],
    ['xavierNormal', { kind: 'xavierNormal' }, 'torch'],
    ['heUniform', { kind: 'heUniform' }, 'keras'],
    ['heNormal', { kind: 'heNormal' }, 'keras'],
    ['kaimingUniform a=sqrt5', { kind: 'kaimingUniform', a: Math.sqrt(5) }, 'torch'],
    ['kaimingNormal fan_out relu', { kind: 'kaimingNormal', mode: 'fan_out', nonlinearity: 'relu' }, 'torch'],
    ['lecunUniform', { kind: 'lecunUniform' }, 'keras'],
    ['lecunNormal', { kind: 'lecunNormal' }, 'keras'],
    ['varianceScaling fan_avg truncated', { kind: 'varianceScaling', scale: 2, mode: 'fan_avg', distribution: 'truncated_normal' }, 'keras'],
    ['varianceScaling fan_geo_avg uniform', { kind: 'varianceScaling', scale: 0.5, mode: 'fan_geo_avg', distribution: 'uniform' }, 'keras'],
    ['varianceScaling fan_out untruncated', { kind: 'varianceScaling', scale: 1, mode: 'fan_out', distribution: 'untruncated_normal' }, 'keras'],
    ['torch default weight', torchDefaultWeight(), 'torch'],
    ['torch default bias', torchDefaultBias(shape), 'torch'],
    ['tfjs varianceScaling (no truncation correction)', tfjsVarianceScaling({ distribution: 'normal' }), 'tfjs'],
    ['truncatedNormal', { kind: 'truncatedNormal', std: 0.02 }, 'torch'],
    ...Object.entries(SCHEMES).map(([name, make]): [string, InitializerSpec, FanLayout] => [`article scheme ${name}`, make(), 'torch']),
  ];
  it.each(cases)('%s', async (_name, init, layout) => {
    const resolved = resolveInitializer(init, shape, layout);
    expect(resolved.kind).toBe('distribution');
    if (resolved.kind !== 'distribution') return;
    let values = new Float32Array(0);
    await inErrorScope(ctx, async (scope) => {
      const r = await initializeGpu(ctx, { init, shape, layout, seed: 123, stream: 9 });
      scope.track(r.buffer);
      values = (await ctx.readRange(r)) as Float32Array<ArrayBuffer>;
    });
    let mean = 0;
    for (const v of values) mean += v;
    mean /= values.length;
    let m2 = 0;
    for (const v of values) m2 += (v - mean) * (v - mean);
    const std = Math.sqrt(m2 / values.length);
    expect(Math.abs(std / resolved.expectedStd - 1)).toBeLessThan(0.01);
  });
});
