// A catalogue of bad inputs. Each must reject with a typed WeightInitError whose code is stable and whose
// message names the parameter and what is accepted, before any GPU work: the canary words around the
// target stay intact and WebGPU reports no error (none reaches the console).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normal, truncatedNormal, uniform } from '../../src/contract/distributions.js';
import { type ErrorCode, WeightInitError } from '../../src/errors.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { initialize } from '../../src/gpu/initialize.js';
import { parseModelSpec, resolveModel } from '../../src/models/spec.js';
import { initModel } from '../../src/output/init-model.js';
import { parseSafetensorsHeader } from '../../src/output/safetensors/parser.js';
import { initShard } from '../../src/output/shard.js';
import { nodeContext } from '../helpers/gpu.js';

/** A safetensors file prefix: 8-byte little-endian header length, then the header text. */
function header(json: string, announced?: bigint): Uint8Array {
  const body = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, announced ?? BigInt(body.length), true);
  out.set(body, 8);
  return out;
}
const entry = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });

const CANARY = 0xc0ffee11;
let ctx: WeightInitContext;
let target: GPUBuffer;
let noStorage: GPUBuffer;
const uncaptured: string[] = [];

beforeAll(async () => {
  ctx = await nodeContext();
  ctx.device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
  target = ctx.device.createBuffer({ label: 'catalogue target', size: 256, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
  ctx.device.queue.writeBuffer(target, 0, new Uint32Array(64).fill(CANARY));
  noStorage = ctx.device.createBuffer({ label: 'no storage', size: 256, usage: BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
});
afterAll(() => {
  target?.destroy();
  noStorage?.destroy();
  ctx?.destroy();
});

type Case = [string, ErrorCode, RegExp, () => Promise<unknown>];
const t = () => ({ buffer: target, offset: 64 });
const tensor = (init: object, shape: number[] = [4, 4]) => ({
  name: 'w',
  shape,
  dtype: 'f32' as const,
  init: init as never,
  layout: 'torch' as const,
  stream: 1n,
});

const cases: Case[] = [
  // Shapes
  ['negative dim', 'InvalidParameter', /shape\[1\]/, () => initialize(ctx, { init: { kind: 'zeros' }, shape: [4, -1], seed: 1, ...t() })],
  ['fractional dim', 'InvalidParameter', /shape\[0\]/, () => initialize(ctx, { init: { kind: 'zeros' }, shape: [2.5, 4], seed: 1, ...t() })],
  ['NaN dim', 'InvalidParameter', /shape\[0\]/, () => initialize(ctx, { init: { kind: 'zeros' }, shape: [NaN], seed: 1, ...t() })],
  ['shape not an array', 'InvalidParameter', /shape/, () => initialize(ctx, { init: { kind: 'zeros' }, shape: 7 as never, seed: 1, ...t() })],
  ['rank too small for fans', 'InvalidParameter', /shape/, () => initialize(ctx, { init: { kind: 'glorotUniform' }, shape: [16], seed: 1, ...t() })],
  ['element count above 2^53', 'InvalidParameter', /shape/, () => initialize(ctx, { init: { kind: 'zeros' }, shape: [2 ** 27, 2 ** 27], seed: 1, ...t() })],
  // Parameters
  ['NaN uniform low', 'InvalidParameter', /dist\.low/, () => ctx.generate({ seed: 1, count: 4, dist: uniform(NaN, 1), ...t() })],
  ['Infinity normal mean', 'InvalidParameter', /dist\.mean/, () => ctx.generate({ seed: 1, count: 4, dist: normal(Infinity, 1), ...t() })],
  ['subnormal std (GPUs may flush it)', 'InvalidParameter', /2\^-90/, () => ctx.generate({ seed: 1, count: 4, dist: normal(0, 1e-40), ...t() })],
  ['uniform range below 2^-90', 'InvalidParameter', /high - low/, () => ctx.generate({ seed: 1, count: 4, dist: uniform(1e-22, 1.0000001e-22), ...t() })],
  ['subnormal constant', 'InvalidParameter', /value/, () => initialize(ctx, { init: { kind: 'constant', value: 1e-42 }, shape: [4], seed: 1, ...t() })],
  ['std < 0', 'InvalidParameter', /dist\.std/, () => ctx.generate({ seed: 1, count: 4, dist: normal(0, -0.1), ...t() })],
  ['low >= high', 'InvalidParameter', /dist\.high/, () => ctx.generate({ seed: 1, count: 4, dist: uniform(1, 0), ...t() })],
  ['truncation a >= b', 'InvalidParameter', /dist\.b/, () => ctx.generate({ seed: 1, count: 4, dist: truncatedNormal(0, 1, 1, 1), ...t() })],
  [
    'truncation mass below f32 resolution',
    'InvalidParameter',
    /dist\.b/,
    () => ctx.generate({ seed: 1, count: 4, dist: truncatedNormal(0, 1, 0.5, 0.5 + 1e-9), ...t() }),
  ],
  ['truncation beyond 12 std', 'InvalidParameter', /dist\.b/, () => ctx.generate({ seed: 1, count: 4, dist: truncatedNormal(0, 1, 20, 30), ...t() })],
  ['unknown distribution', 'InvalidParameter', /dist\.kind/, () => ctx.generate({ seed: 1, count: 4, dist: { kind: 'cauchy' } as never, ...t() })],
  ['unknown initializer', 'InvalidParameter', /init\.kind/, () => initialize(ctx, { init: { kind: 'magic' } as never, shape: [4, 4], seed: 1, ...t() })],
  [
    'unknown nonlinearity',
    'InvalidParameter',
    /nonlinearity/,
    () => initialize(ctx, { init: { kind: 'kaimingNormal', nonlinearity: 'swish' } as never, shape: [4, 4], seed: 1, ...t() }),
  ],
  [
    'unknown fan mode',
    'InvalidParameter',
    /mode/,
    () => initialize(ctx, { init: { kind: 'varianceScaling', mode: 'fan_max' } as never, shape: [4, 4], seed: 1, ...t() }),
  ],
  [
    'unknown layout',
    'InvalidParameter',
    /layout/,
    () => initialize(ctx, { init: { kind: 'glorotUniform' }, shape: [4, 4], layout: 'numpy' as never, seed: 1, ...t() }),
  ],
  ['negative gain', 'InvalidParameter', /gain/, () => initialize(ctx, { init: { kind: 'xavierUniform', gain: -1 }, shape: [4, 4], seed: 1, ...t() })],
  ['dirac on 2-D', 'InvalidParameter', /shape/, () => initialize(ctx, { init: { kind: 'dirac' }, shape: [4, 4], seed: 1, ...t() })],
  // Seeds, streams, ranges
  ['negative seed', 'InvalidParameter', /seed/, () => ctx.generate({ seed: -1, count: 4, ...t() })],
  ['seed above 2^64 - 1', 'InvalidParameter', /seed/, () => ctx.generate({ seed: 1n << 64n, count: 4, ...t() })],
  ['fractional seed', 'InvalidParameter', /seed/, () => ctx.generate({ seed: 0.5, count: 4, ...t() })],
  ['malformed seed string', 'InvalidParameter', /seed/, () => ctx.generate({ seed: '12abc', count: 4, ...t() })],
  ['negative stream', 'InvalidParameter', /stream/, () => ctx.generate({ seed: 1, stream: -3n, count: 4, ...t() })],
  ['stream as hex string', 'InvalidParameter', /stream/, () => ctx.generate({ seed: 1, stream: '0xff', count: 4, ...t() })],
  ['start + count past 2^64', 'InvalidParameter', /count/, () => ctx.generate({ seed: 1, start: (1n << 64n) - 2n, count: 4, ...t() })],
  ['negative count', 'InvalidParameter', /count/, () => ctx.generate({ seed: 1, count: -4, ...t() })],
  [
    'slice past the tensor',
    'InvalidParameter',
    /count/,
    () => initialize(ctx, { init: { kind: 'zeros' }, shape: [4, 4], start: 10, count: 7, seed: 1, ...t() }),
  ],
  // Targets
  ['offset not a multiple of 4', 'Misaligned', /offset/, () => ctx.generate({ seed: 1, count: 4, buffer: target, offset: 6 })],
  [
    'offset not a multiple of 2 for f16',
    'Misaligned',
    /offset/,
    () => ctx.generate({ seed: 1, count: 4, dist: normal(), dtype: 'f16', buffer: target, offset: 65 }),
  ],
  ['negative offset', 'InvalidParameter', /offset/, () => ctx.generate({ seed: 1, count: 4, buffer: target, offset: -4 })],
  ['buffer too small', 'BufferTooSmall', /needs 304/, () => ctx.generate({ seed: 1, count: 60, ...t() })],
  [
    'buffer too small by the last half-word',
    'BufferTooSmall',
    /needs 260/,
    () => ctx.generate({ seed: 1, count: 96, dist: normal(), dtype: 'bf16', buffer: target, offset: 66 }),
  ],
  ['buffer without STORAGE', 'BufferUsage', /STORAGE/, () => ctx.generate({ seed: 1, count: 4, buffer: noStorage })],
  ['not a buffer', 'InvalidParameter', /buffer/, () => ctx.generate({ seed: 1, count: 4, buffer: {} as GPUBuffer })],
  ['dtype the distribution cannot hold', 'InvalidParameter', /dtype/, () => ctx.generate({ seed: 1, count: 4, dtype: 'bf16', ...t() })],
  ['unknown dtype', 'InvalidParameter', /dtype/, () => initialize(ctx, { init: { kind: 'zeros' }, shape: [4], dtype: 'f8' as never, seed: 1, ...t() })],
  [
    'read without COPY_SRC',
    'BufferUsage',
    /COPY_SRC/,
    () => ctx.read(ctx.device.createBuffer({ size: 16, usage: BufferUsage.STORAGE }), { count: 1, dtype: 'u32' }),
  ],
  ['read past the end', 'BufferTooSmall', /needs 260/, () => ctx.read(target, { offset: 252, count: 2, dtype: 'u32' })],
  [
    'scatter outside the range',
    'InvalidParameter',
    /\bn\b/,
    () => ctx.scatterConstant({ buffer: target, offset: 64, count: 8, value: 1, base: 2, stride: 3, n: 3 }),
  ],
  ['convert from a too-small source', 'BufferTooSmall', /source/, () => ctx.convertF32({ ...t(), source: target, count: 100 })],
  // Models and shards
  [
    'duplicate tensor names',
    'InvalidParameter',
    /tensors\[1\]\.name/,
    () => initModel(ctx, [tensor({ kind: 'zeros' }), tensor({ kind: 'ones' })], { seed: 1 }),
  ],
  [
    'arena alignment below the device minimum',
    'InvalidParameter',
    /alignment/,
    () => initModel(ctx, [tensor({ kind: 'zeros' })], { seed: 1, placement: 'arena', alignment: 64 }),
  ],
  ['shard rows out of range', 'InvalidParameter', /shard\.rows/, () => initShard(ctx, tensor({ kind: 'zeros' }), { rows: [2, 9] }, { seed: 1 })],
  ['shard with empty columns', 'InvalidParameter', /shard\.cols/, () => initShard(ctx, tensor({ kind: 'zeros' }), { cols: [3, 3] }, { seed: 1 })],
  // Model specs and rules (untrusted JSON)
  ['spec that is not an object', 'InvalidParameter', /spec|model/i, async () => parseModelSpec('[1, 2]')],
  ['spec with an unknown top-level key', 'InvalidParameter', /tensorz/, async () => parseModelSpec({ tensorz: [] })],
  [
    'rule with an empty match',
    'InvalidParameter',
    /rules\[0\]\.match/,
    async () => resolveModel({ tensors: [{ name: 'w', shape: [2, 2] }], rules: [{ match: '', init: { kind: 'zeros' } }] }),
  ],
  [
    'tensor no rule initializes',
    'InvalidParameter',
    /no initializer/,
    async () => resolveModel({ tensors: [{ name: 'w', shape: [2, 2] }], rules: [{ match: '*.bias', init: { kind: 'zeros' } }] }),
  ],
  [
    'rule whose initializer does not fit the shape',
    'InvalidParameter',
    /rules\[0\]|tensors\[0\]/,
    async () => resolveModel({ tensors: [{ name: 'b', shape: [4] }], rules: [{ match: '*', init: { kind: 'glorotUniform' } }] }),
  ],
  // Malicious safetensors headers
  ['header length of 2^63', 'InvalidParameter', /header/, async () => parseSafetensorsHeader(header('{}', 1n << 63n))],
  ['header that is not JSON', 'InvalidParameter', /JSON|header/, async () => parseSafetensorsHeader(header('{"a": '))],
  [
    'header with an unknown dtype',
    'InvalidParameter',
    /dtype/i,
    async () => parseSafetensorsHeader(header(JSON.stringify({ w: entry('F128', [1], [0, 16]) }))),
  ],
  [
    'header with overlapping offsets',
    'InvalidParameter',
    /overlap|offset|contiguous|cover/i,
    async () => parseSafetensorsHeader(header(JSON.stringify({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }))),
  ],
  [
    'header with offsets past the file',
    'InvalidParameter',
    /file|offset|size/i,
    async () => parseSafetensorsHeader(header(JSON.stringify({ a: entry('F32', [2], [0, 8]) })), { fileSize: 20 }),
  ],
  // Context options
  ['workgroup size 0', 'InvalidParameter', /workgroupSize/, () => nodeContext({ workgroupSize: 0 })],
  ['binding window below two alignments', 'InvalidParameter', /maxBindingBytes/, () => nodeContext({ maxBindingBytes: 100 })],
];

describe(`bad inputs (${cases.length} cases)`, () => {
  it('the catalogue has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s -> %s', async (_name, code, message, call) => {
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    expect(error, 'the call must reject').toBeInstanceOf(WeightInitError);
    expect((error as WeightInitError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
  });

  it('a destroyed target and a buffer of another device surface as GPUValidation, not console errors', async () => {
    const dead = ctx.device.createBuffer({ size: 64, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
    dead.destroy();
    await expect(ctx.generate({ seed: 1, count: 4, buffer: dead })).rejects.toMatchObject({ code: 'GPUValidation' });
    const other = await nodeContext();
    try {
      const foreign = other.device.createBuffer({ size: 64, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
      await expect(ctx.generate({ seed: 1, count: 4, buffer: foreign })).rejects.toMatchObject({ code: 'GPUValidation' });
      foreign.destroy();
    } finally {
      other.destroy();
    }
  });

  it('nothing was written and WebGPU reported no error', async () => {
    const words = await ctx.read(target, { count: 64, dtype: 'u32' });
    expect(Array.from(words).every((w) => w === CANARY)).toBe(true);
    await ctx.device.queue.onSubmittedWorkDone();
    expect(uncaptured).toEqual([]);
  });
});
