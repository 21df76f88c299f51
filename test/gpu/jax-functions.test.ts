// The WGSL functions of the JAX streams on the GPU against their CPU twins, bit for bit: Threefry (with the
// Random123 known answers on the GPU), the exact f32 arithmetic of shaders/xla-math.wgsl (fma, division, square
// root, XLA's log, log1p and erf_inv) and the per-element samplers of shaders/jax.wgsl.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitsToF32, f32ToBits } from '../../src/contract/f32.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { jaxNormalFromUniform, jaxTruncatedNormalFromUniform, jaxUniformFromWord, jaxWord, roundToStored } from '../../src/twin/jax.js';
import { threefry2x32_20 } from '../../src/twin/threefry.js';
import { addRoundOddF32, divRoundedF32, erfInvXla, fmaF32, log1pXla, logXla, sqrtRoundedF32, twoProductF32, twoSumF32 } from '../../src/twin/xla-math.js';
import { runFunctionKernel } from '../helpers/function-harness.js';
import { inErrorScope, nodeContext } from '../helpers/gpu.js';
import { THREEFRY2X32_20_KAT, testWords } from '../helpers/reference.js';

let ctx: WeightInitContext;
beforeAll(async () => {
  ctx = await nodeContext();
});
afterAll(() => ctx?.destroy());

const hex = (a: ArrayLike<number>) => Array.from(a, (x) => (x >>> 0).toString(16).padStart(8, '0'));
const f = Math.fround;

/** Index of the first record whose GPU words differ from `want`, or -1. */
function firstDifference(got: Uint32Array, want: Uint32Array): number {
  return got.findIndex((w, i) => w !== want[i]);
}

/** f32 values of random words in [lo, hi), log-uniform in magnitude when `log` is set. */
function randomF32(n: number, seed: number, lo: number, hi: number, log = false): number[] {
  return Array.from(testWords(n, seed), (w) => {
    const t = w / 2 ** 32;
    return f(log ? lo * (hi / lo) ** t : lo + (hi - lo) * t);
  });
}

describe('shaders/threefry.wgsl on the GPU', () => {
  it('threefry2x32_20 passes the Random123 known-answer vectors on the GPU', async () => {
    await inErrorScope(ctx, async (scope) => {
      const input = new Uint32Array(THREEFRY2X32_20_KAT.flatMap((v) => [...v.ctr, ...v.key]));
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let t = threefry2x32_20(vec2<u32>(input[base], input[base + 1u]), vec2<u32>(input[base + 2u], input[base + 3u]));
         output[obase] = t.x; output[obase + 1u] = t.y;`,
        input,
        4,
        2,
      );
      expect(hex(out)).toEqual(hex(THREEFRY2X32_20_KAT.flatMap((v) => v.out)));
    });
  });

  it('threefry2x32_20 and jaxWord (both implementations) equal the CPU twin on 20,000 random inputs', async () => {
    await inErrorScope(ctx, async (scope) => {
      const n = 20_000;
      const input = testWords(4 * n, 31);
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let c = vec2<u32>(input[base], input[base + 1u]);
         let k = vec2<u32>(input[base + 2u], input[base + 3u]);
         let t = threefry2x32_20(c, k);
         output[obase] = t.x; output[obase + 1u] = t.y;
         output[obase + 2u] = jaxWord(c, k, 0u); output[obase + 3u] = jaxWord(c, k, 1u);`,
        input,
        4,
        4,
      );
      const want = new Uint32Array(4 * n);
      for (let i = 0; i < n; i++) {
        const c: [number, number] = [input[4 * i]!, input[4 * i + 1]!];
        const k: [number, number] = [input[4 * i + 2]!, input[4 * i + 3]!];
        want.set([...threefry2x32_20(c, k), jaxWord(c, k, 0), jaxWord(c, k, 1)], 4 * i);
      }
      expect(firstDifference(out, want)).toBe(-1);
    });
  });
});

/**
 * fma(x, y, c) with x * y a hair off 2^m (so that its rounding p is 2^m) and |c| in [2^(m+24), 2^(m+25)): c + p is
 * then exactly halfway between two f32 values and only the product's rounding error says which way the fused
 * result goes. Adding the error after rounding c + p (without rounding to odd) gets about half of these wrong.
 */
function halfwayFmaCases(n: number, seed: number): [number, number, number][] {
  const w = testWords(3 * n, seed);
  const out: [number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    const x = f(1 + (w[3 * i]! >>> 9) * 2 ** -23);
    const m = (w[3 * i + 1]! % 40) - 20;
    const y = f(2 ** m / x);
    if (f(x * y) !== 2 ** m || x * y === 2 ** m) continue;
    const c = f((1 + w[3 * i + 2]! / 2 ** 32) * 2 ** (m + 24));
    out.push([x, y, i % 2 ? -c : c]);
  }
  return out;
}

/** The functions of shaders/xla-math.wgsl by number, with their twins: one kernel runs them all (one compile). */
const XLA_FUNCTIONS: readonly [string, (a: number, b: number, c: number) => number][] = [
  ['fmaF32(a, b, c)', fmaF32],
  ['twoProductF32(a, b).y', (a, b) => twoProductF32(a, b)[1]],
  ['twoSumF32(a, b).y', (a, b) => twoSumF32(a, b)[1]],
  ['addRoundOddF32(a, b)', addRoundOddF32],
  ['divRoundedF32(a, b)', divRoundedF32],
  ['sqrtRoundedF32(a)', sqrtRoundedF32],
  ['logXla(a)', logXla],
  ['log1pXla(a)', log1pXla],
  ['erfInvXla(a)', erfInvXla],
];
const XLA_OP = Object.fromEntries(XLA_FUNCTIONS.map(([expr], i) => [expr.slice(0, expr.indexOf('(')), i])) as Record<string, number>;

/** Runs each call [function number, a, b, c] on the GPU and compares with the twin, bit for bit. */
async function compareXla(calls: (readonly [number, number, number?, number?])[]): Promise<void> {
  await inErrorScope(ctx, async (scope) => {
    const input = new Uint32Array(calls.flatMap(([op, a, b, c]) => [op, f32ToBits(a), f32ToBits(b ?? 0), f32ToBits(c ?? 0)]));
    const cases = XLA_FUNCTIONS.map(([expr], i) => `case ${i}u: { v = ${expr}; }`).join('\n');
    const out = await runFunctionKernel(
      ctx,
      scope,
      `let a = bitcast<f32>(input[base + 1u]); let b = bitcast<f32>(input[base + 2u]); let c = bitcast<f32>(input[base + 3u]);
       var v = 0.0;
       switch (input[base]) { ${cases} default: {} }
       output[obase] = bitcast<u32>(v);`,
      input,
      4,
      1,
    );
    const want = new Uint32Array(calls.map(([op, a, b, c]) => f32ToBits(XLA_FUNCTIONS[op]![1](a, b ?? 0, c ?? 0))));
    const i = firstDifference(out, want);
    const call = calls[i];
    expect(i, call ? `${XLA_FUNCTIONS[call[0]]![0]} at ${call.slice(1)}: GPU ${bitsToF32(out[i]!)}, CPU ${bitsToF32(want[i]!)}` : '').toBe(-1);
  });
}

describe('shaders/xla-math.wgsl on the GPU', () => {
  it('every function equals its twin: fma (random, cancelling and halfway sums), division, square root, log, log1p, erf_inv', async () => {
    const calls: (readonly [number, number, number?, number?])[] = [];
    // fmaF32: random operands over 60 binades, sums that (nearly) cancel the product, sums halfway between f32s.
    const a = randomF32(20_000, 1, 2 ** -30, 2 ** 30, true);
    const b = randomF32(20_000, 2, 2 ** -30, 2 ** 30, true);
    const c = randomF32(20_000, 3, -1, 1);
    a.forEach((x, i) => {
      const y = b[i]!;
      calls.push([XLA_OP['fmaF32']!, i % 2 ? -x : x, y, c[i]! * 2 ** ((i % 41) - 20)]);
      if (i < 4000) {
        // Sums that (nearly) cancel the product.
        const p = f(x * y);
        calls.push([XLA_OP['fmaF32']!, x, y, -p], [XLA_OP['fmaF32']!, x, y, f(-p * (1 + 2 ** -20))]);
      }
      if (i < 5000) {
        const z = f(c[i]! * 2 ** 20);
        calls.push([XLA_OP['twoProductF32']!, x, z], [XLA_OP['twoSumF32']!, x, z], [XLA_OP['addRoundOddF32']!, x, z]);
      }
    });
    calls.push(...halfwayFmaCases(3000, 12).map(([x, y, z]) => [XLA_OP['fmaF32']!, x, y, z] as const));
    // Division (normal quotients, the functions' domain) and square root: random operands, significands near 1 and 2.
    const edges = [1, 2, 3, 0.5, 1.5, 1 + 2 ** -23, 2 - 2 ** -23, 7, 49, 1e-10, 3e10].map(f);
    for (const x of edges) for (const y of edges) calls.push([XLA_OP['divRoundedF32']!, x, y]);
    a.slice(0, 10_000).forEach((x, i) => {
      calls.push([XLA_OP['divRoundedF32']!, i % 3 ? x : -x, b[i]!], [XLA_OP['sqrtRoundedF32']!, x]);
    });
    // log on (0, 1], log1p on (-1, 0.41) and tiny arguments.
    for (const v of randomF32(10_000, 8, 2 ** -24, 1, true)) calls.push([XLA_OP['logXla']!, v]);
    for (const x of randomF32(10_000, 9, -0.99999994, 0.41)) calls.push([XLA_OP['log1pXla']!, x]);
    for (const x of randomF32(2000, 10, 2 ** -40, 2 ** -20, true)) calls.push([XLA_OP['log1pXla']!, -x]);
    // erf_inv at jax.random.normal's f32 uniforms u = 2k * 2^-23 + nextafter(-1, 0), every 32nd k.
    for (let k = 0; k < 2 ** 23; k += 32) calls.push([XLA_OP['erfInvXla']!, f(k * 2 ** -22 - 0.99999994)]);
    await compareXla(calls);
  });
});

describe('shaders/jax.wgsl on the GPU', () => {
  it('jaxUniformFromWord, jaxNormalFromUniform and jaxTruncatedNormalFromUniform equal their twins in every dtype', async () => {
    const words = testWords(3000, 11);
    const cases: { dtype: number; low: number; range: number; lo: number; hi: number }[] = [
      { dtype: 0, low: f(-0.99999994), range: 2, lo: -2, hi: 2 },
      { dtype: 0, low: f(-0.3), range: f(1), lo: f(-0.5), hi: f(0.25) },
      { dtype: 0, low: f(3.7), range: f(996.4), lo: 0, hi: 3.4028234663852886e38 },
      { dtype: 1, low: roundToStored(-0.99951171875, 1), range: 2, lo: -1, hi: 1 },
      { dtype: 2, low: roundToStored(-0.99609375, 2), range: 2, lo: -1, hi: 1 },
      { dtype: 1, low: roundToStored(-0.3, 1), range: roundToStored(1000, 1), lo: -1, hi: 1 },
      { dtype: 2, low: roundToStored(3.7, 2), range: roundToStored(996, 2), lo: -1, hi: 1 },
    ];
    const records = cases.flatMap((c) => Array.from(words, (w) => [w, f32ToBits(c.low), f32ToBits(c.range), f32ToBits(c.lo), f32ToBits(c.hi), c.dtype]));
    await inErrorScope(ctx, async (scope) => {
      const out = await runFunctionKernel(
        ctx,
        scope,
        `let low = bitcast<f32>(input[base + 1u]); let range = bitcast<f32>(input[base + 2u]);
         let lo = bitcast<f32>(input[base + 3u]); let hi = bitcast<f32>(input[base + 4u]); let dtype = input[base + 5u];
         let u = jaxUniformFromWord(input[base], low, range, dtype);
         output[obase] = bitcast<u32>(u);
         output[obase + 1u] = bitcast<u32>(jaxNormalFromUniform(select(u, 0.5, abs(u) >= 1.0), dtype));
         output[obase + 2u] = bitcast<u32>(jaxTruncatedNormalFromUniform(select(u, -1.0, u >= 1.0), lo, hi, dtype));`,
        new Uint32Array(records.flat()),
        6,
        3,
      );
      const want = new Uint32Array(3 * records.length);
      records.forEach(([w, low, range, lo, hi, dtype], i) => {
        const [l, r, a, b] = [low, range, lo, hi].map((x) => bitsToF32(x!)) as [number, number, number, number];
        const u = jaxUniformFromWord(w!, l, r, dtype!);
        want[3 * i] = f32ToBits(u);
        want[3 * i + 1] = f32ToBits(jaxNormalFromUniform(Math.abs(u) >= 1 ? 0.5 : u, dtype!));
        want[3 * i + 2] = f32ToBits(jaxTruncatedNormalFromUniform(u >= 1 ? -1 : u, a, b, dtype!));
      });
      const i = firstDifference(out, want);
      expect(i, i < 0 ? '' : `record ${Math.floor(i / 3)}: ${records[Math.floor(i / 3)]}`).toBe(-1);
    });
  });
});
