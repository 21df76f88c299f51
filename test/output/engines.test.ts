// Engine hand-off in Node: the helpers' checks (with stand-in engines), the ONNX encoder of the browser tests
// run by ONNX Runtime Web's Node build (wasm EP, CPU tensors of the CPU twin), ort.Tensor.fromGpuBuffer on a
// Dawn buffer, and TF.js's WebGPU backend on the library's Dawn device (SwiftShader without a GPU).
// The browser side (both ORT WebGPU providers, TF.js in Chromium) is test/browser/engines.test.ts.
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { f32ToF16Bits } from '../../src/cpu.js';
import { BufferTooSmallError, BufferUsageError, InvalidParameterError, UnsupportedError, WeightInitError } from '../../src/errors.js';
import { createNodeContext, type InitializedRange, initialize, installNodeGPU, requestNodeGPU, type WeightInitContext } from '../../src/node.js';
import {
  ENGINE_DEVICE_LIMITS,
  type EngineRange,
  engineDeviceDescriptor,
  ORT_BUFFER_USAGE,
  ortWebGpuExecutionProvider,
  shareDeviceWithTfjs,
  TFJS_BUFFER_USAGE,
  tfjsDevice,
  toOrtTensor,
  toTfTensor,
} from '../../src/output/engines.js';
import type { InitializedTensor } from '../../src/output/init-model.js';
import { castMatMulModel, encodeModel, matMulAddModel, ONNX_FLOAT } from '../browser/engines/onnx.js';
import { matMulF64, outsideTolerance, twinBits, twinValues, type WeightSpec } from '../browser/engines/reference.js';

const STORAGE = 0x80;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;

/** A stand-in GPUBuffer: the helpers read only size, usage and label. */
const fakeBuffer = (size: number, usage = STORAGE | COPY_SRC | COPY_DST) => ({ size, usage, label: 'fake' }) as unknown as GPUBuffer;
const range = (over: Partial<EngineRange> = {}): EngineRange => ({ buffer: fakeBuffer(24), offset: 0, count: 6, dtype: 'f32', ...over });

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

// What the helpers accept: initialize()'s results and initModel's tensors (checked by the typecheck; a
// type that stops matching EngineRange is a compile error here).
it('helpers accept initialize() results and initModel tensors', () => {
  expectTypeOf<InitializedRange>().toExtend<EngineRange>();
  expectTypeOf<InitializedTensor>().toExtend<EngineRange>();
});

describe('toTfTensor / toOrtTensor checks (stand-in engines)', () => {
  const calls: unknown[][] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push(args);
      return name;
    };
  const tf = { tensor: record('tf.Tensor') };
  const ortLike = { Tensor: { fromGpuBuffer: record('ort.Tensor') } };

  it('passes the buffer itself, zero-copy by default, with the shape and the engine dtype', () => {
    calls.length = 0;
    const r = range();
    expect(toTfTensor(tf, r, [2, 3])).toBe('tf.Tensor');
    expect(toTfTensor(tf, r, [6], { zeroCopy: false })).toBe('tf.Tensor');
    expect(toOrtTensor(ortLike, r, [3, 2])).toBe('ort.Tensor');
    expect(toOrtTensor(ortLike, range({ buffer: fakeBuffer(12), dtype: 'f16' }), [6])).toBe('ort.Tensor');
    expect(toOrtTensor(ortLike, range({ dtype: 'u32' }), [6])).toBe('ort.Tensor');
    expect(calls).toEqual([
      [{ buffer: r.buffer, zeroCopy: true }, [2, 3], 'float32'],
      [{ buffer: r.buffer, zeroCopy: false }, [6], 'float32'],
      [r.buffer, { dataType: 'float32', dims: [3, 2] }],
      [expect.anything(), { dataType: 'float16', dims: [6] }],
      [expect.anything(), { dataType: 'uint32', dims: [6] }],
    ]);
  });

  it("defaults the shape to range.shape (initModel's tensors have one)", () => {
    calls.length = 0;
    const r = { buffer: fakeBuffer(24), offset: 0, dtype: 'f32' as const, shape: [3, 2] };
    toTfTensor(tf, r);
    toOrtTensor(ortLike, r);
    toOrtTensor(ortLike, r, [6]);
    expect(calls).toEqual([
      [{ buffer: r.buffer, zeroCopy: true }, [3, 2], 'float32'],
      [r.buffer, { dataType: 'float32', dims: [3, 2] }],
      [r.buffer, { dataType: 'float32', dims: [6] }],
    ]);
    // initialize() results have a count but no shape.
    expect((caught(() => toTfTensor(tf, range())) as InvalidParameterError).parameter).toBe('shape');
  });

  it('states the usage each engine needs', () => {
    expect(TFJS_BUFFER_USAGE).toBe(STORAGE | COPY_SRC);
    expect(ORT_BUFFER_USAGE).toBe(STORAGE | COPY_SRC);
  });

  it('rejects what the engines cannot take, before calling them', () => {
    calls.length = 0;
    const both = (r: EngineRange, shape: number[]) => [caught(() => toTfTensor(tf, r, shape)), caught(() => toOrtTensor(ortLike, r, shape))];
    for (const e of both(range(), [4, 2])) expect((e as InvalidParameterError).parameter).toBe('shape');
    for (const e of both(range(), [-6])) expect((e as InvalidParameterError).parameter).toBe('shape');
    // Neither engine takes a byte offset.
    for (const e of both(range({ offset: 256, buffer: fakeBuffer(512) }), [6])) {
      expect(e).toBeInstanceOf(InvalidParameterError);
      expect((e as InvalidParameterError).parameter).toBe('range.offset');
    }
    for (const e of both(range({ buffer: fakeBuffer(24, STORAGE | COPY_DST) }), [6])) expect(e).toBeInstanceOf(BufferUsageError);
    for (const e of both(range({ buffer: fakeBuffer(20) }), [6])) expect(e).toBeInstanceOf(BufferTooSmallError);
    // TF.js's WebGPU backend has only float32/int32 buffers; ORT has no bfloat16 GPU-buffer tensors.
    expect(caught(() => toTfTensor(tf, range({ dtype: 'f16', buffer: fakeBuffer(12) }), [6]))).toBeInstanceOf(UnsupportedError);
    expect(caught(() => toOrtTensor(ortLike, range({ dtype: 'bf16', buffer: fakeBuffer(12) }), [6]))).toBeInstanceOf(UnsupportedError);
    expect(caught(() => toTfTensor(tf, null as unknown as EngineRange, [6]))).toBeInstanceOf(WeightInitError);
    // A dtype that is none of the library's (once passed through with no byte size and no engine type).
    for (const e of both(range({ dtype: 'f64' as EngineRange['dtype'] }), [6])) expect((e as InvalidParameterError).parameter).toBe('range.dtype');
    expect(calls).toEqual([]);
  });

  it('engineDeviceDescriptor asks for the adapter maxima of every engine limit and the features it has', () => {
    const limits = Object.fromEntries(ENGINE_DEVICE_LIMITS.map((name, i) => [name, 1000 + i])) as unknown as GPUSupportedLimits;
    const adapter = { limits, features: new Set(['subgroups', 'timestamp-query']) };
    expect(engineDeviceDescriptor(adapter)).toEqual({
      label: 'webgpu-weight-init shared device',
      requiredLimits: Object.fromEntries(ENGINE_DEVICE_LIMITS.map((name, i) => [name, 1000 + i])),
      requiredFeatures: ['subgroups'],
    });
    expect(engineDeviceDescriptor({ limits, features: new Set(['shader-f16']) }, { features: ['shader-f16', 'float32-filterable'] }).requiredFeatures).toEqual([
      'shader-f16',
    ]);
    expect(caught(() => engineDeviceDescriptor({} as never))).toBeInstanceOf(InvalidParameterError);
  });

  it('builds the WebGPU EP entry with the device', () => {
    const device = { createBuffer: () => undefined } as unknown as GPUDevice;
    expect(ortWebGpuExecutionProvider(device)).toEqual({ name: 'webgpu', device });
    expect(ortWebGpuExecutionProvider(device, { forceCpuNodeNames: ['Cast_0'] })).toEqual({ name: 'webgpu', device, forceCpuNodeNames: ['Cast_0'] });
    expect(caught(() => ortWebGpuExecutionProvider({} as GPUDevice))).toBeInstanceOf(InvalidParameterError);
  });

  it('shareDeviceWithTfjs replaces the webgpu factory and checks the device that TF.js ends up on', async () => {
    const device = { createBuffer: () => undefined } as unknown as GPUDevice;
    const log: string[] = [];
    let factory: (() => unknown) | undefined = () => 'original';
    let active: { device: unknown } | undefined;
    const tfStub = {
      findBackendFactory: () => factory,
      removeBackend: (name: string) => {
        log.push(`remove ${name}`);
        factory = undefined;
      },
      registerBackend: (name: string, f: () => unknown, priority?: number) => {
        log.push(`register ${name} ${priority}`);
        factory = f;
        return true;
      },
      setBackend: async (name: string) => {
        log.push(`set ${name}`);
        active = factory!() as { device: unknown };
        return true;
      },
      backend: () => active,
    };
    class Backend {
      constructor(
        readonly device: GPUDevice,
        readonly info?: GPUAdapterInfo,
      ) {}
    }
    await shareDeviceWithTfjs(tfStub, Backend, device);
    expect(log).toEqual(['remove webgpu', 'register webgpu 3', 'set webgpu']);
    expect(tfjsDevice(tfStub)).toBe(device);
    class Elsewhere {
      readonly device = { createBuffer: () => undefined };
    }
    await expect(shareDeviceWithTfjs(tfStub, Elsewhere as never, device)).rejects.toBeInstanceOf(UnsupportedError);
  });
});

// Y = X · W + B, as in the browser test.
const M = 8;
const K = 32;
const N = 16;
const X: WeightSpec = { init: { kind: 'uniform', low: -1, high: 1 }, shape: [M, K], seed: 7, stream: 10 };
const W: WeightSpec = { init: { kind: 'glorotUniform' }, shape: [K, N], seed: 7, stream: 11 };
const B: WeightSpec = { init: { kind: 'normal', std: 0.1 }, shape: [N], seed: 7, stream: 12 };

describe('the ONNX encoder, run by ONNX Runtime Web (Node build, wasm EP)', () => {
  ort.env.wasm.numThreads = 1;

  it('encodes varints, strings and nested messages as protobuf does', () => {
    const bytes = encodeModel({
      nodes: [],
      inputs: [],
      outputs: [{ name: 'Y', elemType: ONNX_FLOAT, dims: [300, 'n'] }],
      irVersion: 8,
      opset: 17,
      graphName: 'g',
    });
    // ir_version (field 1, varint): 0x08 0x08; producer_name (field 2, length-delimited) follows.
    expect(Array.from(bytes.slice(0, 4))).toEqual([0x08, 0x08, 0x12, 24]);
    // dim_value 300 is the varint 0xac 0x02; dim_param 'n' is field 2 of Dimension.
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex).toContain('08ac02');
    expect(hex).toContain('12016e');
    // opset_import (field 8): { domain '' (field 1), version 17 (field 2) } at the end.
    expect(hex.endsWith('42040a001011')).toBe(true);
  });

  it("runs MatMul + Add on the CPU twin's weights", async () => {
    const session = await ort.InferenceSession.create(matMulAddModel(M, K, N), { executionProviders: ['wasm'] });
    expect([session.inputNames, session.outputNames]).toEqual([['X', 'W', 'B'], ['Y']]);
    const feed = (w: WeightSpec) => new ort.Tensor('float32', Float32Array.from(twinValues(w)), w.shape);
    const y = (await session.run({ X: feed(X), W: feed(W), B: feed(B) }))['Y']!;
    expect(y.dims).toEqual([M, N]);
    const want = matMulF64(twinValues(X), twinValues(W), M, K, N, twinValues(B));
    expect(outsideTolerance(Array.from(y.data as Float32Array), want)).toEqual([]);
    await session.release();
  });

  it("runs Cast(f16 -> f32) + MatMul on the CPU twin's f16 bits", async () => {
    const x16 = { ...X, dtype: 'f16' as const };
    const w16 = { ...W, dtype: 'f16' as const };
    const session = await ort.InferenceSession.create(castMatMulModel(M, K, N), { executionProviders: ['wasm'] });
    const feed = (w: WeightSpec) => new ort.Tensor('float16', Uint16Array.from(twinBits(w)), w.shape);
    const y = (await session.run({ X16: feed(x16), W16: feed(w16) }))['Y']!;
    const want = matMulF64(twinValues(x16), twinValues(w16), M, K, N);
    expect(outsideTolerance(Array.from(y.data as Float32Array), want)).toEqual([]);
    // The f16 twin is f32ToF16Bits of the f32 twin, so the two products differ by f16 rounding only.
    expect(twinBits(x16)).toEqual(twinValues(X).map(f32ToF16Bits));
    await session.release();
  });
});

describe('on a Dawn device (SwiftShader without a GPU)', () => {
  let ctx: WeightInitContext;

  beforeAll(async () => {
    // TF.js's WebGPU backend looks for navigator.gpu and uses the GPU* globals (GPUBufferUsage, GPUMapMode,
    // GPUTextureUsage, `instanceof GPUBuffer`), which installNodeGPU sets from Dawn. This file runs in its
    // own worker, so nothing leaks.
    const gpu = await installNodeGPU();
    expect(navigator.gpu).toBe(gpu);
    expect(typeof GPUBufferUsage.STORAGE).toBe('number');
    ctx = await createNodeContext({ gpu });
  });

  afterAll(() => ctx?.destroy());

  it('engineDeviceDescriptor gives a device Dawn accepts, with those limits', async () => {
    const adapter = (await (await requestNodeGPU()).gpu.requestAdapter())!;
    const descriptor = engineDeviceDescriptor(adapter);
    const device = await adapter.requestDevice(descriptor);
    try {
      for (const name of ENGINE_DEVICE_LIMITS) expect(device.limits[name], name).toBe(adapter.limits[name]);
      expect([...device.features].filter((f) => f === 'shader-f16' || f === 'subgroups').sort()).toEqual([...(descriptor.requiredFeatures ?? [])].sort());
      const shared = await createNodeContext({ device });
      expect(shared.adapter.source).toBe('caller');
      shared.destroy();
    } finally {
      device.destroy();
    }
  });

  it('wraps an initialized buffer as an ort.Tensor on the GPU (construction only: the Node build has no WebGPU EP)', async () => {
    const r = await initialize(ctx, { ...X, dtype: 'f16' });
    try {
      const t = toOrtTensor(ort, r, X.shape);
      expect([t.type, t.dims, t.location, t.gpuBuffer === r.buffer]).toEqual(['float16', X.shape, 'gpu-buffer', true]);
      // No downloader: ORT cannot read it without a session; the buffer stays ours after dispose().
      await expect(t.getData()).rejects.toThrow(/downloader/);
      t.dispose();
      expect(t.location).toBe('none');
      expect(Array.from(await ctx.readRange(r))).toEqual(twinBits({ ...X, dtype: 'f16' }));
    } finally {
      r.buffer.destroy();
    }
  });

  it("runs TF.js 4.22's WebGPU backend on the library's device: zero-copy tensors, tf.matMul, data()", async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    const a: WeightSpec = { init: { kind: 'glorotUniform' }, shape: [64, 32], seed: 20240601, stream: 1 };
    const b: WeightSpec = { init: { kind: 'normal', std: 0.5 }, shape: [32, 16], seed: 20240601, stream: 2 };
    ctx.device.pushErrorScope('validation');
    await shareDeviceWithTfjs(tf, WebGPUBackend, ctx.device);
    const ra = await initialize(ctx, a);
    const rb = await initialize(ctx, b);
    try {
      expect(tf.getBackend()).toBe('webgpu');
      expect(tfjsDevice(tf)).toBe(ctx.device);
      const ta = toTfTensor(tf, ra, a.shape);
      const tb = toTfTensor(tf, rb, b.shape);
      const c = tf.matMul(ta, tb);
      const bits = async (t: typeof ta) => Array.from(new Uint32Array(((await t.data()) as Float32Array).buffer));
      expect(await bits(ta)).toEqual(twinBits(a));
      expect(await bits(tb)).toEqual(twinBits(b));
      expect(c.shape).toEqual([64, 16]);
      const want = matMulF64(twinValues(a), twinValues(b), 64, 32, 16);
      expect(outsideTolerance(Array.from((await c.data()) as Float32Array), want)).toEqual([]);
      // dataSync() needs OffscreenCanvas (TF.js 4.22 reads synchronously through a WebGPU canvas); a fresh
      // tensor, since data() above cached ta's values on the CPU.
      const fresh = toTfTensor(tf, ra, a.shape);
      expect(() => fresh.dataSync()).toThrow(/OffscreenCanvas/);
      fresh.dispose();
      tf.dispose([ta, tb, c]);
      expect(Array.from(await ctx.readRange(ra))).toEqual(Array.from(new Float32Array(new Uint32Array(twinBits(a)).buffer)));
      // Lifetime: TF.js encodes work and submits it later (at a read, or after a batch of dispatches), so a
      // zero-copy buffer destroyed before that read breaks the submit: a validation error, and the result is
      // whatever its (pooled) output buffer held before.
      const early = await initialize(ctx, a);
      const te = toTfTensor(tf, early, a.shape);
      const sum = tf.add(te, te);
      early.buffer.destroy();
      ctx.device.pushErrorScope('validation');
      const stale = Array.from((await sum.data()) as Float32Array);
      const submitError = await ctx.device.popErrorScope();
      expect(submitError?.message).toMatch(/used in submit while destroyed/);
      expect(stale).not.toEqual(twinValues(a).map((x) => 2 * x));
      tf.dispose([te, sum]);
    } finally {
      tf.removeBackend('webgpu');
      ra.buffer.destroy();
      rb.buffer.destroy();
      const error = await ctx.device.popErrorScope();
      expect(error?.message ?? null).toBeNull();
    }
  });
});
