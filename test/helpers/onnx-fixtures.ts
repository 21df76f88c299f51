// The ONNX reference fixtures (test/output/onnx/fixtures/*.json, written by scripts/onnx/reference.py from PyTorch
// transformers and Python onnxruntime) and what the tests compute from them: the preset's tensors, the weights as
// the pack stores them, logits differences and greedy decoding over any ONNX Runtime build.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DecoderArchitecture, decoderArchitecture } from '../../src/models/decoder.js';
import { gpt2, llama } from '../../src/models/presets.js';
import { type ResolvedTensor, resolveModel } from '../../src/models/spec.js';
import type { ExternalDataLayout } from '../../src/output/onnx/external-data.js';
import { initialize } from '../../src/twin/initialize.js';

export const FIXTURE_NAMES = ['gpt2-tiny', 'llama-tiny-gqa', 'llama-tiny-tied'] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

export interface OnnxFixture {
  name: string;
  config: Record<string, unknown>;
  seed: number;
  batch: { input_ids: number[][]; attention_mask: number[][]; position_ids: number[][] };
  logits: { shape: [number, number, number]; data: number[] };
  greedy: { prompt: number[]; tokens: number[]; eos_token_id: number; contains_eos: boolean };
  onnx_data_sha256: string;
  tokenizer: { text: string; input_ids: number[]; decoded: string };
  onnxruntime: { version: string; max_abs_diff_logits: number; greedy_tokens: number[] };
  versions: Record<string, string>;
}

const DIR = join(import.meta.dirname, '../output/onnx/fixtures');

export function loadFixture(name: FixtureName): OnnxFixture {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as OnnxFixture;
}

/** The preset's resolved tensors for a fixture's config (f32, as the fixtures were made). */
export function fixtureTensors(f: { config: Record<string, unknown> }, dtype: 'f32' | 'f16' = 'f32'): ResolvedTensor[] {
  return resolveModel(f.config['model_type'] === 'gpt2' ? gpt2(f.config, { dtype }) : llama(f.config, { dtype }));
}

export const fixtureArchitecture = (f: { config: Record<string, unknown> }): DecoderArchitecture => decoderArchitecture(f.config);

/** The CPU twin's values of every tensor (what the GPU writes, bit for bit), as f32 arrays by name. */
export function twinWeights(tensors: readonly ResolvedTensor[], seed: bigint): Map<string, Float32Array> {
  return new Map(
    tensors.map((t) => [t.name, initialize({ init: t.init, shape: t.shape, layout: t.layout, seed, stream: t.stream, dtype: 'f32' }) as Float32Array]),
  );
}

/** The weights stored in an external-data file's bytes. */
export function weightsFromData(data: Uint8Array, layout: ExternalDataLayout): Map<string, Float32Array> {
  return new Map(layout.entries.map((e) => [e.name, new Float32Array(data.slice(e.offset, e.offset + e.length).buffer)]));
}

/** max |got − want| over the batch positions the attention mask keeps (padded positions are not compared). */
export function maxLogitsDiff(got: ArrayLike<number>, want: ArrayLike<number>, mask: readonly (readonly number[])[], vocab: number): number {
  let worst = 0;
  mask.forEach((row, b) => {
    row.forEach((m, s) => {
      if (m !== 1) return;
      const base = (b * row.length + s) * vocab;
      for (let v = 0; v < vocab; v++) worst = Math.max(worst, Math.abs(got[base + v]! - want[base + v]!));
    });
  });
  return worst;
}

/** The minimal ONNX Runtime tensor/session surface the greedy loop needs (onnxruntime-node and -web both fit). */
export interface OrtLike<T> {
  Tensor: new (type: string, data: BigInt64Array | Float32Array, dims: readonly number[]) => T;
}
export interface SessionLike<T> {
  run(feeds: Record<string, T>): Promise<Record<string, { data: unknown; dims: readonly number[] }>>;
}

const i64 = (values: readonly number[]) => BigInt64Array.from(values, (v) => BigInt(v));

/** Feeds for a batch with no cache: ids, mask, positions and empty past tensors [B, KV, 0, D]. */
export function batchFeeds<T>(ort: OrtLike<T>, arch: DecoderArchitecture, b: OnnxFixture['batch']): Record<string, T> {
  const B = b.input_ids.length;
  const S = b.input_ids[0]!.length;
  const feeds: Record<string, T> = {
    input_ids: new ort.Tensor('int64', i64(b.input_ids.flat()), [B, S]),
    attention_mask: new ort.Tensor('int64', i64(b.attention_mask.flat()), [B, S]),
    position_ids: new ort.Tensor('int64', i64(b.position_ids.flat()), [B, S]),
  };
  for (let i = 0; i < arch.numLayers; i++) {
    for (const kind of ['key', 'value'])
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [B, arch.numKeyValueHeads, 0, arch.headDim]);
  }
  return feeds;
}

/**
 * Greedy decoding with the cache: the prompt in one run, then one token per run, each run's present.* fed back as
 * past_key_values.*; `extra` (e.g. weight feeds) goes into every run.
 */
export async function greedy<T>(
  ort: OrtLike<T>,
  session: SessionLike<T>,
  arch: DecoderArchitecture,
  prompt: readonly number[],
  count: number,
  extra: Record<string, T> = {},
): Promise<number[]> {
  const tokens: number[] = [];
  let ids = [...prompt];
  let past = batchFeeds(ort, arch, { input_ids: [[0]], attention_mask: [[1]], position_ids: [[0]] });
  for (const k of ['input_ids', 'attention_mask', 'position_ids']) delete past[k];
  let total = 0;
  for (let step = 0; step < count; step++) {
    const n = ids.length;
    const out = await session.run({
      ...extra,
      ...past,
      input_ids: new ort.Tensor('int64', i64(ids), [1, n]),
      attention_mask: new ort.Tensor('int64', i64(new Array(total + n).fill(1)), [1, total + n]),
      position_ids: new ort.Tensor('int64', i64(Array.from({ length: n }, (_, i) => total + i)), [1, n]),
    });
    total += n;
    const logits = out['logits']!.data as Float32Array;
    const V = arch.vocabSize;
    const last = logits.subarray((n - 1) * V, n * V);
    let best = 0;
    for (let v = 1; v < V; v++) if (last[v]! > last[best]!) best = v;
    tokens.push(best);
    ids = [best];
    past = {};
    for (const [name, t] of Object.entries(out)) if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = t as T;
  }
  return tokens;
}
