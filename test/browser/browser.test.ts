// The browser path: dist/ served over HTTP to headless Chromium, whose WebGPU runs on SwiftShader here.
// GPU words from navigator.gpu must equal, bit for bit, the CPU twin run in the same page and the CPU twin
// run in Node from src/. Needs Debian's `chromium` (or CHROMIUM_PATH); without it the suite fails.
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bits, generate, initialize as initializeCpu, uniform } from '../../src/cpu.js';
import { type AdapterSummary, isSoftwareAdapter, type JaxImpl, type JaxRandomRequest } from '../../src/index.js';
import type { InitializeOptions } from '../../src/init/plan-initialize.js';
import { type FixtureSample, loadJaxFixture, sampleName, sampleRequest } from '../helpers/jax-fixture.js';
import { closeServer, fileIn, launchChromium, serve, watchPage } from './chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const PAGE = fileURLToPath(new URL('./page.html', import.meta.url));

/** A 64-bit input as it crosses into the page: '42n' is the bigint 42n, other strings stay decimal strings. */
type U64Spec = string;

interface CaseSpec {
  name: string;
  seed: U64Spec;
  stream: U64Spec;
  start: U64Spec;
  count: number;
  dist: { kind: 'uniform'; low: number; high: number } | { kind: 'bits' };
  /** createContext options, e.g. caps that force several dispatches; the page adds strategy 'kernel'. */
  context?: { maxBindingBytes?: number; maxWorkgroupsPerDimension?: number; strategy?: 'auto' | 'kernel' | 'upload' };
}

interface CaseResult {
  adapter: AdapterSummary;
  count: number;
  byteLength: number;
  dtype: 'u32' | 'f32';
  dispatches: number;
  via: 'kernel' | 'upload';
  gpuType: string;
  cpuType: string;
  /** u32 bit patterns of the elements. */
  gpu: number[];
  cpu: number[];
}

interface InitSpec {
  name: string;
  init: InitializeOptions['init'];
  shape: number[];
  layout?: 'torch' | 'keras';
  dtype: 'f32' | 'f16' | 'bf16';
  seed: U64Spec;
  stream: U64Spec;
  start?: number;
  count?: number;
  /** Context strategy; the page uses 'kernel' when absent. */
  strategy?: 'kernel' | 'upload';
}

interface InitResult {
  count: number;
  dtype: string;
  via: 'kernel' | 'upload';
  /** 16-bit halves of the stored bytes. */
  gpu: number[];
  cpu: number[];
}

/** A jax.random call for the page: the request with the key as its data and implementation. */
type JaxSpec = Omit<JaxRandomRequest, 'key'> & { key: [number, number]; impl: JaxImpl; strategy?: 'kernel' | 'upload' };

interface PageApi {
  adapterInfo(): Promise<AdapterSummary>;
  runCase(spec: CaseSpec): Promise<CaseResult>;
  runInit(spec: InitSpec): Promise<InitResult>;
  runJax(spec: JaxSpec): Promise<InitResult>;
}

// Every distribution and a structured kind of each sort, in each dtype, through the browser's compiler.
const INIT_CASES: InitSpec[] = [
  {
    name: 'normal(0.1, 2) f32, odd slice',
    init: { kind: 'normal', mean: 0.1, std: 2 },
    shape: [33, 31],
    dtype: 'f32',
    seed: '5n',
    stream: '9n',
    start: 101,
    count: 777,
  },
  { name: 'truncatedNormal bf16', init: { kind: 'truncatedNormal', std: 0.02 }, shape: [64, 48], dtype: 'bf16', seed: '6n', stream: '1n' },
  {
    name: 'trunc_normal_ absolute, tiny std, f16',
    init: { kind: 'truncatedNormal', std: 1e-3, a: -2, b: 2, bounds: 'absolute' },
    shape: [999],
    dtype: 'f16',
    seed: '7n',
    stream: '2n',
  },
  {
    name: 'glorotUniform f16, odd count (Keras layout)',
    init: { kind: 'glorotUniform' },
    shape: [3, 3, 7, 5],
    layout: 'keras',
    dtype: 'f16',
    seed: '8n',
    stream: '3n',
  },
  {
    name: 'kaimingNormal fan_out relu f32',
    init: { kind: 'kaimingNormal', mode: 'fan_out', nonlinearity: 'relu' },
    shape: [16, 8, 3, 3],
    dtype: 'f32',
    seed: '9n',
    stream: '4n',
  },
  { name: 'orthogonal f32', init: { kind: 'orthogonal', gain: 2 }, shape: [40, 24], dtype: 'f32', seed: '10n', stream: '5n' },
  { name: 'eye bf16', init: { kind: 'eye' }, shape: [9, 13], dtype: 'bf16', seed: '11n', stream: '6n' },
  { name: 'dirac f16', init: { kind: 'dirac', groups: 2 }, shape: [8, 3, 3, 3], dtype: 'f16', seed: '12n', stream: '7n' },
  // The SIMD generator in Web Workers (blob: workers from the built dist/) and writeBuffer.
  {
    name: 'normal(0, 0.02) f32, upload strategy',
    init: { kind: 'normal', std: 0.02 },
    shape: [301, 257],
    dtype: 'f32',
    seed: '13n',
    stream: '8n',
    strategy: 'upload',
  },
  {
    name: 'truncatedNormal bf16 slice, upload strategy',
    init: { kind: 'truncatedNormal', std: 0.5 },
    shape: [64, 48],
    dtype: 'bf16',
    seed: '14n',
    stream: '9n',
    start: 2,
    count: 3000,
    strategy: 'upload',
  },
];

const CASES: CaseSpec[] = [
  { name: 'uniform(-1, 1), bigint inputs', seed: '42n', stream: '7n', start: '5n', count: 1000, dist: { kind: 'uniform', low: -1, high: 1 } },
  {
    // Block index above 2^32 (counter word 1 non-zero), the range crossing a block boundary mid-block, and
    // the largest seed given as a decimal string.
    name: 'bits(), start 2^34 - 3, seed 2^64 - 1 as a decimal string',
    seed: '18446744073709551615',
    stream: '0n',
    start: `${(1n << 34n) - 3n}n`,
    count: 37,
    dist: { kind: 'bits' },
  },
  {
    // 512-byte binding windows and at most 2 workgroups per grid dimension: several chunked dispatches.
    name: 'uniform(0, 1), chunked dispatches',
    seed: '3n',
    stream: '18446744073709551615',
    start: '1n',
    count: 1000,
    dist: { kind: 'uniform', low: 0, high: 1 },
    context: { maxBindingBytes: 512, maxWorkgroupsPerDimension: 2 },
  },
  {
    // Two upload pieces (2^20 elements each) from Web Workers, at an odd start.
    name: 'uniform(-3, 3), upload strategy',
    seed: '77n',
    stream: '5n',
    start: '3n',
    count: (1 << 20) + 9,
    dist: { kind: 'uniform', low: -3, high: 3 },
    context: { strategy: 'upload' },
  },
  { name: 'bits(), auto strategy', seed: '1n', stream: '2n', start: '0n', count: 4096, dist: { kind: 'bits' }, context: { strategy: 'auto' } },
];

const u64 = (v: U64Spec): bigint | string => (v.endsWith('n') ? BigInt(v.slice(0, -1)) : v);
const u32Bits = (a: Uint32Array | Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** The CPU twin in Node, from src/, with inputs of the same types the page used. */
function nodeBits(spec: CaseSpec): number[] {
  const range = { seed: u64(spec.seed), stream: u64(spec.stream), start: u64(spec.start), count: spec.count };
  return u32Bits(spec.dist.kind === 'uniform' ? generate({ ...range, dist: uniform(spec.dist.low, spec.dist.high) }) : generate({ ...range, dist: bits() }));
}

function firstDifference(a: readonly number[], b: readonly number[]): string {
  const i = a.findIndex((v, k) => v !== b[k]);
  if (i < 0) return a.length === b.length ? 'none' : `lengths ${a.length} vs ${b.length}`;
  const hex = (v: number | undefined) => (v === undefined ? 'missing' : `0x${v.toString(16).padStart(8, '0')}`);
  return `element ${i}: ${hex(a[i])} vs ${hex(b[i])}`;
}

let server: Server | undefined;
let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
let page: Page | undefined;
let origin = '';
/** Page console errors and warnings, uncaught page errors, failed requests and HTTP errors. */
const pageLog: string[] = [];

const diagnostics = () => (pageLog.length ? `\npage log:\n  ${pageLog.join('\n  ')}` : '\npage log: (empty)');

/** Runs `body` (page.evaluate calls); a rejection carries the page log. */
async function onPage<T>(body: (p: Page) => Promise<T>): Promise<T> {
  if (!page) throw new Error(`the browser did not start${diagnostics()}`);
  try {
    return await body(page);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}${diagnostics()}`, { cause: e });
  }
}

beforeAll(async () => {
  if (!existsSync(join(DIST, 'index.js')) || !existsSync(join(DIST, 'cpu.js'))) {
    throw new Error(`${DIST} has no index.js / cpu.js: run \`npm run build\` first (npm test does)`);
  }
  // The test page at / and /page.html; the built library (dist/) everywhere else.
  // /csp.html: the same page under a Content-Security-Policy that forbids workers.
  server = await serve((path) =>
    path === '/' || path === '/page.html'
      ? { file: PAGE, root: PAGE }
      : path === '/csp.html'
        ? { file: PAGE, root: PAGE, headers: { 'content-security-policy': "worker-src 'none'" } }
        : fileIn(DIST, path),
  );
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  chromium = await launchChromium();
  page = await chromium.browser.newPage();
  watchPage(page, pageLog);
  // navigator.gpu exists only in secure contexts, so the page comes from http://127.0.0.1, not about:blank.
  await page.goto(`${origin}/page.html`, { waitUntil: 'load' });
  await page
    .waitForFunction(() => typeof (window as unknown as Partial<PageApi>).runCase === 'function', { timeout: 10_000 })
    .catch((e: unknown) => {
      throw new Error(`the test page never defined runCase: ${String(e)}${diagnostics()}`);
    });
});

afterAll(async () => {
  try {
    await chromium?.close();
  } finally {
    if (server) await closeServer(server);
  }
});

describe('browser (headless Chromium, navigator.gpu)', () => {
  it('gets a WebGPU adapter from navigator.gpu', async () => {
    const adapter = await onPage((p) => p.evaluate(() => (window as unknown as PageApi).adapterInfo()));
    console.log(
      `browser WebGPU adapter: vendor=${adapter.vendor} architecture=${adapter.architecture} ` +
        `description=${JSON.stringify(adapter.description)} fallback=${adapter.isFallbackAdapter} ` +
        `maxStorageBufferBindingSize=${adapter.limits.maxStorageBufferBindingSize}`,
    );
    expect(adapter.source).toBe('adapter');
    expect(`${adapter.description}${adapter.architecture}`, `no adapter description or architecture${diagnostics()}`).not.toBe('');
  });

  it.each(CASES)('GPU == CPU twin in the page == CPU twin in Node: $name', async (spec) => {
    const r = await onPage((p) => p.evaluate((s) => (window as unknown as PageApi).runCase(s), spec));
    const want = nodeBits(spec);
    const context = `${spec.name}${diagnostics()}`;
    expect(r.count, context).toBe(spec.count);
    expect(r.byteLength, context).toBe(4 * spec.count);
    expect(r.dtype, context).toBe(spec.dist.kind === 'uniform' ? 'f32' : 'u32');
    const arrayType = spec.dist.kind === 'uniform' ? 'Float32Array' : 'Uint32Array';
    expect([r.gpuType, r.cpuType], context).toEqual([arrayType, arrayType]);
    if (spec.context?.maxBindingBytes) expect(r.dispatches, context).toBeGreaterThan(1);
    const strategy = spec.context?.strategy ?? 'kernel';
    expect(r.via, context).toBe(strategy === 'auto' ? (isSoftwareAdapter(r.adapter) ? 'upload' : 'kernel') : strategy);
    expect(firstDifference(r.gpu, r.cpu), `GPU vs CPU twin in the page: ${context}`).toBe('none');
    expect(firstDifference(r.cpu, want), `CPU twin in the page vs in Node: ${context}`).toBe('none');
    expect(r.gpu, context).toEqual(want);
    // Warnings stay in the log only; errors fail the case.
    expect(
      pageLog.filter((l) => !l.startsWith('console.warn')),
      'the page reported errors',
    ).toEqual([]);
  });

  it.each(INIT_CASES)('initialize on the browser GPU == CPU twin in the page == CPU twin in Node: $name', async (spec) => {
    const r = await onPage((p) => p.evaluate((s) => (window as unknown as PageApi).runInit(s), spec));
    const want = initializeCpu({
      init: spec.init,
      shape: spec.shape,
      layout: spec.layout ?? 'torch',
      dtype: spec.dtype,
      seed: u64(spec.seed),
      stream: u64(spec.stream),
      start: spec.start,
      count: spec.count,
    });
    const wantHalves = Array.from(new Uint16Array(want.buffer, want.byteOffset, want.byteLength / 2));
    const context = `${spec.name}${diagnostics()}`;
    expect(r.dtype, context).toBe(spec.dtype);
    expect(r.via, context).toBe(spec.strategy ?? 'kernel');
    expect(firstDifference(r.gpu, r.cpu), `GPU vs CPU twin in the page: ${context}`).toBe('none');
    expect(firstDifference(r.cpu, wantHalves), `CPU twin in the page vs in Node: ${context}`).toBe('none');
    expect(
      pageLog.filter((l) => !l.startsWith('console.warn')),
      'the page reported errors',
    ).toEqual([]);
  });
});

describe('browser without workers (Content-Security-Policy: worker-src none)', () => {
  it("'auto' falls back to the kernels with the same bits; an explicit 'upload' is Unsupported", async () => {
    const csp = await chromium!.browser.newPage();
    const log: string[] = [];
    watchPage(csp, log);
    try {
      await csp.goto(`${origin}/csp.html`, { waitUntil: 'load' });
      await csp.waitForFunction(() => typeof (window as unknown as Partial<PageApi>).runCase === 'function', { timeout: 10_000 });
      const spec: CaseSpec = {
        name: 'csp auto',
        seed: '21n',
        stream: '3n',
        start: '1n',
        count: 5000,
        dist: { kind: 'uniform', low: 0, high: 1 },
        context: { strategy: 'auto' },
      };
      const r = await csp.evaluate((s) => (window as unknown as PageApi).runCase(s), spec);
      expect(r.via, log.join('\n')).toBe('kernel');
      expect(r.gpu).toEqual(nodeBits(spec));
      const error = await csp
        .evaluate(
          (s) =>
            (window as unknown as PageApi).runCase(s).then(
              () => 'resolved',
              (e: Error) => `${e.name}: ${e.message}`,
            ),
          { ...spec, context: { strategy: 'upload' as const } },
        )
        .catch((e: unknown) => String(e));
      expect(error).toMatch(/UnsupportedError: the SIMD generator's workers could not start/);
    } finally {
      await csp.close();
    }
  });
});

// jax.random through Chromium's WGSL compiler: fixture cases of jax 0.10.2 (threefry2x32 and philox4x32, the three
// float samplers, f32/f16/bf16, a slice past element 2^32, the upload strategy once).
const JAX_FIXTURE = loadJaxFixture();
const jaxCase = (pick: (s: FixtureSample) => boolean): FixtureSample => JAX_FIXTURE.samples.find((s) => pick(s) && s.bits.length >= 3)!;
const JAX_CASES: (FixtureSample & { strategy?: 'kernel' | 'upload' })[] = [
  jaxCase((s) => s.impl === 'threefry2x32' && s.dist === 'normal' && s.dtype === 'f32'),
  jaxCase((s) => s.impl === 'philox4x32' && s.dist === 'truncatedNormal' && s.dtype === 'bf16' && s.lower === -1.5),
  jaxCase((s) => s.impl === 'threefry2x32' && s.dist === 'uniform' && s.dtype === 'f16' && s.minval === 3.7),
  jaxCase((s) => s.impl === 'philox4x32' && s.dist === 'bits' && s.start !== undefined && BigInt(s.start) > 2n ** 32n),
  { ...jaxCase((s) => s.impl === 'threefry2x32' && s.dist === 'truncatedNormal' && s.dtype === 'f32' && s.lower === 0.5), strategy: 'upload' },
];

describe('jax.random in the browser (headless Chromium, navigator.gpu)', () => {
  it.each(JAX_CASES.map((c) => [sampleName(c), c] as const))('GPU == CPU twin in the page == jax 0.10.2: %s', async (_name, c) => {
    const { key: _key, ...request } = sampleRequest(c);
    const spec: JaxSpec = { ...request, key: c.key, impl: c.impl, ...(c.strategy ? { strategy: c.strategy } : {}) };
    const r = await onPage((p) => p.evaluate((s) => (window as unknown as PageApi).runJax(s), spec));
    const context = `${sampleName(c)}${diagnostics()}`;
    const halvesOf = (bits: number[]) => (c.dtype === 'f16' || c.dtype === 'bf16' ? bits : bits.flatMap((w) => [w & 0xffff, w >>> 16]));
    expect(r.via, context).toBe(c.strategy ?? 'kernel');
    expect(firstDifference(r.gpu, r.cpu), `GPU vs CPU twin in the page: ${context}`).toBe('none');
    expect(firstDifference(r.cpu, halvesOf(c.bits)), `CPU twin in the page vs jax: ${context}`).toBe('none');
    expect(
      pageLog.filter((l) => !l.startsWith('console.warn')),
      'the page reported errors',
    ).toEqual([]);
  });
});
