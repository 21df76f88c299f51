// A reference forward pass of the GPT-2 and Llama decoders in plain TypeScript (f64), written from transformers'
// modeling code (modeling_gpt2.py, modeling_llama.py; see src/models/decoder.ts for what each step follows) and
// independent of the ONNX graph builder: it reads the weights by name and does the arithmetic itself. The tests check
// it against PyTorch's logits (the committed fixtures) and then check the ONNX graphs against it on configs that have
// no fixture.
import type { DecoderArchitecture } from '../../src/models/decoder.js';

export interface ReferenceBatch {
  readonly inputIds: readonly (readonly number[])[];
  readonly attentionMask: readonly (readonly number[])[];
  readonly positionIds: readonly (readonly number[])[];
}

type Weights = ReadonlyMap<string, ArrayLike<number>>;

/** y[n, out] = x[n, in] · W, with W [in, out] (transposed: W [out, in]), plus bias. */
function linear(x: Float64Array, n: number, inF: number, outF: number, w: ArrayLike<number>, transposed: boolean, bias?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n * outF);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outF; o++) {
      let s = bias ? bias[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * (transposed ? w[o * inF + i]! : w[i * outF + o]!);
      y[r * outF + o] = s;
    }
  }
  return y;
}

function norm(x: Float64Array, n: number, e: number, arch: DecoderArchitecture, w: ArrayLike<number>, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n * e);
  for (let r = 0; r < n; r++) {
    const row = x.subarray(r * e, (r + 1) * e);
    let mean = 0;
    if (arch.norm.kind === 'layernorm') for (const v of row) mean += v / e;
    let v2 = 0;
    for (const v of row) v2 += ((v - mean) * (v - mean)) / e;
    const inv = 1 / Math.sqrt(v2 + arch.norm.epsilon);
    for (let i = 0; i < e; i++) y[r * e + i] = (row[i]! - mean) * inv * w[i]! + (b ? b[i]! : 0);
  }
  return y;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for 1e-6; integrate the series instead (|x| small here) or use the
  // continued fraction for large |x|.
  const t = Math.abs(x);
  if (t > 6) return Math.sign(x);
  let sum = 0;
  let term = t;
  for (let k = 0; k < 200; k++) {
    sum += term / (2 * k + 1);
    term *= (-t * t) / (k + 1);
    if (Math.abs(term) < 1e-17) break;
  }
  return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
}

function act(kind: DecoderArchitecture['activation'], x: number): number {
  switch (kind) {
    case 'relu':
      return Math.max(0, x);
    case 'silu':
    case 'swish':
      return x / (1 + Math.exp(-x));
    case 'quick_gelu':
      return x / (1 + Math.exp(-1.702 * x));
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    default:
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }
}

/** Logits [batch][seq][vocab] of a batch without a cache (transformers' eager attention, the mask as its minimum). */
export function referenceLogits(arch: DecoderArchitecture, weights: Weights, batch: ReferenceBatch): number[][][] {
  const W = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`reference: no weight ${name}`);
    return w;
  };
  const gpt2 = arch.modelType === 'gpt2';
  const { hiddenSize: E, numHeads: H, numKeyValueHeads: KV, headDim: D, vocabSize: V, intermediateSize: I } = arch;
  const rep = H / KV;
  return batch.inputIds.map((ids, b) => {
    const S = ids.length;
    const mask = batch.attentionMask[b]!;
    const pos = batch.positionIds[b]!;
    let h = new Float64Array(S * E);
    for (let s = 0; s < S; s++) {
      for (let e = 0; e < E; e++) {
        h[s * E + e] = gpt2 ? W('wte.weight')[ids[s]! * E + e]! + W('wpe.weight')[pos[s]! * E + e]! : W('model.embed_tokens.weight')[ids[s]! * E + e]!;
      }
    }
    const rope = (x: Float64Array, heads: number) => {
      if (arch.positions.kind !== 'rotary') return;
      const inv = arch.positions.invFreq;
      for (let s = 0; s < S; s++) {
        for (let hh = 0; hh < heads; hh++) {
          const o = s * heads * D + hh * D;
          const v = x.slice(o, o + D);
          for (let j = 0; j < D; j++) {
            const angle = pos[s]! * inv[j % (D / 2)]!;
            const rotated = j < D / 2 ? -v[j + D / 2]! : v[j - D / 2]!;
            x[o + j] = v[j]! * Math.cos(angle) + rotated * Math.sin(angle);
          }
        }
      }
    };
    for (let l = 0; l < arch.numLayers; l++) {
      const p = gpt2 ? `h.${l}` : `model.layers.${l}`;
      const a = gpt2 ? norm(h, S, E, arch, W(`${p}.ln_1.weight`), W(`${p}.ln_1.bias`)) : norm(h, S, E, arch, W(`${p}.input_layernorm.weight`));
      let q: Float64Array;
      let k: Float64Array;
      let v: Float64Array;
      if (gpt2) {
        const qkv = linear(a, S, E, 3 * E, W(`${p}.attn.c_attn.weight`), false, W(`${p}.attn.c_attn.bias`));
        q = new Float64Array(S * E);
        k = new Float64Array(S * E);
        v = new Float64Array(S * E);
        for (let s = 0; s < S; s++) {
          q.set(qkv.subarray(s * 3 * E, s * 3 * E + E), s * E);
          k.set(qkv.subarray(s * 3 * E + E, s * 3 * E + 2 * E), s * E);
          v.set(qkv.subarray(s * 3 * E + 2 * E, s * 3 * E + 3 * E), s * E);
        }
      } else {
        const bias = (n: string) => (arch.attentionBias ? W(`${p}.self_attn.${n}.bias`) : undefined);
        q = linear(a, S, E, H * D, W(`${p}.self_attn.q_proj.weight`), true, bias('q_proj'));
        k = linear(a, S, E, KV * D, W(`${p}.self_attn.k_proj.weight`), true, bias('k_proj'));
        v = linear(a, S, E, KV * D, W(`${p}.self_attn.v_proj.weight`), true, bias('v_proj'));
        rope(q, H);
        rope(k, KV);
      }
      const ctx = new Float64Array(S * H * D);
      const scale = arch.attentionScales[l]!;
      for (let hh = 0; hh < H; hh++) {
        const kh = Math.floor(hh / rep);
        for (let s = 0; s < S; s++) {
          const scores = new Float64Array(S);
          for (let t = 0; t < S; t++) {
            let dot = 0;
            for (let j = 0; j < D; j++) dot += q[s * H * D + hh * D + j]! * k[t * KV * D + kh * D + j]!;
            scores[t] = t <= s && mask[t] === 1 ? dot * scale : -3.4028234663852886e38;
          }
          const m = Math.max(...scores);
          let sum = 0;
          for (let t = 0; t < S; t++) sum += scores[t] = Math.exp(scores[t]! - m);
          for (let j = 0; j < D; j++) {
            let acc = 0;
            for (let t = 0; t < S; t++) acc += (scores[t]! / sum) * v[t * KV * D + kh * D + j]!;
            ctx[s * H * D + hh * D + j] = acc;
          }
        }
      }
      const attnOut = gpt2
        ? linear(ctx, S, E, E, W(`${p}.attn.c_proj.weight`), false, W(`${p}.attn.c_proj.bias`))
        : linear(ctx, S, H * D, E, W(`${p}.self_attn.o_proj.weight`), true, arch.attentionBias ? W(`${p}.self_attn.o_proj.bias`) : undefined);
      h = h.map((x, i) => x + attnOut[i]!);
      const m = gpt2 ? norm(h, S, E, arch, W(`${p}.ln_2.weight`), W(`${p}.ln_2.bias`)) : norm(h, S, E, arch, W(`${p}.post_attention_layernorm.weight`));
      let mlp: Float64Array;
      if (gpt2) {
        const up = linear(m, S, E, I, W(`${p}.mlp.c_fc.weight`), false, W(`${p}.mlp.c_fc.bias`)).map((x) => act(arch.activation, x));
        mlp = linear(up, S, I, E, W(`${p}.mlp.c_proj.weight`), false, W(`${p}.mlp.c_proj.bias`));
      } else {
        const bias = (n: string) => (arch.mlpBias ? W(`${p}.mlp.${n}.bias`) : undefined);
        const gate = linear(m, S, E, I, W(`${p}.mlp.gate_proj.weight`), true, bias('gate_proj'));
        const up = linear(m, S, E, I, W(`${p}.mlp.up_proj.weight`), true, bias('up_proj'));
        mlp = linear(
          gate.map((x, i) => act(arch.activation, x) * up[i]!),
          S,
          I,
          E,
          W(`${p}.mlp.down_proj.weight`),
          true,
          bias('down_proj'),
        );
      }
      h = h.map((x, i) => x + mlp[i]!);
    }
    const f = gpt2 ? norm(h, S, E, arch, W('ln_f.weight'), W('ln_f.bias')) : norm(h, S, E, arch, W('model.norm.weight'));
    const head = gpt2 ? 'wte.weight' : arch.tiedEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    const logits = linear(f, S, E, V, W(head), true);
    return Array.from({ length: S }, (_, s) => Array.from(logits.subarray(s * V, (s + 1) * V)));
  });
}
