// The host side of the JAX streams' float32 arithmetic: fmaF32 against exact integer arithmetic, rounding to a
// dtype and nextafter as XLA does them.
import { describe, expect, it } from 'vitest';
import { flushSubnormal, fmaF32, nextAfterInDType, roundToDType } from '../../src/contract/xla-f32.js';
import { refFmaF32, testWords } from '../helpers/reference.js';

const f = Math.fround;

describe('fmaF32', () => {
  it('rounds a * b + c once, on random operands over 80 binades and on sums halfway between two f32 values', () => {
    const w = testWords(60_000, 17);
    let checked = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = f((1 + w[3 * i]! / 2 ** 32) * 2 ** ((w[3 * i + 1]! % 80) - 40));
      const y = f((1 + w[3 * i + 1]! / 2 ** 32) * 2 ** ((w[3 * i + 2]! % 40) - 20));
      const p = f(x * y);
      const ulp = 2 ** (Math.floor(Math.log2(p)) - 23);
      for (const c of [f(w[3 * i + 2]! / 2 ** 32 - 0.5), -p, f(ulp / 2 - (x * y - p)), f((i % 2 ? -1 : 1) * p * 2 ** 24 * 1.5), ulp / 2]) {
        expect(fmaF32(i % 3 ? x : -x, y, c)).toBe(refFmaF32(i % 3 ? x : -x, y, c));
        checked++;
      }
    }
    expect(checked).toBe(100_000);
  });

  it('is exact where the product alone decides a halfway sum (x * y a hair off 2^m, c at 2^(m+24))', () => {
    const w = testWords(30_000, 18);
    let checked = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = f(1 + (w[3 * i]! >>> 9) * 2 ** -23);
      const m = (w[3 * i + 1]! % 40) - 20;
      const y = f(2 ** m / x);
      if (f(x * y) !== 2 ** m || x * y === 2 ** m) continue;
      const c = f((1 + w[3 * i + 2]! / 2 ** 32) * 2 ** (m + 24)) * (i % 2 ? -1 : 1);
      expect(fmaF32(x, y, c)).toBe(refFmaF32(x, y, c));
      checked++;
    }
    expect(checked).toBeGreaterThan(5000);
  });
});

describe('rounding to a dtype as XLA does', () => {
  it('roundToDType: f32 once; f16 and bf16 to nearest even (through f32)', () => {
    expect(roundToDType(0.1, 'f32')).toBe(f(0.1));
    expect(roundToDType(1 + 2 ** -11, 'f16')).toBe(1); // halfway: to even
    expect(roundToDType(1 + 3 * 2 ** -11, 'f16')).toBe(1 + 2 ** -9);
    expect(roundToDType(1 + 2 ** -8, 'bf16')).toBe(1);
    expect(roundToDType(-0.3, 'bf16')).toBe(-0.30078125);
    expect(roundToDType(70_000, 'f16')).toBe(Number.POSITIVE_INFINITY);
  });

  it('nextAfterInDType steps one value of the dtype, through zero and from infinities', () => {
    expect(nextAfterInDType(-1, 0, 'f32')).toBe(f(-0.99999994));
    expect(nextAfterInDType(-1, 0, 'f16')).toBe(-(1 - 2 ** -11));
    expect(nextAfterInDType(-1, 0, 'bf16')).toBe(-(1 - 2 ** -8));
    expect(nextAfterInDType(0, 1, 'f32')).toBe(2 ** -149);
    expect(nextAfterInDType(0, -1, 'f16')).toBe(-(2 ** -24));
    expect(nextAfterInDType(Number.NEGATIVE_INFINITY, 0, 'f32')).toBe(-f(3.4028234663852886e38));
    expect(nextAfterInDType(Number.POSITIVE_INFINITY, 0, 'f16')).toBe(65504);
    expect(nextAfterInDType(2, 3, 'bf16')).toBe(2.015625);
  });

  it('flushSubnormal reads an f32 subnormal as a zero of its sign', () => {
    expect(flushSubnormal(2 ** -149)).toBe(0);
    expect(Object.is(flushSubnormal(-(2 ** -130)), -0)).toBe(true);
    expect(flushSubnormal(2 ** -126)).toBe(2 ** -126);
  });
});
