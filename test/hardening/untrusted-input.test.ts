// Issue 11, library side: hostile specs and headers cost time and memory bounded by the limits, and every bad
// argument found there is a typed WeightInitError before any GPU work (counted: no queue submission happens).
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normal, uniform } from '../../src/contract/distributions.js';
import { type ErrorCode, WeightInitError } from '../../src/errors.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { initialize } from '../../src/gpu/initialize.js';
import { fromSafetensorsHeader } from '../../src/models/presets.js';
import { shardLayout } from '../../src/models/shard-layout.js';
import { MODEL_LIMITS, parseModelSpec } from '../../src/models/spec.js';
import { fnv1a64 } from '../../src/models/stream.js';
import { initModel, type ModelTensor } from '../../src/output/init-model.js';
import { fileSink } from '../../src/output/node/safetensors-file.js';
import { SAFETENSORS_MAX_TENSORS } from '../../src/output/safetensors/format.js';
import { parseSafetensorsHeader } from '../../src/output/safetensors/parser.js';
import { initShard } from '../../src/output/shard.js';
import { createSimdGenerator } from '../../src/simd/generator.js';
import { createWorkerPool } from '../../src/simd/worker-pool.js';
import { generate } from '../../src/twin/generate.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { nodeContext } from '../helpers/gpu.js';

/** A safetensors prefix: the 8-byte little-endian length, then the header text. */
function header(json: string): Uint8Array {
  const body = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}

/** Calls `fn` and returns the error it threw or rejected with (undefined if none). */
async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectTyped(error: unknown, code: ErrorCode, message: RegExp): void {
  expect(error, 'must reject with a WeightInitError').toBeInstanceOf(WeightInitError);
  expect((error as WeightInitError).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe('hostile specs and headers: work bounded by the limits', () => {
  it('glob rules that would take hours are refused by the match budget within about a second', () => {
    // R rules '*' + 'a'×1000 + 'b*' (no literal suffix to rule a name out) against T names of 1 KiB of 'a': without a
    // budget the greedy matcher takes ~10^6 steps per pair, 10^11 in all (hours).
    const rules = Array.from({ length: 300 }, () => ({ match: `*${'a'.repeat(1000)}b*`, init: { kind: 'zeros' } }));
    rules.push({ match: '*', init: { kind: 'zeros' } });
    const tensors = Array.from({ length: 300 }, (_, i) => ({ name: `${String(i).padStart(8, '0')}${'a'.repeat(1016)}`, shape: [1] }));
    const t0 = performance.now();
    const error = (() => {
      try {
        parseModelSpec({ tensors, rules });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    const seconds = (performance.now() - t0) / 1000;
    expectTyped(error, 'InvalidParameter', new RegExp(`rules: .*at most ${MODEL_LIMITS.maxMatchSteps} steps`));
    // Not a timing assertion on the machine's speed: 60 s is 10^4 times the budget's cost, far below the hours.
    expect(seconds).toBeLessThan(60);
  }, 120_000);

  it('a rule whose literal suffix rules names out costs one comparison per name, and realistic specs stay far below the budget', () => {
    const rules = [
      { match: '*.bias', init: { kind: 'zeros' } },
      { match: '*.ln_*.weight', init: { kind: 'ones' } },
      { match: 'h.*.attn.c_attn.weight', init: { kind: 'normal', std: 0.02 } },
      { match: '*', init: { kind: 'normal', std: 0.02 } },
    ];
    const tensors = Array.from({ length: 20_000 }, (_, i) => ({ name: `h.${i >> 4}.layer${i & 15}.attn.c_attn.weight`, shape: [2, 2] }));
    expect(parseModelSpec({ tensors, rules }).tensors).toHaveLength(20_000);
  });

  it('a header listing more tensors than maxTensors is refused while scanning, before JSON.parse', () => {
    const n = SAFETENSORS_MAX_TENSORS + 1;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    const bytes = header(`{${parts.join(',')}}`);
    expectTyped(
      (() => {
        try {
          parseSafetensorsHeader(bytes);
        } catch (e) {
          return e;
        }
        return undefined;
      })(),
      'InvalidParameter',
      new RegExp(`at most ${SAFETENSORS_MAX_TENSORS} tensors`),
    );
    // A smaller cap is honoured the same way.
    expect(() =>
      parseSafetensorsHeader(header('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'), {
        maxTensors: 1,
      }),
    ).toThrow(/at most 1 tensors/);
  });

  it('a header name with a lone surrogate is refused like the writer refuses it', () => {
    expect(() => parseSafetensorsHeader(header('{"\\ud800":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'))).toThrow(/lone surrogates/);
  });

  it('fromSafetensorsHeader: dtype "toString" or "constructor" is not a dtype (error, or skipped with skip)', () => {
    for (const dtype of ['toString', 'constructor', '__proto__']) {
      const raw = { w: { dtype, shape: [2], data_offsets: [0, 8] }, v: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } };
      expect(() => fromSafetensorsHeader(raw as never, [])).toThrow(/dtype/);
      const spec = fromSafetensorsHeader(raw as never, [{ match: '*', init: { kind: 'zeros' } }], { unsupportedDType: 'skip' });
      expect(spec.tensors.map((t) => t.name)).toEqual(['v']);
      expect(typeof spec.tensors[0]!.dtype).toBe('string');
    }
  });
});

describe("the library's file sink replaces only regular files too", () => {
  it.each(['fifo', 'symlink', 'folder'] as const)('a %s is refused and left as it is', async (kind) => {
    const dir = mkdtempSync(join(tmpdir(), 'wwi-sink-'));
    try {
      const path = join(dir, 'out.safetensors');
      if (kind === 'fifo') expect(spawnSync('mkfifo', [path]).status).toBe(0);
      else if (kind === 'symlink') symlinkSync(join(dir, 'elsewhere'), path);
      else mkdirSync(path);
      const sink = fileSink(path);
      const error = await errorOf(async () => {
        await sink.write(new Uint8Array(8));
        await sink.close!();
      });
      expectTyped(error, 'FileAccess', kind === 'fifo' ? /FIFO/ : kind === 'symlink' ? /symbolic link/ : /folder/);
      const s = lstatSync(path);
      expect(kind === 'fifo' ? s.isFIFO() : kind === 'symlink' ? s.isSymbolicLink() : s.isDirectory()).toBe(true);
      expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('typed errors where plain TypeErrors and RangeErrors were thrown', () => {
  it.each([
    ['CPU generate with count 2^40', () => generate({ seed: 1, count: 2 ** 40, dist: uniform() }), /count/],
    ['CPU initialize of shape [2^20, 2^20]', () => initializeCpu({ init: { kind: 'zeros' }, shape: [2 ** 20, 2 ** 20], seed: 1 }), /count/],
    ['SIMD generate with count 2^40', async () => (await createSimdGenerator()).generate({ seed: 1, count: 2 ** 40, dist: uniform() }), /count/],
    ['parseSafetensorsHeader(bytes, null)', () => parseSafetensorsHeader(header('{}'), null as never), /options/],
    ['shardLayout with a null shard', () => shardLayout([4, 4], null as never), /shard/],
    ['uniform(-2^100, 2^100): high - low above 2^100', () => generate({ seed: 1, count: 1, dist: uniform(-(2 ** 100), 2 ** 100) }), /high - low/],
    ['normal std -0', () => generate({ seed: 1, count: 1, dist: normal(0, -0) }), /dist\.std: got "-0"/],
  ])('%s', async (_name, call, message) => {
    expectTyped(await errorOf(call), 'InvalidParameter', message);
  });

  it('pool.generate with count 2^40', async () => {
    const pool = await createWorkerPool({ threads: 1 });
    try {
      expectTyped(await errorOf(() => pool.generate({ seed: 1, count: 2 ** 40, dist: uniform() })), 'InvalidParameter', /count/);
    } finally {
      await pool.close();
    }
  });

  it('a shard of a tensor with 0 rows: the whole is shape [0, 5], a column block [0, 1], a block past the columns an error', () => {
    expect(shardLayout([0, 5], {})).toMatchObject({ count: 0, shape: [0, 5] });
    expect(shardLayout([0, 5], { cols: [0, 1] }).shape).toEqual([0, 1]);
    expect(() => shardLayout([0, 5], { cols: [0, 9] })).toThrow(/shard\.cols/);
  });
});

describe('GPU calls: typed errors before any GPU work', () => {
  let ctx: WeightInitContext;
  let submissions = 0;
  const uncaptured: string[] = [];
  let target: GPUBuffer;

  beforeAll(async () => {
    ctx = await nodeContext();
    ctx.device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
    target = ctx.device.createBuffer({ label: 'small target', size: 64, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    // Count queue submissions: a rejected call must not submit anything.
    const queue = ctx.device.queue;
    const submit = queue.submit.bind(queue);
    queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
      submissions++;
      submit(buffers);
    };
  });
  afterAll(() => {
    target?.destroy();
    ctx?.destroy();
  });

  const w = (name: string, stream?: bigint): ModelTensor => ({
    name,
    shape: [4, 4],
    dtype: 'f32',
    init: { kind: 'zeros' },
    layout: 'torch',
    stream: stream as bigint,
  });

  it.each<[string, ErrorCode, RegExp, () => Promise<unknown>]>([
    ['ctx.read(null, ...)', 'InvalidParameter', /buffer/, () => ctx.read(null as never, { count: 1, dtype: 'u32' })],
    ["ctx.read with dtype 'toString'", 'InvalidParameter', /dtype: got "toString"/, () => ctx.read(target, { count: 1, dtype: 'toString' as never })],
    ['convertF32 without source', 'InvalidParameter', /source/, () => ctx.convertF32({ buffer: target, count: 4 } as never)],
    ['scatterConstant without a buffer', 'InvalidParameter', /buffer/, () => ctx.scatterConstant({ count: 8, value: 1, base: 0, stride: 1, n: 1 } as never)],
    ['initModel(ctx, null)', 'InvalidParameter', /tensors/, () => initModel(ctx, null as never, { seed: 1 })],
    ['initModel(ctx, [null])', 'InvalidParameter', /tensors\[0\]/, () => initModel(ctx, [null as never], { seed: 1 })],
    ['initModel without options', 'InvalidParameter', /options/, () => initModel(ctx, [w('a', 1n)], undefined as never)],
    ['initModel: two tensors on one stream', 'InvalidParameter', /tensors\[1\]\.stream/, () => initModel(ctx, [w('a', 7n), w('b', 7n)], { seed: 1 })],
    ['initModel: a tensor without stream', 'InvalidParameter', /tensors\[0\]\.stream/, () => initModel(ctx, [w('a')], { seed: 1 })],
    ['initModel: usage with MAP_READ', 'InvalidParameter', /usage/, () => initModel(ctx, [w('a', fnv1a64('a'))], { seed: 1, usage: BufferUsage.MAP_READ })],
    ['initModel: usage with an unknown bit', 'InvalidParameter', /usage/, () => initModel(ctx, [w('a', fnv1a64('a'))], { seed: 1, usage: 0x10000 })],
    [
      'initialize into a new buffer with MAP_WRITE usage',
      'InvalidParameter',
      /usage/,
      () => initialize(ctx, { init: { kind: 'zeros' }, shape: [4], seed: 1, usage: BufferUsage.MAP_WRITE }),
    ],
    ['initShard(ctx, null, ...)', 'InvalidParameter', /tensor/, () => initShard(ctx, null as never, {}, { seed: 1 })],
    [
      'orthogonal into a target too small: BufferTooSmall before the QR',
      'BufferTooSmall',
      /needs/,
      () => initialize(ctx, { init: { kind: 'orthogonal' }, shape: [16, 16], seed: 1, buffer: target }),
    ],
  ])('%s -> %s', async (_name, code, message, call) => {
    const before = submissions;
    expectTyped(await errorOf(call), code, message);
    expect(submissions - before, 'GPU submissions made by the rejected call').toBe(0);
  });

  it('initShard of a tensor with 0 rows gives an empty shard of the right shape', async () => {
    const tensor: ModelTensor = { name: 'empty', shape: [0, 5], dtype: 'f32', init: { kind: 'normal', std: 1 }, layout: 'torch', stream: 3n };
    const whole = await initShard(ctx, tensor, {}, { seed: 1 });
    const block = await initShard(ctx, tensor, { cols: [0, 1] }, { seed: 1 });
    expect([whole.shape, whole.count, block.shape, block.count]).toEqual([[0, 5], 0, [0, 1], 0]);
    whole.buffer.destroy();
    block.buffer.destroy();
  });

  it('an arena the adapter cannot allocate is OutOfMemory (exactly maxBufferSize on SwiftShader), with no uncaptured error', async () => {
    const size = ctx.device.limits.maxBufferSize;
    const tensor: ModelTensor = { name: 'big', shape: [size / 4], dtype: 'f32', init: { kind: 'zeros' }, layout: 'torch', stream: 1n };
    const outcome = await initModel(ctx, [tensor], { seed: 1, placement: 'arena' }).then(
      (m) => {
        m.destroy();
        return 'allocated';
      },
      (e: unknown) => (e as { code?: string }).code,
    );
    // A real GPU may well allocate maxBufferSize; SwiftShader cannot (see test/hardening/faults.test.ts).
    expect(['allocated', 'OutOfMemory']).toContain(outcome);
    if (ctx.adapter.architecture === 'swiftshader') expect(outcome).toBe('OutOfMemory');
    await ctx.device.queue.onSubmittedWorkDone();
    expect(uncaptured).toEqual([]);
  }, 120_000);
});
