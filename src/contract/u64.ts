import { InvalidParameterError } from '../errors.js';

/** An unsigned 64-bit integer as accepted from callers: bigint, safe-integer number or decimal string. */
export type U64Input = bigint | number | string;

export const U64_MAX = (1n << 64n) - 1n;

/** Parses an unsigned 64-bit integer; throws InvalidParameterError naming `parameter`. */
export function parseU64(value: U64Input, parameter: string): bigint {
  const accepted = 'an unsigned 64-bit integer (bigint, safe-integer number or decimal string) in [0, 2^64 - 1]';
  let v: bigint;
  if (typeof value === 'bigint') {
    v = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new InvalidParameterError(parameter, value, accepted);
    v = BigInt(value);
  } else if (typeof value === 'string') {
    if (!/^[0-9]{1,20}$/.test(value)) throw new InvalidParameterError(parameter, value, accepted);
    v = BigInt(value);
  } else {
    throw new InvalidParameterError(parameter, value, accepted);
  }
  if (v < 0n || v > U64_MAX) throw new InvalidParameterError(parameter, value, accepted);
  return v;
}

/** Splits a 64-bit value into its (low, high) 32-bit words. */
export function splitU64(v: bigint): [number, number] {
  return [Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn)];
}
