// The orthogonal initializer's core on the GPU against its CPU twin, bit for bit, and each helper of
// shaders/orthogonal.wgsl against its twin in isolation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError, UnsupportedError } from '../../src/errors.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { computeOrthogonal, orthogonalModule } from '../../src/gpu/orthogonal.js';
import { packStruct } from '../../src/gpu/shader-layout.js';
import { accumulateProduct, columnDot, inverseNorm, MIN_NORM_SQUARED, orthogonalF32, projectionSum } from '../../src/twin/orthogonal.js';
import { f32ToBits } from '../../src/twin/transforms.js';
import { firstBitDifference, inErrorScope, nodeContext, type Scope } from '../helpers/gpu.js';
import { orthogonalityError } from '../helpers/orthogonal.js';
import { testWords } from '../helpers/reference.js';

const f = Math.fround;

let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

interface Options {
  seed: bigint | number | string;
  stream?: bigint | number | string;
  rows: number;
  cols: number;
}

/** Runs computeOrthogonal, reads Q back and destroys the buffer. */
async function gpuQ(c: WeightInitContext, scope: Scope, options: Options): Promise<Float32Array> {
  const buffer = scope.track(await computeOrthogonal(c, options));
  expect(buffer.size).toBe(4 * options.rows * options.cols);
  expect(buffer.usage & (BufferUsage.STORAGE | BufferUsage.COPY_SRC)).toBe(BufferUsage.STORAGE | BufferUsage.COPY_SRC);
  expect(buffer.label).toMatch(/^webgpu-weight-init: orthogonal /);
  return c.read(buffer, { count: options.rows * options.cols, dtype: 'f32' });
}

function expectSameBits(got: Float32Array, want: Float32Array, what: string): void {
  const i = firstBitDifference(got, want);
  if (i >= 0) expect([what, i, got[i]], `first differing element of ${what}`).toEqual([what, i, want[i]]);
}

describe('computeOrthogonal on the GPU', () => {
  const shapes: [number, number, Options['seed'], Options['stream']][] = [
    [1, 1, 1n, 0n],
    [1, 7, 2n, 0n],
    [7, 1, 2n, 0n],
    [1, 300, 3n, 9n],
    [300, 1, 3n, 9n],
    [5, 3, 42n, 1n],
    [3, 5, 42n, 1n],
    [17, 17, '18446744073709551615', 2n ** 63n + 1n],
    [65, 63, 7, 0],
    [63, 65, 7, 0],
    [129, 40, 123456789n, 4n],
    [40, 129, 123456789n, 5n],
    [257, 9, 0n, 0n],
    [2, 600, 31n, 2n ** 40n],
    [130, 130, 5n, 6n], // three panels (64 + 64 + 2 columns)
    [70, 200, 9n, 1n], // two panels, wide
    [66, 65, 4n, 2n], // a last panel of one column
  ];
  it.each(shapes)('%i x %i (seed %s, stream %s) equals the CPU twin bit for bit', async (rows, cols, seed, stream) => {
    await inErrorScope(ctx, async (scope) => {
      const options = { seed, stream, rows, cols };
      expectSameBits(await gpuQ(ctx, scope, options), orthogonalF32(options), `${rows}x${cols}`);
    });
  });

  it.each([
    [256, 256],
    [300, 200],
    [200, 300],
  ])('%i x %i: bit for bit, and max |Q^T Q - I| <= 1e-5 (Q Q^T for wide)', async (rows, cols) => {
    await inErrorScope(ctx, async (scope) => {
      const options = { seed: 2024n, stream: 7n, rows, cols };
      const t0 = performance.now();
      const q = await gpuQ(ctx, scope, options);
      const ms = performance.now() - t0;
      expectSameBits(q, orthogonalF32(options), `${rows}x${cols}`);
      const err = orthogonalityError(q, rows, cols);
      console.log(`GPU ${rows}x${cols}: ${ms.toFixed(0)} ms, max |Q^T Q - I| = ${err.toExponential(3)}`);
      expect(err).toBeLessThanOrEqual(1e-5);
    });
  });

  it('is deterministic: two runs give the same bits', async () => {
    await inErrorScope(ctx, async (scope) => {
      const options = { seed: 77n, stream: 3n, rows: 100, cols: 70 };
      const a = await gpuQ(ctx, scope, options);
      const b = await gpuQ(ctx, scope, options);
      expectSameBits(a, b, 'second run');
      expect(a.some((x) => x !== 0)).toBe(true);
    });
  });

  it('grid-stride loops give the same bits with one workgroup per element-wise dispatch', async () => {
    const narrow = await nodeContext({ maxWorkgroupsPerDimension: 1 });
    try {
      await inErrorScope(narrow, async (scope) => {
        for (const options of [
          { seed: 8n, rows: 150, cols: 90 },
          { seed: 8n, rows: 90, cols: 150 },
        ]) {
          expectSameBits(await gpuQ(narrow, scope, options), orthogonalF32(options), `${options.rows}x${options.cols} narrow`);
        }
      });
    } finally {
      narrow.destroy();
    }
  });

  it('on a software adapter (strategy upload) takes the SIMD CPU path: the same bits', async () => {
    const upload = await nodeContext({ strategy: 'upload' });
    try {
      await inErrorScope(upload, async (scope) => {
        for (const options of [
          { seed: 8n, rows: 150, cols: 90 },
          { seed: 8n, rows: 90, cols: 150 },
          { seed: 3n, stream: 2n, rows: 200, cols: 200 },
        ]) {
          expectSameBits(await gpuQ(upload, scope, options), orthogonalF32(options), `${options.rows}x${options.cols} upload`);
        }
      });
    } finally {
      upload.destroy();
    }
  });

  it('rejects invalid inputs before any GPU work, and matrices over the binding limit', async () => {
    await expect(computeOrthogonal(ctx, { seed: 1n, rows: 0, cols: 3 })).rejects.toBeInstanceOf(InvalidParameterError);
    await expect(computeOrthogonal(ctx, { seed: 1n, rows: 3, cols: 2 ** 27 })).rejects.toMatchObject({ parameter: 'cols' });
    await expect(computeOrthogonal(ctx, { seed: -1, rows: 3, cols: 3 })).rejects.toMatchObject({ parameter: 'seed' });
    const small = { device: { limits: { maxStorageBufferBindingSize: 1024, maxBufferSize: 1 << 20 } } } as unknown as WeightInitContext;
    await expect(computeOrthogonal(small, { seed: 1n, rows: 16, cols: 17 })).rejects.toBeInstanceOf(UnsupportedError);
  });
});

describe('shaders/orthogonal.wgsl helpers on the GPU', () => {
  /**
   * Runs `body` (one invocation per record r < records) in a test entry point composed after the library
   * module: inputs in `work`, outputs in `coeffs` (or in `work` after the inputs).
   */
  async function harness(
    scope: Scope,
    body: string,
    input: Float32Array<ArrayBuffer>,
    outCount: number,
    values: { m?: number; s0?: number; s1?: number; t0?: number; t1?: number; records: number; coeffs?: Float32Array<ArrayBuffer>; out?: 'coeffs' | 'work' },
  ): Promise<Uint32Array> {
    const { device } = ctx;
    const entry = `@compute @workgroup_size(64)
fn harness(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  let r = gid.x;
  if (r >= params.rows) { return; }
  ${body}
}`;
    const module = device.createShaderModule({ label: 'test: orthogonal harness', code: `${orthogonalModule.code}\n${entry}` });
    const pipeline = await device.createComputePipelineAsync({ label: 'test: orthogonal harness', layout: 'auto', compute: { module, entryPoint: 'harness' } });
    const struct = orthogonalModule.layout.structs['OrthogonalParams']!;
    const params = scope.track(device.createBuffer({ label: 'test: params', size: struct.size, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST }));
    const { m = 0, s0 = 0, s1 = 0, t0 = 0, t1 = 0 } = values;
    device.queue.writeBuffer(params, 0, packStruct(struct, { m, n: 0, s0, s1, t0, t1, column: 0, rows: values.records, cols: input.length, fence: 0 }));
    const work = scope.buffer(4 * (input.length + outCount), 'test: work');
    device.queue.writeBuffer(work, 0, input);
    const coeffs = scope.buffer(4 * Math.max(outCount, values.coeffs?.length ?? 0, 1), 'test: coeffs');
    if (values.coeffs) device.queue.writeBuffer(coeffs, 0, values.coeffs);
    const resources: Record<number, GPUBuffer> = { 0: params, 1: work, 2: coeffs };
    const bindGroup = device.createBindGroup({
      label: 'test: orthogonal harness',
      layout: pipeline.getBindGroupLayout(0),
      entries: [0, 1, 2].map((binding) => ({ binding, resource: { buffer: resources[binding]! } })),
    });
    const encoder = device.createCommandEncoder({ label: 'test: orthogonal harness' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(values.records / 64));
    pass.end();
    device.queue.submit([encoder.finish()]);
    return (values.out ?? 'coeffs') === 'coeffs'
      ? ctx.read(coeffs, { count: outCount, dtype: 'u32' })
      : ctx.read(work, { offset: 4 * input.length, count: outCount, dtype: 'u32' });
  }

  const randomF32 = (n: number, seed: number, scale = 1) => Float32Array.from(testWords(n, seed), (w) => f(((w / 2 ** 32) * 2 - 1) * scale));

  it('accumulateProduct equals its twin on 30,000 random triples', async () => {
    await inErrorScope(ctx, async (scope) => {
      const n = 30_000;
      const input = randomF32(3 * n, 71, 50);
      const out = await harness(scope, 'coeffs[r] = accumulateProduct(work[3u * r], work[3u * r + 1u], work[3u * r + 2u]);', input, n, { records: n });
      for (let r = 0; r < n; r++) {
        const want = f32ToBits(accumulateProduct(input[3 * r]!, input[3 * r + 1]!, input[3 * r + 2]!));
        if (out[r] !== want) expect([r, out[r]]).toEqual([r, want]);
      }
    });
  });

  it('inverseNorm equals its twin from 0 and below 2^-100 up to 2^34', async () => {
    await inErrorScope(ctx, async (scope) => {
      const words = testWords(20_000, 73);
      const xs = [
        0,
        MIN_NORM_SQUARED,
        2 ** -101,
        1,
        2,
        4,
        0.5,
        2 ** 34,
        1e-30,
        ...Array.from(words, (w) => f(2 ** (-100 + (w % 13400) / 100) * (1 + (w >>> 20) / 4096))),
      ].map(f);
      const input = Float32Array.from(xs);
      const out = await harness(scope, 'coeffs[r] = inverseNorm(work[r]);', input, xs.length, { records: xs.length });
      for (let r = 0; r < xs.length; r++) {
        const want = f32ToBits(inverseNorm(xs[r]!));
        if (out[r] !== want) expect([xs[r], out[r]]).toEqual([xs[r], want]);
      }
    });
  });

  it.each([1, 2, 3, 4, 5, 7, 64, 301, 1031])('columnDot equals its twin for every pair of 6 columns (m = %i)', async (m) => {
    await inErrorScope(ctx, async (scope) => {
      const input = randomF32(6 * m, 80 + m, 4);
      const out = await harness(scope, 'coeffs[r] = columnDot(r / 6u, r % 6u);', input, 36, { m, records: 36 });
      const want = Array.from({ length: 36 }, (_, r) => f32ToBits(columnDot(input, m, Math.floor(r / 6), r % 6)));
      expect(Array.from(out)).toEqual(want);
    });
  });

  it('projectionSum equals its twin for every row and target', async () => {
    await inErrorScope(ctx, async (scope) => {
      const m = 70;
      const input = randomF32(m * 45, 97);
      for (const [s0, s1, t0, t1] of [
        [0, 1, 1, 2],
        [3, 10, 10, 11],
        [0, 40, 40, 45],
      ] as const) {
        const w = t1 - t0;
        const coeffs = randomF32((s1 - s0) * w, 98 + s1, 5);
        const out = await harness(scope, 'work[params.cols + r] = projectionSum(r / params.m, r % params.m);', input, m * w, {
          m,
          s0,
          s1,
          t0,
          t1,
          records: m * w,
          coeffs,
          out: 'work',
        });
        const p = { s0, s1, t0, t1 };
        const want = Array.from({ length: m * w }, (_, r) => f32ToBits(projectionSum(input, m, p, coeffs, Math.floor(r / m), r % m)));
        expect(Array.from(out)).toEqual(want);
      }
    });
  });
});
