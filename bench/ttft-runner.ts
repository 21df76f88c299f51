// The runner of the "time to first token, nothing downloaded" bench (src/bench/ttft.ts): serves bench/ttft.html with
// the library's browser build and onnxruntime-web's dist, drives it in headless Chromium, and returns the report.
// Used by bench/ttft.ts (the command) and the device bundle (scripts/device/ttft.ts), which passes the compiled page
// module and its own folders.
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TtftRoute, TtftRow } from '../src/bench/ttft.js';
import { CHROMIUM_ARGS, closeServer, fileIn, launchChromium, MIME, type Route, serve, watchPage } from '../test/browser/chromium.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface TtftBenchOptions {
  cases?: readonly string[];
  routes?: readonly TtftRoute[];
  repeat?: number;
  seed?: number;
  /** Run each case once untimed first (default true). */
  warmup?: boolean;
  /** Where the library's browser build is (default dist/), ORT's dist, the page, and /ttft.js's source. */
  distDir?: string;
  ortDir?: string;
  page?: string;
  /** src/bench/ttft.ts compiled to JavaScript (its imports are type-only), served as /ttft.js. */
  ttftModule: string;
  log?: (line: string) => void;
}

export interface TtftReport {
  readonly schema: 'webgpu-weight-init/ttft@1';
  readonly date: string;
  readonly adapter: Record<string, unknown>;
  readonly chromium: string;
  readonly repeat: number;
  readonly results: readonly (TtftRow & { readonly repeat: number })[];
  /** Per case and route: the median total, and zero-copy's speedup over the others. */
  readonly summary: readonly Record<string, unknown>[];
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : Number.NaN;
};

export async function runTtftBench(options: TtftBenchOptions): Promise<TtftReport> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const dist = options.distDir ?? join(ROOT, 'dist');
  const ortDir = options.ortDir ?? join(ROOT, 'node_modules/onnxruntime-web/dist');
  const pagePath = options.page ?? join(ROOT, 'bench/ttft.html');
  if (!existsSync(join(dist, 'index.js'))) throw new Error(`${dist}/index.js is missing: run npm run build`);
  const ttftModule = options.ttftModule;
  const route = (path: string): Route => {
    if (path === '/') return { body: readFileSync(pagePath, 'utf8'), type: MIME['.html']! };
    if (path === '/ttft.js') return { body: ttftModule, type: MIME['.js']! };
    if (path.startsWith('/vendor/ort/')) return fileIn(ortDir, path.slice('/vendor/ort'.length));
    return fileIn(dist, path);
  };
  const server = await serve(route);
  const chromium = await launchChromium();
  try {
    const page = await chromium.browser.newPage();
    const pageLog: string[] = [];
    watchPage(page, pageLog);
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, { timeout: 30_000 });
    const call = <T>(fn: string, arg?: unknown) =>
      page
        .evaluate((name, a) => (window as unknown as Record<string, (x: unknown) => Promise<unknown>>)[name]!(a), fn, arg)
        .catch((e: unknown) => {
          throw new Error(`${fn}: ${e instanceof Error ? e.message : String(e)}\n${pageLog.join('\n')}`);
        }) as Promise<T>;
    const adapter = await call<Record<string, unknown>>('ttftAdapter');
    const software = adapter['isFallbackAdapter'] === true || /swiftshader/i.test(`${adapter['vendor']} ${adapter['architecture']} ${adapter['description']}`);
    const cases = options.cases ?? (software ? ['gpt2-tiny', 'llama-tiny'] : ['gpt2-small-f32', 'gpt2-small-f16', 'llama-2-7b-f16']);
    const routes = options.routes ?? ['zero-copy', 'external-data', 'from-disk'];
    const repeat = options.repeat ?? 1;
    const seed = options.seed ?? 1;
    log(`ttft: adapter ${JSON.stringify(adapter)}; cases ${cases.join(', ')}; routes ${routes.join(', ')}; repeat ${repeat}`);
    const results: (TtftRow & { repeat: number })[] = [];
    for (const caseId of cases) {
      if (routes.includes('from-disk')) {
        const ok = await call<boolean>('ttftPrepare', { caseId, seed }).catch((e: unknown) => {
          log(`ttft: ${caseId}: writing the pack to OPFS failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
          return false;
        });
        if (!ok) log(`ttft: ${caseId}: no pack in OPFS; from-disk rows will say why`);
      }
      // Warm-up, untimed: ONNX Runtime compiles its WebGPU pipelines on first use and keeps them for the device, so the
      // first session of a case would pay for every route (tens of seconds on a software adapter).
      if (options.warmup ?? true) await call<TtftRow>('ttftRun', { caseId, route: 'zero-copy', seed });
      for (let r = 0; r < repeat; r++) {
        // The routes in a different order each repeat, so none is always first.
        for (const routeId of routes.map((_, k) => routes[(k + r) % routes.length]!)) {
          const row = await call<TtftRow>('ttftRun', { caseId, route: routeId, seed });
          results.push({ ...row, repeat: r });
          log(
            `ttft: ${caseId} ${routeId} #${r}: ${row.error ? `error: ${row.error}` : `total ${row.totalMs!.toFixed(0)} ms (weights ${row.weightsMs!.toFixed(0)}, session ${row.sessionMs!.toFixed(0)}, first token ${row.firstTokenMs!.toFixed(0)}), ${row.tokensPerSecond!.toFixed(1)} tokens/s${row.weightReads === undefined ? '' : `, weight reads ${row.weightReads}`}`}`,
          );
        }
      }
    }
    const summary = cases.map((caseId) => {
      const rows = results.filter((r) => r.case === caseId);
      const total = (routeId: TtftRoute) => median(rows.filter((r) => r.route === routeId && r.totalMs !== undefined).map((r) => r.totalMs!));
      const first = rows[0];
      return {
        case: caseId,
        parameters: first?.parameters,
        downloadBytes: first?.downloadBytes,
        medianTotalMs: Object.fromEntries(routes.map((x) => [x, total(x)])),
        zeroCopySpeedup: Object.fromEntries(routes.filter((x) => x !== 'zero-copy').map((x) => [x, total(x) / total('zero-copy')])),
        sameTokens: new Set(rows.filter((r) => r.tokens).map((r) => r.tokens!.join(','))).size <= 1,
        weightReads: rows.filter((r) => r.route === 'zero-copy').reduce((n, r) => n + (r.weightReads ?? 0), 0),
      };
    });
    return { schema: 'webgpu-weight-init/ttft@1', date: new Date().toISOString(), adapter, chromium: CHROMIUM_ARGS.join(' '), repeat, results, summary };
  } finally {
    await chromium.close();
    await closeServer(server);
  }
}
