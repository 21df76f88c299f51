// f32 -> f16 / bf16 rounding checked against the definition: every representable 16-bit value maps to
// itself, midpoints go to the even neighbour, and values just off a midpoint go to the nearer one.
import { describe, expect, it } from 'vitest';
import { bf16BitsToNumber, f16BitsToNumber, f32ToBf16Bits, f32ToF16Bits } from '../../src/twin/pack.js';
import { bitsToF32, f32ToBits } from '../../src/twin/transforms.js';

const next32 = (x: number) => bitsToF32(f32ToBits(x) + 1);
const prev32 = (x: number) => bitsToF32(f32ToBits(x) - 1);

describe('f32ToF16Bits', () => {
  it('round-trips every finite half and rounds every midpoint to even (both signs)', () => {
    for (let h = 0; h < 0x7c00; h++) {
      for (const sign of [0, 0x8000]) {
        const v = f16BitsToNumber(h | sign);
        expect(f32ToF16Bits(Math.fround(v))).toBe(h | sign);
        if (h === 0x7bff) continue;
        const mid = (v + f16BitsToNumber((h + 1) | sign)) / 2; // exact in f32: one more bit than a half
        expect(Math.fround(mid)).toBe(mid);
        const even = (h & 1) === 0 ? h : h + 1;
        expect(f32ToF16Bits(mid)).toBe(even | sign);
        // Adjacent f32 bit patterns: one less is smaller in magnitude (toward h), one more is larger.
        expect(f32ToF16Bits(prev32(mid))).toBe(h | sign);
        expect(f32ToF16Bits(next32(mid))).toBe((h + 1) | sign);
      }
    }
  });

  it('overflows to Inf at the rounding boundary, keeps Inf, quiets NaN, rounds tiny values to zero', () => {
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65519.996)).toBe(0x7bff); // below the midpoint 65520
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // midpoint to the even neighbour, which is Inf
    expect(f32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(f32ToF16Bits(NaN) & 0x7e00).toBe(0x7e00);
    expect(f32ToF16Bits(2 ** -25)).toBe(0); // half of the smallest subnormal: tie to even (0)
    expect(f32ToF16Bits(next32(2 ** -25))).toBe(1);
    expect(f32ToF16Bits(-(2 ** -30))).toBe(0x8000);
    expect(f32ToF16Bits(bitsToF32(1))).toBe(0); // f32 subnormal
  });
});

describe('f32ToBf16Bits', () => {
  it('round-trips every finite bfloat16 and rounds every midpoint to even', () => {
    for (let h = 0; h < 0x7f80; h++) {
      for (const sign of [0, 0x8000]) {
        const v = bf16BitsToNumber(h | sign);
        expect(f32ToBf16Bits(v)).toBe(h | sign);
        if (h === 0x7f7f) continue;
        const midBits = (((h | sign) << 16) | 0x8000) >>> 0;
        const mid = bitsToF32(midBits);
        const even = (h & 1) === 0 ? h : h + 1;
        expect(f32ToBf16Bits(mid)).toBe(even | sign);
        expect(f32ToBf16Bits(bitsToF32(midBits - 1))).toBe(h | sign);
        expect(f32ToBf16Bits(bitsToF32(midBits + 1))).toBe((h + 1) | sign);
      }
    }
  });

  it('overflow, infinities and NaN', () => {
    expect(f32ToBf16Bits(3.4028235e38)).toBe(0x7f80); // max f32 is above the last bf16 midpoint
    expect(f32ToBf16Bits(Infinity)).toBe(0x7f80);
    expect(f32ToBf16Bits(-Infinity)).toBe(0xff80);
    const nan = f32ToBf16Bits(bitsToF32(0x7f800001));
    expect(nan & 0x7f80).toBe(0x7f80);
    expect(nan & 0x7f).not.toBe(0); // still a NaN, not Inf
  });
});

describe('decoders', () => {
  it('f16BitsToNumber and bf16BitsToNumber decode the known patterns', () => {
    expect(f16BitsToNumber(0x3c00)).toBe(1);
    expect(f16BitsToNumber(0xc000)).toBe(-2);
    expect(f16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(f16BitsToNumber(0x7bff)).toBe(65504);
    expect(f16BitsToNumber(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(f16BitsToNumber(0x7e00))).toBe(true);
    expect(bf16BitsToNumber(0x3f80)).toBe(1);
    expect(bf16BitsToNumber(0xc040)).toBe(-3);
  });
});
