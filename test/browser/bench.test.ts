// The benchmark page (bench/page.html + bench/page.ts) in headless Chromium: built with Vite from
// bench/vite.config.ts into a temporary directory, served over HTTP from 127.0.0.1 (navigator.gpu needs a
// secure context), driven through window.runBench with a tiny configuration. Checks that every case produced
// a result, that the page rendered its table and charts, and that the samples the page generated on its GPU
// equal the CPU twin run here in Node, bit for bit. Needs Debian's `chromium` (or CHROMIUM_PATH).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES } from '../../src/bench/cases.js';
import type { BenchConfig, BenchReport } from '../../src/bench/run.js';
import { generate } from '../../src/twin/generate.js';
import { type BuiltPage, openBuiltPage, watchPage } from './chromium.js';
import { fullPageScreenshot, layoutProblems, WINDOW } from './layout.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG = join(ROOT, 'bench', 'vite.config.ts');

/** Small enough for SwiftShader on two cores: 64K elements, 5 samples, no GPT-2. */
const TINY: Partial<BenchConfig> & { tfjs: boolean } = {
  sizes: [1 << 16],
  repeat: 5,
  warmup: 1,
  targetSampleMs: 10,
  maxReps: 4,
  model: false,
  verifyCount: 128,
  tfjs: true,
};

let opened: BuiltPage | undefined;
let page: Page | undefined;
const diagnostics = () => opened?.diagnostics() ?? '\npage log: (the page did not open)';

beforeAll(async () => {
  opened = await openBuiltPage(CONFIG, '/bench/page.html', 'benchReady');
  page = opened.page;
  await page.setViewport(WINDOW);
});

afterAll(async () => {
  await opened?.close();
});

describe('benchmark page (headless Chromium)', () => {
  let report: BenchReport;

  it('runs a tiny configuration and reports every case', async () => {
    if (!page) throw new Error(`the browser did not start${diagnostics()}`);
    report = await page
      .evaluate((config) => window.runBench(config), TINY)
      .catch((e: unknown) => {
        throw new Error(`runBench failed: ${String(e)}${diagnostics()}`);
      });
    const context = diagnostics();
    console.log(
      `bench page: ${report.adapter.vendor}/${report.adapter.architecture} timing=${report.timing} ` +
        `${report.results.length} rows in ${(report.durationMs / 1000).toFixed(1)} s; tfjs=${JSON.stringify(report.tfjs)}`,
    );
    expect(report.runtime.kind).toBe('browser');
    expect(`${report.adapter.description}${report.adapter.architecture}`, context).not.toBe('');
    expect(report.limits['maxBufferSize']).toBeGreaterThan(0);
    expect(report.timing).toBe(report.features.includes('timestamp-query') ? 'gpu-timestamp' : 'wall');
    expect(report.tfjs, context).toHaveProperty('version');

    const expected = CASES.filter((c) => c.group !== 'model').map((c) => c.id);
    expect(report.results.map((r) => r.case)).toEqual(expected);
    for (const r of report.results) {
      const what = `${r.case} @ ${r.size}: ${r.error ?? r.skipped ?? ''}${context}`;
      expect(r.error, what).toBeUndefined();
      expect(r.skipped, what).toBeUndefined();
      expect(r.size).toBe('64K');
      expect(r.samples, what).toBe(5);
      expect(r.ms!.median, what).toBeGreaterThan(0);
      expect(r.ms!.min).toBeLessThanOrEqual(r.ms!.median);
      expect(r.ms!.max).toBeGreaterThanOrEqual(r.ms!.median);
      expect(r.elementsPerSecond, what).toBeGreaterThan(0);
      expect(r.gigabytesPerSecond, what).toBeGreaterThan(0);
      if (r.group === 'ours') {
        expect(r.verified, what).toBe(true);
        expect(r.fractionOfStore, what).toBeGreaterThan(0);
      }
    }
    for (const id of ['uniform-f32', 'normal-f32', 'truncnormal-f32']) {
      expect(report.results.find((r) => r.case === id)?.speedupVsTfjs, id).toBeGreaterThan(0);
    }
  });

  it("the page's GPU samples equal the CPU twin in Node, bit for bit", () => {
    expect(report, 'the run above failed').toBeDefined();
    // Ours and our kernel variants (the sweep, the store variants) are read back and compared; the JAX streams'
    // rows check themselves against the CPU twin (`verified`).
    const ours = CASES.filter((c) => (c.group === 'ours' || c.group === 'variant') && c.kind.type !== 'jax').map((c) => c.id);
    expect(report.samples.map((s) => s.case)).toEqual(ours);
    const jax = report.results.filter((r) => r.case.startsWith('jax-') && r.ms);
    expect(jax.length).toBe(CASES.filter((c) => c.kind.type === 'jax').length);
    for (const r of jax) expect(r.verified, r.case).toBe(true);
    for (const s of report.samples) {
      const want = generate({ seed: s.seed, stream: s.stream, start: s.start, count: s.count, dist: s.dist, dtype: s.dtype });
      const bits = want instanceof Float32Array ? Array.from(new Uint32Array(want.buffer)) : Array.from(want);
      expect(s.count).toBe(128);
      expect(s.gpu, `${s.case}: GPU in the page vs CPU twin in Node`).toEqual(bits);
      expect(s.cpu, `${s.case}: CPU twin in the page vs in Node`).toEqual(bits);
      expect(s.equal).toBe(true);
    }
  });

  it('renders the table and the charts', async () => {
    if (!page) throw new Error('no page');
    const rendered = await page.evaluate(() => ({
      rows: document.querySelectorAll('#table tbody tr[data-case]').length,
      throughputBars: document.querySelectorAll('#chart-throughput svg rect').length,
      fractionBars: document.querySelectorAll('#chart-fraction svg rect').length,
      download: (document.getElementById('download') as HTMLAnchorElement).hidden,
    }));
    expect(rendered.rows).toBe(report.results.length);
    // The kernel variants are collapsed: in the table, behind their summary row; out of the chart.
    expect(rendered.throughputBars).toBe(report.results.filter((r) => r.group !== 'variant').length);
    expect(rendered.fractionBars).toBe(report.results.filter((r) => r.group === 'ours').length);
    expect(rendered.download).toBe(false);
    expect(
      (opened?.log ?? []).filter((l) => !l.startsWith('console.warn')),
      'the page reported errors',
    ).toEqual([]);
  });

  it('collapses the kernel variants (30 rows a size) into one row with a show button; shown, they are all there', async () => {
    if (!page) throw new Error('no page');
    // A measured run with the sweep and the store variants (docs/performance.md).
    const sweep = JSON.parse(readFileSync(join(ROOT, 'bench/results/2026-11-30T04-03-04Z-google-swiftshader-node.json'), 'utf8')) as BenchReport;
    const variants = sweep.results.filter((r) => r.group === 'variant').length;
    expect(variants).toBe(30);
    await page.evaluate((r) => window.showBenchReport(r), sweep);
    const seen = () =>
      page!.evaluate(() => ({
        height: document.documentElement.scrollHeight,
        visibleRows: [...document.querySelectorAll('#table tbody tr[data-case]')].filter((tr) => (tr as HTMLElement).offsetHeight > 0).length,
        bars: document.querySelectorAll('#chart-throughput svg rect').length,
        summary: [...document.querySelectorAll('#table tr.variant-summary')].map((tr) => tr.textContent),
      }));
    const collapsed = await seen();
    expect(collapsed.visibleRows).toBe(sweep.results.length - variants);
    expect(collapsed.bars).toBe(sweep.results.length - variants);
    expect(collapsed.summary).toEqual([expect.stringMatching(/^30 kernel variants \(the sweep, the store variants\); fastest: .+\/s show$/)]);
    expect(await layoutProblems(page)).toEqual([]);
    await page.click('#table button.toggle-variants');
    const expanded = await seen();
    expect(expanded.visibleRows).toBe(sweep.results.length);
    expect(expanded.bars).toBe(sweep.results.length);
    // 30 table rows and 30 bars fewer: at least 30 × (16 + 16) px shorter collapsed.
    expect(expanded.height - collapsed.height).toBeGreaterThan(30 * 32);
    await page.click('#table button.toggle-variants');
    expect((await seen()).visibleRows).toBe(sweep.results.length - variants);
  });

  it(`fits a ${WINDOW.width} px window with a full run's rows: screenshot as wide as the window, labels whole, a legend, both timings of the model rows`, async () => {
    if (!page) throw new Error('no page');
    // A full run measured in Node (the README's result file): every case, GPT-2 rows with their long labels.
    const full = JSON.parse(readFileSync(join(ROOT, 'bench/results/2026-11-29T19-33-16Z-google-swiftshader-node.json'), 'utf8')) as BenchReport;
    await page.evaluate((r) => window.showBenchReport(r), full);
    const shot = await fullPageScreenshot(page);
    expect(shot.width, 'a full-page screenshot is as wide as the page').toBe(WINDOW.width);
    expect(await layoutProblems(page)).toEqual([]);
    const seen = await page.evaluate(() => {
      const heads = [...document.querySelectorAll('#table thead th')].map((th) => th.textContent);
      const cells = (id: string) => [...document.querySelectorAll(`#table tr[data-case="${id}"] td`)].map((td) => td.textContent);
      return {
        legend: [...document.querySelectorAll('#legend .key')].map((k) => (k as HTMLElement).dataset['group']),
        heads,
        ours: cells('gpt2-ours'),
        tfjs: cells('gpt2-tfjs'),
        labels: [...document.querySelectorAll('#chart-throughput svg text')].map((t) => t.textContent),
      };
    });
    expect(seen.legend).toEqual(['limit', 'ours', 'peer', 'model']);
    expect(seen.labels).toContain("GPT-2 small init, ours (initModel, the adapter's default strategy)");
    const wall = seen.heads.indexOf('wall ms');
    const gpu = seen.heads.indexOf('gpu ms');
    // GPT-2 rows are timed by wall clock and also have GPU timestamps: both columns are filled.
    expect(seen.ours[wall]).not.toBe('');
    expect(seen.ours[gpu]).not.toBe('');
    // TF.js has no GPU timestamps: its gpu column is empty, its wall column is not.
    expect(seen.tfjs[wall]).not.toBe('');
    expect(seen.tfjs[gpu]).toBe('');
  });
});

describe('bench dev server (`npm run bench:page`)', () => {
  it('the URL it prints opens the page, which loads and runs: headless Chromium against the dev server itself', async () => {
    if (!page) throw new Error('the browser did not start');
    const { createServer } = await import('vite');
    const server = await createServer({ configFile: CONFIG, logLevel: 'silent', server: { port: 0, open: false } });
    const tab = await page.browser().newPage();
    const log: string[] = [];
    watchPage(tab, log);
    try {
      await server.listen();
      const url = server.resolvedUrls!.local[0]!;
      expect(new URL(url).pathname).toBe('/');
      await tab.goto(url, { waitUntil: 'load' });
      // The root redirects to the page, so that its ./page.ts resolves against /bench/ (a rewrite left it at /page.ts: 404).
      // Ready, or an HTTP error first (what the old rewrite gave): fail then rather than at the timeout.
      const httpError = new Promise<never>((_, reject) => tab.on('response', (r) => r.status() >= 400 && reject(new Error(`HTTP ${r.status()}: ${r.url()}`))));
      httpError.catch(() => undefined);
      await Promise.race([tab.waitForFunction(() => window.benchReady === true, { timeout: 150_000 }), httpError]).catch((e: unknown) => {
        throw new Error(`the page never became ready at ${url}: ${String(e)}\npage log:\n  ${log.join('\n  ')}`);
      });
      expect(new URL(tab.url()).pathname).toBe('/bench/page.html');
      const report = await tab.evaluate((config) => window.runBench(config), {
        sizes: [1 << 16],
        repeat: 2,
        warmup: 1,
        maxReps: 2,
        cases: ['uniform-f32'],
        model: false,
        tfjs: false,
        verifyCount: 16,
      });
      expect(report.results.map((r) => [r.case, r.error, r.verified])).toEqual([['uniform-f32', undefined, true]]);
      expect(
        log.filter((l) => !l.startsWith('console.warn')),
        'the page reported errors',
      ).toEqual([]);
    } finally {
      await tab.close();
      await server.close();
    }
  });
});
