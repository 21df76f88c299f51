// The plan: a request validated and resolved once; slices of it are plans of their own, with the 64-bit
// start split into block and phase in one place.
import { describe, expect, it } from 'vitest';
import { normal, truncatedNormal, uniform } from '../../src/contract/distributions.js';
import { planGenerate, slicePlan, splitPlan } from '../../src/contract/plan.js';
import { generate, generatePlanned } from '../../src/twin/generate.js';

describe('planGenerate', () => {
  it('resolves every field the executors read, named as the WGSL Params fields', () => {
    const plan = planGenerate({
      seed: (5n << 32n) | 3n,
      stream: (7n << 32n) | 2n,
      start: (9n << 34n) + 4n * 11n + 3n,
      count: 10,
      dist: normal(1, 2),
      dtype: 'bf16',
    });
    expect(plan).toEqual({
      entryPoint: 'generateNormal',
      dtype: 'bf16',
      key: [3, 5],
      stream: [2, 7],
      start: (9n << 34n) + 47n,
      startBlock: [11, 9],
      phase: 3,
      count: 10,
      params: { low: 0, range: 0, mean: 1, stddev: 2, pLow: 0, pWidth: 0, clampLow: 0, clampHigh: 0 },
    });
    expect(Object.isFrozen(plan) && Object.isFrozen(plan.params) && Object.isFrozen(plan.startBlock)).toBe(true);
  });

  it('rounds the distribution once: uniform low and range, truncated-normal CDF bounds', () => {
    expect(planGenerate({ seed: 1, count: 1, dist: uniform(0.1, 0.7) }).params).toMatchObject({
      low: Math.fround(0.1),
      range: Math.fround(Math.fround(0.7) - Math.fround(0.1)),
    });
    const t = planGenerate({ seed: 1, count: 1, dist: truncatedNormal(0, 1, -2, 2) }).params;
    expect(t.pWidth).toBeGreaterThan(0.95);
    expect(t.clampLow).toBe(-2);
  });

  it('rejects bad requests with typed errors naming the parameter', () => {
    expect(() => planGenerate({ seed: -1, count: 1 })).toThrowError(expect.objectContaining({ code: 'InvalidParameter', parameter: 'seed' }));
    expect(() => planGenerate({ seed: 1, count: 1.5 })).toThrowError(expect.objectContaining({ parameter: 'count' }));
    expect(() => planGenerate({ seed: 1, count: 1, dtype: 'f16' })).toThrowError(expect.objectContaining({ parameter: 'dtype' }));
  });
});

describe('slicePlan and splitPlan', () => {
  it('a slice across the 2^32-block carry is the plan of its own range', () => {
    const plan = planGenerate({ seed: 3, start: (1n << 34n) - 6n, count: 20, dist: uniform() });
    const slice = slicePlan(plan, 9, 5);
    expect(slice).toEqual(planGenerate({ seed: 3, start: (1n << 34n) + 3n, count: 5, dist: uniform() }));
    expect(slice.startBlock).toEqual([0, 1]);
    expect(slice.phase).toBe(3);
    expect(() => slicePlan(plan, 18, 3)).toThrowError(RangeError);
  });

  it('the slices of a split cover the plan in order and execute to the same values', () => {
    const plan = planGenerate({ seed: 8, stream: 2, start: 2n ** 36n - 7n, count: 1001, dist: normal(0, 3), dtype: 'f16' });
    const whole = generatePlanned(plan);
    for (const size of [1, 2, 7, 64, 1000, 5000]) {
      const parts = splitPlan(plan, size);
      expect(parts.reduce((n, p) => n + p.count, 0)).toBe(1001);
      const joined = new Uint16Array(1001);
      let at = 0;
      for (const p of parts) {
        joined.set(generatePlanned(p) as Uint16Array, at);
        at += p.count;
      }
      expect(joined).toEqual(whole);
    }
    expect(whole).toEqual(generate({ seed: 8, stream: 2, start: 2n ** 36n - 7n, count: 1001, dist: normal(0, 3), dtype: 'f16' }));
  });
});
