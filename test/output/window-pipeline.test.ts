// The window pipeline's memory: a sink that borrows chunks (a file) gets the session's reused chunks, a sink that
// keeps them gets fresh copies of its own; both get the same bytes, on the host executor and on the kernels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { resolveModel } from '../../src/models/spec.js';
import { writeCheckpoint } from '../../src/output/checkpoint.js';
import type { SafetensorsSink } from '../../src/output/safetensors/sinks.js';
import { createHostExecutor, type HostExecutor } from '../../src/simd/host-executor.js';
import { nodeContext } from '../helpers/gpu.js';

let host: HostExecutor;
let ctx: WeightInitContext;
beforeAll(async () => {
  host = createHostExecutor({ threads: 2 });
  ctx = await nodeContext();
});
afterAll(() => {
  host?.close();
  ctx?.destroy();
});

// Odd 2-byte counts before 4-byte distributions: the workers write those at byte offsets that are not whole words.
const TENSORS = resolveModel({
  tensors: [
    { name: 'a', shape: [7, 13], dtype: 'bf16', init: { kind: 'normal', std: 0.02 } },
    { name: 'b', shape: [33, 17], dtype: 'f32', init: { kind: 'uniform', low: -1, high: 1 } },
    { name: 'c', shape: [5], dtype: 'f16', init: { kind: 'zeros' } },
    { name: 'd', shape: [300, 201], dtype: 'bf16', init: { kind: 'truncatedNormal', std: 0.5 } },
    { name: 'e', shape: [3, 71], dtype: 'f32', init: { kind: 'normal', std: 1 } },
  ],
});

/** Writes the model through a sink that keeps every chunk it is given (no borrowsChunks). */
async function keeping(executor: WeightInitContext | HostExecutor) {
  const chunks: Uint8Array[] = [];
  const sink: SafetensorsSink = { write: (c) => void chunks.push(c) };
  const r = await writeCheckpoint(executor, TENSORS, { create: () => sink }, { seed: 3, stagingBytes: 4096 });
  return { chunks, bytes: Buffer.concat(chunks), windows: r.windows };
}

/** Writes the model through a sink that borrows each chunk (copies its bytes before its write settles). */
async function borrowing(executor: WeightInitContext | HostExecutor) {
  const copies: Buffer[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const sink: SafetensorsSink = {
    borrowsChunks: true,
    async write(c) {
      buffers.add(c.buffer);
      await new Promise((r) => setTimeout(r, 1)); // the next windows are made meanwhile
      copies.push(Buffer.from(c));
    },
  };
  await writeCheckpoint(executor, TENSORS, { create: () => sink }, { seed: 3, stagingBytes: 4096 });
  return { bytes: Buffer.concat(copies), buffers };
}

describe.each([
  ['the host executor', () => host],
  ['the kernels', () => ctx],
] as const)('the window pipeline on %s', (_name, executor) => {
  it('a keeping sink gets fresh chunks of its own; a borrowing sink gets the same bytes in at most three reused chunks', async () => {
    const kept = await keeping(executor());
    expect(kept.windows).toBeGreaterThan(8);
    const data = kept.chunks.slice(1); // the header is the writer's own
    expect(new Set(data.map((c) => c.buffer)).size).toBe(data.length);
    for (const c of data) expect(c.buffer).toBeInstanceOf(ArrayBuffer);

    const borrowed = await borrowing(executor());
    expect(borrowed.bytes.equals(kept.bytes)).toBe(true);
    // The header plus at most three window chunks (two being made, one being written), however many windows.
    expect(borrowed.buffers.size).toBeLessThanOrEqual(4);
  });
});

describe('the window size', () => {
  it('a small model written with the largest stagingBytes asks for windows of its own size, with the same bytes', async () => {
    const dataBytes = TENSORS.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'f32' ? 4 : 2), 0);
    const asked: number[] = [];
    const windows = host.windows.bind(host);
    host.windows = (n) => {
      asked.push(n);
      return windows(n);
    };
    let big: Buffer;
    try {
      const chunks: Uint8Array[] = [];
      await writeCheckpoint(host, TENSORS, { create: () => ({ write: (c) => void chunks.push(c) }) }, { seed: 3, stagingBytes: host.maxWindowBytes });
      big = Buffer.concat(chunks);
    } finally {
      host.windows = windows;
    }
    // Each tensor's bytes rounded up to a whole word, at most: not the executor's largest window (1 GiB).
    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeLessThanOrEqual(dataBytes + 2 * TENSORS.length + 4);
    expect(big.equals((await keeping(host)).bytes)).toBe(true);
  });
});
