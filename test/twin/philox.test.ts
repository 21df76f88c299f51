import { describe, expect, it } from 'vitest';
import { mulhilo32, PHILOX_M0, PHILOX_M1, philox4x32_10, philox4x32Round } from '../../src/twin/philox.js';
import { PHILOX4X32_10_KAT, refPhilox, testWords } from '../helpers/reference.js';

const hex = (a: ArrayLike<number>) => Array.from(a, (x) => (x >>> 0).toString(16).padStart(8, '0'));

describe('philox4x32_10 (CPU twin of shaders/philox.wgsl)', () => {
  it.each(PHILOX4X32_10_KAT)('matches the Random123 known answer for ctr $ctr', ({ ctr, key, out }) => {
    expect(hex(philox4x32_10(ctr, key))).toEqual(hex(out));
  });

  it('agrees with the independent BigInt reference on 2,000 random (counter, key) pairs', () => {
    const w = testWords(6 * 2000, 7);
    for (let i = 0; i < 2000; i++) {
      const ctr = Array.from(w.subarray(6 * i, 6 * i + 4));
      const key = Array.from(w.subarray(6 * i + 4, 6 * i + 6));
      expect(hex(philox4x32_10(ctr, key))).toEqual(hex(refPhilox(ctr, key)));
    }
  });

  it('writes into a caller array at an offset without touching neighbours', () => {
    const out = new Uint32Array(6).fill(7);
    philox4x32_10([0, 0, 0, 0], [0, 0], out, 1);
    expect(out[0]).toBe(7);
    expect(out[5]).toBe(7);
    expect(hex(out.subarray(1, 5))).toEqual(hex(PHILOX4X32_10_KAT[0]!.out));
  });
});

describe('mulhilo32', () => {
  const exact = (a: number, b: number) => {
    const p = BigInt(a >>> 0) * BigInt(b >>> 0);
    return [Number(p >> 32n), Number(p & 0xffffffffn)];
  };

  it('is the exact 64-bit product at the edges', () => {
    const edges = [0, 1, 2, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, PHILOX_M0, PHILOX_M1];
    for (const a of edges) for (const b of edges) expect(mulhilo32(a, b)).toEqual(exact(a, b));
  });

  it('is the exact 64-bit product on 100,000 random pairs', () => {
    const w = testWords(200_000, 3);
    for (let i = 0; i < w.length; i += 2) {
      const [hi, lo] = mulhilo32(w[i]!, w[i + 1]!);
      const [ehi, elo] = exact(w[i]!, w[i + 1]!);
      if (hi !== ehi || lo !== elo) expect([hi, lo]).toEqual([ehi, elo]);
    }
  });
});

describe('philox4x32Round', () => {
  it('ten rounds with the Weyl key schedule give philox4x32_10', () => {
    const key = [0xa4093822, 0x299f31d0];
    let c: number[] = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];
    let k = key.slice();
    for (let r = 0; r < 10; r++) {
      if (r > 0) k = [(k[0]! + 0x9e3779b9) >>> 0, (k[1]! + 0xbb67ae85) >>> 0];
      c = philox4x32Round(c, k);
    }
    expect(hex(c)).toEqual(hex(PHILOX4X32_10_KAT[2]!.out));
  });
});
