// The Flax models of scripts/jax/make_fixtures.py's flax section, described with src/models/flax.ts.
import { type FlaxModel, flaxMlp, flaxTransformerBlock } from '../../src/models/flax.js';

export const FLAX_MODELS: Readonly<Record<string, Record<string, FlaxModel>>> = {
  mlp: {
    // class MLP: Dense(16), Dense(8), Dense(3, use_bias=False) on x of 4 features.
    f32: flaxMlp(4, [16, 8, 3], { outputBias: false }),
    // nn.Sequential([Dense(5, param_dtype=bf16), Dense(2, param_dtype=bf16)]) on x of 3 features.
    bf16: {
      inputFeatures: 3,
      paramDtype: 'bf16',
      layers: [
        { type: 'Dense', features: 5, name: 'layers_0' },
        { type: 'Dense', features: 2, name: 'layers_1' },
      ],
    },
  },
  transformer: {
    // Embed(50, 8), two pre-norm blocks (4 heads, qkv 16, MLP 32), LayerNorm, Dense(50, name='head').
    f32: {
      inputFeatures: 1,
      layers: [
        { type: 'Embed', numEmbeddings: 50, features: 8 },
        flaxTransformerBlock({ features: 8, numHeads: 4, qkvFeatures: 16, mlpFeatures: 32 }),
        flaxTransformerBlock({ features: 8, numHeads: 4, qkvFeatures: 16, mlpFeatures: 32 }),
        { type: 'LayerNorm' },
        { type: 'Dense', features: 50, name: 'head' },
      ],
    },
  },
  cnn: {
    // Conv(8, (3, 3)), Conv(16, (3, 3), feature_group_count=2), Dense(10) on images of 3 channels.
    f32: {
      inputFeatures: 3,
      layers: [
        { type: 'Conv', features: 8, kernelSize: [3, 3] },
        { type: 'Conv', features: 16, kernelSize: [3, 3], featureGroupCount: 2 },
        { type: 'Dense', features: 10 },
      ],
    },
  },
};
