// The ONNX graphs of the decoder presets without a GPU: their weights are the preset's tensors for every config the
// presets take, their interface is Optimum's, configs without a PyTorch fixture run in onnxruntime-node against the
// TypeScript reference forward pass (itself checked against PyTorch in onnx-pack.test.ts), the external-data layout
// and the stand-in tokenizer are valid, and bad input is refused with typed errors before anything runs.
import { fromBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError, UnsupportedError } from '../../../src/errors.js';
import { decoderArchitecture } from '../../../src/models/decoder.js';
import { gpt2, hfSpecialTokenIds, llama } from '../../../src/models/presets.js';
import { resolveModel } from '../../../src/models/spec.js';
import { ROTARY_TABLE_ROWS } from '../../../src/output/onnx/decoder-graph.js';
import { decoderOnnx } from '../../../src/output/onnx/decoder-model.js';
import { EXTERNAL_DATA_LARGE_ALIGNMENT, EXTERNAL_DATA_SMALL_ALIGNMENT, planExternalData } from '../../../src/output/onnx/external-data.js';
import { decoderWeightFeeds } from '../../../src/output/onnx/ort-feeds.js';
import { planOnnxPack } from '../../../src/output/onnx/pack.js';
import { ModelProtoSchema, TensorProto_DataLocation, type ValueInfoProto } from '../../../src/output/onnx/proto/onnx_pb.js';
import { byteLevelTokenizer, byteToUnicode } from '../../../src/output/onnx/tokenizer.js';
import { initialize } from '../../../src/twin/initialize.js';
import { f16BitsToNumber } from '../../../src/twin/pack.js';
import { referenceLogits } from '../../helpers/decoder-reference.js';
import { batchFeeds, maxLogitsDiff, twinWeights } from '../../helpers/onnx-fixtures.js';

const presetOf = (c: Record<string, unknown>) => (c['model_type'] === 'gpt2' ? gpt2(c) : llama(c));

const llamaConfigs = fc
  .record({
    heads: fc.integer({ min: 1, max: 4 }),
    group: fc.integer({ min: 1, max: 3 }),
    headDim: fc.constantFrom(2, 4, 6),
    explicitHeadDim: fc.boolean(),
    layers: fc.integer({ min: 1, max: 3 }),
    inner: fc.integer({ min: 1, max: 20 }),
    vocab: fc.integer({ min: 1, max: 50 }),
    tie: fc.boolean(),
    attentionBias: fc.boolean(),
    mlpBias: fc.boolean(),
  })
  .map((r) => ({
    model_type: 'llama',
    num_key_value_heads: r.heads,
    num_attention_heads: r.heads * r.group,
    hidden_size: r.explicitHeadDim ? 8 : r.heads * r.group * r.headDim,
    ...(r.explicitHeadDim ? { head_dim: r.headDim } : {}),
    num_hidden_layers: r.layers,
    intermediate_size: r.inner,
    vocab_size: r.vocab,
    tie_word_embeddings: r.tie,
    attention_bias: r.attentionBias,
    mlp_bias: r.mlpBias,
  }));
const gpt2Configs = fc
  .record({
    head: fc.integer({ min: 1, max: 4 }),
    d: fc.integer({ min: 1, max: 4 }),
    layers: fc.integer({ min: 1, max: 3 }),
    inner: fc.option(fc.integer({ min: 1, max: 20 })),
  })
  .map((r) => ({ model_type: 'gpt2', n_head: r.head, n_embd: r.head * r.d, n_layer: r.layers, n_inner: r.inner, vocab_size: 40, n_positions: 8 }));

describe('decoderOnnx: weights and interface', () => {
  it("reads exactly the preset's tensors (names, shapes, order) for every config the presets accept", () => {
    fc.assert(
      fc.property(fc.oneof(llamaConfigs, gpt2Configs), fc.constantFrom('f32' as const, 'f16' as const), (config, dtype) => {
        const onnx = decoderOnnx(config, { dtype });
        const preset = resolveModel(presetOf(config));
        expect(onnx.weights.map((w) => [w.name, w.shape])).toEqual(preset.map((t) => [t.name, t.shape]));
        expect(new Set(onnx.weights.map((w) => w.type))).toEqual(new Set([dtype === 'f16' ? 'float16' : 'float32']));
      }),
      { numRuns: 60, seed: 22 },
    );
  });

  it("has Optimum's inputs and outputs with dynamic batch and sequence axes; weights as inputs or external initializers, never inline", () => {
    const config = {
      model_type: 'llama',
      hidden_size: 16,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      num_hidden_layers: 2,
      intermediate_size: 8,
      vocab_size: 30,
    };
    const dims = (t: ValueInfoProto) => {
      const v = t.type?.value;
      if (v?.case !== 'tensorType') throw new Error(`${t.name} is not a tensor`);
      return v.value.shape!.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.value));
    };
    const inputs = fromBinary(ModelProtoSchema, decoderOnnx(config, { weights: 'inputs' }).bytes);
    const g = inputs.graph!;
    expect(inputs.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(g.input.slice(0, 7).map((i) => [i.name, dims(i)])).toEqual([
      ['input_ids', ['batch_size', 'sequence_length']],
      ['attention_mask', ['batch_size', 'past_sequence_length + sequence_length']],
      ['position_ids', ['batch_size', 'sequence_length']],
      ['past_key_values.0.key', ['batch_size', 2, 'past_sequence_length', 4]],
      ['past_key_values.0.value', ['batch_size', 2, 'past_sequence_length', 4]],
      ['past_key_values.1.key', ['batch_size', 2, 'past_sequence_length', 4]],
      ['past_key_values.1.value', ['batch_size', 2, 'past_sequence_length', 4]],
    ]);
    expect(g.output.map((o) => [o.name, dims(o)])).toEqual([
      ['logits', ['batch_size', 'sequence_length', 30]],
      ['present.0.key', ['batch_size', 2, 'past_sequence_length + sequence_length', 4]],
      ['present.0.value', ['batch_size', 2, 'past_sequence_length + sequence_length', 4]],
      ['present.1.key', ['batch_size', 2, 'past_sequence_length + sequence_length', 4]],
      ['present.1.value', ['batch_size', 2, 'past_sequence_length + sequence_length', 4]],
    ]);
    // Only constants are inline: no initializer has a weight's name; all are small (shapes, scalars, rotary
    // frequencies) but the cos and sin tables, [max_position_embeddings (LlamaConfig's 2048), head_dim / 2] in f32.
    const weightNames = new Set(decoderOnnx(config).weights.map((w) => w.name));
    expect(g.initializer.filter((t) => weightNames.has(t.name))).toEqual([]);
    const large = g.initializer.filter((t) => t.rawData.length > 64);
    expect(large.map((t) => [t.dims.map(Number), t.rawData.length])).toEqual([
      [[2048, 2], 2048 * 2 * 4],
      [[2048, 2], 2048 * 2 * 4],
    ]);
    // The tables stop at ROTARY_TABLE_ROWS positions however many the config has (Llama-3.1: 131,072).
    const long = fromBinary(ModelProtoSchema, decoderOnnx({ ...config, max_position_embeddings: 131_072 }, { weights: 'inputs' }).bytes).graph!;
    expect(long.initializer.filter((t) => t.rawData.length > 64).map((t) => t.dims.map(Number))).toEqual([
      [ROTARY_TABLE_ROWS, 2],
      [ROTARY_TABLE_ROWS, 2],
    ]);
    const external = decoderOnnx(config, { weights: 'external' });
    const eg = fromBinary(ModelProtoSchema, external.bytes).graph!;
    const ext = eg.initializer.filter((t) => t.dataLocation === TensorProto_DataLocation.EXTERNAL);
    expect(ext.map((t) => t.name)).toEqual(external.weights.map((w) => w.name));
    for (const t of ext) {
      const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
      const e = external.externalData!.byName.get(t.name)!;
      expect(kv).toEqual({ location: 'model.onnx_data', offset: String(e.offset), length: String(e.length) });
      expect(t.rawData.length).toBe(0);
    }
    expect(eg.input.map((i) => i.name)).toEqual(g.input.slice(0, 7).map((i) => i.name));
  });
});

describe('decoderOnnx in onnxruntime-node against the TypeScript reference on configs without a fixture', () => {
  const cases: Record<string, Record<string, unknown>> = {
    'gpt2, erf gelu, attention scaled by 1/(layer+1), n_inner': {
      model_type: 'gpt2',
      vocab_size: 50,
      n_positions: 16,
      n_embd: 12,
      n_layer: 3,
      n_head: 3,
      n_inner: 20,
      activation_function: 'gelu',
      scale_attn_by_inverse_layer_idx: true,
      initializer_range: 0.3,
    },
    'llama, 6 query heads on 3 kv heads, linear rope, relu, untied, rope_parameters (transformers v5)': {
      model_type: 'llama',
      vocab_size: 40,
      hidden_size: 24,
      intermediate_size: 10,
      num_hidden_layers: 2,
      num_attention_heads: 6,
      num_key_value_heads: 3,
      hidden_act: 'relu',
      rope_parameters: { rope_type: 'linear', factor: 2, rope_theta: 1000 },
      initializer_range: 0.3,
    },
    'llama, positions 0-2 from the rotary tables, 3-4 beyond max_position_embeddings from Cos/Sin in the graph': {
      model_type: 'llama',
      vocab_size: 40,
      hidden_size: 16,
      intermediate_size: 12,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      max_position_embeddings: 3,
      rope_theta: 3,
      initializer_range: 0.3,
    },
    'llama, multi-head, quick_gelu, tied, mlp bias': {
      model_type: 'llama',
      vocab_size: 40,
      hidden_size: 16,
      intermediate_size: 12,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      hidden_act: 'quick_gelu',
      tie_word_embeddings: true,
      mlp_bias: true,
      initializer_range: 0.3,
    },
  };
  const batch = {
    input_ids: [
      [3, 9, 1, 7, 2],
      [0, 0, 4, 5, 6],
    ],
    attention_mask: [
      [1, 1, 1, 1, 1],
      [0, 0, 1, 1, 1],
    ],
    position_ids: [
      [0, 1, 2, 3, 4],
      [1, 1, 0, 1, 2],
    ],
  };
  it.each(Object.entries(cases))('%s', async (_, config) => {
    const arch = decoderArchitecture(config);
    const weights = twinWeights(resolveModel(presetOf(config)), 7n);
    const onnx = decoderOnnx(config);
    const session = await ort.InferenceSession.create(onnx.bytes);
    try {
      const feeds = Object.fromEntries(onnx.weights.map((w) => [w.name, new ort.Tensor('float32', weights.get(w.name)!, w.shape)]));
      const got = (await session.run({ ...batchFeeds(ort, arch, batch), ...feeds }))['logits']!.data as Float32Array;
      const want = referenceLogits(arch, weights, { inputIds: batch.input_ids, attentionMask: batch.attention_mask, positionIds: batch.position_ids });
      const diff = maxLogitsDiff(got, want.flat(2), batch.attention_mask, arch.vocabSize);
      const scale = Math.max(...want.flat(2).map(Math.abs));
      expect(scale).toBeGreaterThan(0.1); // the weights are large enough for the logits to say something
      expect(diff).toBeLessThan(1e-4 * scale);
    } finally {
      await session.release();
    }
  });
});

describe('f16 graphs (f16 weights, activations and cache; norms, rotary tables and softmax in f32; f32 logits)', () => {
  it.each([
    {
      model_type: 'llama',
      vocab_size: 40,
      hidden_size: 16,
      intermediate_size: 12,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      initializer_range: 0.3,
    },
    { model_type: 'gpt2', vocab_size: 40, n_embd: 16, n_layer: 2, n_head: 4, n_positions: 16, initializer_range: 0.3 },
  ])('%j in onnxruntime-node: logits within 0.5% of the largest, against the f64 reference on the same f16 values', async (config) => {
    const arch = decoderArchitecture(config);
    const tensors = resolveModel(config.model_type === 'gpt2' ? gpt2(config, { dtype: 'f16' }) : llama(config, { dtype: 'f16' }));
    const bits = new Map(
      tensors.map((t) => [t.name, initialize({ init: t.init, shape: t.shape, layout: t.layout, seed: 3n, stream: t.stream, dtype: 'f16' }) as Uint16Array]),
    );
    const onnx = decoderOnnx(config, { dtype: 'f16' });
    const session = await ort.InferenceSession.create(onnx.bytes);
    try {
      const batch = { input_ids: [[3, 9, 1, 7, 2]], attention_mask: [[1, 1, 1, 1, 1]], position_ids: [[0, 1, 2, 3, 4]] };
      const feeds: Record<string, ort.Tensor> = batchFeeds(ort, arch, batch);
      for (const k of Object.keys(feeds)) if (k.startsWith('past')) feeds[k] = new ort.Tensor('float16', new Uint16Array(0), feeds[k]!.dims);
      for (const w of onnx.weights) feeds[w.name] = new ort.Tensor('float16', bits.get(w.name)!, w.shape);
      const out = await session.run(feeds);
      expect([out['logits']!.type, out['present.0.key']!.type]).toEqual(['float32', 'float16']);
      const want = referenceLogits(arch, new Map([...bits].map(([k, v]) => [k, Array.from(v, f16BitsToNumber)])), {
        inputIds: batch.input_ids,
        attentionMask: batch.attention_mask,
        positionIds: batch.position_ids,
      });
      const scale = Math.max(...want.flat(2).map(Math.abs));
      // Measured: 1.7e-3 (Llama) and 0.7e-3 (GPT-2) of the largest logit: f16 rounding of the activations.
      expect(maxLogitsDiff(out['logits']!.data as Float32Array, want.flat(2), batch.attention_mask, arch.vocabSize)).toBeLessThan(5e-3 * scale);
    } finally {
      await session.release();
    }
  });
});

describe('bad input is refused with typed errors before anything runs', () => {
  const tiny = { model_type: 'llama', hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 4, vocab_size: 300 };
  it('bf16: no ONNX Runtime Web kernels or GPU-buffer tensors', () => {
    expect(() => decoderOnnx(tiny, { dtype: 'bf16' })).toThrow(UnsupportedError);
    expect(() => planOnnxPack(tiny, resolveModel(llama(tiny, { dtype: 'bf16' })))).toThrow(/bf16/);
    const fakeModel = { get: () => ({ dtype: 'bf16', shape: [300, 8] }) } as never;
    expect(() => decoderWeightFeeds({ Tensor: { fromGpuBuffer: () => ({}) } }, decoderOnnx(tiny), fakeModel)).toThrow(UnsupportedError);
  });
  it('computations the graphs do not build name the config field', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...tiny, rope_scaling: { rope_type: 'dynamic', factor: 2 } }, /config\.rope_scaling\.rope_type/],
      [{ ...tiny, rope_parameters: { rope_type: 'yarn', factor: 2 } }, /config\.rope_parameters\.rope_type/],
      [{ ...tiny, hidden_act: 'mish' }, /config\.hidden_act/],
      [{ ...tiny, partial_rotary_factor: 0.5 }, /config\.partial_rotary_factor/],
      [{ ...tiny, head_dim: 3 }, /config\.head_dim/],
      [{ model_type: 'gpt2', activation_function: 'tanh' }, /config\.activation_function/],
      [{ model_type: 'gpt2', add_cross_attention: true }, /config\.add_cross_attention/],
      [{ ...tiny, rms_norm_eps: -1 }, /config\.rms_norm_eps/],
      [{ ...tiny, model_type: 'bert' }, /config\.model_type/],
    ];
    for (const [config, message] of bad) expect(() => decoderOnnx(config), JSON.stringify(config)).toThrow(message);
    for (const [config] of bad) expect(() => decoderOnnx(config)).toThrow(InvalidParameterError);
  });
  it("the pack needs the preset's tensors in order, one dtype, and room for the tokenizer's bytes", () => {
    const tensors = resolveModel(llama(tiny));
    expect(() => planOnnxPack(tiny, tensors.slice(1))).toThrow(/tensors\[0\]/);
    expect(() => planOnnxPack(tiny, [...tensors].reverse())).toThrow(InvalidParameterError);
    expect(() =>
      planOnnxPack(
        tiny,
        tensors.map((t, i) => (i === 1 ? { ...t, dtype: 'f16' as const } : t)),
      ),
    ).toThrow(/tensors\[1\]\.dtype/);
    const small = { ...tiny, vocab_size: 200 };
    expect(() => planOnnxPack(small, resolveModel(llama(small)))).toThrow(/config\.vocab_size.*at least 258/);
  });
});

describe('pieces', () => {
  it('external data: large weights at 64 KiB boundaries, small ones at 64 bytes, in order, without overlap', () => {
    const layout = planExternalData('model.onnx_data', [
      { name: 'a', bytes: 10 },
      { name: 'b', bytes: 1 << 20 },
      { name: 'c', bytes: 6 },
      { name: 'd', bytes: 0 },
      { name: 'e', bytes: 3 << 20 },
    ]);
    expect(layout.entries.map((e) => [e.name, e.offset, e.length])).toEqual([
      ['a', 0, 10],
      ['b', EXTERNAL_DATA_LARGE_ALIGNMENT, 1 << 20],
      ['c', EXTERNAL_DATA_LARGE_ALIGNMENT + (1 << 20), 6],
      ['d', EXTERNAL_DATA_LARGE_ALIGNMENT + (1 << 20) + EXTERNAL_DATA_SMALL_ALIGNMENT, 0],
      ['e', 2 * EXTERNAL_DATA_LARGE_ALIGNMENT + (1 << 20), 3 << 20],
    ]);
    expect(layout.bytes).toBe(2 * EXTERNAL_DATA_LARGE_ALIGNMENT + (4 << 20));
    expect(() => planExternalData('../x', [])).toThrow(/location/);
  });

  it.each([
    [300, 299, 299],
    [320, 1, 2],
    [32000, 1, 2],
    [50257, 50256, 50256],
    [70000, 0, 69999],
  ])('the byte-level tokenizer of vocab %i (bos %i, eos %i) gives every id one token, reachable by merges', (vocabSize, bos, eos) => {
    const t = byteLevelTokenizer({ vocabSize, bosTokenId: bos, eosTokenId: eos, maxLength: 64 });
    const model = t.tokenizer['model'] as { vocab: Record<string, number>; merges: string[] };
    const ids = Object.values(model.vocab).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: vocabSize }, (_, i) => i));
    const bytes = byteToUnicode();
    expect(new Set(bytes).size).toBe(256);
    expect(bytes.filter((b) => model.vocab[b] === undefined)).toEqual([]);
    // Every merge joins two tokens that exist into one that exists, and has no space inside a part.
    const bad = model.merges.filter((m) => {
      const [a, b, rest] = m.split(' ');
      return rest !== undefined || model.vocab[a!] === undefined || model.vocab[b!] === undefined || model.vocab[a! + b!] === undefined;
    });
    expect(bad).toEqual([]);
    expect(model.merges.length).toBe(vocabSize - 256 - (bos === eos ? 1 : 2));
    const added = t.tokenizer['added_tokens'] as { id: number; special: boolean }[];
    expect(added.map((a) => a.id).sort((a, b) => a - b)).toEqual([...new Set([bos, eos])].sort((a, b) => a - b));
  });

  it('hfSpecialTokenIds: HF defaults inside a small vocabulary become its last id; given ids must be inside', () => {
    expect(hfSpecialTokenIds('gpt2', { vocab_size: 300 })).toEqual({ bosTokenId: 299, eosTokenId: 299 });
    expect(hfSpecialTokenIds('gpt2')).toEqual({ bosTokenId: 50256, eosTokenId: 50256 });
    expect(hfSpecialTokenIds('llama', { vocab_size: 300 })).toEqual({ bosTokenId: 1, eosTokenId: 2 });
    expect(hfSpecialTokenIds('llama', { vocab_size: 2 })).toEqual({ bosTokenId: 1, eosTokenId: 1 });
    expect(hfSpecialTokenIds('llama', { eos_token_id: [5, 6] })).toEqual({ bosTokenId: 1, eosTokenId: 5 });
    expect(() => hfSpecialTokenIds('llama', { vocab_size: 300, eos_token_id: 300 })).toThrow(/config\.eos_token_id/);
  });
});
