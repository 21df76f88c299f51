// ONNX graphs of the decoder-only presets (GPT-2, Llama) with the interface of the exports that Optimum writes and
// transformers.js runs, so that both (and ONNX Runtime itself) take them as they are:
// - inputs `input_ids`, `attention_mask`, `position_ids` (int64) and `past_key_values.{i}.key` / `.value`
//   [batch_size, kv_heads, past_sequence_length, head_dim]; outputs `logits` [batch_size, sequence_length, vocab] and
//   `present.{i}.key` / `.value` [batch_size, kv_heads, past_sequence_length + sequence_length, head_dim], with those
//   dimension names (huggingface/optimum-onnx @ 1939f27a, optimum/exporters/onnx/config.py TextDecoderOnnxConfig and
//   TextDecoderWithPositionIdsOnnxConfig, base.py OnnxConfigWithPast.add_past_key_values);
// - transformers.js 4.3 feeds empty past tensors shaped from the input metadata (the dimension named `batch_size`
//   gets the batch, other named ones 0; addPastKeyValues / resolveCacheShape in its dist) and computes position_ids
//   from the attention mask when the graph has that input; it reads `present.*` back as the next `past_key_values.*`.
// Standard operators only, opset 17 (LayerNormalization is opset 17), so the CPU, WASM and WebGPU execution
// providers of ONNX Runtime all run it. The computation follows transformers' modeling code (see
// src/models/decoder.ts for the sources): attention in f32 for f16 models (scores cast up, the mask added, softmax,
// cast down), RMSNorm in f32, rotary tables in f32 (see below).
// Weights are never inside the .onnx: graph inputs (fed GPU buffers without a copy) or external data.

import type { FloatDType } from '../../contract/dtypes.js';
import { UnsupportedError } from '../../errors.js';
import type { DecoderArchitecture } from '../../models/decoder.js';
import { type ExternalDataRef, type OnnxElemType, OnnxGraph, type OnnxValueInfo } from './graph.js';

/** Opset of the default domain the graphs import. */
export const DECODER_OPSET = 17;

/** A weight the graph reads: the Hugging Face tensor name (the preset's), its shape and element type. */
export interface DecoderWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly type: 'float32' | 'float16';
}

export interface DecoderGraphOptions {
  /** The weights' dtype, also the graph's compute dtype (with the f32 islands above). bf16 is refused. */
  readonly dtype: FloatDType;
  /**
   * 'inputs': every weight is a graph input of fixed shape (the zero-copy variant: feed initModel's buffers);
   * a function: every weight is an initializer whose bytes are where the function says (the external-data variant).
   */
  readonly weights: 'inputs' | ((weight: DecoderWeight) => ExternalDataRef);
}

export interface DecoderGraph {
  /** The .onnx file. */
  readonly bytes: Uint8Array;
  /** In the order the preset lists them (and the external-data file stores them). */
  readonly weights: readonly DecoderWeight[];
  /** The graph inputs that are not weights, and the outputs, in order. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly nodes: number;
}

/** The lowest value of a float type, which transformers adds where attention is masked. */
const F32_LOWEST = -3.4028234663852886e38;

/** The ONNX element type of a weight dtype; bf16 has no ONNX Runtime Web kernel or GPU-buffer tensor. */

/** The most positions the rotary cos/sin tables hold: 2 × 32,768 × head_dim / 2 × 4 bytes, 16.8 MB in f32 at head_dim 128. */
export const ROTARY_TABLE_ROWS = 32_768;

export function decoderElemType(dtype: FloatDType): 'float32' | 'float16' {
  if (dtype === 'f32') return 'float32';
  if (dtype === 'f16') return 'float16';
  throw new UnsupportedError(
    "dtype bf16: ONNX Runtime Web has no bfloat16 kernels on its WebGPU execution provider and no bfloat16 GPU-buffer tensors; initialize with dtype 'f16' or 'f32'",
  );
}

/** The tensors (names and shapes, in the preset's order) a decoder of this architecture reads. */
export function decoderWeights(arch: DecoderArchitecture, dtype: FloatDType): DecoderWeight[] {
  const type = decoderElemType(dtype);
  const w: DecoderWeight[] = [];
  const add = (name: string, shape: readonly number[]) => w.push({ name, shape, type });
  const { hiddenSize: h, intermediateSize: inner, vocabSize: v } = arch;
  if (arch.modelType === 'gpt2') {
    add('wte.weight', [v, h]);
    add('wpe.weight', [(arch.positions as { maxPositions: number }).maxPositions, h]);
    for (let i = 0; i < arch.numLayers; i++) {
      const conv = (n: string, nx: number, nf: number) => {
        add(`h.${i}.${n}.weight`, [nx, nf]);
        add(`h.${i}.${n}.bias`, [nf]);
      };
      add(`h.${i}.ln_1.weight`, [h]);
      add(`h.${i}.ln_1.bias`, [h]);
      conv('attn.c_attn', h, 3 * h);
      conv('attn.c_proj', h, h);
      add(`h.${i}.ln_2.weight`, [h]);
      add(`h.${i}.ln_2.bias`, [h]);
      conv('mlp.c_fc', h, inner);
      conv('mlp.c_proj', inner, h);
    }
    add('ln_f.weight', [h]);
    add('ln_f.bias', [h]);
    return w;
  }
  const qDim = arch.numHeads * arch.headDim;
  const kvDim = arch.numKeyValueHeads * arch.headDim;
  add('model.embed_tokens.weight', [v, h]);
  for (let i = 0; i < arch.numLayers; i++) {
    const l = `model.layers.${i}`;
    const linear = (n: string, inF: number, outF: number, bias: boolean) => {
      add(`${l}.${n}.weight`, [outF, inF]);
      if (bias) add(`${l}.${n}.bias`, [outF]);
    };
    linear('self_attn.q_proj', h, qDim, arch.attentionBias);
    linear('self_attn.k_proj', h, kvDim, arch.attentionBias);
    linear('self_attn.v_proj', h, kvDim, arch.attentionBias);
    linear('self_attn.o_proj', qDim, h, arch.attentionBias);
    linear('mlp.gate_proj', h, inner, arch.mlpBias);
    linear('mlp.up_proj', h, inner, arch.mlpBias);
    linear('mlp.down_proj', inner, h, arch.mlpBias);
    add(`${l}.input_layernorm.weight`, [h]);
    add(`${l}.post_attention_layernorm.weight`, [h]);
  }
  add('model.norm.weight', [h]);
  if (!arch.tiedEmbeddings) add('lm_head.weight', [v, h]);
  return w;
}

/** The past/present cache names of layer `i`, as Optimum names them. */
export const pastKeyName = (i: number): string => `past_key_values.${i}.key`;
export const pastValueName = (i: number): string => `past_key_values.${i}.value`;
export const presentKeyName = (i: number): string => `present.${i}.key`;
export const presentValueName = (i: number): string => `present.${i}.value`;

/**
 * The ONNX graph of a GPT-2 or Llama architecture (see the file header for the interface). Every weight of
 * decoderWeights() is read by its Hugging Face name, as a graph input or an external initializer.
 */
export function buildDecoderGraph(arch: DecoderArchitecture, options: DecoderGraphOptions): DecoderGraph {
  const T: OnnxElemType = decoderElemType(options.dtype);
  const half = T === 'float16';
  const g = new OnnxGraph();
  const weights = decoderWeights(arch, options.dtype);
  const { hiddenSize: E, numHeads: H, numKeyValueHeads: KV, headDim: D, vocabSize: V } = arch;
  const rep = H / KV;

  // Inputs, in Optimum's order.
  const inputIds = g.input({ name: 'input_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] });
  const attentionMask = g.input({ name: 'attention_mask', type: 'int64', dims: ['batch_size', 'past_sequence_length + sequence_length'] });
  const positionIds = g.input({ name: 'position_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] });
  const cacheDims = (seq: string) => ['batch_size', KV, seq, D];
  for (let i = 0; i < arch.numLayers; i++) {
    g.input({ name: pastKeyName(i), type: T, dims: cacheDims('past_sequence_length') });
    g.input({ name: pastValueName(i), type: T, dims: cacheDims('past_sequence_length') });
  }
  const W = new Map<string, string>();
  for (const w of weights) {
    const info = { name: w.name, type: w.type, dims: w.shape };
    W.set(w.name, options.weights === 'inputs' ? g.input(info) : g.externalInitializer(info, options.weights(w)));
  }
  const weight = (name: string): string => {
    const n = W.get(name);
    if (n === undefined) throw new Error(`decoder graph: no weight ${name}`);
    return n;
  };

  const i64 = (values: readonly number[], dims?: readonly number[]) => g.constant('int64', values, dims);
  const f32 = (x: number) => g.constant('float32', [x], []);
  const cst = (x: number) => g.constant(T, [x], []);
  const toF32 = (x: string) => (half ? g.op('Cast', [x], { to: 1 }) : x);
  const toT = (x: string) => (half ? g.op('Cast', [x], { to: 10 }) : x);

  // Sizes: [B, S] of the tokens, P (cached positions), T = P + S.
  const bs = g.op('Shape', [inputIds]);
  const seqLen = g.op('Shape', [inputIds], { start: 1, end: 2 });
  const pastLen = g.op('Shape', [pastKeyName(0)], { start: 2, end: 3 });
  const totalLen = g.op('Add', [pastLen, seqLen]);
  const pastScalar = g.op('Squeeze', [pastLen]);
  const totalScalar = g.op('Squeeze', [totalLen]);

  // The additive mask [B, 1, S, T] in f32: 0 where query s (at position P + s) may see key t (t ≤ P + s and
  // attention_mask[b, t] = 1), the lowest f32 elsewhere (transformers fills with the dtype's minimum).
  const keyPos = g.op('Range', [i64([0], []), totalScalar, i64([1], [])]);
  const queryPos = g.op('Range', [pastScalar, totalScalar, i64([1], [])]);
  const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [keyPos, i64([0])]), g.op('Unsqueeze', [queryPos, i64([1])])]);
  const padding = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: 9 }), i64([1, 2])]);
  const allowed = g.op('And', [padding, causal]);
  let maskBias = g.op('Where', [allowed, f32(0), f32(F32_LOWEST)]);
  if (rep > 1) maskBias = g.op('Unsqueeze', [maskBias, i64([1])]); // [B, 1, 1, S, T] against [B, KV, rep, S, T]

  // [N, n·D] → [B, n, S, D] and back.
  const headShapes = new Map<number, string>();
  const toHeads = (x: string, n: number): string => {
    let shape = headShapes.get(n);
    if (!shape) {
      shape = g.op('Concat', [bs, i64([n, D])], { axis: 0 });
      headShapes.set(n, shape);
    }
    return g.op('Transpose', [g.op('Reshape', [x, shape])], { perm: [0, 2, 1, 3] });
  };
  const fromHeads = (x: string): string => g.op('Reshape', [g.op('Transpose', [x], { perm: [0, 2, 1, 3] }), i64([-1, H * D])]);

  // Linear layers on [N, in]: Conv1D weights [in, out] (GPT-2), nn.Linear weights [out, in] (Llama, transB).
  const linear = (x: string, name: string, bias: boolean, transposed: boolean): string => {
    const ins = [x, weight(`${name}.weight`), ...(bias ? [weight(`${name}.bias`)] : [])];
    return g.op('Gemm', ins, transposed ? { transB: 1 } : {});
  };

  const norm = (x: string, name: string): string => {
    if (arch.norm.kind === 'layernorm') {
      return g.op('LayerNormalization', [x, weight(`${name}.weight`), weight(`${name}.bias`)], { axis: -1, epsilon: { float: arch.norm.epsilon } });
    }
    // RMSNorm: x · 1/√(mean(x²) + eps) in f32, back to the compute type, then · weight.
    const xf = toF32(x);
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [xf, xf])], { axes: [-1], keepdims: 1 });
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [meanSquare, f32(arch.norm.epsilon)])])]);
    return g.op('Mul', [toT(g.op('Mul', [xf, inv])), weight(`${name}.weight`)]);
  };

  const activation = (x: string): string => {
    switch (arch.activation) {
      case 'relu':
        return g.op('Relu', [x]);
      case 'silu':
      case 'swish':
        return g.op('Mul', [x, g.op('Sigmoid', [x])]);
      case 'quick_gelu':
        return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, cst(1.702)])])]);
      case 'gelu': {
        const erf = g.op('Erf', [g.op('Mul', [x, cst(Math.SQRT1_2)])]);
        return g.op('Mul', [g.op('Mul', [x, cst(0.5)]), g.op('Add', [erf, cst(1)])]);
      }
      default: {
        // gelu_new, gelu_pytorch_tanh, gelu_fast: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))
        const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
        const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, cst(0.044715)])]), cst(Math.sqrt(2 / Math.PI))]);
        return g.op('Mul', [g.op('Mul', [x, cst(0.5)]), g.op('Add', [g.op('Tanh', [inner]), cst(1)])]);
      }
    }
  };

  // Rotary tables [B, 1, S, D] in the compute type. Positions in [0, max_position_embeddings) read cos/sin tables made
  // here as transformers makes them (the angle position · inv_freq rounded to f32, its cos and sin rounded to f32):
  // WGSL's f32 sin and cos may be 2^-11 off in [-π, π] (gpuweb/gpuweb @ da251f90, wgsl/index.bs, "Floating Point
  // Accuracy"), SwiftShader's are 1.9e-4 off at any angle (scripts/onnx/webgpu-op-accuracy.ts), which moved the Llama
  // logits by 1e-2 on ORT's WebGPU EP. The tables stop at ROTARY_TABLE_ROWS positions (a config with millions of
  // positions would otherwise pass protobuf's 2 GiB); other positions take Cos/Sin of the f32 angle in the graph.
  let cos = '';
  let sin = '';
  if (arch.positions.kind === 'rotary') {
    const { invFreq } = arch.positions;
    const maxPositions = Math.min(arch.positions.maxPositions, ROTARY_TABLE_ROWS);
    const pairs = D / 2;
    const inv = invFreq.map(Math.fround);
    const cosTable = new Float32Array(maxPositions * pairs);
    const sinTable = new Float32Array(maxPositions * pairs);
    for (let p = 0; p < maxPositions; p++) {
      for (let j = 0; j < pairs; j++) {
        const angle = Math.fround(p * inv[j]!);
        cosTable[p * pairs + j] = Math.cos(angle);
        sinTable[p * pairs + j] = Math.sin(angle);
      }
    }
    const inTable = g.op('And', [g.op('GreaterOrEqual', [positionIds, i64([0], [])]), g.op('Less', [positionIds, i64([maxPositions], [])])]);
    const rows = g.op('Where', [inTable, positionIds, i64([0], [])]);
    const useRows = g.op('Unsqueeze', [inTable, i64([2])]);
    const angles = g.op('Mul', [g.op('Unsqueeze', [g.op('Cast', [positionIds], { to: 1 }), i64([2])]), g.constant('float32', invFreq, [pairs])]);
    const rotary = (table: Float32Array, op: 'Cos' | 'Sin'): string => {
      const gathered = g.op('Gather', [g.table(T, table, [maxPositions, pairs]), rows], { axis: 0 });
      const halfTable = g.op('Where', [useRows, gathered, toT(g.op(op, [angles]))]);
      return g.op('Unsqueeze', [g.op('Concat', [halfTable, halfTable], { axis: -1 }), i64([1])]);
    };
    cos = rotary(cosTable, 'Cos');
    sin = rotary(sinTable, 'Sin');
  }
  const rotate = (x: string): string => {
    const first = g.op('Slice', [x, i64([0]), i64([D / 2]), i64([3])]);
    const second = g.op('Slice', [x, i64([D / 2]), i64([D]), i64([3])]);
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: 3 });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };

  // Embeddings → hidden states [N, E].
  let hidden: string;
  if (arch.modelType === 'gpt2') {
    const tokens = g.op('Gather', [weight('wte.weight'), inputIds], { axis: 0 });
    const positions = g.op('Gather', [weight('wpe.weight'), positionIds], { axis: 0 });
    hidden = g.op('Add', [tokens, positions]);
  } else {
    hidden = g.op('Gather', [weight('model.embed_tokens.weight'), inputIds], { axis: 0 });
  }
  hidden = g.op('Reshape', [hidden, i64([-1, E])]);

  const gpt2 = arch.modelType === 'gpt2';
  // The cache outputs, declared after logits (Optimum's order).
  const presents: OnnxValueInfo[] = [];
  for (let i = 0; i < arch.numLayers; i++) {
    const p = gpt2 ? `h.${i}` : `model.layers.${i}`;
    // Attention.
    const a = norm(hidden, gpt2 ? `${p}.ln_1` : `${p}.input_layernorm`);
    let q: string;
    let k: string;
    let v: string;
    if (gpt2) {
      const qkv = linear(a, `${p}.attn.c_attn`, true, false);
      [q, k, v] = g.opN('Split', [qkv, i64([E, E, E])], 3, { axis: 1 }) as [string, string, string];
      q = toHeads(q, H);
      k = toHeads(k, KV);
      v = toHeads(v, KV);
    } else {
      q = rotate(toHeads(linear(a, `${p}.self_attn.q_proj`, arch.attentionBias, true), H));
      k = rotate(toHeads(linear(a, `${p}.self_attn.k_proj`, arch.attentionBias, true), KV));
      v = toHeads(linear(a, `${p}.self_attn.v_proj`, arch.attentionBias, true), KV);
    }
    const keys = g.op('Concat', [pastKeyName(i), k], { axis: 2 }, presentKeyName(i));
    const values = g.op('Concat', [pastValueName(i), v], { axis: 2 }, presentValueName(i));
    presents.push({ name: keys, type: T, dims: cacheDims('past_sequence_length + sequence_length') });
    presents.push({ name: values, type: T, dims: cacheDims('past_sequence_length + sequence_length') });
    // Grouped-query attention without copying the cache: query heads [B, KV, rep, S, D] against keys
    // [B, KV, 1, D, T] (MatMul broadcasts), as repeat_kv pairs them.
    const keysT = g.op('Transpose', [keys], { perm: [0, 1, 3, 2] });
    const scores =
      rep > 1 ? g.op('MatMul', [g.op('Reshape', [q, i64([0, KV, rep, -1, D])]), g.op('Unsqueeze', [keysT, i64([2])])]) : g.op('MatMul', [q, keysT]);
    const weightsF = g.op('Softmax', [g.op('Add', [g.op('Mul', [toF32(scores), f32(arch.attentionScales[i]!)]), maskBias])], { axis: -1 });
    let context = g.op('MatMul', [toT(weightsF), rep > 1 ? g.op('Unsqueeze', [values, i64([2])]) : values]);
    if (rep > 1) context = g.op('Reshape', [context, i64([0, H, -1, D])]);
    const attnOut = gpt2
      ? linear(fromHeads(context), `${p}.attn.c_proj`, true, false)
      : linear(fromHeads(context), `${p}.self_attn.o_proj`, arch.attentionBias, true);
    hidden = g.op('Add', [hidden, attnOut]);
    // MLP.
    const m = norm(hidden, gpt2 ? `${p}.ln_2` : `${p}.post_attention_layernorm`);
    let mlpOut: string;
    if (gpt2) {
      mlpOut = linear(activation(linear(m, `${p}.mlp.c_fc`, true, false)), `${p}.mlp.c_proj`, true, false);
    } else {
      const gate = activation(linear(m, `${p}.mlp.gate_proj`, arch.mlpBias, true));
      mlpOut = linear(g.op('Mul', [gate, linear(m, `${p}.mlp.up_proj`, arch.mlpBias, true)]), `${p}.mlp.down_proj`, arch.mlpBias, true);
    }
    hidden = g.op('Add', [hidden, mlpOut]);
  }

  // LM head on the final norm: logits = h · Eᵀ (tied) or h · lm_headᵀ, in f32.
  const final = norm(hidden, gpt2 ? 'ln_f' : 'model.norm');
  const head = gpt2 || arch.tiedEmbeddings ? (gpt2 ? 'wte.weight' : 'model.embed_tokens.weight') : 'lm_head.weight';
  const logits2d = g.op('Gemm', [final, weight(head)], { transB: 1 });
  const logitsShape = g.op('Concat', [bs, i64([V])], { axis: 0 });
  const logits = g.op('Reshape', [toF32(logits2d), logitsShape], {}, 'logits');
  g.output({ name: logits, type: 'float32', dims: ['batch_size', 'sequence_length', V] });
  for (const p of presents) g.output(p);
  const bytes = g.encode({ opset: DECODER_OPSET, graphName: `webgpu-weight-init ${arch.modelType}`, producerName: 'webgpu-weight-init' });
  const inputNames = [
    'input_ids',
    'attention_mask',
    'position_ids',
    ...Array.from({ length: arch.numLayers }, (_, i) => [pastKeyName(i), pastValueName(i)]).flat(),
  ];
  return { bytes, weights, inputNames, outputNames: [logits, ...presents.map((p) => p.name)], nodes: g.nodeCount };
}
