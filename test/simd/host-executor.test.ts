// The host executor (src/simd/host-executor.ts) and the SIMD QR under it: an abort during an orthogonal matrix's
// QR is seen within a second (the event loop stays free: the calling thread yields at least every 50 ms of work),
// on a host executor with no device and on a context's upload executor; the QR itself stops (it does not run to
// the end first); a closed executor refuses work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors.js';
import type { UploadExecutor } from '../../src/gpu/upload.js';
import { planInitialize, sliceInitializePlan } from '../../src/init/plan-initialize.js';
import { resolveModel } from '../../src/models/spec.js';
import { writeCheckpoint } from '../../src/output/checkpoint.js';
import { initModel } from '../../src/output/init-model.js';
import { createHostExecutor, type HostExecutor } from '../../src/simd/host-executor.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { nodeContext } from '../helpers/gpu.js';

/** A matrix whose QR takes seconds on two threads here (about 3 * 10^10 multiply-adds), so an abort lands inside it. */
const LARGE = resolveModel({ tensors: [{ name: 'w', shape: [2048, 2048], init: { kind: 'orthogonal' } }] });
const ABORT_AFTER_MS = 200;

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * Makes `host.orthogonal` abort `controller` ABORT_AFTER_MS after a QR starts (through a timer, which fires only if
 * the event loop is free); records when the timer was due and when it fired, and the QR's own promise.
 */
function abortDuringQr(host: HostExecutor, controller: AbortController): { due: number; fired: number; qr: Promise<unknown> | undefined } {
  const seen = { due: 0, fired: 0, qr: undefined as Promise<unknown> | undefined };
  const orthogonal = host.orthogonal.bind(host);
  host.orthogonal = (plan, signal) => {
    const qr = orthogonal(plan, signal);
    qr.catch(() => undefined);
    seen.qr = qr;
    seen.due = performance.now() + ABORT_AFTER_MS;
    setTimeout(() => {
      seen.fired = performance.now();
      controller.abort(new Error('stop'));
    }, ABORT_AFTER_MS);
    return qr;
  };
  return seen;
}

/** The abort was seen during the QR: the timer fired on time, the QR stopped with AbortedError, the call within a second. */
async function expectSeenWithinASecond(call: Promise<unknown>, seen: ReturnType<typeof abortDuringQr>): Promise<void> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  const settled = performance.now();
  expect(err).toBeInstanceOf(AbortedError);
  expect(seen.qr).toBeDefined();
  await expect(seen.qr).rejects.toBeInstanceOf(AbortedError);
  console.log(`abort during the QR: timer ${(seen.fired - seen.due).toFixed(0)} ms late, call settled ${(settled - seen.fired).toFixed(0)} ms after the abort`);
  expect(seen.fired - seen.due).toBeLessThan(1000);
  expect(settled - seen.fired).toBeLessThan(1000);
}

describe('an abort during the QR is seen within a second', () => {
  it('writeCheckpoint on a host executor with no device', async () => {
    const host = createHostExecutor({ threads: 2 });
    try {
      const controller = new AbortController();
      const seen = abortDuringQr(host, controller);
      let aborted = false;
      const sink = {
        write: () => undefined,
        abort: () => {
          aborted = true;
        },
      };
      await expectSeenWithinASecond(writeCheckpoint(host, LARGE, { create: () => sink }, { seed: 1, signal: controller.signal }), seen);
      expect(aborted).toBe(true);
    } finally {
      host.close();
    }
  });

  it('initModel on an upload context (its executor runs the same QR)', async () => {
    const ctx = await nodeContext({ strategy: 'upload', threads: 2 });
    try {
      const controller = new AbortController();
      const seen = abortDuringQr((ctx.executor as UploadExecutor).host, controller);
      await expectSeenWithinASecond(initModel(ctx, LARGE, { seed: 1, signal: controller.signal }), seen);
    } finally {
      ctx.destroy();
    }
  });
});

describe('host windows', () => {
  let host: HostExecutor;
  beforeAll(() => {
    host = createHostExecutor({ threads: 1 });
  });
  afterAll(() => host?.close());

  it("a window's bytes are its slices' CPU-twin bytes back to back; a session keeps one orthogonal matrix for its slices", async () => {
    const q = { init: { kind: 'orthogonal', gain: 3 }, shape: [30, 50], seed: 9, stream: 4, dtype: 'bf16' } as const;
    const u = { init: { kind: 'uniform', low: -1, high: 1 }, shape: [101], seed: 9, stream: 5, dtype: 'f16' } as const;
    const plan = planInitialize(q);
    let runs = 0;
    const orthogonal = host.orthogonal.bind(host);
    host.orthogonal = (p, s) => {
      runs++;
      return orthogonal(p, s);
    };
    const session = host.windows(4096);
    try {
      const a = await session.bytes([sliceInitializePlan(plan, 0, 700), planInitialize(u)]);
      const b = await session.bytes([sliceInitializePlan(plan, 700, 800)]);
      expect(a.length).toBe(1400 + 202);
      expect(Buffer.concat([a.subarray(0, 1400), b]).equals(bytesOf(initializeCpu(q)))).toBe(true);
      expect(Buffer.from(a.subarray(1400)).equals(bytesOf(initializeCpu(u)))).toBe(true);
      expect(runs).toBe(1);
    } finally {
      session.close();
    }
  });

  it('a closed executor refuses work', async () => {
    const closed = createHostExecutor({ threads: 1 });
    closed.close();
    await expect(closed.workers()).rejects.toMatchObject({ code: 'Unsupported' });
    await expect(closed.simd()).resolves.toBeUndefined();
    await expect(closed.orthogonal(planInitialize({ init: { kind: 'orthogonal' }, shape: [4, 4], seed: 1 }).orthogonal!)).rejects.toMatchObject({
      code: 'Unsupported',
    });
    await expect(closed.windows(64).bytes([planInitialize({ init: { kind: 'normal', std: 1 }, shape: [4], seed: 1 })])).rejects.toMatchObject({
      code: 'Unsupported',
    });
  });

  it('rejects bad options and window sizes', () => {
    expect(() => createHostExecutor({ threads: 0 })).toThrow(/threads/);
    expect(() => host.windows(6)).toThrow(RangeError);
    expect(() => host.windows(host.maxWindowBytes + 4)).toThrow(RangeError);
  });
});
