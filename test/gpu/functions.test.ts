// Each WGSL library function on the GPU against its CPU twin, bit for bit; the Random123 known answers
// run on the GPU here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { boxMuller, scaleShift, truncatedNormalFromWord } from '../../src/twin/normal.js';
import { f16BitsToNumber, f32ToBf16Bits, f32ToF16Bits } from '../../src/twin/pack.js';
import { mulhilo32, philox4x32_10, philox4x32Round } from '../../src/twin/philox.js';
import {
  bitsToF32,
  erfinvF32,
  f32ToBits,
  fenceF32,
  logF32,
  normalQuantile,
  normalQuantileLowerTail,
  openUniformFromWord,
  reciprocalF32,
  sinCos2Pi,
  sqrtF32,
  uniformFromWord,
  uniformRange,
} from '../../src/twin/transforms.js';

const f32 = Math.fround;

import { runFunctionKernel } from '../helpers/function-harness.js';
import { inErrorScope, nodeContext } from '../helpers/gpu.js';
import { PHILOX4X32_10_KAT, testWords } from '../helpers/reference.js';

let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

const hex = (a: ArrayLike<number>) => Array.from(a, (x) => (x >>> 0).toString(16).padStart(8, '0'));

describe('shaders/philox.wgsl on the GPU', () => {
  it('philox4x32_10 passes the Random123 known-answer vectors on the GPU', async () => {
    await inErrorScope(ctx, async (scope) => {
      const input = new Uint32Array(PHILOX4X32_10_KAT.flatMap((v) => [...v.ctr, ...v.key]));
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let w = philox4x32_10(vec4<u32>(input[base], input[base + 1u], input[base + 2u], input[base + 3u]),
                               vec2<u32>(input[base + 4u], input[base + 5u]));
         output[obase] = w.x; output[obase + 1u] = w.y; output[obase + 2u] = w.z; output[obase + 3u] = w.w;`,
        input,
        6,
        4,
      );
      expect(hex(out)).toEqual(hex(PHILOX4X32_10_KAT.flatMap((v) => v.out)));
    });
  });

  it('philox4x32_10 and philox4x32Round equal the CPU twin on 20,000 random inputs', async () => {
    await inErrorScope(ctx, async (scope) => {
      const n = 20_000;
      const input = testWords(6 * n, 21);
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let c = vec4<u32>(input[base], input[base + 1u], input[base + 2u], input[base + 3u]);
         let k = vec2<u32>(input[base + 4u], input[base + 5u]);
         let w = philox4x32_10(c, k);
         let rd = philox4x32Round(c, k);
         output[obase] = w.x; output[obase + 1u] = w.y; output[obase + 2u] = w.z; output[obase + 3u] = w.w;
         output[obase + 4u] = rd.x; output[obase + 5u] = rd.y; output[obase + 6u] = rd.z; output[obase + 7u] = rd.w;`,
        input,
        6,
        8,
      );
      const want = new Uint32Array(8 * n);
      for (let i = 0; i < n; i++) {
        const c = input.subarray(6 * i, 6 * i + 4);
        const k = input.subarray(6 * i + 4, 6 * i + 6);
        philox4x32_10(c, k, want, 8 * i);
        want.set(philox4x32Round(c, k), 8 * i + 4);
      }
      expect(out.findIndex((w, i) => w !== want[i])).toBe(-1);
    });
  });

  it('mulhilo32 equals the CPU twin (the exact product) on edges and 50,000 random pairs', async () => {
    await inErrorScope(ctx, async (scope) => {
      const edges = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xd2511f53, 0xcd9e8d57];
      const pairs = edges.flatMap((a) => edges.flatMap((b) => [a, b]));
      const input = new Uint32Array([...pairs, ...testWords(100_000, 5)]);
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let p = mulhilo32(input[base], input[base + 1u]); output[obase] = p.x; output[obase + 1u] = p.y;`,
        input,
        2,
        2,
      );
      for (let i = 0; i < input.length; i += 2) {
        const [hi, lo] = mulhilo32(input[i]!, input[i + 1]!);
        if (out[i] !== hi || out[i + 1] !== lo) expect([i, out[i], out[i + 1]]).toEqual([i, hi, lo]);
      }
    });
  });
});

describe('shaders/transforms.wgsl on the GPU', () => {
  it('uniformFromWord, uniformRange and fenceF32 equal their CPU twins bit for bit', async () => {
    await inErrorScope(ctx, async (scope) => {
      const ranges: [number, number][] = [
        [0, 1],
        [-1, 1],
        [-0.1, 0.3],
        [1e-3, 2e-3],
        [-1e6, 3.5e6],
        [100, 100.0001],
        [-3e-30, 1e-30],
      ];
      const words = [0, 1, 0x7fffff, 0x800000, 0xffffffff, 0x3f800000, ...testWords(20_000, 9)];
      const records: number[] = [];
      for (const w of words) {
        for (const [low, high] of ranges) {
          const lo = Math.fround(low);
          records.push(w, f32ToBits(lo), f32ToBits(Math.fround(Math.fround(high) - lo)));
        }
      }
      const input = new Uint32Array(records);
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let u = uniformFromWord(input[base]);
         output[obase] = bitcast<u32>(u);
         output[obase + 1u] = bitcast<u32>(uniformRange(u, bitcast<f32>(input[base + 1u]), bitcast<f32>(input[base + 2u])));
         output[obase + 2u] = bitcast<u32>(fenceF32(bitcast<f32>(input[base + 1u]) * 3.0));`,
        input,
        3,
        3,
      );
      for (let r = 0; r < input.length / 3; r++) {
        const u = uniformFromWord(input[3 * r]!);
        const low = bitsToF32(input[3 * r + 1]!);
        const range = bitsToF32(input[3 * r + 2]!);
        const want = [f32ToBits(u), f32ToBits(uniformRange(u, low, range)), f32ToBits(fenceF32(low * 3))];
        const got = [out[3 * r], out[3 * r + 1], out[3 * r + 2]];
        if (got.some((g, i) => g !== want[i])) expect([r, ...got]).toEqual([r, ...want]);
      }
    });
  });
});

describe('f32 math of shaders/transforms.wgsl on the GPU', () => {
  const f = Math.fround;
  /** Positive normal f32 values over the whole exponent range, plus the library's own domains. */
  const positives = (n: number, seed: number): number[] => {
    const w = testWords(n, seed);
    const out: number[] = [];
    for (const x of w) {
      const e = 27 + (x % 200); // biased exponent 27..226: 2^-100 .. 2^100, sqrtF32's documented domain
      out.push(bitsToF32(((e << 23) | (x >>> 9)) >>> 0));
    }
    return out;
  };

  it('logF32, sqrtF32, reciprocalF32, openUniformFromWord equal their CPU twins bit for bit', async () => {
    await inErrorScope(ctx, async (scope) => {
      const words = testWords(30_000, 31);
      const xs = [
        1,
        0.5,
        2,
        3,
        1.9999999,
        // biome-ignore lint/suspicious/noApproximativeNumericConstant: probes either side of logF32's `m > 1.4142135` branch
        1.4142135,
        1.4142137,
        f(1e-7),
        1 - 2 ** -23,
        2 ** -100,
        2 ** 100,
        33,
        1e-30,
        ...positives(30_000, 17),
        ...Array.from(words, (w) => Math.max(uniformFromWord(w), f(1e-7))),
      ].map(f);
      const input = new Uint32Array(xs.flatMap((x, i) => [f32ToBits(x), words[i % words.length]!]));
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let x = bitcast<f32>(input[base]);
         output[obase] = bitcast<u32>(logF32(x));
         output[obase + 1u] = bitcast<u32>(sqrtF32(x));
         output[obase + 2u] = bitcast<u32>(reciprocalF32(x));
         output[obase + 3u] = bitcast<u32>(openUniformFromWord(input[base + 1u]));`,
        input,
        2,
        4,
      );
      for (let r = 0; r < xs.length; r++) {
        const x = xs[r]!;
        const want = [logF32(x), sqrtF32(x), reciprocalF32(x), openUniformFromWord(input[2 * r + 1]!)].map(f32ToBits);
        const got = Array.from(out.subarray(4 * r, 4 * r + 4));
        if (got.some((g, i) => g !== want[i])) expect([x, ...got]).toEqual([x, ...want]);
      }
    });
  });

  it('sinCos2Pi, erfinvF32 and normalQuantile equal their CPU twins on grid points and random words', async () => {
    await inErrorScope(ctx, async (scope) => {
      const grid = [0, 1, 2 ** 21, 2 ** 22, 3 * 2 ** 21, 2 ** 23 - 1, 2 ** 20, 2 ** 20 + 1, 2 ** 23 - 2 ** 20];
      const words = [...grid, ...testWords(60_000, 41)];
      const input = new Uint32Array(words);
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let u = uniformFromWord(input[base]);
         let sc = sinCos2Pi(u);
         let p = openUniformFromWord(input[base]);
         output[obase] = bitcast<u32>(sc.x);
         output[obase + 1u] = bitcast<u32>(sc.y);
         output[obase + 2u] = bitcast<u32>(normalQuantile(p));
         let x = fenceF32(2.0 * p) - 1.0;
         output[obase + 3u] = bitcast<u32>(erfinvF32(x, -logF32(4.0 * p * (1.0 - p))));`,
        input,
        1,
        4,
      );
      for (let r = 0; r < words.length; r++) {
        const u = uniformFromWord(words[r]!);
        const p = openUniformFromWord(words[r]!);
        const [s, c] = sinCos2Pi(u);
        const x = f(f(2 * p) - 1);
        const want = [s, c, normalQuantile(p), erfinvF32(x, f(-logF32(f(f(4 * p) * f(1 - p)))))].map(f32ToBits);
        const got = Array.from(out.subarray(4 * r, 4 * r + 4));
        if (got.some((g, i) => g !== want[i])) expect([r, words[r], ...got]).toEqual([r, words[r], ...want]);
      }
    });
  });
});

describe('shaders/normal.wgsl and shaders/pack.wgsl on the GPU', () => {
  it('boxMuller, scaleShift and truncatedNormalFromWord equal their CPU twins', async () => {
    await inErrorScope(ctx, async (scope) => {
      const n = 40_000;
      const input = testWords(2 * n, 51);
      // Edge words: u1 at 0 (floored to 1e-7), at the top of the grid, and v at quarter turns.
      input.set([0, 0, 0x7fffff, 0x200000, 1, 0x400000, 0xffffffff, 0x600000]);
      const tn = { pLow: f32(0.02275013), pWidth: f32(0.9544997), mean: f32(0.25), std: f32(-0.02), lo: f32(0.21), hi: f32(0.29) };
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let z = boxMuller(input[base], input[base + 1u]);
         output[obase] = bitcast<u32>(z.x);
         output[obase + 1u] = bitcast<u32>(z.y);
         output[obase + 2u] = bitcast<u32>(scaleShift(z.x, 0.25, 0.02));
         output[obase + 3u] = bitcast<u32>(truncatedNormalFromWord(input[base], ${tn.pLow}, ${tn.pWidth}, ${tn.mean}, ${tn.std}, ${tn.lo}, ${tn.hi}));`,
        input,
        2,
        4,
      );
      for (let r = 0; r < n; r++) {
        const [z0, z1] = boxMuller(input[2 * r]!, input[2 * r + 1]!);
        const want = [
          z0,
          z1,
          scaleShift(z0, f32(0.25), f32(0.02)),
          truncatedNormalFromWord(input[2 * r]!, tn.pLow, tn.pWidth, tn.mean, tn.std, tn.lo, tn.hi),
        ].map(f32ToBits);
        const got = Array.from(out.subarray(4 * r, 4 * r + 4));
        if (got.some((g, i) => g !== want[i])) expect([r, ...got]).toEqual([r, ...want]);
      }
    });
  });

  it('f32ToF16Bits and f32ToBf16Bits equal their CPU twins on every half midpoint, edges and random bits', async () => {
    await inErrorScope(ctx, async (scope) => {
      const xs: number[] = [];
      // Every f16 value, the midpoints to its neighbour and the f32 values just around them.
      for (let h = 0; h < 0x7c00; h++) {
        const v = f16BitsToNumber(h);
        const next = f16BitsToNumber(h + 1);
        const mid = f32((v + next) / 2);
        xs.push(f32ToBits(v), f32ToBits(mid), f32ToBits(mid) + 1, f32ToBits(mid) - 1, (f32ToBits(v) | 0x80000000) >>> 0);
      }
      xs.push(0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffffffff, 0x477ff000, 0x477fefff, 0x33000000, 0x33000001, 0x00000001, 0x80000001);
      xs.push(...testWords(50_000, 61));
      const input = new Uint32Array(xs.map((x) => x >>> 0));
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let x = bitcast<f32>(input[base]);
         output[obase] = f32ToF16Bits(x);
         output[obase + 1u] = f32ToBf16Bits(x);`,
        input,
        1,
        2,
      );
      for (let r = 0; r < input.length; r++) {
        const x = bitsToF32(input[r]!);
        const want = [f32ToF16Bits(x), f32ToBf16Bits(x)];
        const got = [out[2 * r], out[2 * r + 1]];
        if (got[0] !== want[0] || got[1] !== want[1]) expect([input[r], ...got]).toEqual([input[r], ...want]);
      }
    });
  });
});

describe('normalQuantile far tail on the GPU', () => {
  it('normalQuantileLowerTail and normalQuantile equal their CPU twins for p from 1e-37 to 1e-7', async () => {
    await inErrorScope(ctx, async (scope) => {
      // Log-uniform p: bits of f32 values between 2^-123 and 2^-23.
      const ps = Array.from(testWords(30_000, 71), (w) => bitsToF32((((4 + (w % 100)) << 23) | (w >>> 9)) >>> 0));
      ps.push(2 ** -24, f32(2 ** -24 * 0.999999), f32(1e-37), f32(1.8e-33));
      const input = new Uint32Array(ps.map(f32ToBits));
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let p = bitcast<f32>(input[base]);
         output[obase] = bitcast<u32>(normalQuantileLowerTail(p));
         output[obase + 1u] = bitcast<u32>(normalQuantile(p));`,
        input,
        1,
        2,
      );
      for (let r = 0; r < ps.length; r++) {
        const want = [normalQuantileLowerTail(ps[r]!), normalQuantile(ps[r]!)].map(f32ToBits);
        if (out[2 * r] !== want[0] || out[2 * r + 1] !== want[1]) expect([ps[r], out[2 * r], out[2 * r + 1]]).toEqual([ps[r], ...want]);
      }
    });
  });
});
