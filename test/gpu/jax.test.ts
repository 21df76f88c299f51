// jax.random on the GPU: every fixture case of jax 0.10.2 (test/fixtures/jax-random.json) on the 'kernel' strategy
// (the jax* entry points of generate.wgsl) and the 'upload' strategy (the CPU twin and writeBuffer), bit for bit,
// written at byte offsets into canary-filled buffers; slices of one tensor agree with the whole on both strategies;
// forced-small binding windows and a tiny 2-D grid give the same bits.
import { describe, expect, it } from 'vitest';
import { DTYPE_BYTES } from '../../src/contract/dtypes.js';
import { createJaxKey, foldInJaxKey, wrapJaxKeyData } from '../../src/contract/jax-key.js';
import { type JaxRandomRequest, planJaxRandom } from '../../src/contract/jax-plan.js';
import { slicePlan } from '../../src/contract/plan.js';
import { createContext, type WeightInitContext } from '../../src/gpu/context.js';
import { initializeJax } from '../../src/gpu/initialize.js';
import { generateJaxPlanned } from '../../src/twin/generate.js';
import { fillCanary, inErrorScope, strategyContexts } from '../helpers/gpu.js';
import { loadJaxFixture, sampleName, sampleRequest, storedBits } from '../helpers/jax-fixture.js';

const CANARY = 0xdeadbeef;
const fixture = loadJaxFixture();

const contexts = strategyContexts();

/** Writes a request at `offset` into a canary-filled buffer; returns its stored bits and whether the canaries held. */
async function written(ctx: WeightInitContext, request: JaxRandomRequest, offset: number): Promise<{ bits: number[]; canaries: boolean; via: string }> {
  const plan = planJaxRandom(request);
  const bytes = DTYPE_BYTES[plan.dtype];
  const size = Math.ceil((offset + plan.count * bytes) / 4) * 4 + 16;
  let result = { bits: [] as number[], canaries: false, via: '' };
  await inErrorScope(ctx, async (scope) => {
    const buffer = scope.buffer(size, 'jax target');
    fillCanary(ctx.device, buffer, CANARY);
    const range = await ctx.generateJaxPlanned(plan, { buffer, offset });
    const all = new Uint8Array((await ctx.read(buffer, { count: size / 4, dtype: 'u32' })).buffer);
    const view = all.slice(offset, offset + plan.count * bytes);
    const stored = bytes === 2 ? new Uint16Array(view.buffer) : new Uint32Array(view.buffer);
    const canary = new Uint8Array(new Uint32Array([CANARY]).buffer);
    const outside = [...all.subarray(0, offset), ...all.subarray(offset + plan.count * bytes)];
    const start = offset + plan.count * bytes;
    result = {
      bits: Array.from(stored),
      canaries: outside.every((b, i) => b === canary[(i < offset ? i : start + i - offset) % 4]),
      via: range.via,
    };
  });
  return result;
}

describe.each([
  ['kernel', () => contexts.kernel],
  ['upload', () => contexts.upload],
] as const)("strategy '%s'", (strategy, ctxOf) => {
  it('every fixture case equals jax 0.10.2, bit for bit, and nothing outside the target changes', async () => {
    const ctx = ctxOf();
    let n = 0;
    for (const s of fixture.samples) {
      if (s.bits.length === 0) continue;
      const bytes = s.dtype === 'f16' || s.dtype === 'bf16' ? 2 : 4;
      // 16-bit elements at an odd element offset share their first word with a canary.
      const offset = bytes * (n % 3) + 4 * (n % 5);
      const got = await written(ctx, sampleRequest(s), offset);
      expect(got.bits, sampleName(s)).toEqual(s.bits);
      expect(got.canaries, `${sampleName(s)}: bytes outside the target`).toBe(true);
      if (strategy === 'kernel') expect(got.via).toBe('kernel');
      n++;
    }
    expect(n).toBeGreaterThan(200);
  });

  it('every fixture jax.nn.initializers case equals jax 0.10.2, bit for bit', async () => {
    const ctx = ctxOf();
    for (const c of fixture.initializers) {
      await inErrorScope(ctx, async (scope) => {
        const r = await initializeJax(ctx, { init: c.init, key: wrapJaxKeyData(c.key, c.impl), shape: c.shape, dtype: c.dtype });
        scope.track(r.buffer);
        expect(storedBits(await ctx.readRange(r)), `${c.impl} ${JSON.stringify(c.init)} ${c.dtype} [${c.shape}]`).toEqual(c.bits);
      });
    }
  });
});

describe('slices and dispatch shapes', () => {
  const key = foldInJaxKey(createJaxKey(9, 'threefry2x32'), 3);
  const requests: JaxRandomRequest[] = [
    { key, shape: [3, 337], dist: 'normal', dtype: 'f32' },
    { key, shape: [1001], dist: 'truncatedNormal', dtype: 'bf16', lower: -1, upper: 3 },
    { key: createJaxKey(5, 'philox4x32'), shape: [7, 71], dist: 'uniform', dtype: 'f16', minval: -3, maxval: 0.5 },
  ];

  it('any slice [start, start + count) equals that slice of the whole tensor, on both strategies', async () => {
    for (const request of requests) {
      const whole = storedBits(generateJaxPlanned(planJaxRandom(request)));
      const n = whole.length;
      for (const [start, count] of [
        [0, 1],
        [1, 6],
        [3, 129],
        [Math.floor(n / 3), Math.floor(n / 2)],
        [n - 3, 3],
      ] as const) {
        for (const ctx of [contexts.kernel, contexts.upload]) {
          const got = await written(ctx, { ...request, start, count }, 0);
          expect(got.bits, `${request.dist} ${request.dtype} [${start}, ${start + count}) ${ctx.strategy}`).toEqual(whole.slice(start, start + count));
        }
      }
    }
  });

  it('a 512-byte binding window and a 3 x 3 grid of 2 invocations split the dispatch and give the same bits', async () => {
    const small = await createContext({
      device: contexts.kernel.device,
      strategy: 'kernel',
      maxBindingBytes: 512,
      maxWorkgroupsPerDimension: 3,
      workgroupSize: 2,
    });
    try {
      for (const request of requests) {
        const plan = planJaxRandom(request);
        const want = storedBits(generateJaxPlanned(slicePlan(plan, 5, plan.count - 5)));
        const got = await written(small, { ...request, start: 5, count: plan.count - 5 }, 4);
        expect(got.bits).toEqual(want);
      }
    } finally {
      small.destroy();
    }
  });
});
