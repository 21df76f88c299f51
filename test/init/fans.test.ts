import { describe, expect, it } from 'vitest';
import { computeFans, type FanLayout, numel, validateShape } from '../../src/init/fans.js';
import { expectInvalid } from '../helpers/errors.js';

type Row = readonly [shape: number[], fanIn: number, fanOut: number, receptive: number, what: string];

// PyTorch torch/nn/init.py _calculate_fan_in_and_fan_out: fan_in = size(1)·prod(shape[2:]), fan_out = size(0)·prod(shape[2:]).
const TORCH: Row[] = [
  [[30, 20], 20, 30, 1, 'nn.Linear(20, 30) weight [out, in]'],
  [[33, 16, 3], 16 * 3, 33 * 3, 3, 'nn.Conv1d(16, 33, 3)'],
  [[64, 3, 7, 7], 3 * 49, 64 * 49, 49, 'nn.Conv2d(3, 64, 7) (ResNet stem)'],
  [[33, 16, 3, 5], 16 * 15, 33 * 15, 15, 'nn.Conv2d(16, 33, (3, 5))'],
  [[8, 4, 3, 3, 3], 4 * 27, 8 * 27, 27, 'nn.Conv3d(4, 8, 3)'],
  [[32, 4, 3, 3], 4 * 9, 32 * 9, 9, 'nn.Conv2d(16, 32, 3, groups=4): weight [32, 16/4, 3, 3]'],
  [[16, 32, 3, 3], 32 * 9, 16 * 9, 9, 'nn.ConvTranspose2d(16, 32, 3): weight [in, out, 3, 3], fans swapped'],
  [[5, 0], 0, 5, 1, 'zero-element Linear(0, 5)'],
  [[0, 5, 3], 15, 0, 3, 'zero-element conv'],
];

// Keras keras/src/initializers/random_initializers.py compute_fans: rank 0 → (1, 1), rank 1 → (n, n),
// rank 2 → (shape[0], shape[1]), else receptive = prod(shape[:-2]), fans = shape[-2]·r, shape[-1]·r.
const KERAS: Row[] = [
  [[], 1, 1, 1, 'scalar'],
  [[7], 7, 7, 1, 'vector'],
  [[20, 30], 20, 30, 1, 'Dense(30) on 20 inputs: kernel [in, out]'],
  [[3, 16, 33], 48, 99, 3, 'Conv1D(33, 3) on 16 channels'],
  [[7, 7, 3, 64], 147, 3136, 49, 'Conv2D(64, 7) on 3 channels'],
  [[3, 3, 3, 4, 8], 108, 216, 27, 'Conv3D(8, 3) on 4 channels'],
  [[3, 3, 0, 8], 0, 72, 9, 'zero-element'],
];

// TF.js tfjs-layers/src/initializers.ts computeFans (channelsLast): rank 2 and 3–5 as Keras; otherwise
// fanIn = fanOut = sqrt(prod(shape)).
const TFJS: Row[] = [
  [[], 1, 1, 1, 'scalar: sqrt(1)'],
  [[9], 3, 3, 1, 'vector: sqrt(9), unlike Keras (9, 9)'],
  [[10], Math.sqrt(10), Math.sqrt(10), 1, 'vector: sqrt(10)'],
  [[20, 30], 20, 30, 1, 'dense'],
  [[3, 3, 16, 32], 144, 288, 9, 'conv2d'],
  [[3, 3, 3, 4, 8], 108, 216, 27, 'conv3d (rank 5)'],
  [[2, 2, 2, 2, 2, 2], 8, 8, 1, 'rank 6: sqrt(64)'],
];

describe('computeFans', () => {
  const run = (rows: Row[], layout: FanLayout) => {
    for (const [shape, fanIn, fanOut, receptive, what] of rows) {
      const f = computeFans(shape, layout);
      expect([f.fanIn, f.fanOut, f.receptiveField], `${JSON.stringify(layout)} ${JSON.stringify(shape)}: ${what}`).toEqual([fanIn, fanOut, receptive]);
    }
  };

  it("'torch' layout follows PyTorch's _calculate_fan_in_and_fan_out", () => run(TORCH, 'torch'));
  it("'keras' layout follows Keras compute_fans", () => run(KERAS, 'keras'));
  it("'tfjs' layout follows TF.js computeFans, including sqrt(numel) outside ranks 2-5", () => run(TFJS, 'tfjs'));

  it('a torch shape and its Keras transpose have the same fans', () => {
    // PyTorch conv weight [out, in, kh, kw] ↔ Keras kernel [kh, kw, in, out].
    for (const [out, cin, kh, kw] of [
      [64, 3, 7, 7],
      [33, 16, 3, 5],
      [1, 1, 1, 1],
    ] as const) {
      const t = computeFans([out, cin, kh, kw], 'torch');
      const k = computeFans([kh, kw, cin, out], 'keras');
      expect([t.fanIn, t.fanOut]).toEqual([k.fanIn, k.fanOut]);
    }
  });

  it('explicit axes follow JAX _compute_fans (receptive field = the dims in no axis set)', () => {
    // JAX default in_axis=-2, out_axis=-1 equals the Keras layout for rank >= 2.
    expect(computeFans([3, 3, 16, 32], { inAxis: -2, outAxis: -1 })).toEqual({ fanIn: 144, fanOut: 288, receptiveField: 9 });
    // PyTorch's OIHW read with in_axis=1, out_axis=0.
    expect(computeFans([64, 3, 7, 7], { inAxis: 1, outAxis: 0 })).toEqual({ fanIn: 147, fanOut: 3136, receptiveField: 49 });
    // Flax DenseGeneral-style kernel (in1, in2, out): in_axis=(0, 1).
    expect(computeFans([4, 5, 6], { inAxis: [0, 1], outAxis: -1 })).toEqual({ fanIn: 20, fanOut: 6, receptiveField: 1 });
    // Several output axes, negative indices.
    expect(computeFans([10, 4, 5], { inAxis: 0, outAxis: [-2, -1] })).toEqual({ fanIn: 10, fanOut: 20, receptiveField: 1 });
    // A batch axis (e.g. stacked per-layer kernels) is ignored entirely, as an int or a list.
    expect(computeFans([8, 3, 3, 16, 32], { inAxis: -2, outAxis: -1, batchAxis: [0] })).toEqual({
      fanIn: 144,
      fanOut: 288,
      receptiveField: 9,
    });
    expect(computeFans([8, 3, 3, 16, 32], { inAxis: -2, outAxis: -1, batchAxis: 0 })).toEqual({
      fanIn: 144,
      fanOut: 288,
      receptiveField: 9,
    });
    // Without the batch axis it would count as receptive field.
    expect(computeFans([8, 3, 3, 16, 32], { inAxis: -2, outAxis: -1 }).fanIn).toBe(8 * 9 * 16);
  });

  it('validates shapes: non-negative safe integers, at most 2^53 elements', () => {
    expectInvalid(() => computeFans([3, -1], 'torch'), 'shape[1]');
    expectInvalid(() => computeFans([2, 1.5], 'keras'), 'shape[1]');
    expectInvalid(() => computeFans([NaN, 3], 'keras'), 'shape[0]');
    expectInvalid(() => computeFans([3, Infinity], 'keras'), 'shape[1]');
    expectInvalid(() => computeFans([3, 2 ** 53], 'keras'), 'shape[1]');
    expectInvalid(() => computeFans(['3' as unknown as number, 2], 'keras'), 'shape[0]');
    expectInvalid(() => computeFans(3 as unknown as number[], 'keras'), 'shape');
    expectInvalid(() => computeFans([2 ** 27, 2 ** 27], 'keras'), 'shape'); // 2^54 elements
    expect(computeFans([2 ** 26, 2 ** 27], 'keras').fanIn).toBe(2 ** 26); // exactly 2^53 is allowed
    expect(validateShape([0, 2 ** 52, 2 ** 52])).toEqual([0, 2 ** 52, 2 ** 52]); // zero elements
    expect(numel([0, 2 ** 52, 2 ** 52])).toBe(0);
    expect(numel([])).toBe(1);
    expectInvalid(() => validateShape([1, -0.5], 'weightShape'), 'weightShape[1]');
  });

  it('rank rules: torch and explicit axes need rank >= 2 (as PyTorch and JAX)', () => {
    expectInvalid(() => computeFans([10], 'torch'), 'shape');
    expectInvalid(() => computeFans([], 'torch'), 'shape');
    expectInvalid(() => computeFans([10], { inAxis: 0, outAxis: 0 }), 'shape');
  });

  it('validates layouts and axes', () => {
    expectInvalid(() => computeFans([3, 3], 'oihw' as FanLayout), 'layout');
    expectInvalid(() => computeFans([3, 3], null as unknown as FanLayout), 'layout');
    expectInvalid(() => computeFans([3, 3], { inAxis: 0 } as unknown as FanLayout), 'layout.outAxis');
    expectInvalid(() => computeFans([3, 3], { inAxis: 2, outAxis: 0 }), 'layout.inAxis');
    expectInvalid(() => computeFans([3, 3], { inAxis: -3, outAxis: 0 }), 'layout.inAxis');
    expectInvalid(() => computeFans([3, 3, 3], { inAxis: [0, 1.5], outAxis: 2 }), 'layout.inAxis[1]');
    expectInvalid(() => computeFans([3, 3], { inAxis: 0, outAxis: -2 }), 'layout.outAxis'); // same axis as inAxis
    expectInvalid(() => computeFans([3, 3, 3], { inAxis: 0, outAxis: 1, batchAxis: [1] }), 'layout.batchAxis[0]');
    expectInvalid(() => computeFans([3, 3], { inAxis: '0' as unknown as number, outAxis: 1 }), 'layout.inAxis');
  });
});
