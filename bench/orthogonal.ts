// Times the orthogonal initializer's core on the GPU (computeOrthogonal) and on the CPU twin
// (orthogonalF32) for n x n matrices, checks that the bits agree and prints max |Q^T Q - I|.
//
//   npx tsx bench/orthogonal.ts [--n 1024] [--seed 42] [--stream 0] [--reps 1] [--cpu-max 1024] [--check auto]
//
// --n        size, or a comma-separated list of sizes (default 1024)
// --reps     GPU runs per size after one warm-up run at that size; the best time is printed (default 1)
// --cpu-max  largest n the CPU twin runs for (default 1024; the CPU twin is O(n^3) in f32-rounded JS)
// --check    full: max |Q^T Q - I| over all pairs of columns (O(n^3) in doubles); sample: the 256 first
//            and 256 random columns against all columns; none. auto (default): full up to 1024, else sample.
//
// The GPU time runs from the call to the queue finishing the work (generation of the Gaussian matrix,
// CGS2, transposes), without the readback. In Node the adapter is a real GPU when Dawn finds one, else
// SwiftShader (a CPU implementation, so GPU numbers there are not GPU speeds).
import { registerWgslHooks } from './wgsl-hooks.js';

// tsx does not know Vite's `?raw` and `?reflect` imports (src/gpu/shader-sources.ts uses them).
registerWgslHooks();

const { createNodeContext } = await import('../src/node.js');
const { computeOrthogonal } = await import('../src/gpu/orthogonal.js');
const { orthogonalF32 } = await import('../src/twin/orthogonal.js');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  if (v === undefined) throw new Error(`--${name} needs a value`);
  return v;
}

const sizes = option('n', '1024').split(',').map((s) => {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--n: not a positive integer: ${s}`);
  return n;
});
const seed = BigInt(option('seed', '42'));
const stream = BigInt(option('stream', '0'));
const reps = Number(option('reps', '1'));
const cpuMax = Number(option('cpu-max', '1024'));
const check = option('check', 'auto');

/** max |q_a . q_b - delta_ab| over the given columns a (against every column b) of a square row-major Q. */
function orthogonalityError(q: Float32Array, n: number, columns: Iterable<number>): number {
  const c = new Float64Array(n * n); // column-major copy
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) c[k * n + i] = q[i * n + k]!;
  let worst = 0;
  for (const a of columns) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += c[a * n + i]! * c[b * n + i]!;
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

function checkedColumns(n: number, mode: string): number[] | null {
  if (mode === 'none') return null;
  if (mode === 'full' || (mode === 'auto' && n <= 1024)) return Array.from({ length: n }, (_, i) => i);
  const picked = new Set<number>();
  for (let i = 0; i < Math.min(n, 256); i++) picked.add(i);
  let x = 12345;
  while (picked.size < Math.min(n, 512)) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    picked.add(x % n);
  }
  return [...picked];
}

const ctx = await createNodeContext();
console.log(`adapter: ${ctx.adapter.description || ctx.adapter.vendor} (fallback: ${ctx.adapter.isFallbackAdapter})`);
try {
  for (const n of sizes) {
    const options = { seed, stream, rows: n, cols: n };
    const runGpu = async () => {
      const t0 = performance.now();
      const buffer = await computeOrthogonal(ctx, options);
      await ctx.device.queue.onSubmittedWorkDone();
      return { buffer, ms: performance.now() - t0 };
    };
    (await runGpu()).buffer.destroy(); // warm-up: pipelines, buffer pools
    let best = Infinity;
    let q: Float32Array | undefined;
    for (let r = 0; r < Math.max(1, reps); r++) {
      const { buffer, ms } = await runGpu();
      best = Math.min(best, ms);
      if (!q) q = await ctx.read(buffer, { count: n * n, dtype: 'f32' });
      buffer.destroy();
    }
    const row: Record<string, unknown> = { n, gpuMs: Math.round(best) };
    if (n <= cpuMax) {
      const t0 = performance.now();
      const cpu = orthogonalF32(options);
      row['cpuMs'] = Math.round(performance.now() - t0);
      const a = new Uint32Array(q!.buffer);
      const b = new Uint32Array(cpu.buffer);
      row['bitIdentical'] = a.every((w, i) => w === b[i]);
    }
    const columns = checkedColumns(n, check);
    if (columns) {
      row[columns.length === n ? 'maxOrthError' : 'maxOrthErrorSampled'] = Number(orthogonalityError(q!, n, columns).toExponential(3));
    }
    console.log(JSON.stringify(row));
  }
} finally {
  ctx.destroy();
}
