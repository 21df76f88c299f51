// writeCheckpoint on the real adapter (SwiftShader here): every weight file byte for byte what initModel +
// writeSafetensors give the same tensors (so the same bits as `init --out FILE.safetensors`), read back by the
// project's strict parser and by an independent Python-stdlib reader against the CPU twin; bounded GPU and host
// memory; aborts and failures leave no files; an existing checkpoint is never mixed into.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, InvalidParameterError } from '../../src/errors.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { planCheckpoint } from '../../src/models/checkpoint-plan.js';
import { gpt2, hfConfig } from '../../src/models/presets.js';
import { type ResolvedTensor, resolveModel } from '../../src/models/spec.js';
import { type CheckpointFolder, writeCheckpoint } from '../../src/output/checkpoint.js';
import { initModel, type ModelTensor } from '../../src/output/init-model.js';
import { openCheckpointFolder } from '../../src/output/node/checkpoint-folder.js';
import { parseSafetensorsHeader } from '../../src/output/safetensors/parser.js';
import type { SafetensorsSink } from '../../src/output/safetensors/sinks.js';
import { writeSafetensors } from '../../src/output/safetensors/writer.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { nodeContext } from '../helpers/gpu.js';

let ctx: WeightInitContext;
let dir: string;
beforeAll(async () => {
  ctx = await nodeContext();
  dir = await mkdtemp(join(tmpdir(), 'wwi-checkpoint-'));
});
afterAll(async () => {
  ctx?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SEED = 77n;
const GPT2_CONFIG = { n_layer: 2, n_embd: 64, n_head: 4, vocab_size: 503, n_positions: 32 };
/** A small GPT-2 in bf16, plus tensors of every kind that needs care: odd 2-byte counts, eye, orthogonal, empty, scalar. */
function model(): ResolvedTensor[] {
  const g = gpt2(GPT2_CONFIG, { dtype: 'bf16' });
  return resolveModel({
    ...g,
    tensors: [
      ...g.tensors,
      { name: 'extra.odd_f16', shape: [7, 73], dtype: 'f16', init: { kind: 'truncatedNormal', std: 0.5 } },
      { name: 'extra.eye', shape: [33, 41], dtype: 'f32', init: { kind: 'eye' } },
      { name: 'extra.orthogonal', shape: [24, 40], dtype: 'bf16', init: { kind: 'orthogonal', gain: 2 } },
      { name: 'extra.empty', shape: [0, 5], dtype: 'f32', init: { kind: 'zeros' } },
      { name: 'extra.scalar', shape: [], dtype: 'f16', init: { kind: 'constant', value: 0.25 } },
    ],
  });
}

describe('openCheckpointFolder', () => {
  it("its files borrow the window session's chunks, as fileSink does: init --out copies no window", async () => {
    const folder = await openCheckpointFolder(join(dir, 'borrow'));
    const sink = await folder.create('model.safetensors');
    try {
      expect(sink.borrowsChunks).toBe(true);
    } finally {
      await sink.abort?.(new Error('not written'));
    }
  });
});

const metadataOf = (tensors: readonly ModelTensor[]) => ({ format: 'pt', tensors: tensors.map((t) => t.name).join(',') });

/** A sink collecting bytes in memory. */
function memorySink(): SafetensorsSink & { bytes(): Buffer } {
  const parts: Uint8Array[] = [];
  return { write: (c) => void parts.push(c), bytes: () => Buffer.concat(parts) };
}

/** The file of `tensors` as initModel + writeSafetensors write it: the reference bytes. */
async function referenceFile(tensors: readonly ResolvedTensor[]): Promise<Buffer> {
  const m = await initModel(ctx, tensors, { seed: SEED });
  try {
    const sink = memorySink();
    await writeSafetensors(
      ctx.device,
      m.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], buffer: t.buffer, offset: t.offset })),
      sink,
      { metadata: metadataOf(tensors) },
    );
    return sink.bytes();
  } finally {
    m.destroy();
  }
}

const bitsOf = (t: ResolvedTensor, k: number): number => {
  const v = initializeCpu({ init: t.init, shape: t.shape, layout: t.layout, seed: SEED, stream: t.stream, dtype: t.dtype, start: k, count: 1 });
  return t.dtype === 'f32' ? new Uint32Array(v.buffer, v.byteOffset, 1)[0]! : new Uint16Array(v.buffer, v.byteOffset, 1)[0]!;
};

describe('writeCheckpoint', () => {
  it('shards: every file equals initModel + writeSafetensors of its tensors, byte for byte; index, config and order as HF', async () => {
    const tensors = model();
    const out = join(dir, 'sharded');
    const progress: number[] = [];
    const r = await writeCheckpoint(ctx, tensors, await openCheckpointFolder(out), {
      seed: SEED,
      maxShardSize: '40KB',
      stagingBytes: 1002, // not a multiple of 4: windows of 1000 bytes, large tensors in many slices
      config: hfConfig('gpt2', GPT2_CONFIG),
      metadata: metadataOf,
      onProgress: (p) => progress.push(p.bytesDone),
    });
    const plan = planCheckpoint(tensors, 40_000);
    expect(r.sharded).toBe(true);
    expect(r.files.map((f) => f.name)).toEqual([...plan.files.map((f) => f.name), 'model.safetensors.index.json', 'config.json']);
    expect((await readdir(out)).sort()).toEqual(r.files.map((f) => f.name).sort());
    expect(r.windows).toBeGreaterThan(r.totalSize / 1000);
    expect(progress.at(-1)).toBe(r.bytesWritten);
    for (const f of plan.files) {
      const got = await readFile(join(out, f.name));
      expect(got.length, f.name).toBe(r.files.find((x) => x.name === f.name)!.bytes);
      parseSafetensorsHeader(got, { fileSize: got.length });
      expect(got.equals(await referenceFile(f.tensors as ResolvedTensor[])), f.name).toBe(true);
    }
    const index = JSON.parse(await readFile(join(out, 'model.safetensors.index.json'), 'utf8'));
    expect(index).toEqual(JSON.parse(JSON.stringify(plan.index)));
    expect(index.metadata.total_size).toBe(tensors.reduce((n, t) => n + t.byteLength, 0));
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ ...GPT2_CONFIG, model_type: 'gpt2', n_inner: null, initializer_range: 0.02 });
  });

  it("one file: model.safetensors equals the single-file writer's bytes for the whole model, no index", async () => {
    const tensors = model();
    const out = join(dir, 'single');
    const r = await writeCheckpoint(ctx, tensors, await openCheckpointFolder(out), { seed: SEED, metadata: metadataOf, stagingBytes: 4096 });
    expect(r.sharded).toBe(false);
    expect((await readdir(out)).sort()).toEqual(['model.safetensors']);
    expect((await readFile(join(out, 'model.safetensors'))).equals(await referenceFile(tensors))).toBe(true);
  });

  it('the upload strategy (the default on software adapters) makes the windows on the host with the SIMD workers: the same bytes, no GPU buffer', async () => {
    const tensors = model();
    const upload = await nodeContext({ strategy: 'upload', threads: 2 });
    const createBuffer = upload.device.createBuffer;
    let buffers = 0;
    upload.device.createBuffer = (descriptor: GPUBufferDescriptor) => {
      buffers++;
      return createBuffer.call(upload.device, descriptor);
    };
    try {
      const sink = memorySink();
      await writeCheckpoint(upload, tensors, { create: () => sink }, { seed: SEED, metadata: metadataOf, stagingBytes: 2050 });
      expect(buffers).toBe(0);
      expect(sink.bytes().equals(await referenceFile(tensors))).toBe(true);
    } finally {
      upload.device.createBuffer = createBuffer;
      upload.destroy();
    }
  });

  it('an independent Python-stdlib reader checks index, offsets, dtypes and shapes, and reads CPU-twin bits', async (t) => {
    const python = spawnSync('python3', ['--version']);
    if (python.error || python.status !== 0) t.skip('python3 is not installed');
    const tensors = model();
    const out = join(dir, 'python');
    await writeCheckpoint(ctx, tensors, await openCheckpointFolder(out), { seed: SEED, maxShardSize: 30_000, stagingBytes: 512 });
    const samples: Record<string, number[]> = {};
    for (const t of tensors) if (t.numel > 0) samples[t.name] = [...new Set([0, Math.floor(t.numel / 2), t.numel - 1])];
    const samplesPath = join(dir, 'samples.json');
    await writeFile(samplesPath, JSON.stringify(samples));
    const reader = fileURLToPath(new URL('./read_checkpoint.py', import.meta.url));
    const report = JSON.parse(execFileSync('python3', [reader, out, samplesPath], { encoding: 'utf8' }));
    expect(report.files.length).toBeGreaterThan(2);
    expect(report.total_size).toBe(tensors.reduce((n, t) => n + t.byteLength, 0));
    const dtypeName = { f32: 'F32', f16: 'F16', bf16: 'BF16' } as const;
    for (const t of tensors) {
      const seen = report.tensors[t.name];
      expect(seen.dtype, t.name).toBe(dtypeName[t.dtype]);
      expect(seen.shape, t.name).toEqual([...t.shape]);
      expect(seen.samples, t.name).toEqual((samples[t.name] ?? []).map((k) => bitsOf(t, k)));
    }
  });

  it('GPU memory: the buffers it creates stay four staging sizes (two work, two staging buffers) plus small parameter buffers', async () => {
    const tensors = resolveModel({
      tensors: [
        { name: 'w', shape: [1024, 1024], init: { kind: 'normal', std: 1 } },
        { name: 'b', shape: [1024], init: { kind: 'zeros' } },
      ],
    });
    const stagingBytes = 64 << 10;
    const device = ctx.device;
    const create = device.createBuffer.bind(device);
    let live = 0;
    let peak = 0;
    device.createBuffer = (d: GPUBufferDescriptor) => {
      const b = create(d);
      const destroy = b.destroy.bind(b);
      live += d.size;
      peak = Math.max(peak, live);
      let gone = false;
      b.destroy = () => {
        if (!gone) live -= d.size;
        gone = true;
        destroy();
      };
      return b;
    };
    const sink = memorySink();
    try {
      await writeCheckpoint(ctx, tensors, { create: () => sink }, { seed: SEED, stagingBytes });
    } finally {
      device.createBuffer = create;
    }
    expect(sink.bytes().length).toBeGreaterThan(4 << 20); // a 4 MiB model through 64 KiB windows
    console.log(`checkpoint: peak live GPU buffers ${peak} bytes for a 4 MiB model with 64 KiB staging`);
    expect(peak).toBeLessThanOrEqual(4 * stagingBytes + (64 << 10));
  });

  it('abort: rejects with AbortedError and leaves no file, completed shards included (the folder it created goes too)', async () => {
    const tensors = model();
    const out = join(dir, 'aborted');
    const controller = new AbortController();
    const err = await writeCheckpoint(ctx, tensors, await openCheckpointFolder(out), {
      seed: SEED,
      maxShardSize: '40KB',
      stagingBytes: 4096,
      onProgress: (p) => {
        if (p.filesDone === 2) controller.abort('stop');
      },
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(existsSync(out)).toBe(false);
  });

  it('a failing sink: the error is reported, the completed files are removed', async () => {
    const tensors = model();
    const created: string[] = [];
    const removed: string[] = [];
    const boom = new Error('disk full');
    const folder: CheckpointFolder = {
      create(name) {
        created.push(name);
        return created.length === 3 ? { write: () => Promise.reject(boom) } : memorySink();
      },
      remove: (name) => void removed.push(name),
    };
    await expect(writeCheckpoint(ctx, tensors, folder, { seed: SEED, maxShardSize: '40KB' })).rejects.toBe(boom);
    expect(removed).toEqual(created.slice(0, 2).reverse());
  });

  it('refuses a folder holding a checkpoint, before any GPU work, and writes nothing', async () => {
    const out = join(dir, 'occupied');
    const folder = await openCheckpointFolder(out);
    await writeFile(join(out, 'model-00001-of-00002.safetensors'), 'old');
    await writeFile(join(out, 'notes.txt'), 'mine');
    await expect(writeCheckpoint(ctx, model(), folder, { seed: SEED })).rejects.toThrow(/folder: got "model-00001-of-00002.safetensors"/);
    expect((await readdir(out)).sort()).toEqual(['model-00001-of-00002.safetensors', 'notes.txt']);
  });

  it('checks its options before any GPU work', async () => {
    const folder: CheckpointFolder = { create: () => memorySink() };
    await expect(writeCheckpoint(ctx, model(), folder, { seed: SEED, maxShardSize: '5Gb' })).rejects.toThrow(InvalidParameterError);
    await expect(writeCheckpoint(ctx, model(), folder, { seed: SEED, stagingBytes: 2 })).rejects.toThrow(/stagingBytes/);
    await expect(writeCheckpoint(ctx, model(), folder, { seed: -1 })).rejects.toThrow(/seed/);
    await expect(writeCheckpoint(ctx, model(), folder, { seed: SEED, config: [] as never })).rejects.toThrow(/config/);
    // initModel's rules: one stream per tensor (two tensors with one stream would get the same weights).
    const [a, b] = model();
    await expect(writeCheckpoint(ctx, [a!, { ...b!, stream: a!.stream }], folder, { seed: SEED })).rejects.toMatchObject({
      code: 'InvalidParameter',
      parameter: 'tensors[1].stream',
    });
  });
  it('parts: N writers of K/N (in any order, one part twice at once) give the whole write, byte for byte; the last one writes index and config', async () => {
    const tensors = model();
    const options = { seed: SEED, maxShardSize: '40KB', stagingBytes: 8192, config: hfConfig('gpt2', GPT2_CONFIG), metadata: metadataOf };
    const whole = join(dir, 'parts-whole');
    await writeCheckpoint(ctx, tensors, await openCheckpointFolder(whole), options);
    const files = (await readdir(whole)).sort();
    for (const n of [2, 3]) {
      const out = join(dir, `parts-${n}`);
      const order = Array.from({ length: n }, (_, k) => n - 1 - k); // the last part first
      const results = [];
      for (const k of order) results.push(await writeCheckpoint(ctx, tensors, await openCheckpointFolder(out), { ...options, part: `${k}/${n}` }));
      expect(results.map((r) => r.complete)).toEqual(order.map((_, i) => i === n - 1));
      expect(results.at(-1)!.files.map((f) => f.name)).toContain('model.safetensors.index.json');
      expect((await readdir(out)).sort()).toEqual(files);
      for (const f of files) expect((await readFile(join(out, f))).equals(await readFile(join(whole, f))), `${n} parts: ${f}`).toBe(true);
    }
    // Part 0 of 2 given to two writers at once, then part 1: the same folder; a rerun of a finished part keeps its files.
    const twice = join(dir, 'parts-twice');
    const both = await Promise.all([0, 0].map(async () => writeCheckpoint(ctx, tensors, await openCheckpointFolder(twice), { ...options, part: '0/2' })));
    expect(both.map((r) => r.complete)).toEqual([false, false]);
    const last = await writeCheckpoint(ctx, tensors, await openCheckpointFolder(twice), { ...options, part: { index: 1, count: 2 } });
    expect(last.complete).toBe(true);
    const again = await writeCheckpoint(ctx, tensors, await openCheckpointFolder(twice), { ...options, part: '0/2' });
    expect(again.files).toEqual([]);
    expect(again.kept.length).toBeGreaterThan(0);
    expect((await readdir(twice)).sort()).toEqual(files);
    for (const f of files) expect((await readFile(join(twice, f))).equals(await readFile(join(whole, f))), f).toBe(true);
  });

  it('a failed part keeps its completed shards (no lock removed, no other file touched); its rerun writes only the rest', async () => {
    const tensors = model();
    const options = { seed: SEED, maxShardSize: '40KB', stagingBytes: 8192, metadata: metadataOf };
    const out = join(dir, 'part-failed');
    const real = await openCheckpointFolder(out);
    let created = 0;
    const failing: CheckpointFolder = {
      ...real,
      create(name) {
        created++;
        if (created === 2) return { write: () => Promise.reject(new Error('disk full')) };
        return real.create(name);
      },
    };
    await expect(writeCheckpoint(ctx, tensors, failing, { ...options, part: '0/2' })).rejects.toThrow('disk full');
    const left = (await readdir(out)).sort();
    expect(left.filter((f) => f.startsWith('model-'))).toHaveLength(1);
    expect(left).toContain('.webgpu-weight-init.lock');
    const rerun = await writeCheckpoint(ctx, tensors, await openCheckpointFolder(out), { ...options, part: '0/2' });
    expect(rerun.kept).toEqual(left.filter((f) => f.startsWith('model-')));
    expect(rerun.files.length).toBeGreaterThan(0);
  });

  it('a part into a folder without list() and inspect() is refused, and so is a bad part', async () => {
    const folder: CheckpointFolder = { create: () => memorySink() };
    await expect(writeCheckpoint(ctx, model(), folder, { seed: SEED, part: '0/2' })).rejects.toThrow(/folder: .*list\(\) and inspect\(\)/);
    for (const part of ['0/0', '3/2', '-1/4', '1/1e30', 'text']) {
      await expect(writeCheckpoint(ctx, model(), await openCheckpointFolder(join(dir, 'bad-part')), { seed: SEED, part })).rejects.toThrow(
        InvalidParameterError,
      );
    }
  });
});
