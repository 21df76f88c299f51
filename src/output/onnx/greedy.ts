// Greedy decoding on a decoder graph (decoderOnnx) in ONNX Runtime, Web or Node: the prompt in one run, then one
// token per run, each run's present.* fed back as the next run's past_key_values.*. Browser-safe; ONNX Runtime is
// passed in, never imported.
import { InvalidParameterError } from '../../errors.js';
import type { DecoderArchitecture } from '../../models/decoder.js';
import { pastKeyName, pastValueName } from './decoder-graph.js';

/** The parts of an ONNX Runtime tensor used here. */
export interface GreedyTensor {
  readonly data: unknown;
  dispose(): void;
}

/** The parts of an ONNX Runtime module (onnxruntime-web, onnxruntime-node) used here. */
export interface GreedyOrt<T extends GreedyTensor> {
  Tensor: new (type: 'int64' | 'float32' | 'float16', data: BigInt64Array | Float32Array | Uint16Array, dims: readonly number[]) => T;
}

/** The parts of an ONNX Runtime inference session used here. */
export interface GreedySession<T extends GreedyTensor> {
  run(feeds: Record<string, T>): Promise<Record<string, T>>;
}

export interface GreedyDecodeOptions<T extends GreedyTensor> {
  /** Fed to every run besides the tokens and the cache: the weights of a graph built with weights 'inputs'. */
  feeds?: Record<string, T>;
  /** The cache's element type: the graph's weight type ('float16' for an f16 graph; default 'float32'). */
  cacheType?: 'float32' | 'float16';
  /** Called with each token as it is chosen (step 0: the prompt's). */
  onToken?: (token: number, step: number) => void;
}

const i64 = (values: readonly number[]) => BigInt64Array.from(values, (v) => BigInt(v));

/**
 * The `count` tokens a decoder graph picks greedily (the argmax of the last position's logits) after `prompt`, with
 * its key/value cache. Every tensor made or returned here is disposed once it is no longer needed; `options.feeds`
 * stay the caller's.
 */
export async function greedyDecode<T extends GreedyTensor>(
  ort: GreedyOrt<T>,
  session: GreedySession<T>,
  arch: Pick<DecoderArchitecture, 'numLayers' | 'numKeyValueHeads' | 'headDim' | 'vocabSize'>,
  prompt: readonly number[],
  count: number,
  options: GreedyDecodeOptions<T> = {},
): Promise<number[]> {
  const V = arch.vocabSize;
  if (!Array.isArray(prompt) || prompt.length === 0 || !prompt.every((t) => Number.isInteger(t) && t >= 0 && t < V)) {
    throw new InvalidParameterError('prompt', prompt, `a non-empty array of token ids in [0, ${V - 1}]`);
  }
  if (!Number.isSafeInteger(count) || count < 0) throw new InvalidParameterError('count', count, 'a non-negative integer');
  const cacheType = options.cacheType ?? 'float32';
  let past: Record<string, T> = {};
  for (let i = 0; i < arch.numLayers; i++) {
    for (const name of [pastKeyName(i), pastValueName(i)]) {
      const empty = cacheType === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      past[name] = new ort.Tensor(cacheType, empty, [1, arch.numKeyValueHeads, 0, arch.headDim]);
    }
  }
  const tokens: number[] = [];
  let ids = [...prompt];
  let total = 0;
  try {
    for (let step = 0; step < count; step++) {
      const n = ids.length;
      const out = await session.run({
        ...options.feeds,
        ...past,
        input_ids: new ort.Tensor('int64', i64(ids), [1, n]),
        attention_mask: new ort.Tensor('int64', i64(new Array<number>(total + n).fill(1)), [1, total + n]),
        position_ids: new ort.Tensor('int64', i64(Array.from({ length: n }, (_, i) => total + i)), [1, n]),
      });
      total += n;
      const last = (out['logits']!.data as Float32Array).subarray((n - 1) * V, n * V);
      let best = 0;
      for (let v = 1; v < V; v++) if (last[v]! > last[best]!) best = v;
      tokens.push(best);
      for (const t of Object.values(past)) t.dispose();
      past = {};
      for (const [name, t] of Object.entries(out)) {
        if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = t;
        else t.dispose();
      }
      ids = [best];
      options.onToken?.(best, step);
    }
  } finally {
    for (const t of Object.values(past)) t.dispose();
  }
  return tokens;
}
