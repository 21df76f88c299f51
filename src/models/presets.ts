// Model presets: the tensors (names, shapes) and the initialization recipe, as rules, of well-known models, from the
// configs people have (Hugging Face config.json field names). Sources are cited per preset; see docs/models.md.

import { dtypeOfSafetensors, isFloatDType } from '../contract/dtypes.js';
import { checkFloatDType, checkInteger, checkPositiveF32, checkPositiveInteger, isRecord } from '../contract/validate.js';
import { InvalidParameterError } from '../errors.js';
import { type FanLayout, validateShape } from '../init/fans.js';
import type { FloatDType } from '../init/plan-initialize.js';
import { torchDefaultBias, torchDefaultWeight } from '../init/presets.js';
import type { InitializerSpec } from '../init/resolve-initializer.js';
import type { InitRule } from './rules.js';
import { MODEL_LIMITS, type ModelSpec, type TensorSpec } from './spec.js';

/** Options every preset takes. */
export interface PresetOptions {
  /** The model's dtype (default 'f32'). A config's `torch_dtype` is NOT used: say it here if you want it. */
  dtype?: FloatDType;
  /** Your rules, put BEFORE the preset's (the first matching rule wins), to override part of the recipe. */
  rules?: readonly InitRule[];
  /** The model's name (default the preset's). */
  name?: string;
}

function configObject(config: unknown, parameter: string): Record<string, unknown> {
  if (config === undefined) return {};
  if (!isRecord(config)) throw new InvalidParameterError(parameter, config, 'a config object (the fields of config.json)');
  return config;
}

/** A config field: undefined or null → the default; else an integer ≥ min. */
function intField(c: Record<string, unknown>, key: string, fallback: number, parameter: string, min = 1): number {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  return checkInteger(`${parameter}.${key}`, v, min, min === 1 ? 'a positive integer' : `an integer ≥ ${min}`);
}

/**
 * The number of layers a config may ask for: as many as keep the model within MODEL_LIMITS.maxTensors tensors
 * (`perLayer` tensors each, plus `fixed` outside the layers). Checked from the config's numbers, before a tensor is
 * listed, so a config asking for 10^9 layers is refused at once instead of exhausting memory.
 */
function layersField(c: Record<string, unknown>, key: string, fallback: number, parameter: string, perLayer: number, fixed: number): number {
  const max = Math.floor((MODEL_LIMITS.maxTensors - fixed) / perLayer);
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) {
    throw new InvalidParameterError(
      `${parameter}.${key}`,
      v,
      `an integer in [1, ${max}] (${perLayer} tensors a layer, at most ${MODEL_LIMITS.maxTensors} tensors a model: MODEL_LIMITS.maxTensors)`,
    );
  }
  return v;
}

function stdField(c: Record<string, unknown>, key: string, fallback: number, parameter: string): number {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  return checkPositiveF32(`${parameter}.${key}`, v, 'a positive finite number (a standard deviation)');
}

function boolField(c: Record<string, unknown>, key: string, fallback: boolean, parameter: string): boolean {
  const v = c[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new InvalidParameterError(`${parameter}.${key}`, v, 'a boolean');
  return v;
}

function checkModelType(c: Record<string, unknown>, expected: string, parameter: string): void {
  const v = c['model_type'];
  if (v !== undefined && v !== expected) {
    throw new InvalidParameterError(`${parameter}.model_type`, v, `'${expected}' (or no model_type) for this preset`);
  }
}

function presetOptions(options: PresetOptions | undefined, defaultName: string): { dtype: FloatDType; rules: InitRule[]; name: string } {
  const o: unknown = options ?? {};
  if (!isRecord(o)) throw new InvalidParameterError('options', o, 'an options object');
  const dtype = checkFloatDType('options.dtype', o['dtype'] ?? 'f32');
  const rules = o['rules'] ?? [];
  if (!Array.isArray(rules)) throw new InvalidParameterError('options.rules', rules, 'an array of rules');
  const name = o['name'] ?? defaultName;
  if (typeof name !== 'string') throw new InvalidParameterError('options.name', name, 'a string');
  return { dtype, rules: [...(rules as InitRule[])], name };
}

// Fresh objects on every call, so a caller editing a returned spec cannot change later ones.
const zeros = (): InitializerSpec => ({ kind: 'zeros' });
const ones = (): InitializerSpec => ({ kind: 'ones' });

function normal(std: number): InitializerSpec {
  return { kind: 'normal', mean: 0, std };
}

// ---------------------------------------------------------------------------------------------------------------
// GPT-2 (Hugging Face transformers GPT2Model).
//
// Sources (huggingface/transformers):
// - src/transformers/models/gpt2/configuration_gpt2.py @ 01ae98ae2414210efd0d9ac1ffe78ff21588f1f7: GPT2Config defaults
//   vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12, n_inner=None, initializer_range=0.02;
//   attribute_map hidden_size→n_embd, max_position_embeddings→n_positions, num_attention_heads→n_head,
//   num_hidden_layers→n_layer.
// - src/transformers/models/gpt2/modeling_gpt2.py @ 0010f60284ab4b9d14b7df9c6525b1a2ad44e640:
//   GPT2Model: wte = Embedding(vocab_size, n_embd), wpe = Embedding(n_positions, n_embd), h = [GPT2Block]*n_layer,
//   ln_f = LayerNorm(n_embd). GPT2Block: ln_1, attn, ln_2, mlp with inner_dim = n_inner or 4·n_embd.
//   GPT2Attention: c_attn = Conv1D(3·n_embd, n_embd), c_proj = Conv1D(n_embd, n_embd).
//   GPT2MLP: c_fc = Conv1D(inner, n_embd), c_proj = Conv1D(n_embd, inner).
//   _init_weights: Linear/Conv1D weight normal_(0, initializer_range), bias zero_(); Embedding weight
//   normal_(0, initializer_range); LayerNorm weight 1, bias 0; then every parameter named "c_proj.weight" inside a
//   module (GPT2Attention's and GPT2MLP's) normal_(0, initializer_range / math.sqrt(2 * n_layer)).
// - src/transformers/pytorch_utils.py @ 04ae75715f2cca2d87bbaf07c1d8e9fb2ab20bfd: Conv1D(nf, nx) has
//   weight = empty(nx, nf), i.e. [in, out] (hence layout 'keras' for these weights), bias = zeros(nf).
// The published `gpt2` checkpoint stores GPT2Model's state dict without the "transformer." prefix (lm_head is tied
// to wte and not stored); it also holds the non-parameter causal-mask buffers h.{i}.attn.bias, which are left out.

export interface Gpt2Config {
  vocab_size?: number;
  n_positions?: number;
  n_embd?: number;
  n_layer?: number;
  n_head?: number;
  n_inner?: number | null;
  initializer_range?: number;
  [key: string]: unknown;
}

/** GPT2Config's defaults (= GPT-2 small, 124,439,808 parameters). */
export const GPT2_DEFAULTS = {
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_inner: null,
  initializer_range: 0.02,
} as const;

export interface ResolvedGpt2Config {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** n_inner, or 4·n_embd when null/absent. */
  nInner: number;
  initializerRange: number;
}

const GPT2_ALIASES: readonly (readonly [string, string])[] = [
  ['n_embd', 'hidden_size'],
  ['n_positions', 'max_position_embeddings'],
  ['n_head', 'num_attention_heads'],
  ['n_layer', 'num_hidden_layers'],
];

/** GPT-2's tensors: 12 a layer (ln_1, c_attn, c_proj, ln_2, c_fc, c_proj: weight and bias each), wte, wpe and ln_f's two. */
const GPT2_TENSORS = { perLayer: 12, fixed: 4 } as const;

/** Reads a GPT-2 config.json (unknown fields ignored, missing ones defaulted, GPT2Config's attribute_map honoured). */
export function resolveGpt2Config(config: Gpt2Config = {}): ResolvedGpt2Config {
  const p = 'config';
  const raw = configObject(config, p);
  checkModelType(raw, 'gpt2', p);
  if (raw['add_cross_attention'] === true) {
    throw new InvalidParameterError(`${p}.add_cross_attention`, true, 'false: the cross-attention variant is not covered by this preset');
  }
  const c: Record<string, unknown> = { ...raw };
  for (const [name, alias] of GPT2_ALIASES) {
    const a = raw[alias];
    if (a === undefined || a === null) continue;
    if (raw[name] !== undefined && raw[name] !== null && raw[name] !== a) {
      throw new InvalidParameterError(`${p}.${alias}`, a, `the same value as ${name} (${String(raw[name])}), its alias`);
    }
    c[name] = a;
  }
  const nEmbd = intField(c, 'n_embd', GPT2_DEFAULTS.n_embd, p);
  const nHead = intField(c, 'n_head', GPT2_DEFAULTS.n_head, p);
  if (nEmbd % nHead !== 0) throw new InvalidParameterError(`${p}.n_head`, nHead, `a divisor of n_embd (${nEmbd})`);
  return {
    vocabSize: intField(c, 'vocab_size', GPT2_DEFAULTS.vocab_size, p),
    nPositions: intField(c, 'n_positions', GPT2_DEFAULTS.n_positions, p),
    nEmbd,
    nLayer: layersField(c, 'n_layer', GPT2_DEFAULTS.n_layer, p, GPT2_TENSORS.perLayer, GPT2_TENSORS.fixed),
    nHead,
    nInner: intField(c, 'n_inner', 4 * nEmbd, p),
    initializerRange: stdField(c, 'initializer_range', GPT2_DEFAULTS.initializer_range, p),
  };
}

/** The GPT-2 recipe as rules (first match wins). */
export function gpt2Rules(config: Gpt2Config = {}): InitRule[] {
  const { initializerRange: r, nLayer } = resolveGpt2Config(config);
  const residualStd = r / Math.sqrt(2 * nLayer);
  return [
    { match: 'h.*.attn.c_proj.weight', init: normal(residualStd) },
    { match: 'h.*.mlp.c_proj.weight', init: normal(residualStd) },
    { match: '*ln_?.weight', init: ones() },
    { match: '*.bias', init: zeros() },
    { match: '*.weight', init: normal(r) },
  ];
}

/**
 * GPT-2 (`GPT2Model`, the tensors of the published `gpt2` checkpoints): `wte.weight`, `wpe.weight`,
 * `h.{i}.{ln_1,attn.c_attn,attn.c_proj,ln_2,mlp.c_fc,mlp.c_proj}.{weight,bias}`, `ln_f.{weight,bias}`. Conv1D
 * weights are [in, out] and carry layout 'keras'. Recipe (rules): normal(0, initializer_range); residual
 * projections normal(0, initializer_range / √(2·n_layer)); biases 0; LayerNorm weights 1.
 */
export function gpt2(config: Gpt2Config = {}, options?: PresetOptions): ModelSpec {
  const c = resolveGpt2Config(config);
  const o = presetOptions(options, 'gpt2');
  const e = c.nEmbd;
  const tensors: TensorSpec[] = [
    { name: 'wte.weight', shape: [c.vocabSize, e] },
    { name: 'wpe.weight', shape: [c.nPositions, e] },
  ];
  const conv1d = (name: string, nx: number, nf: number): void => {
    tensors.push({ name: `${name}.weight`, shape: [nx, nf], layout: 'keras' }, { name: `${name}.bias`, shape: [nf] });
  };
  const layerNorm = (name: string): void => {
    tensors.push({ name: `${name}.weight`, shape: [e] }, { name: `${name}.bias`, shape: [e] });
  };
  for (let i = 0; i < c.nLayer; i++) {
    layerNorm(`h.${i}.ln_1`);
    conv1d(`h.${i}.attn.c_attn`, e, 3 * e);
    conv1d(`h.${i}.attn.c_proj`, e, e);
    layerNorm(`h.${i}.ln_2`);
    conv1d(`h.${i}.mlp.c_fc`, e, c.nInner);
    conv1d(`h.${i}.mlp.c_proj`, c.nInner, e);
  }
  layerNorm('ln_f');
  return { name: o.name, dtype: o.dtype, layout: 'torch', tensors, rules: [...o.rules, ...gpt2Rules(config)] };
}

// ---------------------------------------------------------------------------------------------------------------
// Llama (Hugging Face transformers LlamaForCausalLM).
//
// Sources (huggingface/transformers):
// - src/transformers/models/llama/configuration_llama.py @ 008e574391258935f3ecc3035c882e73bbcac419: LlamaConfig
//   defaults vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
//   num_attention_heads=32, num_key_value_heads=None (→ num_attention_heads), initializer_range=0.02,
//   tie_word_embeddings=False, attention_bias=False, mlp_bias=False, head_dim=None (→ hidden_size //
//   num_attention_heads); hidden_size must be a multiple of num_attention_heads.
// - src/transformers/models/llama/modeling_llama.py @ 5dd4a63548857797727ae73eeb6a6e886ea02a3e:
//   LlamaAttention: q_proj = Linear(hidden, heads·head_dim), k_proj/v_proj = Linear(hidden, kv_heads·head_dim),
//   o_proj = Linear(heads·head_dim, hidden), all with bias=attention_bias. LlamaMLP: gate_proj/up_proj =
//   Linear(hidden, intermediate), down_proj = Linear(intermediate, hidden), bias=mlp_bias. LlamaDecoderLayer:
//   self_attn, mlp, input_layernorm, post_attention_layernorm (LlamaRMSNorm(hidden): weight = ones). LlamaModel:
//   embed_tokens = Embedding(vocab, hidden, padding_idx=pad_token_id), layers, norm. LlamaForCausalLM: model,
//   lm_head = Linear(hidden, vocab, bias=False) (tied to embed_tokens when tie_word_embeddings).
//   _init_weights: Linear weight normal_(0, initializer_range), bias zero_(); Embedding weight
//   normal_(0, initializer_range) and the padding_idx row zeroed (NOT reproduced here: see docs/models.md).

export interface LlamaConfig {
  hidden_size?: number;
  intermediate_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number | null;
  vocab_size?: number;
  tie_word_embeddings?: boolean;
  initializer_range?: number;
  head_dim?: number | null;
  attention_bias?: boolean;
  mlp_bias?: boolean;
  [key: string]: unknown;
}

/** LlamaConfig's defaults (= Llama-2-7B, 6,738,415,616 parameters). */
export const LLAMA_DEFAULTS = {
  vocab_size: 32000,
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: null,
  head_dim: null,
  tie_word_embeddings: false,
  initializer_range: 0.02,
  attention_bias: false,
  mlp_bias: false,
} as const;

export interface ResolvedLlamaConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  tieWordEmbeddings: boolean;
  initializerRange: number;
  attentionBias: boolean;
  mlpBias: boolean;
}

/** Reads a Llama config.json (unknown fields ignored, missing or null ones defaulted). */
export function resolveLlamaConfig(config: LlamaConfig = {}): ResolvedLlamaConfig {
  const p = 'config';
  const c = configObject(config, p);
  checkModelType(c, 'llama', p);
  const hiddenSize = intField(c, 'hidden_size', LLAMA_DEFAULTS.hidden_size, p);
  const heads = intField(c, 'num_attention_heads', LLAMA_DEFAULTS.num_attention_heads, p);
  const kvHeads = intField(c, 'num_key_value_heads', heads, p);
  if (heads % kvHeads !== 0) {
    throw new InvalidParameterError(`${p}.num_key_value_heads`, kvHeads, `a divisor of num_attention_heads (${heads})`);
  }
  let headDim: number;
  if (c['head_dim'] === undefined || c['head_dim'] === null) {
    if (hiddenSize % heads !== 0) {
      throw new InvalidParameterError(`${p}.num_attention_heads`, heads, `a divisor of hidden_size (${hiddenSize}), or give head_dim`);
    }
    headDim = hiddenSize / heads;
  } else {
    headDim = intField(c, 'head_dim', 0, p);
  }
  const tieWordEmbeddings = boolField(c, 'tie_word_embeddings', LLAMA_DEFAULTS.tie_word_embeddings, p);
  const attentionBias = boolField(c, 'attention_bias', LLAMA_DEFAULTS.attention_bias, p);
  const mlpBias = boolField(c, 'mlp_bias', LLAMA_DEFAULTS.mlp_bias, p);
  // A layer: q, k, v, o, gate, up, down weights, two norms, and the biases asked for; outside: embed_tokens, norm, lm_head.
  const perLayer = 9 + (attentionBias ? 4 : 0) + (mlpBias ? 3 : 0);
  const fixed = tieWordEmbeddings ? 2 : 3;
  return {
    vocabSize: intField(c, 'vocab_size', LLAMA_DEFAULTS.vocab_size, p),
    hiddenSize,
    intermediateSize: intField(c, 'intermediate_size', LLAMA_DEFAULTS.intermediate_size, p),
    numHiddenLayers: layersField(c, 'num_hidden_layers', LLAMA_DEFAULTS.num_hidden_layers, p, perLayer, fixed),
    numAttentionHeads: heads,
    numKeyValueHeads: kvHeads,
    headDim,
    tieWordEmbeddings,
    initializerRange: stdField(c, 'initializer_range', LLAMA_DEFAULTS.initializer_range, p),
    attentionBias,
    mlpBias,
  };
}

/** The Llama recipe as rules (first match wins). */
export function llamaRules(config: LlamaConfig = {}): InitRule[] {
  const { initializerRange: r } = resolveLlamaConfig(config);
  return [
    { match: '*norm.weight', init: ones() },
    { match: '*.bias', init: zeros() },
    { match: '*.weight', init: normal(r) },
  ];
}

/**
 * Llama (`LlamaForCausalLM`): `model.embed_tokens.weight`, `model.layers.{i}.self_attn.{q,k,v,o}_proj.weight`
 * (nn.Linear [out, in]), `model.layers.{i}.mlp.{gate,up,down}_proj.weight`,
 * `model.layers.{i}.{input,post_attention}_layernorm.weight`, `model.norm.weight`, and `lm_head.weight` unless
 * tie_word_embeddings (plus `.bias` tensors with attention_bias / mlp_bias). Recipe (rules): Linear and Embedding
 * weights normal(0, initializer_range), biases 0, RMSNorm weights 1.
 */
export function llama(config: LlamaConfig = {}, options?: PresetOptions): ModelSpec {
  const c = resolveLlamaConfig(config);
  const o = presetOptions(options, 'llama');
  const h = c.hiddenSize;
  const qDim = c.numAttentionHeads * c.headDim;
  const kvDim = c.numKeyValueHeads * c.headDim;
  const tensors: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, h] }];
  const linear = (name: string, inF: number, outF: number, bias: boolean): void => {
    tensors.push({ name: `${name}.weight`, shape: [outF, inF] });
    if (bias) tensors.push({ name: `${name}.bias`, shape: [outF] });
  };
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const l = `model.layers.${i}`;
    linear(`${l}.self_attn.q_proj`, h, qDim, c.attentionBias);
    linear(`${l}.self_attn.k_proj`, h, kvDim, c.attentionBias);
    linear(`${l}.self_attn.v_proj`, h, kvDim, c.attentionBias);
    linear(`${l}.self_attn.o_proj`, qDim, h, c.attentionBias);
    linear(`${l}.mlp.gate_proj`, h, c.intermediateSize, c.mlpBias);
    linear(`${l}.mlp.up_proj`, h, c.intermediateSize, c.mlpBias);
    linear(`${l}.mlp.down_proj`, c.intermediateSize, h, c.mlpBias);
    tensors.push({ name: `${l}.input_layernorm.weight`, shape: [h] }, { name: `${l}.post_attention_layernorm.weight`, shape: [h] });
  }
  tensors.push({ name: 'model.norm.weight', shape: [h] });
  if (!c.tieWordEmbeddings) tensors.push({ name: 'lm_head.weight', shape: [c.vocabSize, h] });
  return { name: o.name, dtype: o.dtype, layout: 'torch', tensors, rules: [...o.rules, ...llamaRules(config)] };
}

// ---------------------------------------------------------------------------------------------------------------
// ResNet-18 (torchvision).
//
// Sources (pytorch/vision torchvision/models/resnet.py @ f50e776b051ddf007b90d7bc8f70b0708c12d008):
// conv1 = Conv2d(3, 64, 7, bias=False), bn1 = BatchNorm2d(64); layer1..4 = _make_layer(BasicBlock, 64/128/256/512,
// 2 blocks, stride 1/2/2/2); BasicBlock: conv1 = conv3x3(inplanes, planes, stride), bn1, conv2 = conv3x3(planes,
// planes), bn2, downsample (block 0 when stride != 1 or inplanes != planes) = Sequential(conv1x1(inplanes, planes,
// stride), BatchNorm2d(planes)); fc = Linear(512, num_classes). Init: every Conv2d kaiming_normal_(mode='fan_out',
// nonlinearity='relu'); BatchNorm2d weight 1, bias 0; with zero_init_residual each BasicBlock's bn2.weight 0; fc keeps
// nn.Linear's default (reset_parameters: kaiming_uniform_(a=√5), bias U(±1/√fan_in)). ResNet18_Weights meta:
// num_params 11689512.

export interface ResNet18Options extends PresetOptions {
  /** fc outputs (default 1000). */
  numClasses?: number;
  /**
   * Include BatchNorm's running_mean (zeros) and running_var (ones) buffers, as in a state_dict (default true).
   * num_batches_tracked (int64) is never included: this library writes float tensors only.
   */
  buffers?: boolean;
  /** torchvision's zero_init_residual: every block's bn2.weight starts at 0 (default false). */
  zeroInitResidual?: boolean;
}

/** The ResNet-18 recipe as rules (first match wins). */
export function resnet18Rules(options: Pick<ResNet18Options, 'numClasses' | 'zeroInitResidual'> = {}): InitRule[] {
  const numClasses = resnetClasses(options);
  const conv = (): InitializerSpec => ({ kind: 'kaimingNormal', mode: 'fan_out', nonlinearity: 'relu' });
  return [
    ...(options.zeroInitResidual === true ? [{ match: 'layer*.bn2.weight', init: zeros() }] : []),
    { match: '*.running_mean', init: zeros() },
    { match: '*.running_var', init: ones() },
    { match: 'fc.weight', init: torchDefaultWeight() },
    { match: 'fc.bias', init: torchDefaultBias([numClasses, 512]) },
    { match: '*conv?.weight', init: conv() },
    { match: '*downsample.0.weight', init: conv() },
    { match: '*bn?.weight', init: ones() },
    { match: '*downsample.1.weight', init: ones() },
    { match: '*bn?.bias', init: zeros() },
    { match: '*downsample.1.bias', init: zeros() },
  ];
}

function resnetClasses(options: { numClasses?: number }): number {
  return checkPositiveInteger('options.numClasses', options.numClasses ?? 1000);
}

/**
 * ResNet-18 (torchvision state_dict names): `conv1.weight` [64, 3, 7, 7], `bn1.*`,
 * `layer{1..4}.{0,1}.{conv1,bn1,conv2,bn2}.*`, `layer{2,3,4}.0.downsample.{0,1}.*`, `fc.weight` [classes, 512],
 * `fc.bias`; BatchNorm tensors are weight, bias and (with `buffers`, the default) running_mean, running_var.
 * Recipe (rules): convs kaiming_normal(fan_out, relu), BN weight 1 / bias 0, running stats 0 / 1, fc PyTorch's
 * nn.Linear default.
 */
export function resnet18(options: ResNet18Options = {}): ModelSpec {
  if (!isRecord(options)) throw new InvalidParameterError('options', options, 'an options object');
  const numClasses = resnetClasses(options);
  const buffers = options.buffers ?? true;
  if (typeof buffers !== 'boolean') throw new InvalidParameterError('options.buffers', buffers, 'a boolean');
  const o = presetOptions(options, 'resnet18');
  const tensors: TensorSpec[] = [];
  const conv = (name: string, cout: number, cin: number, k: number): void => {
    tensors.push({ name: `${name}.weight`, shape: [cout, cin, k, k] });
  };
  const bn = (name: string, c: number): void => {
    tensors.push({ name: `${name}.weight`, shape: [c] }, { name: `${name}.bias`, shape: [c] });
    if (buffers) tensors.push({ name: `${name}.running_mean`, shape: [c] }, { name: `${name}.running_var`, shape: [c] });
  };
  conv('conv1', 64, 3, 7);
  bn('bn1', 64);
  let inplanes = 64;
  const stages: readonly (readonly [number, number])[] = [
    [64, 1],
    [128, 2],
    [256, 2],
    [512, 2],
  ];
  stages.forEach(([planes, stride], s) => {
    for (let b = 0; b < 2; b++) {
      const p = `layer${s + 1}.${b}`;
      conv(`${p}.conv1`, planes, inplanes, 3);
      bn(`${p}.bn1`, planes);
      conv(`${p}.conv2`, planes, planes, 3);
      bn(`${p}.bn2`, planes);
      if (b === 0 && (stride !== 1 || inplanes !== planes)) {
        conv(`${p}.downsample.0`, planes, inplanes, 1);
        bn(`${p}.downsample.1`, planes);
      }
      inplanes = planes;
    }
  });
  tensors.push({ name: 'fc.weight', shape: [numClasses, 512] }, { name: 'fc.bias', shape: [numClasses] });
  return { name: o.name, dtype: o.dtype, layout: 'torch', tensors, rules: [...o.rules, ...resnet18Rules(options)] };
}

// ---------------------------------------------------------------------------------------------------------------
// safetensors headers.

/** One entry of a safetensors header (https://github.com/huggingface/safetensors: dtype, shape, data_offsets). */
export interface RawSafetensorsTensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** A parsed safetensors header: tensor entries plus the optional `__metadata__` string map. */
export type RawSafetensorsHeader = Record<string, RawSafetensorsTensorInfo | Record<string, string>>;

export interface FromSafetensorsOptions {
  /** Default layout of the tensors (default 'torch'). */
  layout?: FanLayout;
  name?: string;
  /** What to do with a tensor whose dtype is not F32, F16 or BF16: 'error' (default) or 'skip' it. */
  unsupportedDType?: 'error' | 'skip';
}

/**
 * A ModelSpec with the header's tensors (same names, shapes and dtypes: F32 → f32, F16 → f16, BF16 → bf16), in file
 * order (by data_offsets[0] when every entry has one, else the header's key order), initialized by `rules`.
 * `__metadata__` is skipped. The header itself (offsets, sizes, overlaps) is not validated here.
 */
export function fromSafetensorsHeader(header: RawSafetensorsHeader, rules: readonly InitRule[], options: FromSafetensorsOptions = {}): ModelSpec {
  if (!isRecord(header)) throw new InvalidParameterError('header', header, 'a parsed safetensors header object');
  if (!Array.isArray(rules)) throw new InvalidParameterError('rules', rules, 'an array of rules');
  const unsupported = options.unsupportedDType ?? 'error';
  if (unsupported !== 'error' && unsupported !== 'skip') {
    throw new InvalidParameterError('options.unsupportedDType', unsupported, "'error' or 'skip'");
  }
  const entries: { name: string; start: number | null; tensor: TensorSpec }[] = [];
  const names = Object.keys(header);
  if (names.length > MODEL_LIMITS.maxTensors + 1) {
    throw new InvalidParameterError('header', `${names.length} keys`, `at most ${MODEL_LIMITS.maxTensors} tensors`);
  }
  for (const name of names) {
    if (name === '__metadata__') continue;
    const path = `header[${JSON.stringify(name)}]`;
    const info: unknown = header[name];
    if (!isRecord(info)) throw new InvalidParameterError(path, info, '{ dtype, shape, data_offsets }');
    const st = info['dtype'];
    const dtype = typeof st === 'string' ? dtypeOfSafetensors(st) : undefined;
    if (!isFloatDType(dtype)) {
      if (unsupported === 'skip' && typeof st === 'string') continue;
      throw new InvalidParameterError(`${path}.dtype`, st, "'F32', 'F16' or 'BF16' (the float types this library writes)");
    }
    const shape = validateShape(info['shape'], `${path}.shape`);
    const offsets = info['data_offsets'];
    const start = Array.isArray(offsets) && typeof offsets[0] === 'number' && Number.isFinite(offsets[0]) ? offsets[0] : null;
    entries.push({ name, start, tensor: { name, shape, dtype } });
  }
  if (entries.every((e) => e.start !== null)) {
    // Array.prototype.sort is stable, so ties keep key order.
    entries.sort((a, b) => a.start! - b.start!);
  }
  const spec: ModelSpec = { tensors: entries.map((e) => e.tensor), rules: [...rules] };
  if (options.layout !== undefined) spec.layout = options.layout;
  if (options.name !== undefined) spec.name = options.name;
  return spec;
}

// ---------------------------------------------------------------------------------------------------------------
// Hugging Face config.json, both ways: the preset picked by a config's `model_type`, and the config.json a
// checkpoint folder carries (the given fields, the preset's defaults for the others, and `model_type`).

/** The presets a Hugging Face config.json can name by its `model_type`. */
export const HF_MODEL_TYPES = ['gpt2', 'llama'] as const;
export type HfModelType = (typeof HF_MODEL_TYPES)[number];

const HF_DEFAULTS: Readonly<Record<HfModelType, Readonly<Record<string, unknown>>>> = { gpt2: GPT2_DEFAULTS, llama: LLAMA_DEFAULTS };
const HF_PRESETS: Readonly<Record<HfModelType, (config: Record<string, unknown>, options?: PresetOptions) => ModelSpec>> = { gpt2, llama };

/** The `model_type` of a config.json, checked against the presets that have one. */
export function hfModelType(config: unknown, parameter = 'config'): HfModelType {
  const c = configObject(config, parameter);
  const t = c['model_type'];
  if (typeof t !== 'string' || !(HF_MODEL_TYPES as readonly string[]).includes(t)) {
    throw new InvalidParameterError(
      `${parameter}.model_type`,
      t,
      `one of ${HF_MODEL_TYPES.map((m) => `'${m}'`).join(', ')} (the presets a config.json can pick)`,
    );
  }
  return t as HfModelType;
}

/**
 * The config.json of a checkpoint of preset `modelType`: the preset's defaults, overridden by the fields given (all of
 * them, unknown ones included, as Hugging Face keeps them), and `model_type`. Checked like the preset checks it.
 */
export function hfConfig(modelType: HfModelType, config: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const given = configObject(config, 'config');
  let vocabSize: number;
  if (modelType === 'gpt2') vocabSize = resolveGpt2Config(given).vocabSize;
  else if (modelType === 'llama') vocabSize = resolveLlamaConfig(given).vocabSize;
  else throw new InvalidParameterError('modelType', modelType, `one of ${HF_MODEL_TYPES.join(', ')}`);
  return { ...HF_DEFAULTS[modelType], ...specialTokenIds(modelType, given, vocabSize), ...given, model_type: modelType };
}

/**
 * The special-token ids transformers' config classes default to (GPT2Config: bos_token_id = eos_token_id = 50256,
 * GPT-2's <|endoftext|>, its last token; LlamaConfig: bos_token_id 1, eos_token_id 2). Sources: huggingface/transformers
 * src/transformers/models/gpt2/configuration_gpt2.py and models/llama/configuration_llama.py (the class fields).
 */
const SPECIAL_TOKEN_DEFAULTS: Readonly<Record<HfModelType, { readonly bos_token_id: number; readonly eos_token_id: number }>> = {
  gpt2: { bos_token_id: 50256, eos_token_id: 50256 },
  llama: { bos_token_id: 1, eos_token_id: 2 },
};

/** The preset's default id of a special token when it lies inside the vocabulary, else the last id. */
function defaultTokenId(modelType: HfModelType, key: 'bos_token_id' | 'eos_token_id', vocabSize: number): number {
  const fallback = SPECIAL_TOKEN_DEFAULTS[modelType][key];
  return fallback < vocabSize ? fallback : vocabSize - 1;
}

/**
 * `bos_token_id` and `eos_token_id` of a checkpoint's config.json, inside the vocabulary (transformers warns on
 * loading a config whose special token lies outside [0, vocab_size)): an id the config gives must be such an
 * integer, a list of them, or null, else it is refused; an id it leaves out is the preset's default when that lies
 * inside the vocabulary, else the last token, vocab_size - 1 (where GPT-2 keeps <|endoftext|>). hfSpecialTokenIds
 * (the ONNX pack's generation config and tokenizer) takes the same ids.
 */
export function specialTokenIds(
  modelType: HfModelType,
  config: Readonly<Record<string, unknown>>,
  vocabSize: number,
): { bos_token_id: number | number[] | null; eos_token_id: number | number[] | null } {
  const inVocabulary = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < vocabSize;
  const id = (key: 'bos_token_id' | 'eos_token_id'): number | number[] | null => {
    const v = config[key];
    if (v === undefined) return defaultTokenId(modelType, key, vocabSize);
    if (v === null || inVocabulary(v)) return v;
    if (Array.isArray(v) && v.length > 0 && v.every(inVocabulary)) return [...v];
    throw new InvalidParameterError(
      `config.${key}`,
      v,
      `a token id inside the vocabulary (an integer in [0, ${vocabSize - 1}]), a non-empty list of them, or null`,
    );
  };
  return { bos_token_id: id('bos_token_id'), eos_token_id: id('eos_token_id') };
}

/** A Hugging Face config.json to its preset's ModelSpec, by `model_type` (gpt2, llama). */
export function presetFromHfConfig(config: Readonly<Record<string, unknown>>, options?: PresetOptions): { modelType: HfModelType; spec: ModelSpec } {
  const modelType = hfModelType(config);
  return { modelType, spec: HF_PRESETS[modelType]({ ...config }, options) };
}

/**
 * The bos/eos token ids of a config, inside its vocabulary, as one number each (what a generation config and a
 * tokenizer need): specialTokenIds' ids, the first of a list, and for null the preset's default (or the last id).
 * Ids the config gives must be below vocab_size (InvalidParameterError otherwise); HF's defaults (GPT-2 50256,
 * Llama 1 and 2) that a small vocabulary does not reach become its last id, vocab_size − 1, so generation can stop
 * on a token the model can produce.
 */
export function hfSpecialTokenIds(modelType: HfModelType, config: Readonly<Record<string, unknown>> = {}): { bosTokenId: number; eosTokenId: number } {
  const c = configObject(config, 'config');
  const vocab = modelType === 'gpt2' ? resolveGpt2Config(c).vocabSize : resolveLlamaConfig(c).vocabSize;
  const ids = specialTokenIds(modelType, c, vocab);
  const one = (key: 'bos_token_id' | 'eos_token_id'): number => {
    const v = ids[key];
    return v === null ? defaultTokenId(modelType, key, vocab) : Array.isArray(v) ? v[0]! : v;
  };
  return { bosTokenId: one('bos_token_id'), eosTokenId: one('eos_token_id') };
}
