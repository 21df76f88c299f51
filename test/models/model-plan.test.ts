// The model plan: made without a device, it lays out the buffers initModel creates and says whether they
// fit the adapter's limits and the memory given; initModel refuses a plan that does not fit before it
// creates any buffer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError, OutOfMemoryError, UnsupportedError } from '../../src/errors.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { planModel } from '../../src/models/model-plan.js';
import { gpt2 } from '../../src/models/presets.js';
import { resolveModel } from '../../src/models/spec.js';
import { fnv1a64 } from '../../src/models/stream.js';
import { initModel, type ModelTensor } from '../../src/output/init-model.js';
import { nodeContext } from '../helpers/gpu.js';

const t = (name: string, shape: number[], init: ModelTensor['init'], dtype: ModelTensor['dtype'] = 'f32'): ModelTensor => ({
  name,
  shape,
  dtype,
  init,
  layout: 'torch',
  stream: fnv1a64(name),
});

const tensors: ModelTensor[] = [
  t('a.weight', [10, 30], { kind: 'normal', std: 0.02 }),
  t('a.bias', [3], { kind: 'zeros' }, 'bf16'),
  t('b.weight', [24, 16], { kind: 'orthogonal' }, 'f16'),
];
const limits = { maxBufferSize: 1 << 20, minStorageBufferOffsetAlignment: 256 };

describe('planModel (no device)', () => {
  it('counts parameters and bytes per dtype and lays out one buffer per tensor', () => {
    const p = planModel(tensors, { limits });
    expect(p.parameters).toBe(300 + 3 + 384);
    expect(p.bytes).toBe(1200 + 6 + 768);
    expect(p.byDtype).toEqual({
      f32: { tensors: 1, parameters: 300, bytes: 1200 },
      bf16: { tensors: 1, parameters: 3, bytes: 6 },
      f16: { tensors: 1, parameters: 384, bytes: 768 },
    });
    // 6 bytes of bf16 take an 8-byte buffer (buffers are 4-byte multiples)
    expect(p.buffers).toEqual({ count: 3, bytes: 1200 + 8 + 768, largest: 1200 });
    expect(p.scratchBytes).toBe(2 * 4 * 24 * 16);
    expect(p.peakBytes).toBe(p.buffers.bytes + p.scratchBytes);
    expect(p.tensors.map((x) => x.resolved.kind)).toEqual(['distribution', 'constant', 'orthogonal']);
    expect(p.fitsAdapter).toBe(true);
    expect(p.fitsMemory).toBeNull();
    expect(p.problems).toEqual([]);
  });

  it('places arena tensors at aligned offsets', () => {
    const p = planModel(tensors, { placement: 'arena', limits, alignment: 512 });
    expect(p.tensors.map((x) => x.offset)).toEqual([0, 1536, 2048]);
    expect(p.buffers).toEqual({ count: 1, bytes: 3072, largest: 3072 });
  });

  it('says what does not fit: a buffer over maxBufferSize, a peak over the memory given', () => {
    const big = planModel([t('huge', [1025, 256], { kind: 'ones' })], { limits, memoryBytes: 1000 });
    expect(big.fitsAdapter).toBe(false);
    expect(big.fitsMemory).toBe(false);
    expect(big.problems[0]).toMatch(/tensor 'huge' needs 1049600 bytes .*maxBufferSize is 1048576/);
    expect(big.problems[1]).toMatch(/the buffers need 1\.0 MiB; 0\.0 MiB of memory is available/);
    const arena = planModel([t('x', [600, 256], { kind: 'ones' }), t('y', [600, 256], { kind: 'ones' })], { placement: 'arena', limits });
    expect(arena.fitsAdapter).toBe(false);
    expect(arena.problems[0]).toMatch(/the arena needs .* use placement 'tensor'/);
  });

  it('plans GPT-2 small in bf16 without a GPU: 124,439,808 parameters, two bytes each', () => {
    const p = planModel(resolveModel(gpt2({}, { dtype: 'bf16' })));
    expect(p.parameters).toBe(124_439_808);
    expect(p.byDtype).toEqual({ bf16: { tensors: 148, parameters: 124_439_808, bytes: 2 * 124_439_808 } });
    expect(p.fitsAdapter).toBeNull();
  });

  it('rejects bad input with a typed error naming the parameter', () => {
    expect(() => planModel([tensors[0]!, tensors[0]!])).toThrow(InvalidParameterError);
    expect(() => planModel(tensors, { alignment: 100, limits })).toThrow(/alignment/);
    expect(() => planModel(tensors, { memoryBytes: -1 })).toThrow(/memoryBytes/);
    expect(() => planModel([t('bad', [3, 3, 3], { kind: 'eye' })])).toThrow(InvalidParameterError);
  });
});

describe('initModel refuses a plan that does not fit, before creating a buffer', () => {
  let ctx: WeightInitContext;
  beforeAll(async () => {
    ctx = await nodeContext();
  });
  afterAll(() => ctx?.destroy());

  /** Calls initModel with createBuffer counted (the real device method still runs). */
  async function buffersCreatedBy(run: () => Promise<unknown>): Promise<{ created: number; error: unknown }> {
    const device = ctx.device;
    const original = device.createBuffer.bind(device);
    let created = 0;
    device.createBuffer = (d: GPUBufferDescriptor) => {
      created++;
      return original(d);
    };
    try {
      await run();
      return { created, error: undefined };
    } catch (e) {
      return { created, error: e };
    } finally {
      device.createBuffer = original;
    }
  }

  it('over the memory given: OutOfMemoryError, no buffer', async () => {
    const r = await buffersCreatedBy(() => initModel(ctx, tensors, { seed: 1n, memoryBytes: 1000 }));
    expect(r.error).toBeInstanceOf(OutOfMemoryError);
    expect((r.error as Error).message).toMatch(/of memory is available/);
    expect(r.created).toBe(0);
  });

  it('a tensor over maxBufferSize: UnsupportedError, no buffer', async () => {
    const words = ctx.device.limits.maxBufferSize / 4 + 1;
    const r = await buffersCreatedBy(() => initModel(ctx, [t('huge', [words], { kind: 'zeros' })], { seed: 1n }));
    expect(r.error).toBeInstanceOf(UnsupportedError);
    expect((r.error as Error).message).toMatch(/maxBufferSize/);
    expect(r.created).toBe(0);
  });

  it('a bad seed: InvalidParameterError naming seed, no buffer', async () => {
    const r = await buffersCreatedBy(() => initModel(ctx, tensors, { seed: -1n, placement: 'arena' }));
    expect(r.error).toBeInstanceOf(InvalidParameterError);
    expect((r.error as InvalidParameterError).parameter).toBe('seed');
    expect(r.created).toBe(0);
  });

  it('a plan that fits initializes as before, at the planned offsets', async () => {
    const m = await initModel(ctx, tensors, { seed: 1n, placement: 'arena', memoryBytes: 1 << 20 });
    try {
      const p = planModel(tensors, { placement: 'arena', limits: ctx.device.limits });
      expect(m.tensors.map((x) => x.offset)).toEqual(p.tensors.map((x) => x.offset));
      expect(m.arena!.size).toBe(p.buffers.bytes);
    } finally {
      m.destroy();
    }
  });
});
