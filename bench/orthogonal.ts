// Bench cases orthogonal-N: the orthogonal initializer's core (Q of an N x N Gaussian matrix) on this
// machine, next to PyTorch CPU's torch.nn.init.orthogonal_ measured in the same run.
//
//   npx tsx bench/orthogonal.ts [--n 256,512,1024,2048,4096] [--repeat 3] [--kernel-max auto] [--python python3]
//                               [--torch-threads auto] [--check]
//
// stdout carries the report as one JSON document (adapter, strategy, cores, PyTorch, rows); each row as it
// is measured and the table go to stderr. Rows per size:
//   orthogonal-N          computeOrthogonal on a context with the default strategy: the SIMD CPU path on a
//                         software adapter (SwiftShader here), the WGSL kernels on a GPU. Time from the
//                         call to the queue finishing (generation of A, QR, upload), without readback.
//   orthogonal-N-kernel   computeOrthogonal with strategy 'kernel' (the WGSL kernels) up to --kernel-max
//                         (default: 256 on a software adapter, where the kernels run on the CPU in
//                         SwiftShader; every size on a GPU). Its bits are compared with the default path's.
//   orthogonal-N-torch    torch.nn.init.orthogonal_ on an N x N float32 CPU tensor with
//                         torch.set_num_threads(--torch-threads; auto: os.cpu_count()), timed inside Python
//                         (time.perf_counter), "skipped" when no `--python` (default: python3, then
//                         /usr/bin/python3) imports torch. A list (--torch-threads auto,1) adds rows
//                         orthogonal-N-torch-Tt; the ratio is against the first. PyTorch's speed depends on
//                         the BLAS/LAPACK behind it: Debian's python3-torch alone gets the reference
//                         libblas3/liblapack3; libopenblas0-pthread is what a user would have.
// `--repeat` samples per case after one warm-up: the median is reported with min and max; `ratio` is
// ours / torch of the medians. `--check` adds max |Q^T Q - I| over every pair with 48 sampled columns.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { registerWgslHooks } from './wgsl-hooks.js';

// tsx does not know Vite's `?raw` and `?reflect` imports (src/gpu/shader-sources.ts uses them).
registerWgslHooks();

const { createNodeContext } = await import('../src/node.js');
const { computeOrthogonal } = await import('../src/gpu/orthogonal.js');
const { isSoftwareAdapter } = await import('../src/gpu/context.js');

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  if (v === undefined) throw new Error(`--${name} needs a value`);
  return v;
}

const sizes = option('n', '256,512,1024,2048,4096')
  .split(',')
  .map((s) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--n: not a positive integer: ${s}`);
    return n;
  });
const repeat = Math.max(1, Number(option('repeat', '3')));
const check = process.argv.includes('--check');
const torchThreads = option('torch-threads', 'auto')
  .split(',')
  .map((t) => (t === 'auto' ? 0 : Number(t)));

interface Stats {
  medianMs: number;
  minMs: number;
  maxMs: number;
}
const stats = (ms: number[]): Stats => {
  const s = [...ms].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const round = (x: number) => Math.round(x * 10) / 10;
  return { medianMs: round(median), minMs: round(s[0]!), maxMs: round(s[s.length - 1]!) };
};

const TORCH_SCRIPT = `
import json, os, sys, time, torch
n, repeat, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads if threads > 0 else os.cpu_count())
torch.manual_seed(0)
w = torch.empty(n, n, dtype=torch.float32)
torch.nn.init.orthogonal_(w)
ms = []
for _ in range(repeat):
    t0 = time.perf_counter()
    torch.nn.init.orthogonal_(w)
    ms.append((time.perf_counter() - t0) * 1000)
q = w.double()
err = (q.T @ q - torch.eye(n, dtype=torch.float64)).abs().max().item()
print(json.dumps({"ms": ms, "torch": torch.__version__, "threads": torch.get_num_threads(), "maxOrthError": err}))
`;

/** The first of --python, python3, /usr/bin/python3 that imports torch, or undefined. */
function findPython(): string | undefined {
  const explicit = process.argv.includes('--python') ? [option('python', 'python3')] : ['python3', '/usr/bin/python3'];
  for (const python of explicit) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function torchCase(python: string, n: number, threads: number): { stats: Stats; torch: string; threads: number; maxOrthError: number } {
  const out = execFileSync(python, ['-c', TORCH_SCRIPT, String(n), String(repeat), String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { ms: number[]; torch: string; threads: number; maxOrthError: number };
  return { stats: stats(r.ms), torch: r.torch, threads: r.threads, maxOrthError: r.maxOrthError };
}

/** max |q_a . q_b - delta_ab| over every pair with 48 sampled columns a of a square row-major Q. */
function sampledOrthogonalityError(q: Float32Array, n: number): number {
  const picks = new Set<number>();
  for (let i = 0; i < 16; i++)
    picks
      .add(Math.min(i, n - 1))
      .add(Math.max(0, n - 1 - i))
      .add(Math.floor(((i + 0.5) * n) / 16));
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) c[k * n + i] = q[i * n + k]!;
  let worst = 0;
  for (const a of picks) {
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += c[a * n + i]! * c[b * n + i]!;
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

const ctx = await createNodeContext();
const kernelCtx = await createNodeContext({ strategy: 'kernel' });
const software = isSoftwareAdapter(ctx.adapter);
const kernelMax = option('kernel-max', 'auto') === 'auto' ? (software ? 256 : Infinity) : Number(option('kernel-max', 'auto'));
const python = findPython();
const adapter = `${ctx.adapter.description || ctx.adapter.vendor} (fallback: ${ctx.adapter.isFallbackAdapter})`;
console.error(
  `adapter: ${adapter}; default strategy: ${ctx.strategy}; cores: ${cpus().length}; torch: ${python ? `via ${python}` : 'skipped (no python3 with torch)'}`,
);
const rows: Record<string, unknown>[] = [];
const emit = (row: Record<string, unknown>) => {
  rows.push(row);
  console.error(JSON.stringify(row));
};
try {
  for (const n of sizes) {
    const options = { seed: 42n, stream: 0n, rows: n, cols: n };
    const time = async (c: typeof ctx) => {
      const t0 = performance.now();
      const buffer = await computeOrthogonal(c, options);
      await c.device.queue.onSubmittedWorkDone();
      return { buffer, ms: performance.now() - t0 };
    };
    const measure = async (c: typeof ctx) => {
      (await time(c)).buffer.destroy(); // warm-up: pipelines, module instances, memory
      const ms: number[] = [];
      let q: Float32Array | undefined;
      for (let r = 0; r < repeat; r++) {
        const { buffer, ms: t } = await time(c);
        ms.push(t);
        if (!q) q = await c.read(buffer, { count: n * n, dtype: 'f32' });
        buffer.destroy();
      }
      return { stats: stats(ms), q: q! };
    };
    const ours = await measure(ctx);
    const row: Record<string, unknown> = { case: `orthogonal-${n}`, n, path: ctx.strategy === 'upload' ? 'simd-cpu' : 'kernel', ...ours.stats };
    if (check) row['maxOrthErrorSampled'] = Number(sampledOrthogonalityError(ours.q, n).toExponential(3));
    const torches = python ? torchThreads.map((t) => torchCase(python, n, t)) : [];
    const torch = torches[0];
    const ratio = (t: { stats: Stats }) => (t.stats.medianMs > 0 ? Number((ours.stats.medianMs / t.stats.medianMs).toFixed(2)) : undefined);
    if (torch) row['ratioVsTorch'] = ratio(torch);
    for (const [i, t] of torches.entries()) if (i > 0) row[`ratioVsTorch${t.threads}t`] = ratio(t);
    emit(row);
    if (n <= kernelMax && ctx.strategy !== 'kernel') {
      const kernel = await measure(kernelCtx);
      const a = new Uint32Array(kernel.q.buffer);
      const b = new Uint32Array(ours.q.buffer);
      emit({ case: `orthogonal-${n}-kernel`, n, path: 'kernel', ...kernel.stats, bitIdenticalToDefault: a.every((w, i) => w === b[i]) });
    }
    if (!torch) emit({ case: `orthogonal-${n}-torch`, n, skipped: 'no python3 with torch (Debian: apt-get install python3-torch)' });
    for (const [i, t] of torches.entries()) {
      const id = i === 0 ? `orthogonal-${n}-torch` : `orthogonal-${n}-torch-${t.threads}t`;
      emit({ case: id, n, path: `torch ${t.torch} CPU, ${t.threads} threads`, ...t.stats, maxOrthError: Number(t.maxOrthError.toExponential(3)) });
    }
  }
} finally {
  ctx.destroy();
  kernelCtx.destroy();
}
console.log(
  JSON.stringify(
    {
      command: `npx tsx bench/orthogonal.ts ${process.argv.slice(2).join(' ')}`.trim(),
      date: new Date().toISOString(),
      adapter: { description: ctx.adapter.description, vendor: ctx.adapter.vendor, isFallbackAdapter: ctx.adapter.isFallbackAdapter },
      defaultStrategy: ctx.strategy,
      cores: cpus().length,
      node: process.version,
      torch: python ?? null,
      rows,
    },
    null,
    2,
  ),
);
console.error(
  [
    `${'case'.padEnd(24) + 'median ms'.padStart(10) + 'min'.padStart(8) + 'max'.padStart(8)}  ratio vs torch`,
    ...rows.map(
      (r) =>
        `${String(r['case']).padEnd(24)}${String(r['medianMs'] ?? 'skipped').padStart(10)}${String(r['minMs'] ?? '').padStart(8)}${String(r['maxMs'] ?? '').padStart(8)}  ${r['ratioVsTorch'] ?? ''}`,
    ),
  ].join('\n'),
);
