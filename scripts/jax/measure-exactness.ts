// How exactly the library reproduces jax.random's float samplers: every row of scripts/jax/dump_exactness.py's
// output compared bit for bit with the CPU twin (and with --gpu, the stream rows with the WGSL kernels too).
//
//   python scripts/jax/dump_exactness.py DIR [N]       (jax 0.10.2 on the CPU; N defaults to 10^7)
//   npx tsx scripts/jax/measure-exactness.ts DIR [--gpu] [--json FILE]
//
// For each row: the number of elements whose bits differ and the largest difference in ulps (the distance of the
// two values in the ordered list of values of the dtype).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerWgslHooks } from '../../bench/wgsl-hooks.js';
import { DTYPE_CODE, type FloatDType } from '../../src/contract/dtypes.js';
import { f32ToBf16Bits, f32ToBits, f32ToF16Bits } from '../../src/contract/f32.js';
import { createJaxKey, type JaxImpl } from '../../src/contract/jax-key.js';
import { type JaxDist, type JaxRandomRequest, planJaxRandom } from '../../src/contract/jax-plan.js';
import { generateJaxPlanned } from '../../src/twin/generate.js';
import { jaxNormalFromUniform, jaxTruncatedNormalFromUniform, jaxUniformFromWord } from '../../src/twin/jax.js';

interface Row {
  file: string;
  count: number;
  kind: 'exhaustive' | 'stream';
  dist: JaxDist;
  dtype: FloatDType;
  params: Record<string, string>;
  impl?: JaxImpl;
  seed?: number;
}

interface Comparison {
  mismatches: number;
  maxUlps: number;
}

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--'))!;
const gpu = args.includes('--gpu');
const jsonAt = args.indexOf('--json');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { jax: string; rows: Row[] };

/** The position of a value in the ordered list of the values of a `width`-bit float format. */
function ordered(bits: number, width: 16 | 32): number {
  const sign = width === 32 ? 0x80000000 : 0x8000;
  return bits >= sign ? -(bits - sign) : bits;
}

function compare(want: Uint32Array | Uint16Array, got: Uint32Array | Uint16Array): Comparison {
  const width = want instanceof Uint16Array ? 16 : 32;
  let mismatches = 0;
  let maxUlps = 0;
  for (let i = 0; i < want.length; i++) {
    if (want[i] === got[i]) continue;
    mismatches++;
    maxUlps = Math.max(maxUlps, Math.abs(ordered(want[i]!, width) - ordered(got[i]!, width)));
  }
  return { mismatches, maxUlps };
}

function request(row: Row, count: number): JaxRandomRequest {
  const r: JaxRandomRequest = { key: createJaxKey(row.seed ?? 0, row.impl ?? 'threefry2x32'), shape: [count], dist: row.dist, dtype: row.dtype };
  for (const [name, value] of Object.entries(row.params)) (r as unknown as Record<string, number>)[name] = Number(value === 'inf' ? 'Infinity' : value);
  return r;
}

function load(row: Row): Uint32Array | Uint16Array {
  const bytes = readFileSync(join(dir, row.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return row.dtype === 'f32' ? new Uint32Array(buffer) : new Uint16Array(buffer);
}

/** The twin's value for every mantissa pattern k, in the word position the dtype's sampler reads it from. */
function exhaustive(row: Row): Uint32Array | Uint16Array {
  const { params } = planJaxRandom(request(row, 1));
  const code = DTYPE_CODE[row.dtype];
  const shift = row.dtype === 'f32' ? 9 : row.dtype === 'f16' ? 6 : 1;
  const store = row.dtype === 'f32' ? f32ToBits : row.dtype === 'f16' ? f32ToF16Bits : f32ToBf16Bits;
  const out = row.dtype === 'f32' ? new Uint32Array(row.count) : new Uint16Array(row.count);
  for (let k = 0; k < row.count; k++) {
    const u = jaxUniformFromWord((k << shift) >>> 0, params.low, params.range, code);
    const v =
      row.dist === 'uniform'
        ? u
        : row.dist === 'normal'
          ? jaxNormalFromUniform(u, code)
          : jaxTruncatedNormalFromUniform(u, params.clampLow, params.clampHigh, code);
    out[k] = store(v);
  }
  return out;
}

const bitsOf = (a: Uint32Array | Float32Array | Uint16Array) => (a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : a);

const results: Record<string, unknown>[] = [];
const context = gpu
  ? await (async () => {
      registerWgslHooks();
      const { createNodeContext } = await import('../../src/node.js');
      return createNodeContext({ strategy: 'kernel' });
    })()
  : undefined;
for (const row of manifest.rows) {
  const want = load(row);
  const t = performance.now();
  const cpu = compare(want, row.kind === 'exhaustive' ? exhaustive(row) : bitsOf(generateJaxPlanned(planJaxRandom(request(row, row.count)))));
  const result: Record<string, unknown> = { ...row, cpu, cpuSeconds: (performance.now() - t) / 1000 };
  if (context && row.kind === 'stream') {
    const range = await context.generateJaxRandom(request(row, row.count));
    result['gpu'] = compare(want, bitsOf(await context.readRange(range)));
    result['adapter'] = `${context.adapter.vendor} ${context.adapter.architecture}`.trim();
    range.buffer.destroy();
  }
  results.push(result);
  const p = Object.entries(row.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const g = result['gpu'] as Comparison | undefined;
  process.stderr.write(
    `${row.kind.padEnd(10)} ${row.dist.padEnd(15)} ${row.dtype.padEnd(4)} ${p.padEnd(26)} n=${String(row.count).padStart(8)}  CPU twin: ${cpu.mismatches} differ (max ${cpu.maxUlps} ulp)${g ? `  GPU: ${g.mismatches} differ (max ${g.maxUlps} ulp)` : ''}\n`,
  );
}
context?.destroy();
const total = results.reduce((n, r) => n + (r['count'] as number), 0);
process.stderr.write(`${total} elements in ${results.length} rows against jax ${manifest.jax}\n`);
if (jsonAt >= 0) writeFileSync(args[jsonAt + 1]!, `${JSON.stringify({ jax: manifest.jax, elements: total, rows: results }, null, 1)}\n`);
