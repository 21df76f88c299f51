// greedyDecode on onnxruntime-node: the same tokens as the tests' own greedy loop (test/helpers/onnx-fixtures.ts,
// itself held to PyTorch's tokens by test/output/onnx/onnx-pack.test.ts), every tensor it made or got back disposed,
// and bad input refused before any run.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../../src/errors.js';
import { decoderOnnx } from '../../../src/output/onnx/decoder-model.js';
import { greedyDecode } from '../../../src/output/onnx/greedy.js';
import { initialize } from '../../../src/twin/initialize.js';
import { greedy } from '../../helpers/onnx-fixtures.js';

const config = {
  model_type: 'llama',
  vocab_size: 97,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
};

describe('greedyDecode', () => {
  it('picks the tokens the reference loop picks, and disposes every output and cache tensor', async () => {
    const onnx = decoderOnnx(config, { weights: 'inputs' });
    const feeds = Object.fromEntries(
      onnx.weights.map((w, k) => {
        const values = initialize({ init: { kind: 'normal', std: 0.3 }, shape: w.shape, seed: 5, stream: k, dtype: 'f32' });
        return [w.name, new ort.Tensor('float32', values as Float32Array, w.shape)];
      }),
    );
    const session = await ort.InferenceSession.create(onnx.bytes);
    try {
      const arch = onnx.architecture;
      const prompt = [3, 14, 15, 92, 65];
      const want = await greedy(ort, session, arch, prompt, 6, feeds);
      const returned: ort.Tensor[] = [];
      const disposed = new Set<ort.Tensor>();
      const watched = {
        run: async (f: Record<string, ort.Tensor>) => {
          const out = await session.run(f);
          for (const t of Object.values(out)) {
            returned.push(t);
            const dispose = t.dispose.bind(t);
            t.dispose = () => {
              disposed.add(t);
              dispose();
            };
          }
          return out;
        },
      };
      const steps: number[] = [];
      expect(await greedyDecode(ort, watched, arch, prompt, 6, { feeds, onToken: (_t, step) => steps.push(step) })).toEqual(want);
      expect(steps).toEqual([0, 1, 2, 3, 4, 5]);
      expect(returned.length).toBe(6 * (1 + 2 * arch.numLayers));
      expect(returned.filter((t) => !disposed.has(t))).toEqual([]);
    } finally {
      await session.release();
    }
  });

  it.each([
    ['prompt', [], 1],
    ['prompt', [0, 97], 1],
    ['prompt', [1.5], 1],
    ['count', [1], -1],
    ['count', [1], 2.5],
  ])('%s: %j with count %j is an InvalidParameterError before any run', async (parameter, prompt, count) => {
    let runs = 0;
    const session = {
      run: async () => {
        runs++;
        return {};
      },
    };
    const arch = decoderOnnx(config, { weights: 'inputs' }).architecture;
    const err = await greedyDecode(ort, session, arch, prompt as number[], count as number).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidParameterError);
    expect((err as InvalidParameterError).parameter).toBe(parameter);
    expect(runs).toBe(0);
  });
});
