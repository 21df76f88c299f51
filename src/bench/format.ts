// Presentation of a bench report: the text table (Node), the columns the page's HTML table shares, and the
// name of a results file.
import type { BenchReport, CaseResult } from './run.js';

export interface Column {
  readonly title: string;
  readonly align: 'left' | 'right';
  readonly value: (r: CaseResult) => string;
}

/** 3 significant digits (or `digits`), with k/M/G suffixes for rates. */
export function si(v: number | undefined, unit = '', digits = 3): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  const [d, s] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${+(v / d).toPrecision(digits)}${s}${unit}`;
}

export function ms(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

function ratio(v: number | undefined, suffix = '×'): string {
  return v === undefined || !Number.isFinite(v) ? '' : `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}${suffix}`;
}

export const COLUMNS: readonly Column[] = [
  { title: 'case', align: 'left', value: (r) => r.label },
  { title: 'size', align: 'left', value: (r) => r.size },
  { title: 'timing', align: 'left', value: (r) => (r.timing === 'gpu-timestamp' ? 'gpu' : r.timing === 'wall' ? 'wall' : '') },
  { title: 'reps', align: 'right', value: (r) => (r.reps === undefined ? '' : String(r.reps)) },
  { title: 'median ms', align: 'right', value: (r) => ms(r.ms?.median) },
  { title: 'min–max ms', align: 'right', value: (r) => (r.ms ? `${ms(r.ms.min)}–${ms(r.ms.max)}` : '') },
  // Both medians wherever they were measured ('median ms' is the one `timing` names), so a row never shows
  // one blank beside the other.
  { title: 'wall ms', align: 'right', value: (r) => ms(r.wallMs?.median) },
  { title: 'gpu ms', align: 'right', value: (r) => (r.gpuMs ? ms(r.gpuMs.median) : '') },
  { title: 'elem/s', align: 'right', value: (r) => si(r.elementsPerSecond) },
  { title: 'GB/s', align: 'right', value: (r) => (r.gigabytesPerSecond === undefined ? '' : r.gigabytesPerSecond.toPrecision(3)) },
  {
    title: 'of store',
    align: 'right',
    value: (r) => (r.fractionOfStore === undefined ? '' : `${(100 * r.fractionOfStore).toFixed(r.fractionOfStore < 0.1 ? 1 : 0)}%`),
  },
  { title: 'vs TF.js', align: 'right', value: (r) => ratio(r.speedupVsTfjs) },
  { title: 'ours ×', align: 'right', value: (r) => ratio(r.oursSpeedup) },
  { title: 'bits', align: 'left', value: (r) => (r.verified === undefined ? '' : r.verified ? '==cpu' : 'DIFF') },
  { title: 'note', align: 'left', value: (r) => r.error ?? r.skipped ?? '' },
];

/** A plain-text table of the rows (one per case and size). */
export function textTable(rows: readonly CaseResult[], columns: readonly Column[] = COLUMNS): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const used = columns.map((_, i) => cells.some((row) => row[i] !== ''));
  const cols = columns.filter((_, i) => used[i]);
  const table = [cols.map((c) => c.title), ...cells.map((row) => row.filter((_, i) => used[i]))];
  const widths = cols.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (cols[i]!.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(table[0]!), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous = '';
  for (const [i, row] of table.slice(1).entries()) {
    const size = rows[i]!.size;
    if (previous && size !== previous) out.push('');
    previous = size;
    out.push(line(row));
  }
  return out.join('\n');
}

/** The heading lines: adapter, runtime, timing. */
export function summaryLines(report: BenchReport): string[] {
  const a = report.adapter;
  const tf =
    'version' in report.tfjs
      ? `TF.js ${report.tfjs.version} (WebGPU backend on the same device${report.tfjs.layers ? ', tfjs-layers' : ''})`
      : `TF.js: ${report.tfjs.unavailable}`;
  return [
    `adapter: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') || '(no info)'}${a.isFallbackAdapter ? ' [fallback adapter]' : ''}`,
    `runtime: ${report.runtime.kind} ${report.runtime.version}; timing: ${report.timing === 'gpu-timestamp' ? 'GPU timestamp queries (per run, summed over submissions)' : 'wall clock to onSubmittedWorkDone'}; ${report.config.repeat} samples (median, min–max), ${report.config.warmup} warm-up`,
    tf,
    `maxBufferSize ${si(report.limits['maxBufferSize'], 'B')}, maxStorageBufferBindingSize ${si(report.limits['maxStorageBufferBindingSize'], 'B')}; workgroup size ${report.workgroupSize}, ${report.blocksPerInvocation} blocks per invocation`,
  ];
}

/** `2025-01-31T12-00-00Z-google-swiftshader-node.json`: date + adapter + runtime, filesystem-safe. */
export function resultFileName(report: BenchReport): string {
  const date = report.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const a = report.adapter;
  const adapter = [a.vendor, a.architecture].filter(Boolean).join('-') || a.description || 'unknown-adapter';
  const slug = adapter
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  return `${date}-${slug}-${report.runtime.kind}.json`;
}

/** The report as pretty JSON, with arrays of numbers (the read-back samples) kept on one line. */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify(report, null, 2).replace(/\[\n\s+(-?[\d.e+-]+(?:,\n\s+-?[\d.e+-]+)*)\n\s+\]/g, (_m, items: string) => `[${items.replace(/,\n\s+/g, ', ')}]`)}\n`;
}
