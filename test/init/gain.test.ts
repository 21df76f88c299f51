import { describe, expect, it } from 'vitest';
import { calculateGain, NONLINEARITIES, type Nonlinearity } from '../../src/init/gain.js';
import { expectInvalid } from '../helpers/errors.js';

describe('calculateGain (torch.nn.init.calculate_gain)', () => {
  it('matches the PyTorch table', () => {
    // torch/nn/init.py: linear_fns and sigmoid → 1; tanh → 5.0 / 3; relu → math.sqrt(2.0); selu → 3.0 / 4.
    const table: [Nonlinearity, number][] = [
      ['linear', 1],
      ['conv1d', 1],
      ['conv2d', 1],
      ['conv3d', 1],
      ['conv_transpose1d', 1],
      ['conv_transpose2d', 1],
      ['conv_transpose3d', 1],
      ['sigmoid', 1],
      ['tanh', 1.6666666666666667],
      ['relu', Math.SQRT2],
      ['selu', 0.75],
    ];
    for (const [name, gain] of table) expect(calculateGain(name), name).toBe(gain);
    expect(table.map(([n]) => n).sort()).toEqual(
      NONLINEARITIES.filter((n) => n !== 'leaky_relu')
        .slice()
        .sort(),
    );
  });

  it('leaky_relu: sqrt(2 / (1 + slope^2)), default slope 0.01', () => {
    // Values from Python: math.sqrt(2.0 / (1 + s ** 2)).
    expect(calculateGain('leaky_relu')).toBe(1.4141428569978354); // s = 0.01
    expect(calculateGain('leaky_relu', 0.2)).toBe(1.3867504905630728);
    expect(calculateGain('leaky_relu', -0.2)).toBe(1.3867504905630728);
    expect(calculateGain('leaky_relu', 0)).toBe(Math.SQRT2); // kaiming_*'s default a = 0
    expect(calculateGain('leaky_relu', 1)).toBe(1);
    // a = sqrt(5), nn.Linear's default: 1 + sqrt(5)**2 = 6.000000000000001 in doubles.
    expect(calculateGain('leaky_relu', Math.sqrt(5))).toBe(0.5773502691896257);
  });

  it('param is ignored for every other nonlinearity (as in PyTorch)', () => {
    expect(calculateGain('relu', 5)).toBe(Math.SQRT2);
    expect(calculateGain('tanh', 0.3)).toBe(5 / 3);
  });

  it('rejects unknown names and bad slopes', () => {
    expectInvalid(() => calculateGain('gelu' as Nonlinearity), 'nonlinearity');
    expectInvalid(() => calculateGain('identity' as Nonlinearity), 'nonlinearity'); // PyTorch's code rejects it too
    expectInvalid(() => calculateGain('ReLU' as Nonlinearity), 'nonlinearity'); // case-sensitive, as PyTorch
    expectInvalid(() => calculateGain(undefined as unknown as Nonlinearity), 'nonlinearity');
    expectInvalid(() => calculateGain('leaky_relu', true as unknown as number), 'param'); // PyTorch rejects bools
    expectInvalid(() => calculateGain('leaky_relu', '0.2' as unknown as number), 'param');
    expectInvalid(() => calculateGain('leaky_relu', NaN), 'param');
    expectInvalid(() => calculateGain('leaky_relu', Infinity, 'spec.nonlinearity', 'spec.a'), 'spec.a');
    expectInvalid(() => calculateGain('swish' as Nonlinearity, 0, 'spec.nonlinearity', 'spec.a'), 'spec.nonlinearity');
  });

  it('lists the accepted names in the error message', () => {
    expect(() => calculateGain('gelu' as Nonlinearity)).toThrow(/'leaky_relu'.*'selu'/);
  });
});
