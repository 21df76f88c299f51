// Each WGSL library function on the GPU against its CPU twin, bit for bit; the Random123 known answers
// run on the GPU here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { mulhilo32, philox4x32Round, philox4x32_10 } from '../../src/rng/philox.js';
import { f32ToBits, fenceF32, uniformFromWord, uniformRange, bitsToF32 } from '../../src/rng/transforms.js';
import { inErrorScope, nodeContext } from '../helpers/gpu.js';
import { runFunctionKernel } from '../helpers/function-harness.js';
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
      const ranges: [number, number][] = [[0, 1], [-1, 1], [-0.1, 0.3], [1e-3, 2e-3], [-1e6, 3.5e6], [100, 100.0001], [-3e-30, 1e-30]];
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
