import { InvalidParameterError } from '../errors.js';

/**
 * The nonlinearity names `torch.nn.init.calculate_gain` accepts (pytorch/pytorch torch/nn/init.py).
 * PyTorch's docstring table says "Linear / Identity", but its code does not accept 'identity', so neither do we.
 */
export const NONLINEARITIES = [
  'linear',
  'conv1d',
  'conv2d',
  'conv3d',
  'conv_transpose1d',
  'conv_transpose2d',
  'conv_transpose3d',
  'sigmoid',
  'tanh',
  'relu',
  'leaky_relu',
  'selu',
] as const;

export type Nonlinearity = (typeof NONLINEARITIES)[number];

/** PyTorch's default negative slope for 'leaky_relu' when no param is given. */
export const DEFAULT_LEAKY_RELU_SLOPE = 0.01;

/**
 * The recommended gain for a nonlinearity, with `torch.nn.init.calculate_gain` semantics:
 * linear / conv* / conv_transpose* / sigmoid → 1; tanh → 5/3; relu → √2; selu → 3/4;
 * leaky_relu → √(2 / (1 + slope²)) with `param` as the slope (default 0.01).
 *
 * `param` is read only for 'leaky_relu' (PyTorch ignores it otherwise); when given there it must be a finite
 * number (PyTorch rejects booleans and non-numbers). The arithmetic is PyTorch's, so the doubles match.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number, parameter = 'nonlinearity', paramParameter = 'param'): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      let slope = DEFAULT_LEAKY_RELU_SLOPE;
      if (param !== undefined) {
        if (typeof param !== 'number' || !Number.isFinite(param)) {
          throw new InvalidParameterError(paramParameter, param, 'a finite number (the negative slope of leaky_relu)');
        }
        slope = param;
      }
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu':
      return 3.0 / 4;
    default:
      throw new InvalidParameterError(parameter, nonlinearity, `one of ${NONLINEARITIES.map((n) => `'${n}'`).join(', ')}`);
  }
}
