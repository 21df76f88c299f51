import { describe, expect, it } from 'vitest';
import { bits, normal, truncatedNormal, uniform } from '../../src/contract/distributions.js';
import { planGenerate } from '../../src/contract/plan.js';
import { InvalidParameterError, type WeightInitError } from '../../src/errors.js';
import { blockWords, generate, generateBits } from '../../src/twin/generate.js';
import { bitsToF32, f32ToBits, fenceF32, uniformFromWord, uniformRange } from '../../src/twin/transforms.js';
import { refUniform, refWord, testWords } from '../helpers/reference.js';

describe('stream contract on the CPU twin', () => {
  it('element i is word i % 4 of Philox(counter = (i/4 lo, i/4 hi, stream lo, stream hi), key = seed)', () => {
    const seed = 0x0123456789abcdefn;
    const stream = 0xfedcba9876543210n;
    const starts = [0n, 1n, 3n, 5n, (1n << 34n) - 6n, (1n << 64n) - 9n];
    for (const start of starts) {
      const got = generate({ seed, stream, start, count: 9 });
      const want = Array.from({ length: 9 }, (_, i) => refWord(seed, stream, start + BigInt(i)));
      expect(Array.from(got)).toEqual(want);
    }
  });

  it('a slice equals the same slice of the full tensor, for every start and count', () => {
    const full = generate({ seed: 42, stream: 7, count: 67 });
    for (let start = 0; start < 20; start++) {
      for (const count of [0, 1, 2, 3, 4, 5, 8, 13, 47]) {
        const slice = generate({ seed: 42, stream: 7, start, count });
        expect(Array.from(slice)).toEqual(Array.from(full.subarray(start, start + count)));
      }
    }
  });

  it('carries the block counter from the low word into the high word', () => {
    // Elements 2^34 - 4 .. 2^34 + 3 are blocks 2^32 - 1 and 2^32: (0xffffffff, 0) then (0, 1).
    const got = generate({ seed: 1, stream: 2, start: (1n << 34n) - 4n, count: 8 });
    expect(Array.from(got.subarray(0, 4))).toEqual(Array.from(blockWords([0xffffffff, 0], 0, [2, 0], [1, 0])));
    expect(Array.from(got.subarray(4))).toEqual(Array.from(blockWords([0, 1], 0, [2, 0], [1, 0])));
    expect(Array.from(blockWords([0xffffffff, 0], 1, [2, 0], [1, 0]))).toEqual(Array.from(got.subarray(4)));
  });

  it('accepts seeds as bigint, safe-integer number and decimal string alike', () => {
    const a = generate({ seed: 12345678901234n, count: 5 });
    expect(generate({ seed: 12345678901234, count: 5 })).toEqual(a);
    expect(generate({ seed: '12345678901234', count: 5 })).toEqual(a);
    expect(generate({ seed: '18446744073709551615', count: 1 })).toEqual(generate({ seed: (1n << 64n) - 1n, count: 1 }));
  });

  it('different seeds and streams give different words', () => {
    const a = generate({ seed: 1, count: 8 });
    expect(generate({ seed: 2, count: 8 })).not.toEqual(a);
    expect(generate({ seed: 1, stream: 1, count: 8 })).not.toEqual(a);
    expect(generate({ seed: 1n << 32n, count: 8 })).not.toEqual(a);
  });

  it('bits() is the default distribution and uses generateBits', () => {
    const r = planGenerate({ seed: 9, start: 2, count: 10 });
    expect(generate({ seed: 9, start: 2, count: 10, dist: bits() })).toEqual(generateBits(r));
    expect(generate({ seed: 9, start: 2, count: 10 })).toEqual(generateBits(r));
  });
});

describe('uniform', () => {
  it("follows TensorFlow's mapping (0x3F800000 | mantissa) - 1, then u * (high - low) + low in f32", () => {
    for (const [low, high] of [
      [0, 1],
      [-1, 1],
      [-0.1, 0.3],
      [1e-3, 2e-3],
      [-1e6, 3.5e6],
      [100, 100.0001],
    ] as const) {
      const words = generate({ seed: 5, stream: 3, start: 11, count: 257 });
      const got = generate({ seed: 5, stream: 3, start: 11, count: 257, dist: uniform(low, high) });
      for (let i = 0; i < words.length; i++) {
        const want = refUniform(words[i]!, low, high);
        if (got[i] !== want) expect([i, got[i]]).toEqual([i, want]);
      }
    }
  });

  it('uniformFromWord is k * 2^-23 and lies in [0, 1)', () => {
    expect(uniformFromWord(0)).toBe(0);
    expect(uniformFromWord(0xff800000)).toBe(0);
    expect(uniformFromWord(0x7fffff)).toBe(1 - 2 ** -23);
    expect(uniformFromWord(0xffffffff)).toBe(1 - 2 ** -23);
    expect(uniformFromWord(1)).toBe(2 ** -23);
    for (const w of testWords(10_000, 11)) {
      const u = uniformFromWord(w);
      expect(u === Math.fround(u) && u >= 0 && u < 1).toBe(true);
    }
  });

  it('uniformRange rounds the product and the sum to f32', () => {
    const u = uniformFromWord(0x5a5a5a);
    const range = Math.fround(0.3 - -0.1);
    const v = uniformRange(u, Math.fround(-0.1), range);
    expect(v).toBe(Math.fround(Math.fround(u * range) + Math.fround(-0.1)));
    expect(fenceF32(0.1)).toBe(Math.fround(0.1));
  });

  it('bitsToF32 and f32ToBits are inverse bitcasts', () => {
    expect(f32ToBits(1)).toBe(0x3f800000);
    expect(bitsToF32(0x3f800000)).toBe(1);
    expect(f32ToBits(-0)).toBe(0x80000000);
    for (const w of testWords(1000, 13)) {
      const f = bitsToF32(w);
      if (!Number.isNaN(f)) expect(f32ToBits(f)).toBe(w);
    }
  });
});

describe('validation (CPU)', () => {
  const bad: [string, () => unknown, string][] = [
    ['seed missing', () => generate({ count: 1 } as never), 'seed'],
    ['seed negative', () => generate({ seed: -1, count: 1 }), 'seed'],
    ['seed fractional', () => generate({ seed: 1.5, count: 1 }), 'seed'],
    ['seed unsafe number', () => generate({ seed: 2 ** 53, count: 1 }), 'seed'],
    ['seed above 2^64 - 1', () => generate({ seed: 1n << 64n, count: 1 }), 'seed'],
    ['seed malformed string', () => generate({ seed: '0x10', count: 1 }), 'seed'],
    ['seed 21-digit string', () => generate({ seed: '100000000000000000000', count: 1 }), 'seed'],
    ['stream negative bigint', () => generate({ seed: 1, stream: -1n, count: 1 }), 'stream'],
    ['start NaN', () => generate({ seed: 1, start: NaN, count: 1 }), 'start'],
    ['count negative', () => generate({ seed: 1, count: -1 }), 'count'],
    ['count fractional', () => generate({ seed: 1, count: 2.5 }), 'count'],
    ['count NaN', () => generate({ seed: 1, count: NaN }), 'count'],
    ['start + count past 2^64', () => generate({ seed: 1, start: (1n << 64n) - 2n, count: 3 }), 'count'],
    ['uniform low NaN', () => generate({ seed: 1, count: 1, dist: uniform(NaN, 1) }), 'dist.low'],
    ['uniform high Infinity', () => generate({ seed: 1, count: 1, dist: uniform(0, Infinity) }), 'dist.high'],
    ['uniform low >= high', () => generate({ seed: 1, count: 1, dist: uniform(1, 1) }), 'dist.high'],
    ['uniform equal after f32 rounding', () => generate({ seed: 1, count: 1, dist: uniform(1, 1 + 1e-9) }), 'dist.high'],
    ['uniform bounds beyond 2^100', () => generate({ seed: 1, count: 1, dist: uniform(-3e38, 3e38) }), 'dist.low'],
    ['unknown distribution', () => generate({ seed: 1, count: 1, dist: { kind: 'poisson' } as never }), 'dist.kind'],
    ['normal std negative', () => generate({ seed: 1, count: 1, dist: normal(0, -1) }), 'dist.std'],
    ['normal mean NaN', () => generate({ seed: 1, count: 1, dist: normal(NaN, 1) }), 'dist.mean'],
    ['normal std Infinity', () => generate({ seed: 1, count: 1, dist: normal(0, Infinity) }), 'dist.std'],
    ['truncated std zero', () => generate({ seed: 1, count: 1, dist: truncatedNormal(0, 0) }), 'dist.std'],
    ['truncated a >= b', () => generate({ seed: 1, count: 1, dist: truncatedNormal(0, 1, 2, 2) }), 'dist.b'],
    ['truncated a > b absolute', () => generate({ seed: 1, count: 1, dist: truncatedNormal(0, 1, 1, -1, 'absolute') }), 'dist.b'],
    ['truncated bounds beyond 12 std', () => generate({ seed: 1, count: 1, dist: truncatedNormal(0, 1, 13, 14) }), 'dist.b'],
    ['truncated mass below f32 resolution', () => generate({ seed: 1, count: 1, dist: truncatedNormal(0, 1, 0, 1e-9) }), 'dist.b'],
    ['truncated unknown bounds mode', () => generate({ seed: 1, count: 1, dist: { ...truncatedNormal(), bounds: 'sigma' } as never }), 'dist.bounds'],
    ['bits as f16', () => generate({ seed: 1, count: 1, dtype: 'f16' }), 'dtype'],
    ['uniform as u32', () => generate({ seed: 1, count: 1, dist: uniform(), dtype: 'u32' }), 'dtype'],
    ['unknown dtype', () => generate({ seed: 1, count: 1, dist: uniform(), dtype: 'f64' as never }), 'dtype'],
  ];
  it.each(bad)('%s -> InvalidParameterError naming %s', (_name, call, parameter) => {
    let caught: unknown;
    try {
      call();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidParameterError);
    expect((caught as WeightInitError).code).toBe('InvalidParameter');
    expect((caught as InvalidParameterError).parameter).toBe(parameter);
    expect((caught as Error).message).toMatch(/expected/);
  });

  it('start + count = 2^64 exactly is accepted', () => {
    expect(generate({ seed: 1, start: (1n << 64n) - 3n, count: 3 })).toHaveLength(3);
  });
});
