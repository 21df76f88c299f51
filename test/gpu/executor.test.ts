// The executor (src/gpu/executor.ts): chosen once by the context from its strategy, and the one path that
// initialize, initModel, initShard, computeOrthogonal and writeCheckpoint take on either strategy (every call is
// seen by an instrumented executor, and the bytes equal the CPU twin's); an orthogonal matrix computed once per
// write whatever the window size; an orthogonal output that cannot be allocated failing before any QR.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planGenerate } from '../../src/contract/plan.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import type { Executor } from '../../src/gpu/executor.js';
import { initialize } from '../../src/gpu/initialize.js';
import { KernelExecutor } from '../../src/gpu/kernel-executor.js';
import { computeOrthogonal } from '../../src/gpu/orthogonal.js';
import { UploadExecutor } from '../../src/gpu/upload.js';
import { type ResolvedTensor, resolveModel } from '../../src/models/spec.js';
import { writeCheckpoint } from '../../src/output/checkpoint.js';
import { initModel } from '../../src/output/init-model.js';
import { encodeHeader } from '../../src/output/safetensors/format.js';
import type { SafetensorsSink } from '../../src/output/safetensors/sinks.js';
import { initShard, initShardCpu } from '../../src/output/shard.js';
import { createHostExecutor, type HostExecutor } from '../../src/simd/host-executor.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { orthogonalF32 } from '../../src/twin/orthogonal.js';
import { nodeContext } from '../helpers/gpu.js';

const SEED = 31n;

/** Tensors of every kind of initializer, two orthogonal ones (tall and wide) that span many small windows. */
function model(): ResolvedTensor[] {
  return resolveModel({
    tensors: [
      { name: 'embed', shape: [37, 20], dtype: 'bf16', init: { kind: 'normal', std: 0.02 } },
      { name: 'q.weight', shape: [60, 40], dtype: 'f32', init: { kind: 'orthogonal', gain: 2 } },
      { name: 'q.bias', shape: [40], dtype: 'f32', init: { kind: 'zeros' } },
      { name: 'eye', shape: [9, 11], dtype: 'f16', init: { kind: 'eye' } },
      { name: 'conv', shape: [4, 2, 3, 3], dtype: 'f32', init: { kind: 'dirac' } },
      { name: 'k.weight', shape: [24, 70], dtype: 'bf16', init: { kind: 'orthogonal' } },
      { name: 'odd', shape: [3, 7], dtype: 'f16', init: { kind: 'truncatedNormal', std: 0.5 } },
    ],
  });
}
const ORTHOGONAL_TENSORS = 2;

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The single-file checkpoint of `tensors` built from the CPU twin alone: the reference bytes. */
function twinFile(tensors: readonly ResolvedTensor[]): Buffer {
  const header = encodeHeader(tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const data = header.order.map((name) => {
    const t = byName.get(name)!;
    return bytesOf(initializeCpu({ init: t.init, shape: t.shape, layout: t.layout, seed: SEED, stream: t.stream, dtype: t.dtype }));
  });
  return Buffer.concat([header.bytes, ...data]);
}

function memorySink(): SafetensorsSink & { bytes(): Buffer } {
  const parts: Uint8Array[] = [];
  return { write: (c) => void parts.push(c.slice()), bytes: () => Buffer.concat(parts) };
}

type Counts = Record<'write' | 'generate' | 'orthogonal' | 'windows' | 'bytes', number>;

/** Counts the calls that reach an executor's methods (wrapping them on the instance; nothing else changes). */
function instrument(executor: Executor): Counts {
  const counts: Counts = { write: 0, generate: 0, orthogonal: 0, windows: 0, bytes: 0 };
  const e = executor as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['write', 'generate', 'orthogonal'] as const) {
    const f = e[name]!.bind(executor);
    e[name] = (...args) => {
      counts[name]++;
      return f(...args);
    };
  }
  const windows = executor.windows.bind(executor);
  executor.windows = (n) => {
    counts.windows++;
    const session = windows(n);
    return {
      bytes: (slices, signal) => {
        counts.bytes++;
        return session.bytes(slices, signal);
      },
      close: () => session.close(),
    };
  };
  return counts;
}

/** Counts the QRs a host executor runs. */
function countQr(host: HostExecutor): { runs: number } {
  const count = { runs: 0 };
  const orthogonal = host.orthogonal.bind(host);
  host.orthogonal = (plan, signal) => {
    count.runs++;
    return orthogonal(plan, signal);
  };
  return count;
}

/** Reads a range back as bytes. */
async function read(ctx: WeightInitContext, r: { buffer: GPUBuffer; offset: number; byteLength: number }): Promise<Buffer> {
  const words = await ctx.read(r.buffer, { offset: r.offset, count: Math.ceil(r.byteLength / 4), dtype: 'u32' });
  return bytesOf(new Uint8Array(words.buffer, 0, r.byteLength));
}

let host: HostExecutor;
beforeAll(() => {
  host = createHostExecutor({ threads: 2 });
});
afterAll(() => host?.close());

describe.each(['kernel', 'upload'] as const)("strategy '%s': one executor, chosen once", (strategy) => {
  let ctx: WeightInitContext;
  beforeAll(async () => {
    ctx = await nodeContext({ strategy, threads: 2 });
  });
  afterAll(() => ctx?.destroy());

  it('the context holds one executor of its strategy for its life', () => {
    expect(ctx.executor).toBeInstanceOf(strategy === 'kernel' ? KernelExecutor : UploadExecutor);
    expect(ctx.executor).toBe(ctx.executor);
    expect(ctx.executor.kind).toBe(strategy);
    expect(ctx.strategy).toBe(strategy);
  });

  it("initialize, initModel, initShard, computeOrthogonal and writeCheckpoint all go through it, with the CPU twin's bits", async () => {
    const counts = instrument(ctx.executor);
    const qr = ctx.executor instanceof UploadExecutor ? countQr(ctx.executor.host) : undefined;
    const tensors = model();

    // initialize: one write per call, whatever the kind.
    for (const [i, t] of tensors.entries()) {
      const options = { init: t.init, shape: t.shape, layout: t.layout, seed: SEED, stream: t.stream, dtype: t.dtype };
      const r = await initialize(ctx, options);
      try {
        expect(await read(ctx, r), t.name).toEqual(bytesOf(initializeCpu(options)));
      } finally {
        r.buffer.destroy();
      }
      expect(counts.write).toBe(i + 1);
    }
    expect(counts.generate).toBeGreaterThan(0); // the distributions' plans (and the matrices' A on the kernels)

    // initModel: one write per tensor.
    const m = await initModel(ctx, tensors, { seed: SEED });
    try {
      for (const t of m.tensors) {
        const src = tensors.find((x) => x.name === t.name)!;
        expect(await read(ctx, t), t.name).toEqual(bytesOf(initializeCpu({ ...src, seed: SEED })));
      }
    } finally {
      m.destroy();
    }
    expect(counts.write).toBe(2 * tensors.length);

    // initShard of an orthogonal tensor: one write of all its segments, one matrix.
    const orthogonalBefore = counts.orthogonal + (qr?.runs ?? 0);
    const q = tensors[1]!;
    const shard = { rows: [10, 50] as [number, number], cols: [5, 25] as [number, number] };
    const s = await initShard(ctx, q, shard, { seed: SEED });
    try {
      expect(await read(ctx, s)).toEqual(bytesOf(initShardCpu(q, shard, { seed: SEED })));
    } finally {
      s.buffer.destroy();
    }
    expect(counts.write).toBe(2 * tensors.length + 1);
    if (strategy === 'kernel') expect(counts.orthogonal - orthogonalBefore).toBe(1);
    else expect(qr!.runs + counts.orthogonal - orthogonalBefore).toBe(2); // executor.orthogonal runs the host's QR

    // computeOrthogonal: the executor's orthogonal.
    const before = counts.orthogonal;
    const buffer = await computeOrthogonal(ctx, { seed: SEED, rows: 5, cols: 8 });
    try {
      expect(await read(ctx, { buffer, offset: 0, byteLength: 4 * 40 })).toEqual(bytesOf(orthogonalF32({ seed: SEED, rows: 5, cols: 8 })));
    } finally {
      buffer.destroy();
    }
    expect(counts.orthogonal).toBe(before + 1);

    // writeCheckpoint: one session of the executor, every window made by it.
    const sink = memorySink();
    const r = await writeCheckpoint(ctx, tensors, { create: () => sink }, { seed: SEED, stagingBytes: 1024 });
    expect(counts.windows).toBe(1);
    expect(counts.bytes).toBe(r.windows);
    expect(r.windows).toBeGreaterThan(10);
    expect(sink.bytes().equals(twinFile(tensors))).toBe(true);
  });
});

describe('a host executor with no device', () => {
  it('writes the checkpoint the contexts write, from the CPU twin bit for bit, each orthogonal matrix computed once', async () => {
    const tensors = model();
    const qr = countQr(host);
    const sink = memorySink();
    const r = await writeCheckpoint(host, tensors, { create: () => sink }, { seed: SEED, stagingBytes: 256 });
    expect(r.windows).toBeGreaterThan(40);
    expect(qr.runs).toBe(ORTHOGONAL_TENSORS);
    expect(sink.bytes().equals(twinFile(tensors))).toBe(true);
  });

  it('checks its window size against its own limit', async () => {
    await expect(writeCheckpoint(host, model(), { create: () => memorySink() }, { seed: SEED, stagingBytes: host.maxWindowBytes + 4 })).rejects.toMatchObject({
      code: 'InvalidParameter',
      parameter: 'stagingBytes',
    });
  });
});

describe('orthogonal tensors in a checkpoint', () => {
  it('the kernels compute each matrix once per write, however many windows it spans', async () => {
    const ctx = await nodeContext({ strategy: 'kernel' });
    const create = ctx.device.createBuffer.bind(ctx.device);
    let matrices = 0;
    ctx.device.createBuffer = (d: GPUBufferDescriptor) => {
      if (d.label?.startsWith('webgpu-weight-init: orthogonal Q')) matrices++;
      return create(d);
    };
    try {
      const tensors = model();
      const sink = memorySink();
      const r = await writeCheckpoint(ctx, tensors, { create: () => sink }, { seed: SEED, stagingBytes: 1024 });
      expect(r.windows).toBeGreaterThan(10);
      expect(matrices).toBe(ORTHOGONAL_TENSORS);
      expect(sink.bytes().equals(twinFile(tensors))).toBe(true);
    } finally {
      ctx.device.createBuffer = create;
      ctx.destroy();
    }
  });
});

describe('an orthogonal output that cannot be allocated fails before any QR', () => {
  it.each(['kernel', 'upload'] as const)('strategy %s: the output buffer, then (upload) the matrix buffer', async (strategy) => {
    const ctx = await nodeContext({ strategy, threads: 2 });
    const counts = instrument(ctx.executor);
    const qr = ctx.executor instanceof UploadExecutor ? countQr(ctx.executor.host) : undefined;
    const create = ctx.device.createBuffer.bind(ctx.device);
    let refuse = 'output';
    ctx.device.createBuffer = (d: GPUBufferDescriptor) => {
      if (d.label?.includes(refuse)) throw new Error(`no memory for ${d.label}`);
      return create(d);
    };
    try {
      const options = { init: { kind: 'orthogonal' as const }, shape: [64, 48], seed: SEED, label: 'output' };
      await expect(initialize(ctx, options)).rejects.toThrow(/no memory for output/);
      expect(counts.orthogonal).toBe(0);
      if (qr) {
        refuse = 'orthogonal Q';
        await expect(initialize(ctx, { ...options, label: 'fits' })).rejects.toThrow(/no memory for webgpu-weight-init: orthogonal Q 64x48/);
        expect(counts.orthogonal).toBe(1);
        expect(qr.runs).toBe(0);
      }
    } finally {
      ctx.device.createBuffer = create;
      ctx.destroy();
    }
  });
});

describe('the context owns its executor', () => {
  it("destroy() stops the upload executor's workers and QR threads", async () => {
    const ctx = await nodeContext({ strategy: 'upload', threads: 2 });
    const executor = ctx.executor as UploadExecutor;
    const q = await computeOrthogonal(ctx, { seed: SEED, rows: 70, cols: 70 });
    q.destroy();
    const simd = await executor.host.simd();
    expect(simd?.threads).toBe(2);
    const pool = await executor.host.workers();
    ctx.destroy();
    await expect(executor.host.workers()).rejects.toMatchObject({ code: 'Unsupported' });
    await expect(simd!.orthogonal({ seed: 1, rows: 4, cols: 4 })).rejects.toMatchObject({ code: 'WorkerFailed' });
    await expect(pool.run(planGenerate({ seed: 1, count: 4 }))).rejects.toMatchObject({ code: 'WorkerFailed' });
  });
});
