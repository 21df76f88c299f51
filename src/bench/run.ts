// The benchmark runner, environment-agnostic: it takes a WeightInitContext (on a device the caller requested, ideally
// with 'timestamp-query': see requestBenchDevice) and optionally a TF.js peer, runs the cases of cases.ts with the
// runners of runners.ts, and returns a JSON-ready report. Used by src/cli/bench.ts (Node) and bench/page.ts (browser).

import { DeviceHandle } from '../gpu/device-handle.js';
import { type BenchCase, CASES, type CaseKind, maxElements, sizeLabel } from './cases.js';
import { type BenchConfig, resolveConfig } from './config.js';
import { adapterInfoObject, limitsObject } from './device.js';
import { type BenchReport, type CaseResult, deriveComparisons, dtypeOf, errorRow, REPORT_SCHEMA, skippedRow } from './report.js';
import { type Point, runnerOf } from './runners.js';
import { type BenchEnvironment, BenchSession, largestAllocatable, now } from './session.js';

export { type BenchConfig, DEFAULT_CONFIG, resolveConfig } from './config.js';
export { type BenchReport, type BenchRuntime, type CaseResult, deriveComparisons, REPORT_SCHEMA, type SampleCheck, type Stat, type Timing } from './report.js';
export type { BenchEnvironment } from './session.js';

/** The order of the once-per-run cases after the size cases (cases of one rank keep the order of CASES). */
const ONCE_ORDER: readonly (readonly CaseKind['type'][])[] = [['small-tensors'], ['orthogonal'], ['model-llama'], ['model-ours', 'model-tfjs']];

const onceRank = (c: BenchCase) => ONCE_ORDER.findIndex((types) => types.includes(c.kind.type));

/** Runs one case at one point: its row, or the error row of what it threw. */
async function measure(s: BenchSession, c: BenchCase, at: Point): Promise<CaseResult> {
  try {
    return await runnerOf(c.kind).run(s, c, c.kind, at);
  } catch (e) {
    return errorRow(c, at.size, at.elements, at.bytes, at.dtype, e);
  }
}

/** Runs the benchmark. Rows come back in the order run (per size: the store kernels, ours, the peers; then the once-cases). */
export async function runBench(env: BenchEnvironment, partial: Partial<BenchConfig> = {}): Promise<BenchReport> {
  const config = resolveConfig(partial);
  const { ctx } = env;
  const device = ctx.device;
  const log = env.log ?? (() => {});
  const t0 = now();
  const rows: CaseResult[] = [];
  const emit = (row: CaseResult) => {
    rows.push(row);
    env.onResult?.(row);
    const t = row.ms ? `${row.ms.median.toFixed(3)} ms (${row.timing}, ${row.reps} rep${row.reps === 1 ? '' : 's'})` : (row.skipped ?? row.error ?? '');
    log(`${row.case} @ ${row.size}: ${t}`);
  };
  const selected = CASES.filter((c) => !config.cases || config.cases.includes(c.id));
  // 'max': the limit the adapter reports, stepped down to what it can really allocate (SwiftShader
  // reports maxBufferSize = 1 GiB and fails to allocate exactly that).
  const largest = config.sizes.includes('max')
    ? await largestAllocatable(new DeviceHandle(device), maxElements(device.limits, config.maxBytes))
    : maxElements(device.limits, config.maxBytes);
  const sizes = [...new Set(config.sizes.map((s) => (s === 'max' ? largest : Math.min(s, largest))))];
  const labelOf = (n: number) => (n === largest && config.sizes.includes('max') ? `max (${sizeLabel(n)})` : sizeLabel(n));

  const session = await BenchSession.open(env, config, selected);
  try {
    for (const [index, n] of sizes.entries()) {
      for (const c of selected) {
        if (runnerOf(c.kind).per !== 'size') continue;
        emit(await measure(session, c, { size: labelOf(n), elements: n, bytes: n * c.elementBytes, dtype: dtypeOf(c), index }));
      }
    }
    const once = selected.filter((c) => runnerOf(c.kind).per === 'once').sort((a, b) => onceRank(a) - onceRank(b));
    for (const c of once) {
      const runner = runnerOf(c.kind);
      const go = runner.when?.(session, c) ?? true;
      if (go === false) continue;
      const at = { ...runner.point!(c.kind, c), index: 0 };
      emit(go === true ? await measure(session, c, at) : skippedRow(c, at.size, at.elements, go));
    }
  } finally {
    session.close();
  }

  return {
    schema: REPORT_SCHEMA,
    date: new Date().toISOString(),
    runtime: env.runtime,
    adapter: adapterInfoObject(device, env.adapter),
    limits: limitsObject(device.limits),
    features: [...device.features].map(String).sort(),
    timing: session.timer.timestamps ? 'gpu-timestamp' : 'wall',
    workgroupSize: ctx.limits.workgroupSize,
    blocksPerInvocation: ctx.limits.blocksPerInvocation ?? 1,
    config,
    tfjs: env.tf ? { version: env.tf.version, backend: env.tf.backend, layers: env.tf.layers } : { unavailable: env.tfUnavailable ?? 'not given' },
    results: deriveComparisons(rows),
    samples: session.samples,
    durationMs: now() - t0,
  };
}
