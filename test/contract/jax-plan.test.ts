// JAX keys and plans: what is accepted, what is refused (an InvalidParameterError naming the parameter, before any
// device), and the parameters a plan holds.
import { describe, expect, it } from 'vitest';
import { createJaxKey, foldInJaxKey, MAX_SPLIT, splitJaxKey, wrapJaxKeyData } from '../../src/contract/jax-key.js';
import { type JaxRandomRequest, planJaxRandom } from '../../src/contract/jax-plan.js';
import { slicePlan } from '../../src/contract/plan.js';

const key = createJaxKey(0);

function refusal(f: () => unknown): { code?: string; parameter?: string } {
  try {
    f();
  } catch (e) {
    return e as { code?: string; parameter?: string };
  }
  throw new Error('accepted');
}

describe('JAX keys', () => {
  it('seeds as JAX takes them without x64: reduced modulo 2^32', () => {
    expect(createJaxKey(42).data).toEqual([0, 42]);
    expect(createJaxKey(-1).data).toEqual([0, 0xffffffff]);
    expect(createJaxKey(2n ** 32n + 5n).data).toEqual([0, 5]);
    expect(createJaxKey('123').data).toEqual([0, 123]);
    // The fact: key(0, impl='philox4x32') has data [1713891541, 3781805453].
    expect(createJaxKey(0, 'philox4x32').data).toEqual([1713891541, 3781805453]);
  });

  it('split of a shape is the row-major flattening of split of its element count, and fold_in(i) is split key i', () => {
    for (const impl of ['threefry2x32', 'philox4x32'] as const) {
      const k = createJaxKey(7, impl);
      expect(splitJaxKey(k, [2, 3])).toEqual(splitJaxKey(k, 6));
      expect(foldInJaxKey(k, 4)).toEqual(splitJaxKey(k, 6)[4]);
    }
  });

  it('refuses what JAX refuses or cannot hold', () => {
    expect(refusal(() => createJaxKey(1.5))).toMatchObject({ code: 'InvalidParameter', parameter: 'seed' });
    expect(refusal(() => createJaxKey(2n ** 64n))).toMatchObject({ parameter: 'seed' });
    expect(refusal(() => createJaxKey(0, 'rbg' as never))).toMatchObject({ parameter: 'impl' });
    expect(refusal(() => foldInJaxKey(key, -1))).toMatchObject({ parameter: 'data' });
    expect(refusal(() => foldInJaxKey(key, 2 ** 32))).toMatchObject({ parameter: 'data' });
    expect(refusal(() => splitJaxKey(key, MAX_SPLIT + 1))).toMatchObject({ parameter: 'num' });
    expect(refusal(() => splitJaxKey(key, [4096, 4097]))).toMatchObject({ parameter: 'num' });
    expect(refusal(() => wrapJaxKeyData([1, 2 ** 32] as never))).toMatchObject({ parameter: 'data.data[1]' });
    expect(refusal(() => splitJaxKey({ impl: 'threefry2x32', data: [1] } as never))).toMatchObject({ parameter: 'key' });
  });
});

describe('planJaxRandom', () => {
  const base: JaxRandomRequest = { key, shape: [4, 5], dist: 'uniform' };

  it("holds the sampler's parameters as XLA computes them", () => {
    expect(planJaxRandom(base).params).toEqual({ low: 0, range: 1, clampLow: 0, clampHigh: 0, scale: 1 });
    expect(planJaxRandom({ ...base, minval: -0.3, maxval: 0.7, dtype: 'bf16' }).params).toMatchObject({ low: -0.30078125, range: 1 });
    expect(planJaxRandom({ ...base, dist: 'normal' }).params).toMatchObject({ low: Math.fround(-0.99999994), range: 2 });
    const tn = planJaxRandom({ ...base, dist: 'truncatedNormal', lower: 0, upper: Number.POSITIVE_INFINITY }).params;
    // nextafter(0, inf) is an f32 subnormal, which XLA's CPU runtime reads as 0.
    expect(tn).toEqual({ low: 0, range: 1, clampLow: 0, clampHigh: Math.fround(3.4028234663852886e38), scale: 1 });
  });

  it('a plan and its slices: start, block and phase of the flattened index', () => {
    const p = planJaxRandom({ ...base, shape: [2 ** 20, 2 ** 20], start: 2n ** 34n + 3n, count: 10 });
    expect(p).toMatchObject({ numel: 2 ** 40, start: 2n ** 34n + 3n, startBlock: [0, 1], phase: 3, count: 10, entryPoint: 'jaxUniform' });
    expect(slicePlan(p, 1, 9)).toMatchObject({ start: 2n ** 34n + 4n, startBlock: [1, 1], phase: 0, count: 9 });
    expect(planJaxRandom({ ...base, dist: 'bits' })).toMatchObject({ dtype: 'u32', count: 20, impl: 'threefry2x32' });
  });

  it('refuses bad requests, naming the parameter', () => {
    const cases: [Partial<JaxRandomRequest> & Record<string, unknown>, string][] = [
      [{ key: {} as never }, 'key'],
      [{ dist: 'gamma' as never }, 'dist'],
      [{ shape: [2, -1] }, 'shape[1]'],
      [{ shape: [2 ** 30, 2 ** 30, 2 ** 30] }, 'shape'],
      [{ dtype: 'f64' as never }, 'dtype'],
      [{ dist: 'bits', dtype: 'f32' }, 'dtype'],
      [{ minval: 1, maxval: 1 }, 'maxval'],
      [{ minval: Number.NaN }, 'minval'],
      [{ maxval: 1e-30 }, 'maxval'],
      [{ minval: 2 ** -50, maxval: 2 ** -49 }, 'maxval'],
      [{ dist: 'truncatedNormal', lower: -2 }, 'upper'],
      [{ dist: 'truncatedNormal', lower: 2, upper: -2 }, 'upper'],
      [{ dist: 'normal', lower: -2 }, 'lower'],
      [{ start: 21 }, 'start'],
      [{ start: 5, count: 16 }, 'count'],
      [{ count: 1.5 }, 'count'],
    ];
    for (const [change, parameter] of cases) {
      expect(
        refusal(() => planJaxRandom({ ...base, ...change } as JaxRandomRequest)),
        JSON.stringify(change),
      ).toMatchObject({
        code: 'InvalidParameter',
        parameter,
      });
    }
  });
});
