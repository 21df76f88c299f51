// Every distribution x dtype on the GPU against the CPU twin, bit for bit, with canaries around the range;
// 16-bit dtypes at 2-byte offsets and odd counts must leave the neighbouring half-words as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Distribution, normal, truncatedNormal, uniform } from '../../src/contract/distributions.js';
import { DTYPE_BYTES, type DType } from '../../src/contract/dtypes.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { type CpuGenerateOptions, generate } from '../../src/twin/generate.js';
import { inErrorScope, nodeContext } from '../helpers/gpu.js';

const CANARY = 0xa5c3;
let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

/** Runs one case in a buffer of 16-bit canaries and compares every byte with what it should be. */
async function check(context: WeightInitContext, c: CpuGenerateOptions & { offset: number }): Promise<void> {
  const dtype: DType = c.dtype ?? 'f32';
  const eb = DTYPE_BYTES[dtype];
  await inErrorScope(context, async (scope) => {
    const size = Math.ceil((c.offset + eb * c.count + 64) / 4) * 4;
    const buffer = scope.buffer(size);
    const canary = new Uint16Array(size / 2).fill(CANARY);
    context.device.queue.writeBuffer(buffer, 0, canary);
    await context.generate({ ...c, buffer });
    const all = new Uint16Array((await context.read(buffer, { count: size / 4, dtype: 'u32' })).buffer);
    const want = generate(c);
    const expected = canary.slice();
    expected.set(new Uint16Array(want.buffer, want.byteOffset, want.byteLength / 2), c.offset / 2);
    let first = -1;
    for (let i = 0; i < all.length; i++) {
      if (all[i] !== expected[i]) {
        first = i;
        break;
      }
    }
    const where =
      first < 0 ? '' : `half-word ${first} (range is ${c.offset / 2}..${(c.offset + eb * c.count) / 2}): got ${all[first]}, want ${expected[first]}`;
    expect(where, JSON.stringify({ ...c, seed: String(c.seed), start: String(c.start), stream: String(c.stream) })).toBe('');
  });
}

const dists: [string, Distribution][] = [
  ['uniform(-0.1, 0.1)', uniform(-0.1, 0.1)],
  ['normal(0, 1)', normal()],
  ['normal(0.5, 0.02)', normal(0.5, 0.02)],
  ['truncatedNormal ±2σ', truncatedNormal(0, 0.05)],
  ['truncatedNormal [0.5, 3]σ (mirrored side)', truncatedNormal(1, 2, 0.5, 3)],
  ['truncatedNormal absolute [-2, 2], std 1e-3 (PyTorch trunc_normal_)', truncatedNormal(0, 1e-3, -2, 2, 'absolute')],
  ['truncatedNormal [-3, -2.5]σ (tail)', truncatedNormal(0, 1, -3, -2.5)],
];

describe.each(dists)('%s', (_name, dist) => {
  it.each(['f32', 'f16', 'bf16'] as const)('%s: GPU == CPU over starts, counts and offsets; neighbours intact', async (dtype) => {
    const eb = DTYPE_BYTES[dtype];
    const cases: [bigint, number, number][] = [
      [0n, 1, 0],
      [1n, 2, eb],
      [2n, 3, 2 * eb],
      [3n, 5, 3 * eb],
      [5n, 64, eb],
      [(1n << 34n) - 3n, 67, 6 * eb],
      [7n, 1001, 5 * eb],
      [1n << 40n, 4096 + 3, 4],
    ];
    let n = 0;
    for (const [start, count, offset] of cases) {
      await check(ctx, { seed: 1000 + n, stream: BigInt(n) << 33n, start, count, offset, dist, dtype });
      n++;
    }
  });
});

describe('chunked 16-bit paths', () => {
  it('a 512-byte binding window with f16 and bf16 at 2-byte offsets gives the same bits', async () => {
    const small = await nodeContext({ maxBindingBytes: 512, maxWorkgroupsPerDimension: 3, workgroupSize: 2 });
    try {
      for (const dtype of ['f16', 'bf16'] as const) {
        for (const [start, count, offset] of [
          [1n, 700, 2],
          [0n, 257, 254],
          [3n, 1023, 510],
        ] as const) {
          await check(small, { seed: 9, stream: 3, start, count, offset, dist: normal(0, 0.02), dtype });
        }
      }
    } finally {
      small.destroy();
    }
  });
});

describe('normal pairing (TensorFlow Box-Muller order)', () => {
  it("a slice starting at an odd element equals the full tensor's slice, on the GPU", async () => {
    await inErrorScope(ctx, async (scope) => {
      const full = scope.buffer(4 * 40);
      await ctx.generate({ seed: 3, count: 40, dist: normal(), buffer: full });
      const part = scope.buffer(4 * 31);
      await ctx.generate({ seed: 3, start: 9, count: 31, dist: normal(), buffer: part });
      const a = await ctx.read(full, { count: 40, dtype: 'f32' });
      const b = await ctx.read(part, { count: 31, dtype: 'f32' });
      expect(Array.from(b)).toEqual(Array.from(a.subarray(9)));
    });
  });
});
