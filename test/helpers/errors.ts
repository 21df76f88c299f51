import { expect } from 'vitest';
import { InvalidParameterError } from '../../src/errors.js';

/**
 * Calls `fn` and expects an InvalidParameterError naming `parameter` (and, if given, a message containing
 * `messagePart`); returns the error.
 */
export function expectInvalid(fn: () => unknown, parameter: string, messagePart?: string): InvalidParameterError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected InvalidParameterError for ${parameter}`).toBeInstanceOf(InvalidParameterError);
  const err = caught as InvalidParameterError;
  expect(err.parameter).toBe(parameter);
  expect(err.code).toBe('InvalidParameter');
  if (messagePart !== undefined) expect(err.message).toContain(messagePart);
  return err;
}
