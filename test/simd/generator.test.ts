// The SIMD CPU generator (WebAssembly) against the scalar twin, bit for bit. The scalar twin is held equal
// to the GPU kernels by test/twin and test/gpu, so these tests close the loop GPU == scalar == SIMD; the
// GPU == SIMD comparison is also made directly in test/gpu/host-path.test.ts.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { assembleSimd, binaryModuleText } from '../../scripts/build-simd.js';
import { bits, type Distribution, normal, truncatedNormal, uniform } from '../../src/contract/distributions.js';
import type { DType } from '../../src/contract/dtypes.js';
import { planGenerate, splitPlan } from '../../src/contract/plan.js';
import { createSimdGenerator, type SimdGenerator } from '../../src/simd/generator.js';
import { simdWat } from '../../src/simd/wat.js';
import * as generateTwin from '../../src/twin/generate.js';
import { type GeneratedArray, generate } from '../../src/twin/generate.js';
import * as normalTwin from '../../src/twin/normal.js';
import * as packTwin from '../../src/twin/pack.js';
import * as philoxTwin from '../../src/twin/philox.js';
import * as transformsTwin from '../../src/twin/transforms.js';

const bytesOf = (a: GeneratedArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Index of the first differing element, or -1. */
function firstDifference(a: GeneratedArray, b: GeneratedArray): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = a instanceof Uint16Array ? a : new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = b instanceof Uint16Array ? b : new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

let simd: SimdGenerator;
beforeAll(async () => {
  simd = await createSimdGenerator();
});

describe('SIMD generator module', () => {
  it('the committed binary (src/simd/binary.ts) is what src/simd/wat.ts assembles to', async () => {
    const committed = readFileSync(new URL('../../src/simd/binary.ts', import.meta.url), 'utf8');
    expect(committed).toBe(binaryModuleText(await assembleSimd()));
  });

  it('every WebAssembly function that is not plumbing is named after an export of a scalar twin module', () => {
    const plumbing = new Set(['philox4', 'store4', 'f16x4', 'bf16x4']);
    const twins: Record<string, unknown> = { ...transformsTwin, ...normalTwin, ...packTwin, ...philoxTwin, ...generateTwin };
    const names = [...simdWat().matchAll(/\(func \$(\w+)/g)].map((m) => m[1]!);
    const exported = [...simdWat().matchAll(/\(func \(export "(\w+)"\)/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(8);
    expect(names.filter((n) => !plumbing.has(n) && typeof twins[n] !== 'function')).toEqual([]);
    // The kernels carry the names of the generate.wgsl entry points and their twins.
    expect(exported.filter((n) => n.startsWith('generate'))).toEqual(['generateBits', 'generateUniform', 'generateNormal', 'generateTruncatedNormal']);
  });
});

const dists: [string, Distribution][] = [
  ['bits', bits()],
  ['uniform(-2, 3)', uniform(-2, 3)],
  ['normal(1, 2)', normal(1, 2)],
  ['truncatedNormal(0, 1, -2, 2)', truncatedNormal(0, 1, -2, 2)],
  ['truncatedNormal lower tail [-12, -8] (Acklam branch)', truncatedNormal(0.5, 3, -12, -8)],
  ['truncatedNormal upper tail [4, 7] (mirrored, erfinv tail branch)', truncatedNormal(-1, 0.1, 4, 7)],
  ['truncatedNormal absolute [-0.001, 0.3]', truncatedNormal(0, 0.02, -0.001, 0.3, 'absolute')],
];

const dtypesOf = (d: Distribution): DType[] => (d.kind === 'bits' ? ['u32'] : ['f32', 'f16', 'bf16']);

describe('SIMD generator == scalar twin', () => {
  // Starts at every phase, where a 4-block group's lanes wrap the low counter word, and at the end of
  // the 64-bit element space; counts around the 16-element group and the 2^18-element kernel call.
  const starts = [0n, 1n, 2n, 3n, 5n, (1n << 34n) - 6n, (1n << 34n) - 33n, (1n << 64n) - 77n];
  const counts = [0, 1, 3, 15, 16, 17, 63, 77];

  it.each(dists)('%s: every start phase, carry and count, every dtype', (_, dist) => {
    for (const dtype of dtypesOf(dist)) {
      for (const start of starts) {
        for (const count of counts) {
          if (start + BigInt(count) > 1n << 64n) continue;
          const options = { seed: 0x9e3779b97f4a7c15n, stream: 0xfeedn, start, count, dist, dtype };
          const i = firstDifference(simd.generate(options), generate(options));
          expect(i, `${dtype} start ${start} count ${count}`).toBe(-1);
        }
      }
    }
  });

  it.each(dists)('%s: 300,001 elements from start 7 (several kernel calls), f32 and bf16', (_, dist) => {
    for (const dtype of dist.kind === 'bits' ? (['u32'] as const) : (['f32', 'bf16'] as const)) {
      const options = { seed: 20261129, stream: 3, start: 7, count: 300_001, dist, dtype };
      expect(firstDifference(simd.generate(options), generate(options))).toBe(-1);
    }
  });

  it('f16 packing: subnormal, overflowing, zero and rounding-boundary values take the scalar lanes and agree', () => {
    for (const dist of [uniform(-1e-6, 1e-6), uniform(-1e6, 1e6), normal(0, 0), normal(0, 1e-5), normal(0, 6e4)]) {
      const options = { seed: 11, count: 100_003, start: 1, dist, dtype: 'f16' as const };
      expect(firstDifference(simd.generate(options), generate(options))).toBe(-1);
    }
  });

  it('returns the typed array the scalar twin returns, with nothing but the requested elements', () => {
    const a = simd.generate({ seed: 1, count: 5, dist: normal(), dtype: 'f16' });
    expect(a).toBeInstanceOf(Uint16Array);
    expect(a.length).toBe(5);
    expect(simd.generate({ seed: 1, count: 5, dist: normal() })).toBeInstanceOf(Float32Array);
    expect(simd.generate({ seed: 1, count: 5 })).toBeInstanceOf(Uint32Array);
    expect(bytesOf(simd.generate({ seed: 1, count: 0, dist: uniform() })).length).toBe(0);
  });

  it("rejects bad options with the scalar twin's typed errors", () => {
    expect(() => simd.generate({ seed: -1, count: 4 })).toThrowError(/seed/);
    expect(() => simd.generate({ seed: 1, count: 4, dist: normal(0, NaN) })).toThrowError(/std/);
    expect(() => simd.generate({ seed: 1, count: 4, dist: bits(), dtype: 'f32' })).toThrowError(/dtype/);
  });
});

describe('splitPlan on the SIMD generator', () => {
  it('consecutive slices of a plan produce the whole plan', () => {
    const plan = planGenerate({ seed: 5, stream: 6, start: (1n << 34n) - 13n, count: 1001, dist: normal(0, 0.5) });
    const whole = new Uint32Array(1001);
    simd.run(plan, whole);
    for (const size of [4, 16, 100, 512, 7]) {
      const pieces = splitPlan(plan, size);
      expect(pieces.slice(0, -1).every((p) => p.count === size)).toBe(true);
      expect(pieces.at(-1)!.count).toBe(1001 - size * (pieces.length - 1));
      const out = new Uint32Array(1001);
      let at = 0;
      for (const p of pieces) {
        simd.run(p, out, at);
        at += p.count;
      }
      expect(at).toBe(1001);
      expect(firstDifference(out, whole)).toBe(-1);
    }
  });
});
