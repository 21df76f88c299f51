// GPU generation against the CPU twin, bit for bit, over seeds, streams, starts (including block indices
// above 2^32), counts, byte offsets, forced-small binding windows and 2-D dispatch; canaries around the
// target range must survive every write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bits, type Distribution, normal, uniform } from '../../src/contract/distributions.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { generate } from '../../src/twin/generate.js';
import { fillCanary, firstBitDifference, inErrorScope, nodeContext } from '../helpers/gpu.js';
import { refWord } from '../helpers/reference.js';

const CANARY = 0xdeadbeef;
let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

interface Case {
  seed: bigint | number | string;
  stream: bigint | number;
  start: bigint | number;
  count: number;
  offset: number;
  dist: Distribution;
}

/** Generates on the GPU into a canary-filled buffer, checks the range against the CPU and the canaries. */
async function check(context: WeightInitContext, c: Case, pad = 64): Promise<number> {
  let dispatches = 0;
  await inErrorScope(context, async (scope) => {
    const size = c.offset + 4 * c.count + pad;
    const buffer = scope.buffer(size, 'target');
    fillCanary(context.device, buffer, CANARY);
    const result = await context.generate({ ...c, buffer, offset: c.offset });
    expect(result.byteLength).toBe(4 * c.count);
    dispatches = result.dispatches;
    const all = await context.read(buffer, { count: size / 4, dtype: 'u32' });
    const first = c.offset / 4;
    const got = all.subarray(first, first + c.count);
    const want = generate(c);
    const diff = firstBitDifference(got, new Uint32Array(want.buffer, want.byteOffset, want.length));
    expect(diff, `first differing element for ${JSON.stringify({ ...c, seed: String(c.seed), stream: String(c.stream), start: String(c.start) })}`).toBe(-1);
    const before = all.subarray(0, first);
    const after = all.subarray(first + c.count);
    expect(
      before.every((w) => w === CANARY),
      'words before the range untouched',
    ).toBe(true);
    expect(
      after.every((w) => w === CANARY),
      'words after the range untouched',
    ).toBe(true);
  });
  return dispatches;
}

describe('GPU generate equals the CPU twin', () => {
  const counts = [1, 2, 3, 4, 5, 7, 63, 64, 65, 255, 256, 257, 1000, 4099];
  const starts = [0n, 1n, 2n, 3n, 6n, 1021n, (1n << 32n) + 1n, (1n << 34n) - 5n, (1n << 34n) + 2n, (1n << 62n) + 3n, (1n << 64n) - 5000n];
  const dists: Distribution[] = [bits(), uniform(), uniform(-0.25, 0.75), uniform(-1e4, 3e-3)];

  it('over seeds x streams x starts x counts x offsets, for bits and uniform', async () => {
    let n = 0;
    for (const dist of dists) {
      for (const start of starts) {
        const count = counts[n % counts.length]!;
        const seed = [0n, 1n, 42n, 0xffffffffn, 0x123456789abcdefn, (1n << 64n) - 1n][n % 6]!;
        const stream = [0n, 7n, 1n << 32n, (1n << 64n) - 1n][n % 4]!;
        const offset = [0, 4, 12, 252, 256, 260][n % 6]!;
        await check(ctx, { seed, stream, start, count, offset, dist });
        n++;
      }
    }
    expect(n).toBe(dists.length * starts.length);
  });

  it('every count from 1 to 70 at every start phase', async () => {
    for (let count = 1; count <= 70; count++) {
      await check(ctx, { seed: 3, stream: 5, start: BigInt(count % 4), count, offset: 4 * (count % 3), dist: bits() });
    }
  });

  it('a block index above 2^32 matches the BigInt reference of the contract (counter carry on the GPU)', async () => {
    await inErrorScope(ctx, async (scope) => {
      const start = (1n << 34n) - 6n; // blocks 2^32 - 2 .. 2^32 + 1
      const buffer = scope.buffer(16 * 4);
      await ctx.generate({ seed: 77n, stream: 99n, start, count: 16, buffer });
      const got = await ctx.read(buffer, { count: 16, dtype: 'u32' });
      const want = Array.from({ length: 16 }, (_, i) => refWord(77n, 99n, start + BigInt(i)));
      expect(Array.from(got)).toEqual(want);
    });
  });

  it('a large range (3,000,001 elements) in one call', async () => {
    await check(ctx, { seed: 2024, stream: 1, start: 9n, count: 3_000_001, offset: 8, dist: uniform(-1, 1) });
  });

  it('creates, labels and returns a buffer when none is given', async () => {
    await inErrorScope(ctx, async (scope) => {
      const r = await ctx.generate({ seed: 5, count: 10, dist: uniform(), label: 'weights' });
      scope.track(r.buffer);
      expect(r.buffer.label).toBe('weights');
      expect(r.offset).toBe(0);
      expect(r.dtype).toBe('f32');
      expect(Array.from(await ctx.readRange(r))).toEqual(Array.from(generate({ seed: 5, count: 10, dist: uniform() })));
    });
  });

  it('count 0 writes nothing', async () => {
    await check(ctx, { seed: 1, stream: 0, start: 3n, count: 0, offset: 8, dist: bits() });
  });

  it('concurrent generations into disjoint ranges of one buffer', async () => {
    await inErrorScope(ctx, async (scope) => {
      const buffer = scope.buffer(4 * 4000);
      fillCanary(ctx.device, buffer, CANARY);
      const parts = [0, 1, 2, 3].map((p) => ({ seed: 10 + p, stream: p, start: BigInt(1000 * p), count: 999, offset: 4000 * p, dist: uniform() }));
      await Promise.all(parts.map((p) => ctx.generate({ ...p, buffer })));
      const all = await ctx.read(buffer, { count: 4000, dtype: 'f32' });
      for (const p of parts) {
        const got = all.subarray(p.offset / 4, p.offset / 4 + 999);
        expect(firstBitDifference(got, generate(p))).toBe(-1);
        expect(new Uint32Array(all.buffer, p.offset + 999 * 4, 1)[0]).toBe(CANARY);
      }
    });
  });
});

describe('chunked paths', () => {
  it('a forced-small binding window (512 bytes) splits the range and gives the same bits', async () => {
    const small = await nodeContext({ maxBindingBytes: 512 });
    try {
      expect(small.limits.maxBindingBytes).toBe(512);
      for (const [start, count, offset] of [
        [0n, 1000, 0],
        [3n, 777, 4],
        [(1n << 35n) + 1n, 513, 252],
        [2n, 129, 508],
      ] as const) {
        const used = await check(small, { seed: 8, stream: 1, start, count, offset, dist: uniform(-2, 2) });
        expect(used).toBeGreaterThanOrEqual(Math.ceil((4 * count) / 512));
        await check(small, { seed: 8, stream: 1, start, count, offset, dist: bits() });
      }
    } finally {
      small.destroy();
    }
  });

  it('a 2-D grid and several dispatches when maxComputeWorkgroupsPerDimension is tiny', async () => {
    const tiny = await nodeContext({ maxWorkgroupsPerDimension: 3, workgroupSize: 2, blocksPerInvocation: 1 });
    try {
      // 3 x 3 workgroups of 2 invocations = 18 blocks = 72 elements per dispatch.
      for (const [start, count, dispatches] of [
        [0n, 72, 1],
        [1n, 73, 2],
        [5n, 300, 5],
        [2n, 11, 1],
      ] as const) {
        expect(await check(tiny, { seed: 4, stream: 2, start, count, offset: 4, dist: bits() })).toBe(dispatches);
      }
    } finally {
      tiny.destroy();
    }
  });

  it('several blocks per invocation (grid-stride) in a tiny 2-D grid', async () => {
    const tiny = await nodeContext({ maxWorkgroupsPerDimension: 3, workgroupSize: 2, blocksPerInvocation: 3 });
    try {
      // 3 x 3 workgroups of 2 invocations, 3 blocks each = 54 blocks = 216 elements per dispatch.
      for (const [start, count, dispatches] of [
        [0n, 216, 1],
        [1n, 217, 2],
        [5n, 900, 5],
        [2n, 11, 1],
        [3n, 150, 1],
      ] as const) {
        expect(await check(tiny, { seed: 4, stream: 2, start, count, offset: 4, dist: bits() })).toBe(dispatches);
        expect(await check(tiny, { seed: 4, stream: 2, start, count, offset: 4, dist: normal(0, 2) })).toBe(dispatches);
      }
    } finally {
      tiny.destroy();
    }
  });

  it('other workgroup sizes and blocks per invocation give the same bits', async () => {
    for (const [workgroupSize, blocksPerInvocation] of [
      [1, 4],
      [32, 1],
      [256, 4],
      [64, 2],
      [64, 7],
      [64, 64],
    ] as const) {
      const c = await nodeContext({ workgroupSize, blocksPerInvocation });
      try {
        await check(c, { seed: 6, stream: 6, start: 6n, count: 5000, offset: 4, dist: uniform() });
      } finally {
        c.destroy();
      }
    }
  });

  it('rejects blocksPerInvocation outside [1, 64]', async () => {
    for (const blocksPerInvocation of [0, 65, 1.5]) {
      await expect(nodeContext({ blocksPerInvocation })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'blocksPerInvocation' });
    }
  });
});
