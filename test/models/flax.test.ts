// Flax linen models as parameter lists: names, shapes, initializers and rng paths as flax 0.12 makes them, and the
// data Flax folds into the root key.
import { describe, expect, it } from 'vitest';
import { createJaxKey } from '../../src/contract/jax-key.js';
import { flaxFoldInData, flaxParams, planFlaxInit } from '../../src/models/flax.js';
import { FLAX_MODELS } from '../helpers/flax-models.js';
import { loadJaxFixture } from '../helpers/jax-fixture.js';

const fixture = loadJaxFixture();

describe('flaxParams', () => {
  it('names and shapes every parameter of the fixture models as flax does', () => {
    for (const c of fixture.flax) {
      const params = flaxParams(FLAX_MODELS[c.model]![c.dtype]!);
      expect(Object.fromEntries(params.map((p) => [p.name, [...p.shape]])), `${c.model} ${c.dtype}`).toEqual(
        Object.fromEntries(Object.entries(c.params).map(([name, p]) => [name, p.shape])),
      );
    }
  });

  it('the transformer block: attention kernels drawn 2-D, the rng counter per module scope', () => {
    const params = flaxParams(FLAX_MODELS['transformer']!['f32']!);
    const query = params.find((p) => p.name === 'Block_0/MultiHeadDotProductAttention_0/query/kernel')!;
    expect(query).toMatchObject({ shape: [8, 4, 4], drawShape: [8, 16], rngPath: ['Block_0', 'MultiHeadDotProductAttention_0', 'query', 1] });
    expect(params.find((p) => p.name === 'Block_0/LayerNorm_1/bias')!.rngPath).toEqual(['Block_0', 'LayerNorm_1', 2]);
    expect(params.find((p) => p.name === 'Embed_0/embedding')!.init).toEqual({
      kind: 'varianceScaling',
      scale: 1,
      mode: 'fan_in',
      distribution: 'normal',
      outAxis: 0,
    });
  });

  it('refuses what flax would refuse, naming the layer', () => {
    expect(() => flaxParams({ inputFeatures: 6, layers: [{ type: 'Conv', features: 4, kernelSize: [3], featureGroupCount: 4 }] })).toThrow(
      /model\.layers\[0\]\.featureGroupCount: got 4; expected a divisor of the input features \(6\)/,
    );
    expect(() => flaxParams({ inputFeatures: 6, layers: [{ type: 'MultiHeadDotProductAttention', numHeads: 4 }] })).toThrow(
      /numHeads.*divisor of qkvFeatures \(6\)/,
    );
    expect(() => flaxParams({ inputFeatures: 6, layers: [{ type: 'Pool' } as never] })).toThrow(/model\.layers\[0\]\.type/);
    expect(() =>
      flaxParams({
        inputFeatures: 2,
        layers: [
          { type: 'Dense', features: 2, name: 'a' },
          { type: 'Dense', features: 2, name: 'a' },
        ],
      }),
    ).toThrow(/unique in their parent/);
  });
});

describe("Flax's key derivation", () => {
  it('folds in the first 4 bytes of SHA-1 of the path (names as UTF-8, the counter as big-endian bytes)', () => {
    // int.from_bytes(hashlib.sha1(b'Dense_0' + b'\x01').digest()[:4], 'big'); with flax_fix_rng_separator a b'\x00' before each part.
    expect(flaxFoldInData(['Dense_0', 1])).toBe(0xb2b71315);
    expect(flaxFoldInData(['Dense_0', 1], true)).toBe(0xffa3ca5f);
    expect(flaxFoldInData([256])).toBe(0x0e356ba5);
  });

  it('planFlaxInit gives each parameter fold_in(key, that data)', () => {
    const key = createJaxKey(0);
    const [kernel] = planFlaxInit({ model: FLAX_MODELS['mlp']!['f32']!, key });
    expect(kernel!.plan.kind).toBe('sample');
    expect(kernel!.key.data).not.toEqual(key.data);
  });
});
