// What a decoder-only preset (gpt2, llama) computes, read from its Hugging Face config.json: the numbers an inference
// graph needs beyond the tensors' shapes (norm epsilon, activation, rotary frequencies, attention scale, special
// token ids). Pure data and validation; the ONNX graphs of src/output/onnx/ are built from it.
//
// Sources (huggingface/transformers, the version in the reference venv: 5.18.0):
// - models/gpt2/configuration_gpt2.py: activation_function="gelu_new", layer_norm_epsilon=1e-5,
//   scale_attn_weights=True, scale_attn_by_inverse_layer_idx=False, bos_token_id=eos_token_id=50256.
// - models/gpt2/modeling_gpt2.py (eager_attention_forward): weights = q·kᵀ, divided by √head_dim when
//   scale_attn_weights and by (layer_idx + 1) when scale_attn_by_inverse_layer_idx; the causal mask fills with the
//   dtype's minimum; softmax; ·v.
// - models/llama/configuration_llama.py: hidden_act="silu", rms_norm_eps=1e-6, max_position_embeddings=2048,
//   bos_token_id=1, eos_token_id=2, rope theta 10000 (rope_theta, or rope_parameters.rope_theta in v5 configs).
// - models/llama/modeling_llama.py: LlamaRMSNorm (x·rsqrt(mean(x²) + eps) in f32, then ·weight);
//   LlamaRotaryEmbedding (freqs = position·inv_freq, emb = cat(freqs, freqs), cos/sin); rotate_half;
//   repeat_kv (key/value head j serves query heads j·n_rep … j·n_rep + n_rep − 1); scaling = head_dim^-0.5.
// - modeling_rope_utils.py: inv_freq = 1 / theta^(arange(0, dim, 2) / dim) (_compute_default_rope_parameters);
//   'linear' divides it by factor; 'llama3' (_compute_llama3_parameters) by factor for wavelengths above
//   original_max_position_embeddings / low_freq_factor, unchanged below original / high_freq_factor, and smoothly
//   blended in between.
// - activations.py (ACT2FN): gelu_new / gelu_pytorch_tanh / gelu_fast = 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))),
//   gelu = 0.5x(1 + erf(x/√2)), quick_gelu = x·σ(1.702x), relu, silu = swish = x·σ(x).

import { isRecord } from '../contract/validate.js';
import { InvalidParameterError } from '../errors.js';
import { type HfModelType, hfModelType, hfSpecialTokenIds, resolveGpt2Config, resolveLlamaConfig } from './presets.js';

/** The activations of transformers' ACT2FN that the graphs build (every name a gpt2 or llama config can carry here). */
export const DECODER_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'gelu', 'quick_gelu', 'relu', 'silu', 'swish'] as const;
export type DecoderActivation = (typeof DECODER_ACTIVATIONS)[number];

export interface DecoderArchitecture {
  readonly modelType: HfModelType;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  /** Key/value heads: numHeads for multi-head attention, fewer for grouped-query attention. */
  readonly numKeyValueHeads: number;
  readonly headDim: number;
  /** The MLP's inner size (GPT-2 n_inner, Llama intermediate_size). */
  readonly intermediateSize: number;
  readonly activation: DecoderActivation;
  /** GPT-2: LayerNorm with bias; Llama: RMSNorm. */
  readonly norm: { readonly kind: 'layernorm' | 'rmsnorm'; readonly epsilon: number };
  /**
   * GPT-2: a learned position table of maxPositions rows; Llama: rotary embeddings with these inverse frequencies,
   * trained for maxPositions positions (max_position_embeddings).
   */
  readonly positions:
    | { readonly kind: 'learned'; readonly maxPositions: number }
    | { readonly kind: 'rotary'; readonly invFreq: readonly number[]; readonly maxPositions: number };
  /** The factor of q·kᵀ in each layer. */
  readonly attentionScales: readonly number[];
  /** Llama: q/k/v/o projections and MLP projections with biases. GPT-2 always has them. */
  readonly attentionBias: boolean;
  readonly mlpBias: boolean;
  /** The LM head is the token embedding (GPT-2 always; Llama with tie_word_embeddings). */
  readonly tiedEmbeddings: boolean;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  /** The config fields the architecture was read with (HF's defaults for the missing ones), for config.json. */
  readonly configFields: Readonly<Record<string, unknown>>;
}

function numberField(c: Record<string, unknown>, key: string, fallback: number, parameter: string): number {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new InvalidParameterError(`${parameter}.${key}`, v, 'a positive finite number');
  return v;
}

function boolField(c: Record<string, unknown>, key: string, fallback: boolean, parameter: string): boolean {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new InvalidParameterError(`${parameter}.${key}`, v, 'a boolean');
  return v;
}

function activationField(c: Record<string, unknown>, key: string, fallback: DecoderActivation, parameter: string): DecoderActivation {
  const v = c[key] ?? fallback;
  if (typeof v !== 'string' || !(DECODER_ACTIVATIONS as readonly string[]).includes(v)) {
    throw new InvalidParameterError(`${parameter}.${key}`, v, `one of ${DECODER_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}`);
  }
  return v as DecoderActivation;
}

/** The rotary inverse frequencies of a Llama config (default, 'linear' or 'llama3' scaling), in f64. */
function llamaInvFreq(c: Record<string, unknown>, headDim: number, parameter: string): number[] {
  if (headDim % 2 !== 0) throw new InvalidParameterError(`${parameter}.head_dim`, headDim, 'an even head dimension (rotary embeddings rotate pairs)');
  // transformers v5 writes rope_parameters ({ rope_type, rope_theta, ... }); v4 wrote rope_theta and rope_scaling.
  const params = c['rope_parameters'];
  const scaling = c['rope_scaling'];
  if (params !== undefined && params !== null && !isRecord(params)) throw new InvalidParameterError(`${parameter}.rope_parameters`, params, 'an object');
  if (scaling !== undefined && scaling !== null && !isRecord(scaling))
    throw new InvalidParameterError(`${parameter}.rope_scaling`, scaling, 'an object or null');
  const where = isRecord(params) ? 'rope_parameters' : 'rope_scaling';
  const rope: Record<string, unknown> = { ...(isRecord(scaling) ? scaling : {}), ...(isRecord(params) ? params : {}) };
  const theta = numberField({ rope_theta: rope['rope_theta'] ?? c['rope_theta'] }, 'rope_theta', 10000, parameter);
  const type = rope['rope_type'] ?? rope['type'] ?? 'default';
  const partial = rope['partial_rotary_factor'] ?? c['partial_rotary_factor'];
  if (partial !== undefined && partial !== null && partial !== 1) {
    throw new InvalidParameterError(`${parameter}.partial_rotary_factor`, partial, '1 (Llama rotates the whole head)');
  }
  const base = Array.from({ length: headDim / 2 }, (_, i) => 1 / theta ** ((2 * i) / headDim));
  const r = { ...c, ...rope };
  if (type === 'default') return base;
  if (type === 'linear') {
    const factor = numberField(r, 'factor', 1, `${parameter}.${where}`);
    return base.map((f) => f / factor);
  }
  if (type === 'llama3') {
    const factor = numberField(r, 'factor', 8, `${parameter}.${where}`);
    const low = numberField(r, 'low_freq_factor', 1, `${parameter}.${where}`);
    const high = numberField(r, 'high_freq_factor', 4, `${parameter}.${where}`);
    const original = numberField(r, 'original_max_position_embeddings', numberField(c, 'max_position_embeddings', 2048, parameter), `${parameter}.${where}`);
    if (!(high > low)) throw new InvalidParameterError(`${parameter}.${where}.high_freq_factor`, high, `a number above low_freq_factor (${low})`);
    const lowWavelen = original / low;
    const highWavelen = original / high;
    return base.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen > lowWavelen) return f / factor;
      if (wavelen < highWavelen) return f;
      const smooth = (original / wavelen - low) / (high - low);
      return ((1 - smooth) * f) / factor + smooth * f;
    });
  }
  throw new InvalidParameterError(
    `${parameter}.${where}.rope_type`,
    type,
    "'default', 'linear' or 'llama3' (the others depend on the sequence length or scale attention: not built)",
  );
}

/**
 * The architecture of a GPT-2 or Llama config.json (the preset chosen by `modelType`, or by the config's
 * `model_type`): every config the presets accept, with HF's defaults for the fields that are missing. Fields that
 * change the computation in ways the graphs do not build (cross-attention, other rotary scalings, other
 * activations) are refused with an InvalidParameterError naming the field.
 */
export function decoderArchitecture(config: Readonly<Record<string, unknown>> = {}, modelType?: HfModelType): DecoderArchitecture {
  const p = 'config';
  const c: Record<string, unknown> = isRecord(config) ? { ...config } : (config as Record<string, unknown>);
  const type = modelType ?? hfModelType(c);
  const ids = hfSpecialTokenIds(type, c);
  if (type === 'gpt2') {
    const g = resolveGpt2Config(c);
    const activation = activationField(c, 'activation_function', 'gelu_new', p);
    const epsilon = numberField(c, 'layer_norm_epsilon', 1e-5, p);
    const scaleWeights = boolField(c, 'scale_attn_weights', true, p);
    const byLayer = boolField(c, 'scale_attn_by_inverse_layer_idx', false, p);
    const headDim = g.nEmbd / g.nHead;
    const attentionScales = Array.from({ length: g.nLayer }, (_, i) => (scaleWeights ? 1 / Math.sqrt(headDim) : 1) / (byLayer ? i + 1 : 1));
    return {
      modelType: 'gpt2',
      vocabSize: g.vocabSize,
      hiddenSize: g.nEmbd,
      numLayers: g.nLayer,
      numHeads: g.nHead,
      numKeyValueHeads: g.nHead,
      headDim,
      intermediateSize: g.nInner,
      activation,
      norm: { kind: 'layernorm', epsilon },
      positions: { kind: 'learned', maxPositions: g.nPositions },
      attentionScales,
      attentionBias: true,
      mlpBias: true,
      tiedEmbeddings: true,
      ...ids,
      configFields: {
        activation_function: activation,
        layer_norm_epsilon: epsilon,
        scale_attn_weights: scaleWeights,
        scale_attn_by_inverse_layer_idx: byLayer,
        bos_token_id: ids.bosTokenId,
        eos_token_id: ids.eosTokenId,
      },
    };
  }
  const l = resolveLlamaConfig(c);
  const activation = activationField(c, 'hidden_act', 'silu', p);
  const epsilon = numberField(c, 'rms_norm_eps', 1e-6, p);
  const invFreq = llamaInvFreq(c, l.headDim, p);
  const maxPositions = numberField(c, 'max_position_embeddings', 2048, p);
  if (!Number.isSafeInteger(maxPositions)) throw new InvalidParameterError(`${p}.max_position_embeddings`, maxPositions, 'a positive integer');
  return {
    modelType: 'llama',
    vocabSize: l.vocabSize,
    hiddenSize: l.hiddenSize,
    numLayers: l.numHiddenLayers,
    numHeads: l.numAttentionHeads,
    numKeyValueHeads: l.numKeyValueHeads,
    headDim: l.headDim,
    intermediateSize: l.intermediateSize,
    activation,
    norm: { kind: 'rmsnorm', epsilon },
    positions: { kind: 'rotary', invFreq, maxPositions },
    attentionScales: new Array<number>(l.numHiddenLayers).fill(1 / Math.sqrt(l.headDim)),
    attentionBias: l.attentionBias,
    mlpBias: l.mlpBias,
    tiedEmbeddings: l.tieWordEmbeddings,
    ...ids,
    configFields: {
      hidden_act: activation,
      rms_norm_eps: epsilon,
      head_dim: l.headDim,
      num_key_value_heads: l.numKeyValueHeads,
      ...(c['rope_parameters'] === undefined && c['rope_theta'] === undefined ? { rope_theta: 10000 } : {}),
      bos_token_id: ids.bosTokenId,
      eos_token_id: ids.eosTokenId,
    },
  };
}
