// The SIMD generator on worker threads: same bits as one thread and as the scalar twin, pieces in order,
// typed errors for bad options and for jobs left pending when the pool closes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normal, truncatedNormal, uniform } from '../../src/contract/distributions.js';
import { planGenerate } from '../../src/contract/plan.js';
import { WorkerFailedError } from '../../src/errors.js';
import { createSimdGenerator } from '../../src/simd/generator.js';
import { createWorkerPool, type WorkerPool } from '../../src/simd/worker-pool.js';
import { generate } from '../../src/twin/generate.js';

let pool: WorkerPool;
beforeAll(async () => {
  pool = await createWorkerPool({ threads: 3 });
});
afterAll(async () => {
  await pool?.close();
});

const same = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('WorkerPool', () => {
  it('generate() equals the single-threaded SIMD generator and the scalar twin', async () => {
    const simd = await createSimdGenerator();
    for (const [dist, dtype] of [
      [uniform(-1, 1), 'f32'],
      [normal(0, 0.02), 'bf16'],
      [truncatedNormal(1, 2, -1, 3), 'f16'],
    ] as const) {
      const options = { seed: 123n, stream: 4n, start: 5n, count: 700_001, dist, dtype };
      const got = await pool.generate(options);
      expect(same(got, simd.generate(options)), `${dist.kind} ${dtype} vs SIMD`).toBe(true);
      // The scalar twin on a slice at each end (the whole range would take seconds).
      expect(same(got.subarray(0, 1000), generate({ ...options, count: 1000 })), `${dist.kind} head`).toBe(true);
      expect(same(got.subarray(699_001), generate({ ...options, start: 5n + 699_001n, count: 1000 })), `${dist.kind} tail`).toBe(true);
    }
  });

  it('runPieces delivers pieces in order with their positions, whatever order the workers finish in', async () => {
    const job = planGenerate({ seed: 9, count: 10_000, start: 2, dist: normal() });
    const whole = new Uint32Array(10_000);
    (await createSimdGenerator()).run(job, whole);
    const seen: number[] = [];
    const out = new Uint32Array(10_000);
    await pool.runPieces(job, 1024, async (elements, at) => {
      seen.push(at);
      out.set(elements, at);
      // A slow consumer: later pieces are already done and must wait their turn.
      await new Promise((r) => setTimeout(r, 2));
    });
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => i * 1024));
    expect(same(out, whole)).toBe(true);
  });

  it('serves concurrent calls', async () => {
    const options = (seed: number) => ({ seed, count: 100_000, dist: uniform() });
    const results = await Promise.all([1, 2, 3, 4, 5].map((s) => pool.generate(options(s))));
    for (const [i, r] of results.entries()) expect(same(r, generate(options(i + 1)))).toBe(true);
  });

  it('rejects a bad thread count before starting anything', async () => {
    for (const threads of [0, -1, 2.5, 65, Number.NaN]) {
      await expect(createWorkerPool({ threads })).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'threads' });
    }
  });

  it('closing the pool rejects pending and later jobs with WorkerFailedError', async () => {
    const p = await createWorkerPool({ threads: 1 });
    const pending = expect(p.generate({ seed: 1, count: 4_000_000, dist: normal() })).rejects.toBeInstanceOf(WorkerFailedError);
    await p.close();
    await pending;
    await expect(p.generate({ seed: 1, count: 4 })).rejects.toMatchObject({ code: 'WorkerFailed' });
  });
});

describe('WorkerPool into shared memory, and streams of several plans', () => {
  it('runInto writes the bits of the SIMD generator at any offset, a 4-byte dtype after an odd number of 2-byte elements included', async () => {
    const simd = await createSimdGenerator();
    const half = planGenerate({ seed: 5, stream: 1, count: 70_001, dist: normal(0, 0.02), dtype: 'bf16' });
    const full = planGenerate({ seed: 5, stream: 2, start: 3, count: 50_003, dist: uniform(-1, 1), dtype: 'f32' });
    const shared = new Uint8Array(new SharedArrayBuffer(2 * half.count + 4 * full.count));
    await Promise.all([
      pool.runInto(half, shared.subarray(0, 2 * half.count), 4096),
      pool.runInto(full, shared.subarray(2 * half.count), 4096), // byte offset 140,002: not a multiple of 4
    ]);
    const wantHalf = new Uint16Array(half.count);
    simd.run(half, wantHalf);
    const wantFull = new Uint32Array(full.count);
    simd.run(full, wantFull);
    expect(same(shared.subarray(0, 2 * half.count), wantHalf)).toBe(true);
    expect(same(shared.subarray(2 * half.count), wantFull)).toBe(true);
    await expect(pool.runInto(half, new Uint8Array(2 * half.count), 4096)).rejects.toMatchObject({ code: 'InvalidParameter', parameter: 'into' });
  });

  it('a stream hands out the pieces of each plan in order, plan after plan (an empty plan and a plan given twice included)', async () => {
    const simd = await createSimdGenerator();
    const a = planGenerate({ seed: 8, count: 9_000, dist: normal() });
    const empty = planGenerate({ seed: 8, stream: 1, count: 0, dist: normal() });
    const b = planGenerate({ seed: 8, stream: 2, count: 5_000, dist: uniform(), dtype: 'f16' });
    const stream = pool.stream([a, empty, b, a], () => 1024);
    try {
      for (const plan of [a, empty, b, a]) {
        const got = plan.dtype === 'f16' ? new Uint16Array(plan.count) : new Uint32Array(plan.count);
        const starts: number[] = [];
        await stream.consume(plan, (elements, at) => {
          starts.push(at);
          got.set(elements, at);
        });
        const want = plan.dtype === 'f16' ? new Uint16Array(plan.count) : new Uint32Array(plan.count);
        simd.run(plan, want);
        expect(same(got, want)).toBe(true);
        expect(starts).toEqual(Array.from({ length: Math.ceil(plan.count / 1024) }, (_, i) => i * 1024));
      }
      expect(stream.upcoming).toBeUndefined();
      await expect(stream.consume(a, () => {})).rejects.toThrow(/order/);
    } finally {
      stream.close();
    }
  });

  it('a stream whose consumer throws mid-plan is closed: the next plan never gets the rest of its pieces', async () => {
    const a = planGenerate({ seed: 8, stream: 3, count: 4_096, dist: normal() });
    const b = planGenerate({ seed: 8, stream: 4, count: 4_096, dist: normal() });
    const stream = pool.stream([a, b], () => 1024);
    try {
      await expect(
        stream.consume(a, () => {
          throw new Error('sink failed');
        }),
      ).rejects.toThrow('sink failed');
      await expect(stream.consume(b, () => {})).rejects.toThrow(/before close/);
    } finally {
      stream.close();
    }
  });
});
