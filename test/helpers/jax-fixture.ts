// The committed known answers of jax.random (scripts/jax/make_fixtures.py writes test/fixtures/jax-random.json)
// and the requests of this library that should give the same bits.

import type { DType, FloatDType } from '../../src/contract/dtypes.js';
import { createJaxKey, foldInJaxKey, type JaxImpl, type JaxKey, splitJaxKey, wrapJaxKeyData } from '../../src/contract/jax-key.js';
import type { JaxDist, JaxRandomRequest } from '../../src/contract/jax-plan.js';
import type { JaxInitializerSpec } from '../../src/init/jax-initializers.js';
import fixtureText from '../fixtures/jax-random.json?raw';

export const JAX_FIXTURE_PATH = new URL('../fixtures/jax-random.json', import.meta.url);

export interface FixtureSample {
  impl: JaxImpl;
  key: [number, number];
  dist: JaxDist;
  dtype: DType;
  shape: number[];
  minval?: number;
  maxval?: number;
  lower?: number;
  upper?: number;
  start?: string;
  count?: number;
  bits: number[];
}

export interface FixtureInitializer {
  impl: JaxImpl;
  key: [number, number];
  init: JaxInitializerSpec;
  shape: number[];
  dtype: FloatDType;
  bits: number[];
}

export interface FixtureFlaxInit {
  model: string;
  impl: JaxImpl;
  seed: number;
  dtype: FloatDType;
  params: Record<string, { shape: number[]; bits: number[] }>;
}

export interface JaxFixture {
  /** The script that wrote the fixture, and the SHA-256 of its bytes when it did. */
  generator: string;
  generator_sha256: string;
  versions: Record<string, string>;
  keys: { seed: number; impl: JaxImpl; data: [number, number] }[];
  chains: { impl: JaxImpl; seed: number; ops: (['split', number | number[], number] | ['fold_in', number])[]; data: [number, number] }[];
  samples: FixtureSample[];
  initializers: FixtureInitializer[];
  flax: FixtureFlaxInit[];
}

/** JSON has no infinities: the fixture writes infinite bounds as the strings "Infinity" and "-Infinity". */
export function parseJaxFixture(text: string): JaxFixture {
  return JSON.parse(text, (_k, v) => (v === 'Infinity' ? Number.POSITIVE_INFINITY : v === '-Infinity' ? Number.NEGATIVE_INFINITY : v)) as JaxFixture;
}

/** The committed fixture (imported as text, so that the device bundle carries it). */
export function loadJaxFixture(): JaxFixture {
  return parseJaxFixture(fixtureText);
}

/** The key a chain of split / fold_in operations ends with. */
export function chainKey(impl: JaxImpl, seed: number, ops: JaxFixture['chains'][number]['ops']): JaxKey {
  let k = createJaxKey(seed, impl);
  for (const op of ops) k = op[0] === 'split' ? splitJaxKey(k, op[1])[op[2]]! : foldInJaxKey(k, op[1]);
  return k;
}

/** The request a fixture sample records. */
export function sampleRequest(s: FixtureSample): JaxRandomRequest {
  const r: JaxRandomRequest = { key: wrapJaxKeyData(s.key, s.impl), shape: s.shape, dist: s.dist, dtype: s.dtype };
  if (s.minval !== undefined) r.minval = s.minval;
  if (s.maxval !== undefined) r.maxval = s.maxval;
  if (s.lower !== undefined) r.lower = s.lower;
  if (s.upper !== undefined) r.upper = s.upper;
  if (s.start !== undefined) {
    r.start = s.start;
    r.count = s.count!;
  }
  return r;
}

/** A short name for a sample, for test messages. */
export function sampleName(s: FixtureSample): string {
  const p = [s.minval, s.maxval, s.lower, s.upper].filter((x) => x !== undefined).join(',');
  return `${s.impl} ${s.dist}(${p}) ${s.dtype} [${s.shape}]${s.start === undefined ? '' : ` from ${s.start}`} key ${s.key}`;
}

/** The stored bits of generated elements: u32 words (bits, f32) or u16 patterns (f16, bf16). */
export function storedBits(a: Uint32Array | Float32Array | Uint16Array): number[] {
  return Array.from(a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : a);
}
