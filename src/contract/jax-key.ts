// JAX's PRNG keys as plain data: jax.random.key(seed) for the threefry2x32 (default) and philox4x32
// implementations, split and fold_in, reproduced from jax 0.10.2 (jax/_src/random/threefry2x32.py and
// philox4x32.py) with jax_threefry_partitionable = True, the default since JAX 0.5. A key is two u32 words,
// `jax.random.key_data(key)`. docs/rng.md, "JAX streams", gives the exact layouts.
import { InvalidParameterError } from '../errors.js';
import { philox4x32_10 } from './philox.js';
import { threefry2x32_20 } from './threefry.js';
import { checkIntegerIn } from './validate.js';

/** A JAX PRNG implementation this library reproduces. */
export type JaxImpl = 'threefry2x32' | 'philox4x32';

export const JAX_IMPLS: readonly JaxImpl[] = ['threefry2x32', 'philox4x32'];

/** A JAX key: its implementation and its data, `jax.random.key_data(key)` (two u32 words). */
export interface JaxKey {
  readonly impl: JaxImpl;
  readonly data: readonly [number, number];
}

function checkImpl(impl: unknown, parameter = 'impl'): JaxImpl {
  if (impl !== 'threefry2x32' && impl !== 'philox4x32') throw new InvalidParameterError(parameter, impl, "'threefry2x32' or 'philox4x32'");
  return impl;
}

function makeKey(impl: JaxImpl, k0: number, k1: number): JaxKey {
  return Object.freeze({ impl, data: Object.freeze([k0 >>> 0, k1 >>> 0] as const) });
}

/** Checks a JaxKey (from createJaxKey, splitJaxKey, foldInJaxKey or wrapJaxKeyData) and returns it. */
export function checkJaxKey(key: unknown, parameter = 'key'): JaxKey {
  const k = key as Partial<JaxKey> | null;
  if (k === null || typeof k !== 'object' || !Array.isArray(k.data) || k.data.length !== 2) {
    throw new InvalidParameterError(parameter, key, 'a JAX key { impl, data: [u32, u32] } (createJaxKey(seed), splitJaxKey, foldInJaxKey)');
  }
  checkImpl(k.impl, `${parameter}.impl`);
  for (const [i, w] of k.data.entries()) checkIntegerIn(`${parameter}.data[${i}]`, w, 0, 0xffffffff);
  return k as JaxKey;
}

/**
 * The seed as JAX takes it with its default configuration (jax_enable_x64 off): an integer (number, bigint or
 * decimal string) in [-2^63, 2^64), reduced modulo 2^32 (the key's high half is 0). With x64 on, JAX keeps 64
 * bits; build such a key from its data with wrapJaxKeyData.
 */
function seedWord(seed: unknown): number {
  const accepted = 'an integer in [-2^63, 2^64) (number, bigint or decimal string), as jax.random.key takes it';
  let v: bigint;
  if (typeof seed === 'bigint') v = seed;
  else if (typeof seed === 'number' && Number.isSafeInteger(seed)) v = BigInt(seed);
  else if (typeof seed === 'string' && /^-?[0-9]{1,20}$/.test(seed)) v = BigInt(seed);
  else throw new InvalidParameterError('seed', seed, accepted);
  if (v < -(1n << 63n) || v >= 1n << 64n) throw new InvalidParameterError('seed', seed, accepted);
  return Number(BigInt.asUintN(32, v));
}

/**
 * jax.random.key(seed, impl=...): threefry2x32 keeps the seed as its data [0, seed]; philox4x32 hashes it,
 * data = the first two words of Philox4x32-10 with key (0, 0) and counter (0, seed, 0, 0).
 */
export function createJaxKey(seed: bigint | number | string, impl: JaxImpl = 'threefry2x32'): JaxKey {
  const s = seedWord(seed);
  if (checkImpl(impl) === 'threefry2x32') return makeKey(impl, 0, s);
  const w = philox4x32_10([0, s, 0, 0], [0, 0]);
  return makeKey(impl, w[0]!, w[1]!);
}

/** jax.random.wrap_key_data(data, impl=...): a key from its two data words. */
export function wrapJaxKeyData(data: readonly [number, number], impl: JaxImpl = 'threefry2x32'): JaxKey {
  const key = checkJaxKey({ impl: checkImpl(impl), data: Array.isArray(data) ? [...data] : data }, 'data');
  return makeKey(key.impl, key.data[0], key.data[1]);
}

/**
 * The key hashed from `key` and the counter i < 2^32, which split and fold_in share: Threefry-2x32-20 of the
 * counter (0, i), or the first two words of Philox4x32-10 with counter (0, 0, 0, i).
 */
function childKey(key: JaxKey, i: number): JaxKey {
  if (key.impl === 'threefry2x32') {
    const [a, b] = threefry2x32_20([0, i], key.data);
    return makeKey(key.impl, a, b);
  }
  const w = philox4x32_10([0, 0, 0, i], key.data);
  return makeKey(key.impl, w[0]!, w[1]!);
}

/** Largest number of keys splitJaxKey makes in one call. */
export const MAX_SPLIT = 2 ** 24;

/**
 * jax.random.split(key, num): `num` keys (a count, or a shape whose keys come back flattened in row-major
 * order). Key i is the hash of the counter i: threefry2x32 gives Threefry-2x32-20 of (i >> 32, i mod 2^32),
 * philox4x32 the first two words of Philox4x32-10 with counter (0, 0, i >> 32, i mod 2^32).
 */
export function splitJaxKey(key: JaxKey, num: number | readonly number[] = 2): JaxKey[] {
  checkJaxKey(key);
  const dims = typeof num === 'number' ? [num] : num;
  if (!Array.isArray(dims)) throw new InvalidParameterError('num', num, 'a count or a shape (array of counts)');
  let n = 1;
  dims.forEach((d, i) => {
    n *= checkIntegerIn(typeof num === 'number' ? 'num' : `num[${i}]`, d, 0, MAX_SPLIT);
  });
  if (n > MAX_SPLIT) throw new InvalidParameterError('num', num, `at most ${MAX_SPLIT} keys in all`);
  return Array.from({ length: n }, (_, i) => childKey(key, i));
}

/**
 * jax.random.fold_in(key, data), data a u32 (a Python int JAX converts with jnp.uint32). threefry2x32 hashes the counter (0, data); philox4x32 takes the first two words of Philox4x32-10 with counter
 * (0, 0, 0, data).
 */
export function foldInJaxKey(key: JaxKey, data: number): JaxKey {
  checkJaxKey(key);
  return childKey(key, checkIntegerIn('data', data, 0, 0xffffffff));
}
