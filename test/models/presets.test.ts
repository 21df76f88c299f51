import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/errors.js';
import {
  fromSafetensorsHeader,
  GPT2_DEFAULTS,
  type Gpt2Config,
  gpt2,
  hfConfig,
  LLAMA_DEFAULTS,
  llama,
  presetFromHfConfig,
  type RawSafetensorsHeader,
  resnet18,
  resolveGpt2Config,
  resolveLlamaConfig,
  specialTokenIds,
} from '../../src/models/presets.js';
import { modelTotals, type ResolvedTensor, resolveModel } from '../../src/models/spec.js';
import { fnv1a64 } from '../../src/models/stream.js';
import { expectInvalid } from '../helpers/errors.js';

function byName(tensors: readonly ResolvedTensor[]): Map<string, ResolvedTensor> {
  return new Map(tensors.map((t) => [t.name, t]));
}

function std(t: ResolvedTensor | undefined): number {
  if (t?.resolved.kind !== 'distribution') throw new Error(`${t?.name} is not a distribution`);
  return t.resolved.expectedStd;
}

function constant(t: ResolvedTensor | undefined): number {
  if (t?.resolved.kind !== 'constant') throw new Error(`${t?.name} is not a constant`);
  return t.resolved.value;
}

/** GPT2Model's parameter count written out by layer, independently of the preset's code. */
function gpt2Params(V: number, P: number, E: number, L: number, I = 4 * E): number {
  const layerNorm = 2 * E;
  const cAttn = E * 3 * E + 3 * E;
  const attnProj = E * E + E;
  const cFc = E * I + I;
  const mlpProj = I * E + E;
  return V * E + P * E + L * (2 * layerNorm + cAttn + attnProj + cFc + mlpProj) + layerNorm;
}

/** LlamaForCausalLM's parameter count written out, independently of the preset's code. */
function llamaParams(c: { V: number; H: number; I: number; L: number; heads: number; kv: number; tied: boolean }): number {
  const d = c.H / c.heads;
  const attn = c.H * c.heads * d + 2 * c.H * c.kv * d + c.heads * d * c.H;
  const mlp = 3 * c.H * c.I;
  return c.V * c.H * (c.tied ? 1 : 2) + c.L * (attn + mlp + 2 * c.H) + c.H;
}

describe('gpt2', () => {
  const small = resolveModel(gpt2());

  it('GPT-2 small (the defaults) has exactly 124,439,808 parameters in 148 tensors', () => {
    expect(modelTotals(small).numel).toBe(124_439_808);
    expect(gpt2Params(50257, 1024, 768, 12)).toBe(124_439_808);
    expect(small).toHaveLength(2 + 12 * 12 + 2);
    expect(modelTotals(small).byteLength).toBe(4 * 124_439_808);
  });

  it('has the checkpoint names and shapes (Conv1D weights [in, out], no transformer. prefix)', () => {
    const m = byName(small);
    const shapes: [string, number[]][] = [
      ['wte.weight', [50257, 768]],
      ['wpe.weight', [1024, 768]],
      ['h.0.ln_1.weight', [768]],
      ['h.0.ln_1.bias', [768]],
      ['h.0.attn.c_attn.weight', [768, 2304]],
      ['h.0.attn.c_attn.bias', [2304]],
      ['h.0.attn.c_proj.weight', [768, 768]],
      ['h.0.attn.c_proj.bias', [768]],
      ['h.11.ln_2.weight', [768]],
      ['h.11.mlp.c_fc.weight', [768, 3072]],
      ['h.11.mlp.c_fc.bias', [3072]],
      ['h.11.mlp.c_proj.weight', [3072, 768]],
      ['h.11.mlp.c_proj.bias', [768]],
      ['ln_f.weight', [768]],
      ['ln_f.bias', [768]],
    ];
    for (const [name, shape] of shapes) expect(m.get(name)?.shape, name).toEqual(shape);
    expect(small.slice(0, 6).map((t) => t.name)).toEqual([
      'wte.weight',
      'wpe.weight',
      'h.0.ln_1.weight',
      'h.0.ln_1.bias',
      'h.0.attn.c_attn.weight',
      'h.0.attn.c_attn.bias',
    ]);
    expect(m.get('h.0.attn.c_attn.weight')?.layout).toBe('keras');
    expect(m.get('wte.weight')?.layout).toBe('torch');
    expect(small.some((t) => t.name.startsWith('transformer.') || /\.attn\.bias$/.test(t.name))).toBe(false);
  });

  it('applies the HF recipe: normal(0, 0.02), residual projections 0.02/√(2·n_layer), biases 0, LayerNorm weights 1', () => {
    const m = byName(small);
    for (const name of ['wte.weight', 'wpe.weight', 'h.3.attn.c_attn.weight', 'h.3.mlp.c_fc.weight']) {
      expect(m.get(name)?.init, name).toEqual({ kind: 'normal', mean: 0, std: 0.02 });
    }
    for (const name of ['h.3.attn.c_proj.weight', 'h.3.mlp.c_proj.weight']) {
      expect(std(m.get(name)), name).toBe(0.02 / Math.sqrt(24));
    }
    for (const name of ['h.3.ln_1.weight', 'h.3.ln_2.weight', 'ln_f.weight']) expect(constant(m.get(name)), name).toBe(1);
    const biases = small.filter((t) => t.name.endsWith('.bias'));
    expect(biases).toHaveLength(12 * 6 + 1);
    for (const b of biases) expect(constant(b), b.name).toBe(0);
    expect(small.every((t) => t.rule !== 'explicit')).toBe(true);
    expect(small.every((t) => t.stream === fnv1a64(t.name))).toBe(true);
  });

  it('reads a whole config.json, with n_inner, aliases and defaults', () => {
    // The fields of a GPT-2 medium config.json (unknown fields are ignored).
    const medium = {
      activation_function: 'gelu_new',
      architectures: ['GPT2LMHeadModel'],
      attn_pdrop: 0.1,
      bos_token_id: 50256,
      eos_token_id: 50256,
      initializer_range: 0.02,
      layer_norm_epsilon: 1e-5,
      model_type: 'gpt2',
      n_ctx: 1024,
      n_embd: 1024,
      n_head: 16,
      n_layer: 24,
      n_positions: 1024,
      n_special: 0,
      task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
      vocab_size: 50257,
    };
    expect(modelTotals(resolveModel(gpt2(medium))).numel).toBe(gpt2Params(50257, 1024, 1024, 24));
    expect(gpt2Params(50257, 1024, 1024, 24)).toBe(354_823_168);
    const tiny = resolveModel(gpt2({ n_embd: 64, n_layer: 2, n_head: 4, n_inner: 100, vocab_size: 11, n_positions: 7, initializer_range: 0.1 }));
    expect(modelTotals(tiny).numel).toBe(gpt2Params(11, 7, 64, 2, 100));
    expect(byName(tiny).get('h.1.mlp.c_fc.weight')?.shape).toEqual([64, 100]);
    expect(std(byName(tiny).get('h.1.mlp.c_proj.weight'))).toBe(0.1 / Math.sqrt(4));
    expect(resolveGpt2Config({ hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 3, max_position_embeddings: 9 })).toMatchObject({
      nEmbd: 64,
      nHead: 4,
      nLayer: 3,
      nPositions: 9,
      nInner: 256,
    });
    expect(resolveGpt2Config({ n_inner: null }).nInner).toBe(3072);
  });

  it('validates the config', () => {
    expectInvalid(() => gpt2({ n_embd: 100, n_head: 12 }), 'config.n_head');
    expectInvalid(() => gpt2({ n_layer: 0 }), 'config.n_layer');
    expectInvalid(() => gpt2({ vocab_size: 1.5 }), 'config.vocab_size');
    expectInvalid(() => gpt2({ initializer_range: 0 }), 'config.initializer_range');
    expectInvalid(() => gpt2({ model_type: 'llama' }), 'config.model_type');
    expectInvalid(() => gpt2({ add_cross_attention: true }), 'config.add_cross_attention');
    expectInvalid(() => gpt2({ n_embd: 768, hidden_size: 512 }), 'config.hidden_size');
    expectInvalid(() => gpt2(null as unknown as Gpt2Config), 'config');
    expectInvalid(() => gpt2({}, { dtype: 'f64' as 'f32' }), 'options.dtype');
  });

  it('lets users override the recipe with rules placed first', () => {
    const spec = gpt2({ n_layer: 1 }, { rules: [{ match: 'wpe.weight', init: { kind: 'zeros' } }], dtype: 'bf16', name: 'mine' });
    const m = byName(resolveModel(spec));
    expect(constant(m.get('wpe.weight'))).toBe(0);
    expect(m.get('wpe.weight')?.rule).toBe('wpe.weight');
    expect(m.get('wte.weight')?.init.kind).toBe('normal');
    expect(m.get('wte.weight')?.dtype).toBe('bf16');
    expect(spec.name).toBe('mine');
  });
});

describe('llama', () => {
  it('Llama-2-7B (the defaults) has exactly 6,738,415,616 parameters', () => {
    const r = resolveModel(llama());
    const expected = llamaParams({ V: 32000, H: 4096, I: 11008, L: 32, heads: 32, kv: 32, tied: false });
    expect(expected).toBe(6_738_415_616);
    expect(modelTotals(r).numel).toBe(expected);
    expect(r).toHaveLength(1 + 32 * 9 + 2);
  });

  it('TinyLlama-1.1B (GQA: 32 heads, 4 KV heads) has exactly 1,100,048,384 parameters', () => {
    // The fields of TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T's config.json that matter.
    const config = {
      architectures: ['LlamaForCausalLM'],
      hidden_act: 'silu',
      hidden_size: 2048,
      initializer_range: 0.02,
      intermediate_size: 5632,
      max_position_embeddings: 2048,
      model_type: 'llama',
      num_attention_heads: 32,
      num_hidden_layers: 22,
      num_key_value_heads: 4,
      rms_norm_eps: 1e-5,
      rope_scaling: null,
      tie_word_embeddings: false,
      torch_dtype: 'bfloat16',
      vocab_size: 32000,
    };
    const expected = llamaParams({ V: 32000, H: 2048, I: 5632, L: 22, heads: 32, kv: 4, tied: false });
    expect(expected).toBe(1_100_048_384);
    const r = resolveModel(llama(config));
    expect(modelTotals(r).numel).toBe(expected);
    const m = byName(r);
    expect(m.get('model.layers.0.self_attn.q_proj.weight')?.shape).toEqual([2048, 2048]);
    expect(m.get('model.layers.0.self_attn.k_proj.weight')?.shape).toEqual([256, 2048]);
    expect(m.get('model.layers.0.self_attn.v_proj.weight')?.shape).toEqual([256, 2048]);
    expect(m.get('model.layers.21.self_attn.o_proj.weight')?.shape).toEqual([2048, 2048]);
    expect(m.get('model.layers.21.mlp.gate_proj.weight')?.shape).toEqual([5632, 2048]);
    expect(m.get('model.layers.21.mlp.up_proj.weight')?.shape).toEqual([5632, 2048]);
    expect(m.get('model.layers.21.mlp.down_proj.weight')?.shape).toEqual([2048, 5632]);
    expect(m.get('lm_head.weight')?.shape).toEqual([32000, 2048]);
    expect(r[0]!.dtype).toBe('f32'); // torch_dtype is not used
  });

  it('applies the HF recipe: Linear/Embedding normal(0, initializer_range), RMSNorm weights 1', () => {
    const r = resolveModel(
      llama({ num_hidden_layers: 2, hidden_size: 64, intermediate_size: 96, num_attention_heads: 4, vocab_size: 50, initializer_range: 0.01 }),
    );
    const names = r.map((t) => t.name);
    expect(names).toEqual([
      'model.embed_tokens.weight',
      ...[0, 1].flatMap((i) => [
        `model.layers.${i}.self_attn.q_proj.weight`,
        `model.layers.${i}.self_attn.k_proj.weight`,
        `model.layers.${i}.self_attn.v_proj.weight`,
        `model.layers.${i}.self_attn.o_proj.weight`,
        `model.layers.${i}.mlp.gate_proj.weight`,
        `model.layers.${i}.mlp.up_proj.weight`,
        `model.layers.${i}.mlp.down_proj.weight`,
        `model.layers.${i}.input_layernorm.weight`,
        `model.layers.${i}.post_attention_layernorm.weight`,
      ]),
      'model.norm.weight',
      'lm_head.weight',
    ]);
    for (const t of r) {
      if (t.name.endsWith('norm.weight')) expect(constant(t), t.name).toBe(1);
      else expect(t.init, t.name).toEqual({ kind: 'normal', mean: 0, std: 0.01 });
    }
  });

  it('handles tie_word_embeddings, head_dim, attention_bias / mlp_bias and null fields', () => {
    const tied = resolveModel(llama({ num_hidden_layers: 1, tie_word_embeddings: true }));
    expect(tied.some((t) => t.name === 'lm_head.weight')).toBe(false);
    const hd = byName(
      resolveModel(
        llama({ num_hidden_layers: 1, hidden_size: 96, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 32, vocab_size: 10, intermediate_size: 8 }),
      ),
    );
    expect(hd.get('model.layers.0.self_attn.q_proj.weight')?.shape).toEqual([128, 96]);
    expect(hd.get('model.layers.0.self_attn.k_proj.weight')?.shape).toEqual([64, 96]);
    expect(hd.get('model.layers.0.self_attn.o_proj.weight')?.shape).toEqual([96, 128]);
    const biased = byName(
      resolveModel(
        llama({ num_hidden_layers: 1, hidden_size: 8, num_attention_heads: 2, intermediate_size: 4, vocab_size: 3, attention_bias: true, mlp_bias: true }),
      ),
    );
    expect(biased.get('model.layers.0.self_attn.k_proj.bias')?.shape).toEqual([8]);
    expect(biased.get('model.layers.0.mlp.down_proj.bias')?.shape).toEqual([8]);
    expect(constant(biased.get('model.layers.0.mlp.up_proj.bias'))).toBe(0);
    expect(resolveLlamaConfig({ num_key_value_heads: null, head_dim: null })).toMatchObject({ numKeyValueHeads: 32, headDim: 128 });
  });

  it('validates the config', () => {
    expectInvalid(() => llama({ num_attention_heads: 32, num_key_value_heads: 5 }), 'config.num_key_value_heads');
    expectInvalid(() => llama({ hidden_size: 100, num_attention_heads: 32 }), 'config.num_attention_heads');
    expectInvalid(() => llama({ tie_word_embeddings: 'yes' as unknown as boolean }), 'config.tie_word_embeddings');
    expectInvalid(() => llama({ head_dim: 0 }), 'config.head_dim');
    expectInvalid(() => llama({ model_type: 'gpt2' }), 'config.model_type');
    expectInvalid(() => llama({ initializer_range: -0.02 }), 'config.initializer_range');
  });
});

describe('resnet18', () => {
  const r = resolveModel(resnet18());
  const isBuffer = (t: ResolvedTensor): boolean => t.name.endsWith('.running_mean') || t.name.endsWith('.running_var');

  it('has 11,689,512 parameters (1000 classes) plus 2 × 4,800 BatchNorm running-stat elements', () => {
    const params = r.filter((t) => !isBuffer(t));
    expect(modelTotals(params).numel).toBe(11_689_512);
    expect(params).toHaveLength(62);
    expect(modelTotals(r.filter(isBuffer)).numel).toBe(2 * 4800);
    // modelTotals names both counts: trainable parameters as torchvision counts them, and the running statistics.
    expect(modelTotals(r)).toMatchObject({ numel: 11_699_112, parameters: 11_689_512, runningStats: 9600 });
    expect(r).toHaveLength(102);
    const noBuffers = resolveModel(resnet18({ buffers: false }));
    expect(noBuffers.map((t) => t.name)).toEqual(params.map((t) => t.name));
    // Independent count: conv weights, BN weight+bias, fc.
    const conv =
      64 * 3 * 49 +
      2 * 2 * 64 * 64 * 9 +
      (128 * 64 * 9 + 3 * 128 * 128 * 9 + 128 * 64) +
      (256 * 128 * 9 + 3 * 256 * 256 * 9 + 256 * 128) +
      (512 * 256 * 9 + 3 * 512 * 512 * 9 + 512 * 256);
    const bn = 2 * 4800;
    expect(conv + bn + 512 * 1000 + 1000).toBe(11_689_512);
  });

  it('has the torchvision state_dict names and shapes', () => {
    const m = byName(r);
    const shapes: [string, number[]][] = [
      ['conv1.weight', [64, 3, 7, 7]],
      ['bn1.weight', [64]],
      ['bn1.running_var', [64]],
      ['layer1.0.conv1.weight', [64, 64, 3, 3]],
      ['layer1.1.bn2.bias', [64]],
      ['layer2.0.conv1.weight', [128, 64, 3, 3]],
      ['layer2.0.conv2.weight', [128, 128, 3, 3]],
      ['layer2.0.downsample.0.weight', [128, 64, 1, 1]],
      ['layer2.0.downsample.1.running_mean', [128]],
      ['layer3.0.downsample.0.weight', [256, 128, 1, 1]],
      ['layer4.0.downsample.0.weight', [512, 256, 1, 1]],
      ['layer4.1.conv2.weight', [512, 512, 3, 3]],
      ['fc.weight', [1000, 512]],
      ['fc.bias', [1000]],
    ];
    for (const [name, shape] of shapes) expect(m.get(name)?.shape, name).toEqual(shape);
    expect(m.has('layer1.0.downsample.0.weight')).toBe(false);
    expect(r.slice(0, 7).map((t) => t.name)).toEqual([
      'conv1.weight',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'layer1.0.conv1.weight',
      'layer1.0.bn1.weight',
    ]);
    expect(r.filter((t) => t.name.includes('downsample.0.weight')).map((t) => t.name)).toEqual([
      'layer2.0.downsample.0.weight',
      'layer3.0.downsample.0.weight',
      'layer4.0.downsample.0.weight',
    ]);
  });

  it("applies torchvision's recipe", () => {
    const m = byName(r);
    const convs = r.filter((t) => t.shape.length === 4);
    expect(convs).toHaveLength(20);
    for (const c of convs) {
      expect(c.init, c.name).toEqual({ kind: 'kaimingNormal', mode: 'fan_out', nonlinearity: 'relu' });
      const fanOut = c.shape[0]! * c.shape[2]! * c.shape[3]!;
      expect(std(c), c.name).toBeCloseTo(Math.sqrt(2) / Math.sqrt(fanOut), 15);
    }
    for (const t of r.filter((x) => x.shape.length === 1 && !x.name.startsWith('fc.'))) {
      const want = t.name.endsWith('.weight') || t.name.endsWith('.running_var') ? 1 : 0;
      expect(constant(t), t.name).toBe(want);
    }
    const fcW = m.get('fc.weight')!;
    const fcB = m.get('fc.bias')!;
    for (const t of [fcW, fcB]) {
      if (t.resolved.kind !== 'distribution' || t.resolved.dist.kind !== 'uniform') throw new Error(`${t.name} is not uniform`);
      expect(t.resolved.dist.high).toBeCloseTo(1 / Math.sqrt(512), 15);
      expect(t.resolved.dist.low).toBeCloseTo(-1 / Math.sqrt(512), 15);
    }
    expect(fcW.init).toEqual({ kind: 'kaimingUniform', a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' });
  });

  it('takes numClasses and zeroInitResidual', () => {
    const ten = resolveModel(resnet18({ numClasses: 10, buffers: false }));
    expect(modelTotals(ten).numel).toBe(11_689_512 - 990 * 513);
    expect(byName(ten).get('fc.weight')?.shape).toEqual([10, 512]);
    const zero = byName(resolveModel(resnet18({ zeroInitResidual: true })));
    expect(constant(zero.get('layer3.1.bn2.weight'))).toBe(0);
    expect(constant(zero.get('layer3.1.bn1.weight'))).toBe(1);
    expect(constant(zero.get('bn1.weight'))).toBe(1);
    expectInvalid(() => resnet18({ numClasses: 0 }), 'options.numClasses');
    expectInvalid(() => resnet18({ buffers: 'no' as unknown as boolean }), 'options.buffers');
  });
});

describe('fromSafetensorsHeader', () => {
  const header: RawSafetensorsHeader = {
    __metadata__: { format: 'pt' },
    'b.bias': { dtype: 'F16', shape: [4], data_offsets: [96, 104] },
    'a.weight': { dtype: 'F32', shape: [4, 6], data_offsets: [0, 96] },
    'n.norm.weight': { dtype: 'BF16', shape: [4], data_offsets: [104, 112] },
  };
  const rules = [
    { match: '*.bias', init: { kind: 'zeros' } },
    { match: '*norm*.weight', init: { kind: 'ones' } },
    { match: '*', init: { kind: 'normal', std: 0.02 } },
  ] as const;

  it('keeps names, shapes and dtypes, in file order, initialized by the rules', () => {
    const spec = fromSafetensorsHeader(header, [...rules]);
    expect(spec.tensors).toEqual([
      { name: 'a.weight', shape: [4, 6], dtype: 'f32' },
      { name: 'b.bias', shape: [4], dtype: 'f16' },
      { name: 'n.norm.weight', shape: [4], dtype: 'bf16' },
    ]);
    const r = resolveModel(spec);
    expect(r.map((t) => [t.name, t.init.kind, t.dtype, t.byteLength])).toEqual([
      ['a.weight', 'normal', 'f32', 96],
      ['b.bias', 'zeros', 'f16', 8],
      ['n.norm.weight', 'ones', 'bf16', 8],
    ]);
  });

  it('round-trips a preset: its own names, shapes and recipe', () => {
    const spec = gpt2({ n_layer: 2, n_embd: 16, n_head: 2, vocab_size: 20, n_positions: 8 });
    const original = resolveModel(spec);
    let offset = 0;
    const h: RawSafetensorsHeader = {};
    for (const t of original) {
      h[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.byteLength] };
      offset += t.byteLength;
    }
    const again = resolveModel(fromSafetensorsHeader(h, spec.rules ?? []));
    expect(again.map((t) => [t.name, t.shape, t.init, t.stream])).toEqual(original.map((t) => [t.name, t.shape, t.init, t.stream]));
  });

  it('rejects other dtypes, or skips them on request', () => {
    const withInt = { ...header, 'bn.num_batches_tracked': { dtype: 'I64', shape: [], data_offsets: [112, 120] as [number, number] } };
    expectInvalid(() => fromSafetensorsHeader(withInt, []), 'header["bn.num_batches_tracked"].dtype');
    expectInvalid(() => fromSafetensorsHeader({ x: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, []), 'header["x"].dtype');
    // Names of Object.prototype members are not dtypes (a plain-object lookup once took 'constructor' for one).
    for (const dtype of ['constructor', 'toString', '__proto__']) {
      expectInvalid(
        () => fromSafetensorsHeader({ x: { dtype, shape: [1], data_offsets: [0, 4] } } as unknown as RawSafetensorsHeader, []),
        'header["x"].dtype',
      );
    }
    expect(fromSafetensorsHeader(withInt, [], { unsupportedDType: 'skip' }).tensors).toHaveLength(3);
    expectInvalid(() => fromSafetensorsHeader({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }, []), 'header["x"].shape[0]');
    expectInvalid(() => fromSafetensorsHeader({ x: 5 } as unknown as RawSafetensorsHeader, []), 'header["x"]');
  });
});

describe('Hugging Face config.json both ways', () => {
  it('presetFromHfConfig picks the preset from model_type', () => {
    const { modelType, spec } = presetFromHfConfig({
      model_type: 'llama',
      hidden_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      intermediate_size: 96,
      vocab_size: 50,
    });
    expect(modelType).toBe('llama');
    expect(resolveModel(spec).map((t) => t.name)).toEqual(
      resolveModel(llama({ hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 96, vocab_size: 50 })).map((t) => t.name),
    );
    expect(presetFromHfConfig({ model_type: 'gpt2', n_layer: 1 }, { dtype: 'bf16' }).spec.dtype).toBe('bf16');
  });

  it.each([[{ model_type: 'bert' }], [{}], [{ model_type: 7 }], [[]], [null]])('%j: an error at config.model_type listing the supported types', (config) => {
    expect(() => presetFromHfConfig(config as never)).toThrow(InvalidParameterError);
    expect(() => presetFromHfConfig(config as never)).toThrow(/config(\.model_type)?: got .*; expected (one of 'gpt2', 'llama'|a config object)/);
  });

  it('hfConfig: the preset defaults, then every given field (unknown ones too), then model_type; checked like the preset', () => {
    expect(hfConfig('gpt2', { n_layer: 2, architectures: ['GPT2LMHeadModel'] })).toEqual({
      ...GPT2_DEFAULTS,
      bos_token_id: 50256,
      eos_token_id: 50256,
      n_layer: 2,
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
    });
    expect(hfConfig('llama')).toEqual({ ...LLAMA_DEFAULTS, bos_token_id: 1, eos_token_id: 2, model_type: 'llama' });
    expect(() => hfConfig('llama', { num_attention_heads: 5 })).toThrow(/config\.num_attention_heads/);
    expect(() => hfConfig('gpt2', { model_type: 'llama' })).toThrow(/config\.model_type/);
  });

  // transformers warns when a config's special token lies outside [0, vocab_size) (PretrainedConfig.validate_token_ids).
  it('config.json keeps bos/eos_token_id inside the vocabulary of a small config', () => {
    expect(hfConfig('gpt2', { vocab_size: 100, n_layer: 1 })).toMatchObject({ vocab_size: 100, bos_token_id: 99, eos_token_id: 99 });
    expect(hfConfig('llama', { vocab_size: 2, num_hidden_layers: 1 })).toMatchObject({ bos_token_id: 1, eos_token_id: 1 });
    expect(hfConfig('llama', { vocab_size: 1, num_hidden_layers: 1 })).toMatchObject({ bos_token_id: 0, eos_token_id: 0 });
    expect(hfConfig('llama', { vocab_size: 3 })).toMatchObject({ bos_token_id: 1, eos_token_id: 2 });
    // Ids the config gives are kept when they lie inside the vocabulary (a list too, as Llama 3's eos), or null.
    expect(hfConfig('llama', { vocab_size: 10, bos_token_id: 0, eos_token_id: [3, 9] })).toMatchObject({ bos_token_id: 0, eos_token_id: [3, 9] });
    expect(hfConfig('gpt2', { vocab_size: 10, bos_token_id: null })).toMatchObject({ bos_token_id: null, eos_token_id: 9 });
    expect(specialTokenIds('gpt2', {}, 50257)).toEqual({ bos_token_id: 50256, eos_token_id: 50256 });
    // GPT-2's own config.json copied with a smaller vocabulary: refused, naming the field.
    expectInvalid(() => hfConfig('gpt2', { vocab_size: 100, bos_token_id: 50256 }), 'config.bos_token_id', '[0, 99]');
    expectInvalid(() => hfConfig('llama', { vocab_size: 10, eos_token_id: [2, 10] }), 'config.eos_token_id');
    expectInvalid(() => hfConfig('llama', { eos_token_id: [] }), 'config.eos_token_id');
    expectInvalid(() => hfConfig('llama', { bos_token_id: '1' }), 'config.bos_token_id');
  });

  it.each([
    ['gpt2', { n_layer: 1e9 }, 'config.n_layer', 8333],
    ['gpt2', { num_hidden_layers: 1e7 }, 'config.n_layer', 8333],
    ['gpt2', { n_layer: 8334 }, 'config.n_layer', 8333],
    ['llama', { num_hidden_layers: 1e9 }, 'config.num_hidden_layers', 11110],
    ['llama', { num_hidden_layers: 1e5, attention_bias: true, mlp_bias: true }, 'config.num_hidden_layers', 6249],
  ] as const)('%s %j: refused from the config numbers, before a tensor is listed (MODEL_LIMITS.maxTensors)', (type, config, parameter, max) => {
    const t0 = performance.now();
    const e = expectInvalid(() => presetFromHfConfig({ model_type: type, ...config }), parameter, `[1, ${max}]`);
    expect(e.message).toContain('MODEL_LIMITS.maxTensors');
    expectInvalid(() => hfConfig(type, config), parameter);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('the largest layer count allowed makes a model of at most MODEL_LIMITS.maxTensors tensors', () => {
    expect(gpt2({ n_layer: 8333, n_embd: 2, n_head: 1, vocab_size: 2, n_positions: 2 }).tensors).toHaveLength(8333 * 12 + 4);
    expect(
      llama({ num_hidden_layers: 6249, hidden_size: 2, num_attention_heads: 1, intermediate_size: 2, vocab_size: 2, attention_bias: true, mlp_bias: true })
        .tensors,
    ).toHaveLength(6249 * 16 + 3);
    expect(
      llama({ num_hidden_layers: 11110, hidden_size: 2, num_attention_heads: 1, intermediate_size: 2, vocab_size: 2, tie_word_embeddings: true }).tensors,
    ).toHaveLength(11110 * 9 + 2);
  });
});
