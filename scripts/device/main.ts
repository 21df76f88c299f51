// The device bundle's driver (built into .device/app/device.mjs; run by .device/run.sh with the bundled Node):
// identifies the adapter, runs the GPU test subset, the benchmark and the PyTorch CUDA peer one after
// another (each in its own process, with a time limit, so that one crash or hang costs only its part), and
// writes OUT/device-report.json. Targets of issue 13 are evaluated from the measured rows; whatever could
// not be measured says why.
//   node device.mjs --out DIR [--quick]      (DEVICE_BENCH_LIMIT_S overrides the bench's time limit)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASES } from '../../src/bench/cases.js';
import { adapterInfoObject, limitsObject, requestBenchDevice } from '../../src/bench/device.js';
import { type BenchReport, type CaseResult, deriveComparisons } from '../../src/bench/run.js';
import { isSoftwareAdapter } from '../../src/gpu/context.js';
import { requestNodeGPU } from '../../src/node.js';
import { evaluateTargets, type TtftPartReport } from './targets.js';

export const DEVICE_REPORT_SCHEMA = 'webgpu-weight-init/device-report@1';

const APP = dirname(fileURLToPath(import.meta.url));

interface Part {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
  readonly json?: unknown;
  readonly error?: string;
}

const log = (line: string) => process.stderr.write(`device: ${line}\n`);

/** Runs one part in its own process (stderr passed through), then reads the JSON file it wrote. */
function runPart(name: string, command: string, args: string[], jsonPath: string, timeoutS: number): Part {
  log(`${name}: ${[command, ...args].join(' ')} (limit ${timeoutS} s)`);
  const t0 = performance.now();
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: timeoutS * 1000, killSignal: 'SIGKILL', env: process.env });
  const durationMs = Math.round(performance.now() - t0);
  let json: unknown;
  let error: string | undefined;
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') error = `${name} was stopped after its ${timeoutS} s limit`;
  else if (r.error) error = `${name} could not run: ${r.error.message}`;
  if (existsSync(jsonPath)) {
    try {
      json = JSON.parse(readFileSync(jsonPath, 'utf8'));
    } catch (e) {
      error ??= `${name} wrote unreadable JSON: ${String(e)}`;
    }
  }
  if (r.signal) error ??= `${name} was stopped by ${r.signal}`;
  if (json === undefined) error ??= `${name} exited with ${r.status} and wrote no report`;
  log(`${name}: exit ${r.status ?? r.signal} after ${(durationMs / 1000).toFixed(1)} s`);
  return {
    ok: r.status === 0 && json !== undefined,
    exitCode: r.status,
    signal: r.signal,
    durationMs,
    ...(json === undefined ? {} : { json }),
    ...(error ? { error } : {}),
  };
}

function readRows(path: string): CaseResult[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as CaseResult];
      } catch {
        return [];
      }
    });
}

async function probeAdapter() {
  const node = await requestNodeGPU();
  const { adapter, device, timestamps } = await requestBenchDevice(node.gpu);
  try {
    const info = adapterInfoObject(device, adapter);
    return {
      adapter: info,
      softwareAdapter: isSoftwareAdapter(info),
      swiftShaderFallback: node.swiftShaderFallback,
      timestamps,
      limits: limitsObject(device.limits),
      features: [...device.features].map(String).sort(),
    };
  } finally {
    device.destroy();
  }
}

/**
 * Options of the two runs: --quick must fit 2 minutes on SwiftShader (every case at 256K, no models, of the sweep
 * only workgroup size 64: each other setting is one more context and pipeline to compile, and of the JAX streams
 * the bits and f32 normal rows of both key implementations), the full run 8 minutes on an H200.
 */
function benchArgs(quick: boolean): string[] {
  if (!quick) return ['--sizes', '1M,16M,64M,max', '--repeat', '5', '--llama', '--quiet'];
  const quickJax = (c: (typeof CASES)[number]) => c.kind.type !== 'jax' || (['bits', 'normal'].includes(c.kind.dist) && c.kind.dtype !== 'bf16');
  const cases = CASES.filter(
    (c) => c.group !== 'model' && !(c.kind.type === 'generate' && c.kind.workgroupSize !== undefined && c.kind.workgroupSize !== 64) && quickJax(c),
  );
  return ['--sizes', '256K', '--repeat', '3', '--target-ms', '20', '--no-model', '--cases', cases.map((c) => c.id).join(','), '--quiet'];
}

async function main(argv: readonly string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const outAt = argv.indexOf('--out');
  const out = outAt >= 0 && argv[outAt + 1] ? argv[outAt + 1]! : join(APP, '..', 'out');
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const node = process.execPath;

  let probe: Awaited<ReturnType<typeof probeAdapter>> | { error: string };
  try {
    probe = await probeAdapter();
    log(`adapter: ${JSON.stringify(probe.adapter)}`);
  } catch (e) {
    probe = { error: e instanceof Error ? e.message : String(e) };
    log(`no adapter: ${probe.error}`);
  }

  const testsPart = runPart(
    'gpu tests',
    node,
    [join(APP, 'gpu-tests.mjs'), '--json', join(out, 'gpu-tests.json'), ...(quick ? ['--quick'] : [])],
    join(out, 'gpu-tests.json'),
    quick ? 150 : 300,
  );
  const benchPart = runPart(
    'bench',
    node,
    [join(APP, 'bench.mjs'), ...benchArgs(quick), '--json', join(out, 'bench.json'), '--rows', join(out, 'bench-rows.jsonl')],
    join(out, 'bench.json'),
    Number(process.env['DEVICE_BENCH_LIMIT_S'] ?? (quick ? 120 : 420)),
  );
  const python = process.env['PYTHON'] ?? 'python3';
  const pytorchPart = runPart(
    'pytorch',
    python,
    [join(APP, 'pytorch_peer.py'), '--json', join(out, 'pytorch.json'), ...(quick ? ['--quick'] : [])],
    join(out, 'pytorch.json'),
    quick ? 60 : 240,
  );

  // Time to first token in ORT Web (issue 22): needs a Chromium on the machine; --quick runs a tiny GPT-2 only.
  const ttftPart = runPart(
    'ttft',
    node,
    [join(APP, 'ttft.mjs'), '--json', join(out, 'ttft.json'), ...(quick ? ['--quick'] : [])],
    join(out, 'ttft.json'),
    quick ? 150 : 600,
  );
  const ttft = (ttftPart.json as TtftPartReport | undefined) ?? { skipped: ttftPart.error ?? 'the ttft part wrote no report' };

  const tests = testsPart.json as { passed: number; failed: number; skipped: number; failures: unknown[] } | undefined;
  const bench = benchPart.json as BenchReport | undefined;
  // A bench cut short (its limit, a crash) leaves the rows it measured, one JSON line each.
  const partialRows = bench ? [] : deriveComparisons(readRows(join(out, 'bench-rows.jsonl')));
  const pytorch = (pytorchPart.json as Record<string, unknown> | undefined) ?? { skipped: pytorchPart.error ?? 'the PyTorch peer wrote no report' };
  const softwareAdapter = 'softwareAdapter' in probe ? probe.softwareAdapter : undefined;
  const report = {
    schema: DEVICE_REPORT_SCHEMA,
    date: new Date().toISOString(),
    quick,
    runtime: { execPath: process.execPath, node: process.version, platform: process.platform, arch: process.arch, bundle: dirname(APP) },
    vulkan: {
      icdFilenames: process.env['VK_ICD_FILENAMES'] ?? null,
      icdSource: process.env['DEVICE_ICD_SOURCE'] ?? null,
      bundledLibraries: (process.env['DEVICE_BUNDLED_LIBS'] ?? '').split(' ').filter(Boolean),
    },
    ...probe,
    tests: tests
      ? { passed: tests.passed, failed: tests.failed, skipped: tests.skipped, failures: tests.failures, durationMs: testsPart.durationMs }
      : { passed: 0, failed: 1, skipped: 0, failures: [{ name: 'gpu-tests', message: testsPart.error }], durationMs: testsPart.durationMs },
    bench: bench ?? { error: benchPart.error, partialResults: partialRows },
    pytorch,
    ttft,
    targets: evaluateTargets(bench?.results ?? partialRows, pytorch, softwareAdapter, ttft),
    durationMs: Math.round(performance.now() - t0),
  };
  const path = join(out, 'device-report.json');
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  log(`tests: ${report.tests.passed} passed, ${report.tests.failed} failed; wrote ${path} (${(report.durationMs / 1000).toFixed(0)} s)`);
  process.stdout.write(`${JSON.stringify({ report: path, tests: { passed: report.tests.passed, failed: report.tests.failed } })}\n`);
  return report.tests.failed === 0 && testsPart.ok && benchPart.ok ? 0 : 1;
}

process.exit(await main(process.argv.slice(2)));
