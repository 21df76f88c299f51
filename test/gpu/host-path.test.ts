// The 'upload' strategy (SIMD CPU generator on worker threads + queue.writeBuffer) and 'auto': the same
// bits as the WGSL kernels and the scalar twin, nothing written outside the target bytes, batch order
// kept, and the kernels used for whatever the upload cannot write whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bits, type Distribution, normal, truncatedNormal, uniform } from '../../src/contract/distributions.js';
import { DTYPE_BYTES } from '../../src/contract/dtypes.js';
import { createContext, isSoftwareAdapter, type WeightInitContext } from '../../src/gpu/context.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { createNodeContext } from '../../src/node.js';
import { initModel, type ModelTensor } from '../../src/output/init-model.js';
import { generate } from '../../src/twin/generate.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { fillCanary, inErrorScope, nodeContext } from '../helpers/gpu.js';

let upload: WeightInitContext;
let kernel: WeightInitContext;
beforeAll(async () => {
  upload = await nodeContext({ strategy: 'upload', threads: 2 });
  // Same device, so that buffers pass between the two.
  kernel = await createContext({ device: upload.device, strategy: 'kernel' });
});
afterAll(() => {
  kernel?.destroy();
  upload?.destroy();
});

const bitsOf = (a: Float32Array | Uint32Array | Uint16Array) =>
  a instanceof Uint16Array ? Array.from(a) : Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Reads the whole buffer as u32 words. */
async function words(ctx: WeightInitContext, buffer: GPUBuffer): Promise<Uint32Array> {
  return ctx.read(buffer, { count: buffer.size / 4, dtype: 'u32' });
}

describe("strategy 'auto'", () => {
  it('uploads on a software adapter and runs the kernels on a hardware one', async () => {
    const ctx = await createNodeContext();
    try {
      expect(ctx.strategy).toBe(isSoftwareAdapter(ctx.adapter) ? 'upload' : 'kernel');
      const r = await ctx.generate({ seed: 4, count: 1000, dist: normal() });
      expect(r.via).toBe(ctx.strategy);
      expect(bitsOf(await ctx.readRange(r))).toEqual(bitsOf(generate({ seed: 4, count: 1000, dist: normal() })));
      r.buffer.destroy();
    } finally {
      ctx.destroy();
    }
  });

  it('recognizes software adapters by the fallback flag or by name', () => {
    const base = { isFallbackAdapter: false, vendor: '', architecture: '', device: '', description: '' };
    expect(isSoftwareAdapter({ ...base, isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ ...base, vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ ...base, description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ ...base, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' })).toBe(false);
  });
});

describe("strategy 'upload' equals the kernels and the CPU twin", () => {
  const dists: [string, Distribution][] = [
    ['bits', bits()],
    ['uniform', uniform(-1, 2)],
    ['normal', normal(0.5, 0.02)],
    ['truncatedNormal', truncatedNormal(0, 1, -2, 2)],
  ];

  it.each(dists)('%s: several pieces, a start phase, an offset, canaries around', async (_, dist) => {
    await inErrorScope(upload, async (scope) => {
      for (const dtype of dist.kind === 'bits' ? (['u32'] as const) : (['f32', 'f16', 'bf16'] as const)) {
        // 2^20 + 38 elements: two pieces of the upload, the second short.
        const count = (1 << 20) + 38;
        const eb = DTYPE_BYTES[dtype];
        const offset = 64;
        const options = { seed: 0xabcdefn, stream: 77, start: (1n << 34n) - 3n, count, dist, dtype };
        const a = scope.buffer(offset + count * eb + 64, 'upload target');
        const b = scope.buffer(offset + count * eb + 64, 'kernel target');
        fillCanary(upload.device, a);
        fillCanary(kernel.device, b);
        const r = await upload.generate({ ...options, buffer: a, offset });
        expect(r.via).toBe('upload');
        expect(r.dispatches).toBe(0);
        expect((await kernel.generate({ ...options, buffer: b, offset })).via).toBe('kernel');
        const got = await words(upload, a);
        const want = await words(kernel, b);
        expect(got.length).toBe(want.length);
        // Canaries outside [offset, offset + count * eb) and equal words inside.
        expect(Array.from(got.subarray(0, offset / 4)).every((w) => w === 0xdeadbeef)).toBe(true);
        expect(Array.from(got.subarray((offset + count * eb) / 4)).every((w) => w === 0xdeadbeef)).toBe(true);
        let diff = -1;
        for (let i = 0; i < got.length; i++)
          if (got[i] !== want[i]) {
            diff = i;
            break;
          }
        expect(diff, dtype).toBe(-1);
        // And the scalar twin, at both ends of the range.
        const head = await upload.read(a, { offset, count: 100, dtype });
        expect(bitsOf(head)).toEqual(bitsOf(generate({ ...options, count: 100 })));
        const tailStart = count - 100;
        const tail = await upload.read(a, { offset: offset + tailStart * eb, count: 100, dtype });
        expect(bitsOf(tail)).toEqual(bitsOf(generate({ ...options, start: options.start + BigInt(tailStart), count: 100 })));
      }
    });
  });

  it('creates the buffer when none is given', async () => {
    const r = await upload.generate({ seed: 1, count: 4096, dist: uniform(), label: 'uploaded' });
    try {
      expect(r.via).toBe('upload');
      expect(r.buffer.label).toBe('uploaded');
      expect(bitsOf(await upload.readRange(r))).toEqual(bitsOf(generate({ seed: 1, count: 4096, dist: uniform() })));
    } finally {
      r.buffer.destroy();
    }
  });
});

describe("strategy 'upload' leaves to the kernels what writeBuffer cannot write whole", () => {
  it('a 16-bit range at a 2-byte offset, an odd 16-bit count, a buffer without COPY_DST', async () => {
    await inErrorScope(upload, async (scope) => {
      const a = scope.buffer(256);
      fillCanary(upload.device, a);
      const odd = await upload.generate({ seed: 2, count: 10, dist: normal(), dtype: 'f16', buffer: a, offset: 2 });
      expect(odd.via).toBe('kernel');
      const oddCount = await upload.generate({ seed: 2, count: 7, dist: normal(), dtype: 'bf16', buffer: a, offset: 64 });
      expect(oddCount.via).toBe('kernel');
      const w = await words(upload, a);
      expect(w[0]! & 0xffff).toBe(0xbeef); // the half word before offset 2
      expect(w[(64 + 12) / 4]! >>> 16).toBe(0xdead); // the half word after the 7th bf16 element
      expect(Array.from(await upload.read(a, { offset: 2, count: 10, dtype: 'f16' }))).toEqual(
        Array.from(generate({ seed: 2, count: 10, dist: normal(), dtype: 'f16' })),
      );

      const storageOnly = scope.track(upload.device.createBuffer({ size: 64, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC }));
      const r = await upload.generate({ seed: 3, count: 16, dist: uniform(), buffer: storageOnly });
      expect(r.via).toBe('kernel');
      expect(bitsOf(await upload.readRange(r))).toEqual(bitsOf(generate({ seed: 3, count: 16, dist: uniform() })));
    });
  });
});

describe("strategy 'upload' inside batch()", () => {
  it('keeps call order with kernel work recorded before and after it', async () => {
    await inErrorScope(upload, async (scope) => {
      const a = scope.buffer(4 * 64);
      await upload.batch(async (b) => {
        await b.fillConstant({ buffer: a, count: 64, value: 7 }); // recorded, not yet submitted
        const r = await b.generate({ seed: 5, count: 64, dist: uniform(), buffer: a }); // must land after the fill
        expect(r.via).toBe('upload');
        await b.fillConstant({ buffer: a, offset: 4 * 60, count: 4, value: 9 }); // and before this one
      });
      const got = await upload.read(a, { count: 64, dtype: 'f32' });
      const want = generate({ seed: 5, count: 64, dist: uniform() });
      expect(Array.from(got.subarray(0, 60))).toEqual(Array.from(want.subarray(0, 60)));
      expect(Array.from(got.subarray(60))).toEqual([9, 9, 9, 9]);
    });
  });
});

describe("initModel on strategy 'upload'", () => {
  it('every tensor equals the CPU twin, in an arena and per tensor', async () => {
    const tensor = (name: string, shape: number[], init: ModelTensor['init'], dtype: ModelTensor['dtype'] = 'f32'): ModelTensor => ({
      name,
      shape,
      dtype,
      init,
      layout: 'torch',
      stream: BigInt(name.length * 104729),
    });
    const tensors = [
      tensor('w', [300, 257], { kind: 'heNormal' }),
      tensor('bias', [257], { kind: 'zeros' }),
      tensor('embed', [3, 1001], { kind: 'truncatedNormal', std: 0.02 }, 'bf16'),
      tensor('u.weight', [1, 33], { kind: 'glorotUniform' }, 'f16'),
      tensor('odd.f16', [1, 35], { kind: 'normal', std: 0.5 }, 'f16'),
    ];
    for (const placement of ['arena', 'tensor'] as const) {
      const model = await initModel(upload, tensors, { seed: 99, placement });
      try {
        for (const [i, t] of model.tensors.entries()) {
          const want = initializeCpu({ init: tensors[i]!.init, shape: t.shape, layout: 'torch', seed: 99, stream: t.stream, dtype: t.dtype });
          const got = await upload.read(t.buffer, { offset: t.offset, count: want.length, dtype: t.dtype });
          expect(bitsOf(got), `${placement} ${t.name}`).toEqual(bitsOf(want));
        }
      } finally {
        model.destroy();
      }
    }
  });
});

describe('options', () => {
  it('rejects an unknown strategy and a bad thread count with InvalidParameterError', async () => {
    for (const [options, parameter] of [
      [{ strategy: 'fast' as never }, 'strategy'],
      [{ strategy: 'upload' as const, threads: 0 }, 'threads'],
      [{ strategy: 'upload' as const, threads: 1.5 }, 'threads'],
    ] as const) {
      await expect(nodeContext(options)).rejects.toMatchObject({ code: 'InvalidParameter', parameter });
    }
  });
});
