// The CPU twin of the JAX streams against jax 0.10.2's own bits (test/fixtures/jax-random.json, written by
// scripts/jax/make_fixtures.py): keys, split / fold_in chains and every sampler, dtype and slice there.
import { describe, expect, it } from 'vitest';
import { createJaxKey, wrapJaxKeyData } from '../../src/contract/jax-key.js';
import { generateJaxRandom } from '../../src/twin/generate.js';
import { initializeJax } from '../../src/twin/initialize.js';
import { chainKey, loadJaxFixture, sampleName, sampleRequest, storedBits } from '../helpers/jax-fixture.js';

const fixture = loadJaxFixture();

describe('JAX keys (CPU) equal jax 0.10.2', () => {
  it('jax.random.key(seed, impl) for every fixture seed and both implementations', () => {
    expect(fixture.keys.length).toBeGreaterThanOrEqual(20);
    for (const k of fixture.keys) expect([...createJaxKey(k.seed, k.impl).data], `${k.impl} key(${k.seed})`).toEqual(k.data);
  });

  it('split and fold_in chains', () => {
    expect(fixture.chains.length).toBeGreaterThanOrEqual(40);
    for (const c of fixture.chains) expect([...chainKey(c.impl, c.seed, c.ops).data], `${c.impl} ${c.seed} ${JSON.stringify(c.ops)}`).toEqual(c.data);
  });
});

describe('JAX samplers (CPU twin) equal jax 0.10.2 bit for bit', () => {
  it.each(['bits', 'uniform', 'normal', 'truncatedNormal'] as const)('%s: every fixture case', (dist) => {
    const cases = fixture.samples.filter((s) => s.dist === dist);
    expect(cases.length).toBeGreaterThan(10);
    for (const s of cases) {
      const got = generateJaxRandom(sampleRequest(s));
      expect(storedBits(got), sampleName(s)).toEqual(s.bits);
    }
  });

  it('the fixture covers both implementations, every dtype and slices past element 2^32', () => {
    const seen = new Set(fixture.samples.map((s) => `${s.impl} ${s.dtype}`));
    for (const impl of ['threefry2x32', 'philox4x32']) for (const d of ['u32', 'f32', 'f16', 'bf16']) expect(seen).toContain(`${impl} ${d}`);
    expect(fixture.samples.filter((s) => s.start !== undefined && BigInt(s.start) >= 2n ** 32n).length).toBeGreaterThanOrEqual(10);
  });
});

describe('jax.nn.initializers (CPU twin) equal jax 0.10.2 bit for bit', () => {
  it('every fixture initializer: variance scaling presets and axes, normal, uniform, truncated normal, constants', () => {
    expect(fixture.initializers.length).toBeGreaterThanOrEqual(90);
    for (const c of fixture.initializers) {
      const got = initializeJax({ init: c.init, key: wrapJaxKeyData(c.key, c.impl), shape: c.shape, dtype: c.dtype });
      expect(storedBits(got), `${c.impl} ${JSON.stringify(c.init)} ${c.dtype} [${c.shape}]`).toEqual(c.bits);
    }
  });
});
