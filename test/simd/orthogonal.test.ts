// The SIMD orthogonal path (src/simd/orthogonal.ts) against the scalar twin, bit for bit, and the
// orthogonality of its results at model sizes (1024^2 to 4096^2, where the twin and the SwiftShader
// kernels are too slow for a test; their bits equal these by the bit-equality tests here and in
// test/gpu/orthogonal.test.ts).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { assembleSimd, binaryModuleText, SIMD_MODULES } from '../../scripts/build-simd.js';
import { InvalidParameterError } from '../../src/errors.js';
import { decodeBase64 } from '../../src/simd/generator.js';
import { createSimdOrthogonal, plainMemoryModule, type SimdOrthogonal } from '../../src/simd/orthogonal.js';
import { ORTHOGONAL_WASM_BASE64 } from '../../src/simd/orthogonal-binary.js';
import { orthogonalWat } from '../../src/simd/orthogonal-wat.js';
import { orthogonalF32 } from '../../src/twin/orthogonal.js';
import { orthogonalityError, sampledOrthogonalityError } from '../helpers/orthogonal.js';

let simd: SimdOrthogonal;
beforeAll(async () => {
  simd = await createSimdOrthogonal();
});

function firstDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe('SIMD orthogonal kernels', () => {
  it('the committed binary (src/simd/orthogonal-binary.ts) is what src/simd/orthogonal-wat.ts assembles to', async () => {
    const committed = readFileSync(new URL('../../src/simd/orthogonal-binary.ts', import.meta.url), 'utf8');
    expect(committed).toBe(binaryModuleText(await assembleSimd(SIMD_MODULES.orthogonal), SIMD_MODULES.orthogonal));
  });

  it('the plain-memory module derived from it is what orthogonalWat(false) assembles to', async () => {
    const plain = await assembleSimd({ ...SIMD_MODULES.orthogonal, wat: () => orthogonalWat(false) });
    expect(Array.from(plainMemoryModule(decodeBase64(ORTHOGONAL_WASM_BASE64)))).toEqual(Array.from(plain));
    const threadsOne = await createSimdOrthogonal({ threads: 1 });
    expect(threadsOne.threads).toBe(1);
    const options = { seed: 6n, rows: 150, cols: 140 };
    expect(firstDifference(await threadsOne.orthogonal(options), orthogonalF32(options))).toBe(-1);
  });

  // Shapes cover m mod 4 (the dot products' masked last quad), m mod 16 (column padding), one and
  // several panels with a partial last one, odd source counts (the 1 x 1 edge tiles) and both transposes.
  it.each([
    [1, 1],
    [1, 7],
    [7, 1],
    [5, 3],
    [3, 5],
    [17, 17],
    [65, 63],
    [63, 130],
    [129, 40],
    [257, 9],
    [300, 200],
    [200, 301],
    [2, 600],
    [131, 131],
    [66, 65],
    [65, 129],
    [640, 600],
  ])('%i x %i equals the scalar twin bit for bit', async (rows, cols) => {
    const options = { seed: 2024n, stream: BigInt(rows * 1000 + cols), rows, cols };
    const got = await simd.orthogonal(options);
    const want = orthogonalF32(options);
    const i = firstDifference(got, want);
    if (i >= 0) expect([i, got[i]]).toEqual([i, want[i]]);
  });

  it('an instance gives the same bits when reused after a larger matrix, and under concurrent calls', async () => {
    const options = { seed: 9n, rows: 70, cols: 90 };
    const first = await simd.orthogonal(options);
    await simd.orthogonal({ seed: 1n, rows: 300, cols: 300 });
    expect(firstDifference(await simd.orthogonal(options), first)).toBe(-1);
    const big = { seed: 4n, stream: 1n, rows: 700, cols: 650 };
    const alone = await simd.orthogonal(big);
    const [x, y, z] = await Promise.all([simd.orthogonal(big), simd.orthogonal(options), simd.orthogonal(big)]);
    expect([firstDifference(x, alone), firstDifference(y, first), firstDifference(z, alone)]).toEqual([-1, -1, -1]);
  });

  it('splits the block projections over the cores where shared memory is available (Node: always)', () => {
    expect(simd.threads).toBe(Math.min(16, Math.max(1, availableParallelism())));
  });

  it('rejects invalid options with InvalidParameterError', async () => {
    await expect(simd.orthogonal({ seed: 1n, rows: 0, cols: 3 })).rejects.toBeInstanceOf(InvalidParameterError);
  });
});

describe('orthogonality at model sizes (SIMD path)', () => {
  it('1024 x 1024: max |Q^T Q - I| <= 1e-5 over all pairs', async () => {
    const q = await simd.orthogonal({ seed: 2024n, stream: 3n, rows: 1024, cols: 1024 });
    const err = orthogonalityError(q, 1024, 1024);
    console.log(`SIMD 1024x1024: max |Q^T Q - I| = ${err.toExponential(3)}`);
    expect(err).toBeLessThanOrEqual(1e-5);
  });

  // Every pair with one of 48 columns: the first 16, the last 16 (the most cancellation) and 16 spread
  // between; the full check is O(n^3) in doubles, too slow here at these sizes.
  const sample = (n: number) => [
    ...new Set([
      ...Array.from({ length: 16 }, (_, i) => i),
      ...Array.from({ length: 16 }, (_, i) => n - 1 - i),
      ...Array.from({ length: 16 }, (_, i) => Math.floor(((i + 0.5) * n) / 16)),
    ]),
  ];
  it.each([
    [2048, 2048],
    [4096, 4096],
    [4096, 1024],
  ])(
    '%i x %i: max |Q^T Q - I| <= 1e-5 over every pair with 48 sampled columns',
    async (rows, cols) => {
      const q = await simd.orthogonal({ seed: 2024n, stream: 5n, rows, cols });
      const err = sampledOrthogonalityError(q, rows, cols, sample(Math.min(rows, cols)));
      console.log(`SIMD ${rows}x${cols}: max |Q^T Q - I| (sampled) = ${err.toExponential(3)}`);
      expect(err).toBeLessThanOrEqual(1e-5);
    },
    240_000,
  );
});
