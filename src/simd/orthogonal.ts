// The fast CPU path of the orthogonal initializer: the definition of src/twin/orthogonal.ts run with the
// WebAssembly SIMD kernels of src/simd/orthogonal-wat.ts, with the same bits as orthogonalF32 (and as the
// GPU kernels). The Gaussian matrix comes from the SIMD generator; the steps run in the order of
// blockGramSchmidt, each step's arithmetic in the kernels' tiles. test/simd/orthogonal.test.ts holds it
// bit-equal to the scalar twin.
import { normal } from '../contract/distributions.js';
import { UnsupportedError } from '../errors.js';
import {
  blockGramSchmidt,
  inverseNorm,
  PANEL_WIDTH,
  resolveOrthogonal,
  type OrthogonalOptions,
  type Projection,
  type ResolvedOrthogonal,
} from '../twin/orthogonal.js';
import { createSimdGenerator, decodeBase64 } from './generator.js';
import { ORTHOGONAL_WASM_BASE64 } from './orthogonal-binary.js';
import { dotsKernel, ROW_BLOCK, subtractKernel } from './orthogonal-wat.js';

type Kernel = (...args: number[]) => void;

interface OrthogonalExports {
  readonly memory: WebAssembly.Memory;
  readonly scaleColumn: (ptr: number, quads: number, scale: number) => void;
  readonly [name: string]: unknown;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** The compiled module (once per realm); UnsupportedError where WebAssembly SIMD is missing. */
function compileOrthogonalModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    if (typeof WebAssembly !== 'object') throw new UnsupportedError('WebAssembly is not available here');
    try {
      return await WebAssembly.compile(decodeBase64(ORTHOGONAL_WASM_BASE64));
    } catch (e) {
      throw new UnsupportedError(`the SIMD orthogonal path needs WebAssembly SIMD (fixed-width SIMD): ${String(e)}`);
    }
  })();
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

/** Grows the instance's memory to at least `bytes`. */
function reserve(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
}

/**
 * Replaces the n columns of M, held column-major in the instance's memory at `work` with a column stride
 * of `stride` floats (a multiple of ROW_BLOCK), with Q of its thin QR: the steps of blockGramSchmidt.
 * `coeffs` is room for n * min(n, PANEL_WIDTH) + 1 floats.
 */
function orthonormalizeInMemory(e: OrthogonalExports, m: number, n: number, work: number, stride: number, coeffs: number): void {
  const kernel = (name: string) => e[name] as Kernel;
  const dots24 = kernel(dotsKernel(2, 4));
  const dots41 = kernel(dotsKernel(4, 1));
  const dots11 = kernel(dotsKernel(1, 1));
  const subtract42 = kernel(subtractKernel(4, 2));
  const subtract41 = kernel(subtractKernel(4, 1));
  const strideBytes = 4 * stride;
  const quads = m >>> 2;
  const tail = m & 3;
  const blocks = stride / ROW_BLOCK;
  const heap = new Float32Array(e.memory.buffer);
  const normSlot = coeffs + 4 * n * Math.min(n, PANEL_WIDTH);
  const dots = (k: Kernel, a0: number, a1: number, c0: number, c1: number, p: Projection) => {
    if (a1 > a0 && c1 > c0) k(work, strideBytes, quads, tail, a0, a1, c0, c1, coeffs, p.t1 - p.t0, p.s0, p.t0);
  };
  blockGramSchmidt(n, {
    project(p) {
      const w = p.t1 - p.t0;
      const sources = p.s1 - p.s0;
      if (w >= 4) {
        const aEnd = p.s0 + (sources - (sources % 2));
        const cEnd = p.t0 + (w - (w % 4));
        dots(dots24, p.s0, aEnd, p.t0, cEnd, p);
        dots(dots11, aEnd, p.s1, p.t0, p.t1, p);
        dots(dots11, p.s0, aEnd, cEnd, p.t1, p);
      } else {
        const aEnd = p.s0 + (sources - (sources % 4));
        dots(dots41, p.s0, aEnd, p.t0, p.t1, p);
        dots(dots11, aEnd, p.s1, p.t0, p.t1, p);
      }
      const cEnd = p.t0 + (w - (w % 2));
      if (cEnd > p.t0) subtract42(work, strideBytes, blocks, p.s0, p.s1, p.t0, p.t0, cEnd, coeffs, w);
      if (p.t1 > cEnd) subtract41(work, strideBytes, blocks, p.s0, p.s1, p.t0, cEnd, p.t1, coeffs, w);
    },
    normalizeColumn(j) {
      dots11(work, strideBytes, quads, tail, j, j + 1, j, j + 1, normSlot, 1, j, j);
      e.scaleColumn(work + j * strideBytes, Math.ceil(m / 4), inverseNorm(heap[normSlot >>> 2]!));
    },
  });
}

/** Q (row-major rows x cols) of the definition from the Gaussian matrix `a`, on an instance. */
function orthogonalFromSource(e: OrthogonalExports, o: ResolvedOrthogonal, a: Float32Array<ArrayBuffer>): Float32Array<ArrayBuffer> {
  const { m, n } = o;
  const stride = Math.ceil(m / ROW_BLOCK) * ROW_BLOCK;
  const work = 0;
  const coeffs = 4 * n * stride;
  reserve(e.memory, coeffs + 4 * (n * Math.min(n, PANEL_WIDTH) + 1));
  const heap = new Float32Array(e.memory.buffer);
  // M column-major: the columns of A (tall) or its rows (wide: M = A^T).
  if (o.tall) {
    for (let i = 0; i < o.rows; i++) {
      const row = i * o.cols;
      for (let k = 0; k < o.cols; k++) heap[k * stride + i] = a[row + k]!;
    }
  } else {
    for (let r = 0; r < o.rows; r++) heap.set(a.subarray(r * o.cols, (r + 1) * o.cols), r * stride);
  }
  orthonormalizeInMemory(e, m, n, work, stride, coeffs);
  if (o.tall) {
    for (let i = 0; i < o.rows; i++) {
      const row = i * o.cols;
      for (let k = 0; k < o.cols; k++) a[row + k] = heap[k * stride + i]!;
    }
  } else {
    for (let r = 0; r < o.rows; r++) a.set(heap.subarray(r * stride, r * stride + o.cols), r * o.cols);
  }
  return a;
}

/** A loaded SIMD orthogonal path: `orthogonal` has the bits of orthogonalF32. */
export interface SimdOrthogonal {
  orthogonal(options: OrthogonalOptions): Float32Array<ArrayBuffer>;
}

/**
 * Instantiates the SIMD orthogonal path: the same Q as orthogonalF32, bit for bit, many times faster.
 * Each call runs synchronously on the calling thread in the instance's memory (grown to about
 * 4 * max(rows, cols) * min(rows, cols) bytes and kept).
 */
export async function createSimdOrthogonal(): Promise<SimdOrthogonal> {
  const [module, generator] = await Promise.all([compileOrthogonalModule(), createSimdGenerator()]);
  const instance = await WebAssembly.instantiate(module, {});
  const exports = instance.exports as unknown as OrthogonalExports;
  return {
    orthogonal(options) {
      const o = resolveOrthogonal(options);
      const a = generator.generate({ seed: o.seed, stream: o.stream, count: o.rows * o.cols, dist: normal() }) as Float32Array<ArrayBuffer>;
      return orthogonalFromSource(exports, o, a);
    },
  };
}
