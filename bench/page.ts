// The benchmark in the browser: the cases of src/bench/cases.ts on navigator.gpu, TF.js's WebGPU backend
// on the same device as a peer. Shows a table and two charts, and exposes window.runBench(config) (used by
// test/browser/bench.test.ts). Built and served by Vite with bench/vite.config.ts:
//
//   npx vite --config bench/vite.config.ts          # the page is at the server's root URL
//   npx vite build --config bench/vite.config.ts    # static build in bench/dist/

import * as tfWebgpu from '@tensorflow/tfjs-backend-webgpu';
import * as tfCore from '@tensorflow/tfjs-core';
import * as tfLayers from '@tensorflow/tfjs-layers';
import { parseSize, type SizeSpec } from '../src/bench/cases.js';
import { requestBenchDevice } from '../src/bench/device.js';
import { COLUMNS, reportJson, resultFileName, si, summaryLines } from '../src/bench/format.js';
import { type BenchConfig, type BenchReport, type CaseResult, runBench } from '../src/bench/run.js';
import { createTfPeer, type TfCoreModule, type TfLayersModule, type TfPeer, type TfWebGpuModule } from '../src/bench/tfjs.js';
import { createContext } from '../src/gpu/context.js';

export interface PageConfig extends Partial<BenchConfig> {
  /** Run the TF.js peer (default true). */
  tfjs?: boolean;
}

declare global {
  interface Window {
    runBench(config?: PageConfig): Promise<BenchReport>;
    /** Shows a report made elsewhere (a result file of bench/results/, from Node or another browser). */
    showBenchReport(report: BenchReport): void;
    benchReady?: boolean;
    lastBenchReport?: BenchReport;
  }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const COLORS: Record<string, string> = { limit: '#9e9e9e', ours: '#1f77b4', variant: '#9467bd', peer: '#ff7f0e', model: '#2ca02c' };
/** What each bar colour stands for (the legend above the charts). */
const GROUPS: Record<string, string> = {
  limit: "limit: store kernel (the adapter's write bandwidth)",
  ours: 'this library',
  variant: 'kernel variants of this library (the sweep, the store variants)',
  peer: 'others: TF.js, the CPU twin, SIMD on one thread, host upload',
  model: 'whole-model initialization (GPT-2 small, Llama-2-7B), many small tensors',
};

const LABEL_FONT = '11px system-ui, sans-serif';

let measure: CanvasRenderingContext2D | undefined;

/** Width in CSS pixels of `text` in the charts' label font. */
function textWidth(text: string): number {
  measure ??= document.createElement('canvas').getContext('2d')!;
  measure.font = LABEL_FONT;
  return measure.measureText(text).width;
}

function renderLegend(rows: readonly CaseResult[]): void {
  const groups = Object.keys(GROUPS).filter((g) => rows.some((r) => r.group === g));
  $('legend').innerHTML = groups
    .map((g) => `<span class="key" data-group="${g}"><span class="swatch" style="background:${COLORS[g]}"></span>${escapeHtml(GROUPS[g]!)}</span>`)
    .join('');
}

function status(text: string, error = false): void {
  const el = $('status');
  el.textContent = text;
  el.className = error ? 'error' : '';
}

/**
 * Whether the kernel variants' rows (the sweep and the store variants: 30 a size) are shown. Collapsed by default,
 * each size's variants are one summary row (how many, the fastest) with a button, and the charts leave them out.
 */
let showVariants = false;
/** The rows last rendered, drawn again when the variants are shown or hidden. */
let rendered: readonly CaseResult[] = [];

function renderTable(rows: readonly CaseResult[]): void {
  const cols = COLUMNS.filter((c) => rows.some((r) => c.value(r) !== ''));
  const head = `<tr>${cols.map((c) => `<th>${escapeHtml(c.title)}</th>`).join('')}</tr>`;
  let previous = '';
  const summarized = new Set<string>();
  const body = rows
    .map((r) => {
      const gap = previous && r.size !== previous ? `<tr class="gap"><td colspan="${cols.length}"></td></tr>` : '';
      previous = r.size;
      let summary = '';
      if (r.group === 'variant' && !summarized.has(r.size)) {
        summarized.add(r.size);
        summary = variantSummary(rows, r.size, cols.length);
      }
      return `${gap}${summary}<tr class="${r.group}" data-case="${escapeHtml(r.case)}" data-size="${escapeHtml(r.size)}"${r.group === 'variant' && !showVariants ? ' hidden' : ''}>${cols
        .map((c) => `<td class="${c.align}">${escapeHtml(c.value(r))}</td>`)
        .join('')}</tr>`;
    })
    .join('');
  $('table').innerHTML = `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** The row before a size's kernel variants: how many, the fastest, and the button that shows or hides them. */
function variantSummary(rows: readonly CaseResult[], size: string, columns: number): string {
  const variants = rows.filter((r) => r.size === size && r.group === 'variant');
  const fastest = variants.reduce<CaseResult | undefined>((a, r) => ((r.elementsPerSecond ?? 0) > (a?.elementsPerSecond ?? 0) ? r : a), undefined);
  const best = fastest?.elementsPerSecond ? `; fastest: ${fastest.label}, ${si(fastest.elementsPerSecond)}/s` : '';
  return `<tr class="variant-summary" data-size="${escapeHtml(size)}"><td colspan="${columns}">${variants.length} kernel variants (the sweep, the store variants)${escapeHtml(best)} <button type="button" class="toggle-variants">${showVariants ? 'hide' : 'show'}</button></td></tr>`;
}

$('table').addEventListener('click', (e) => {
  if (!(e.target instanceof HTMLElement) || !e.target.classList.contains('toggle-variants')) return;
  showVariants = !showVariants;
  render({ results: rendered });
});

/** Horizontal bars, one per row, grouped by size; `value` null rows are left out. */
function barChart(
  rows: readonly CaseResult[],
  value: (r: CaseResult) => number | undefined,
  options: { log: boolean; format: (v: number) => string; reference?: number; width: number },
): string {
  const items = rows.map((r) => ({ r, v: value(r) })).filter((x): x is { r: CaseResult; v: number } => x.v !== undefined && Number.isFinite(x.v) && x.v > 0);
  if (items.length === 0) return '<p>(no data)</p>';
  // Labels get the width of the longest one; the bars take what is left of the container's width.
  const labelW = Math.ceil(Math.max(...items.map((x) => textWidth(x.r.label)))) + 12;
  const valueW = 90;
  const barW = Math.max(160, Math.min(600, options.width - labelW - valueW));
  const rowH = 16;
  const headH = 18;
  const values = items.map((x) => x.v);
  const lo = options.log ? Math.floor(Math.log10(Math.min(...values))) : 0;
  const hi = options.log ? Math.ceil(Math.log10(Math.max(...values))) : Math.max(...values, options.reference ?? 0);
  const span = Math.max(hi - lo, options.log ? 1 : 1e-9);
  const x = (v: number) => (barW * ((options.log ? Math.log10(v) : v) - lo)) / span;
  const parts: string[] = [];
  let y = 0;
  let previous = '';
  for (const { r, v } of items) {
    if (r.size !== previous) {
      y += previous ? 6 : 0;
      parts.push(`<text x="0" y="${y + 13}" font-weight="600">${escapeHtml(r.size)}</text>`);
      y += headH;
      previous = r.size;
    }
    const w = Math.max(1, x(v));
    parts.push(
      `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end">${escapeHtml(r.label)}</text>`,
      `<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${COLORS[r.group] ?? '#555'}"><title>${escapeHtml(`${r.label} @ ${r.size}: ${options.format(v)}`)}</title></rect>`,
      `<text x="${labelW + w + 4}" y="${y + 12}">${escapeHtml(options.format(v))}</text>`,
    );
    y += rowH;
  }
  const axis: string[] = [];
  if (options.log) {
    for (let d = lo; d <= hi; d++) {
      const xx = labelW + x(10 ** d);
      axis.push(`<line x1="${xx}" y1="0" x2="${xx}" y2="${y}" stroke="#ddd"/><text x="${xx}" y="${y + 12}" text-anchor="middle">${si(10 ** d)}</text>`);
    }
  } else if (options.reference !== undefined) {
    const xx = labelW + x(options.reference);
    axis.push(
      `<line x1="${xx}" y1="0" x2="${xx}" y2="${y}" stroke="#b00" stroke-dasharray="3,3"/><text x="${xx}" y="${y + 12}" text-anchor="middle">${options.format(options.reference)}</text>`,
    );
  }
  const width = labelW + barW + valueW;
  const height = y + 18;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${axis.join('')}${parts.join('')}</svg>`;
}

function renderCharts(rows: readonly CaseResult[]): void {
  renderLegend(rows);
  const width = $('chart-throughput').clientWidth;
  const charted = showVariants ? rows : rows.filter((r) => r.group !== 'variant');
  $('chart-throughput').innerHTML = barChart(charted, (r) => r.elementsPerSecond, { log: true, format: (v) => `${si(v)}/s`, width });
  $('chart-fraction').innerHTML = barChart(
    rows.filter((r) => r.group === 'ours'),
    (r) => r.fractionOfStore,
    { log: false, format: (v) => `${(100 * v).toFixed(1)}%`, reference: 1, width },
  );
}

function render(report: { readonly results: readonly CaseResult[] }): void {
  rendered = report.results;
  renderTable(report.results);
  renderCharts(report.results);
}

let running: Promise<BenchReport> | undefined;

async function run(config: PageConfig = {}): Promise<BenchReport> {
  const gpu = navigator.gpu;
  if (!gpu) throw new Error('navigator.gpu is missing: this browser has no WebGPU here (Chromium needs --enable-unsafe-webgpu on Linux)');
  const { tfjs = true, ...benchConfig } = config;
  const { adapter, device, timestamps } = await requestBenchDevice(gpu, { timestamps: benchConfig.timestamps ?? true });
  const ctx = await createContext({ device });
  let tf: TfPeer | undefined;
  let tfUnavailable: string | undefined;
  if (tfjs) {
    try {
      tf = await createTfPeer(
        { core: tfCore as unknown as TfCoreModule, webgpu: tfWebgpu as unknown as TfWebGpuModule, layers: tfLayers as unknown as TfLayersModule },
        device,
        adapter.info,
      );
    } catch (e) {
      tfUnavailable = `TF.js's WebGPU backend could not run: ${e instanceof Error ? e.message : String(e)}`;
    }
  } else {
    tfUnavailable = 'skipped (tfjs: false)';
  }
  const rows: CaseResult[] = [];
  status(`running on ${adapter.info.description || adapter.info.vendor || 'WebGPU'} (${timestamps ? 'GPU timestamps' : 'wall time'})…`);
  try {
    const report = await runBench(
      {
        ctx,
        adapter,
        runtime: { kind: 'browser', version: navigator.userAgent, platform: navigator.platform },
        tf,
        tfUnavailable,
        log: (line) => status(line),
        onResult: (row) => {
          rows.push(row);
          render({ results: rows });
        },
      },
      benchConfig,
    );
    render(report);
    $('env').textContent = summaryLines(report).join('\n');
    const link = $<HTMLAnchorElement>('download');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([reportJson(report)], { type: 'application/json' }));
    link.download = resultFileName(report);
    link.hidden = false;
    status(`done in ${(report.durationMs / 1000).toFixed(1)} s`);
    window.lastBenchReport = report;
    return report;
  } finally {
    ctx.destroy();
    device.destroy();
  }
}

window.showBenchReport = (report: BenchReport) => {
  render(report);
  $('env').textContent = summaryLines(report).join('\n');
};

window.runBench = (config?: PageConfig) => {
  if (running) return Promise.reject(new Error('a benchmark is already running'));
  running = run(config).finally(() => {
    running = undefined;
  });
  running.catch((e: unknown) => status(e instanceof Error ? e.message : String(e), true));
  return running;
};

function formConfig(form: HTMLFormElement): PageConfig {
  const data = new FormData(form);
  const sizes: SizeSpec[] = String(data.get('sizes') ?? '1M')
    .split(',')
    .filter((s) => s.trim())
    .map(parseSize);
  return { sizes, repeat: Number(data.get('repeat') ?? 5), model: data.get('model') === 'on', tfjs: data.get('tfjs') === 'on' };
}

const form = $<HTMLFormElement>('controls');
form.addEventListener('submit', (e) => {
  e.preventDefault();
  let config: PageConfig;
  try {
    config = formConfig(form);
  } catch (err) {
    status(err instanceof Error ? err.message : String(err), true);
    return;
  }
  $<HTMLButtonElement>('run').disabled = true;
  window
    .runBench(config)
    .catch(() => undefined)
    .finally(() => {
      $<HTMLButtonElement>('run').disabled = false;
    });
});

$('env').textContent = navigator.gpu ? `navigator.gpu present; ${navigator.userAgent}` : 'navigator.gpu is missing (no WebGPU in this browser)';
window.benchReady = true;
