// What a decoder config computes (src/models/decoder.ts): HF's defaults for the fields a config leaves out, the rotary
// frequencies of each scaling, and the fields written back into a pack's config.json. The graphs built from it are
// checked against PyTorch in test/output/onnx/.
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/errors.js';
import { decoderArchitecture } from '../../src/models/decoder.js';

describe('decoderArchitecture', () => {
  it('GPT-2 small by default: LayerNorm 1e-5, gelu_new, learned positions, 1/√64 in every layer, eos 50256', () => {
    const a = decoderArchitecture({ model_type: 'gpt2' });
    expect(a).toMatchObject({
      hiddenSize: 768,
      numLayers: 12,
      numHeads: 12,
      numKeyValueHeads: 12,
      headDim: 64,
      intermediateSize: 3072,
      activation: 'gelu_new',
    });
    expect(a.norm).toEqual({ kind: 'layernorm', epsilon: 1e-5 });
    expect(a.positions).toEqual({ kind: 'learned', maxPositions: 1024 });
    expect(new Set(a.attentionScales)).toEqual(new Set([1 / 8]));
    expect([a.bosTokenId, a.eosTokenId, a.tiedEmbeddings]).toEqual([50256, 50256, true]);
    const byLayer = decoderArchitecture({ model_type: 'gpt2', n_layer: 3, scale_attn_by_inverse_layer_idx: true, scale_attn_weights: false });
    expect(byLayer.attentionScales).toEqual([1, 1 / 2, 1 / 3]);
  });

  it('Llama-2-7B by default: RMSNorm 1e-6, silu, rotary θ = 10000 over 128 dims, eos 2, untied', () => {
    const a = decoderArchitecture({ model_type: 'llama' });
    expect(a).toMatchObject({
      hiddenSize: 4096,
      numHeads: 32,
      numKeyValueHeads: 32,
      headDim: 128,
      activation: 'silu',
      tiedEmbeddings: false,
      bosTokenId: 1,
      eosTokenId: 2,
    });
    expect(a.norm).toEqual({ kind: 'rmsnorm', epsilon: 1e-6 });
    if (a.positions.kind !== 'rotary') throw new Error('rotary expected');
    expect(a.positions.invFreq).toHaveLength(64);
    expect(a.positions.invFreq[0]).toBe(1);
    expect(a.positions.invFreq[63]).toBeCloseTo(10000 ** (-126 / 128), 15);
    expect(a.positions.maxPositions).toBe(2048);
    expect(a.configFields).toMatchObject({ rms_norm_eps: 1e-6, hidden_act: 'silu', rope_theta: 10000, head_dim: 128, num_key_value_heads: 32 });
  });

  it("rotary scalings: 'linear' divides every frequency; 'llama3' divides the long wavelengths, keeps the short ones, blends between", () => {
    const base = { model_type: 'llama', hidden_size: 64, num_attention_heads: 1, rope_theta: 10000 };
    const inv = (extra: Record<string, unknown>) => {
      const p = decoderArchitecture({ ...base, ...extra }).positions;
      if (p.kind !== 'rotary') throw new Error('rotary expected');
      return p.invFreq;
    };
    const plain = inv({});
    expect(inv({ rope_scaling: { type: 'linear', factor: 4 } })).toEqual(plain.map((f) => f / 4));
    expect(inv({ rope_parameters: { rope_type: 'linear', factor: 2, rope_theta: 10000 } })).toEqual(plain.map((f) => f / 2));
    const l3 = inv({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } });
    plain.forEach((f, i) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < 64 / 4) expect(l3[i]).toBe(f);
      else if (wavelen > 64) expect(l3[i]).toBe(f / 8);
      else expect(l3[i]! > f / 8 && l3[i]! < f).toBe(true);
    });
    // Both ends are reached by this config.
    expect(plain.some((f) => (2 * Math.PI) / f < 16) && plain.some((f) => (2 * Math.PI) / f > 64)).toBe(true);
  });

  it('Llama: max_position_embeddings (the rows of the ONNX rotary tables) is a positive integer, else refused by name', () => {
    const positions = (m: unknown) =>
      decoderArchitecture({ model_type: 'llama', hidden_size: 8, num_attention_heads: 1, max_position_embeddings: m }).positions;
    expect(positions(64)).toMatchObject({ kind: 'rotary', maxPositions: 64 });
    for (const bad of [0, 2.5, -3, '64', Number.POSITIVE_INFINITY]) {
      expect(() => positions(bad)).toThrow(InvalidParameterError);
      expect(() => positions(bad)).toThrow(/config\.max_position_embeddings/);
    }
  });
});
