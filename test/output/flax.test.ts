// model.init(jax.random.key(seed), x)['params'] of Flax linen models (an MLP, a transformer with embedding,
// attention and layer norms, a CNN, a bf16 Sequential) against flax 0.12 / jax 0.10.2 (test/fixtures/jax-random.json):
// bit for bit on the CPU and on the GPU, on both strategies.
import { describe, expect, it } from 'vitest';
import { createJaxKey } from '../../src/contract/jax-key.js';
import { initFlax, initFlaxCpu } from '../../src/output/flax.js';
import { FLAX_MODELS } from '../helpers/flax-models.js';
import { strategyContexts } from '../helpers/gpu.js';
import { loadJaxFixture, storedBits } from '../helpers/jax-fixture.js';

const fixture = loadJaxFixture();

const contexts = strategyContexts();

describe('Flax init', () => {
  it('every fixture model on the CPU equals flax, parameter by parameter', () => {
    expect(fixture.flax.length).toBeGreaterThanOrEqual(16);
    for (const c of fixture.flax) {
      const got = initFlaxCpu({ model: FLAX_MODELS[c.model]![c.dtype]!, key: createJaxKey(c.seed, c.impl) });
      expect([...got.keys()].sort()).toEqual(Object.keys(c.params).sort());
      for (const [name, p] of Object.entries(c.params)) expect(storedBits(got.get(name)!), `${c.model} ${c.impl} seed ${c.seed}: ${name}`).toEqual(p.bits);
    }
  });

  it.each([
    ['kernel', () => contexts.kernel],
    ['upload', () => contexts.upload],
  ] as const)("on the GPU ('%s' strategy) equals flax, for the MLP and the transformer", async (_s, ctxOf) => {
    const ctx = ctxOf();
    for (const c of fixture.flax.filter((f) => f.seed === 7 && (f.model === 'mlp' || f.model === 'transformer'))) {
      const got = await initFlax(ctx, { model: FLAX_MODELS[c.model]![c.dtype]!, key: createJaxKey(c.seed, c.impl) });
      try {
        for (const [name, p] of Object.entries(c.params)) {
          const param = got.get(name)!;
          expect(param.range.buffer.label).toBe(`flax: ${name}`);
          expect(storedBits(await ctx.readRange(param.range)), `${c.model} ${c.impl}: ${name}`).toEqual(p.bits);
        }
      } finally {
        for (const p of got.values()) p.range.buffer.destroy();
      }
    }
  });
});
