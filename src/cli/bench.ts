// `webgpu-weight-init bench`: the benchmark of src/bench/ in Node, on Dawn's adapter (SwiftShader when
// there is no GPU), with TF.js's WebGPU backend on the same device as a peer when TF.js is installed.
// bench/node.ts runs the same command from the sources with tsx.
import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CASES, parseSize, QUICK_SIZES, type SizeSpec } from '../bench/cases.js';
import { requestBenchDevice } from '../bench/device.js';
import { reportJson, resultFileName, summaryLines, textTable } from '../bench/format.js';
import { type BenchConfig, type BenchReport, type CaseResult, runBench } from '../bench/run.js';
import { createTfPeer, type TfCoreModule, type TfLayersModule, type TfPeer, type TfWebGpuModule } from '../bench/tfjs.js';
import { createContext } from '../gpu/context.js';
import { requestNodeGPU } from '../node.js';
import { type OptionSpec, parseCount, parseNumber, parseOptions, UsageError } from './args.js';

export const BENCH_HELP = `usage: webgpu-weight-init bench [options]

Times weight generation on this machine's WebGPU adapter against a store-only kernel (the adapter's write
bandwidth), the CPU twin, a host fill + writeBuffer upload, TF.js's WebGPU backend (when installed) and,
for GPT-2 small, whole-model initialization.

  --sizes LIST        element counts: 1M,16M,64M,max (default); K/M/G are 2^10/2^20/2^30; max = the
                      largest buffer the adapter allows (capped by --max-bytes)
  --quick             1M only, without GPT-2 (29 s on SwiftShader on the 2-core build machine; add --model for GPT-2)
  --repeat N          timed samples per case and size; median and min-max are reported (default 5)
  --warmup N          discarded runs first (default 1)
  --cases LIST        only these cases: ${CASES.map((c) => c.id).join(', ')}
  --no-model          skip GPT-2 small (124M parameters; 2-3 minutes with its samples on SwiftShader) and
                      the small-tensor cases
  --model             run GPT-2 small and the small-tensor cases with --quick
  --llama             also Llama-2-7B in bf16, per-tensor buffers (13.5 GB of GPU memory)
  --no-tfjs           skip TF.js
  --cpu-max N         largest size the CPU twin runs at (default 16M)
  --peer-max N        largest size TF.js and the host upload run at (default 16M)
  --max-bytes N       cap of 'max', in bytes (default 4G)
  --target-ms N       GPU cases repeat the generation in one submission until a sample lasts about N ms
                      (default 50, at most 128 times)
  --no-timestamps     wall time even where the adapter has 'timestamp-query'
  --no-verify         do not compare read-back samples with the CPU twin
  --json PATH         write the report as JSON; a directory (existing, or ending in /) gets a file named
                      after the date, adapter and runtime
  --rows PATH         append each row to PATH as one JSON line as soon as it is measured
  --quiet             no progress lines, summary or table on stderr

stdout carries the report as one JSON document; progress, the summary and the table go to stderr.
`;

const OPTIONS = {
  sizes: { type: 'string' },
  quick: { type: 'flag' },
  repeat: { type: 'string' },
  warmup: { type: 'string' },
  cases: { type: 'string' },
  'no-model': { type: 'flag' },
  model: { type: 'flag' },
  llama: { type: 'flag' },
  'no-tfjs': { type: 'flag' },
  'cpu-max': { type: 'string' },
  'peer-max': { type: 'string' },
  'max-bytes': { type: 'string' },
  'target-ms': { type: 'string' },
  'no-timestamps': { type: 'flag' },
  'no-verify': { type: 'flag' },
  json: { type: 'string' },
  rows: { type: 'string' },
  quiet: { type: 'flag' },
} as const satisfies Readonly<Record<string, OptionSpec>>;

function sizeOption(name: string, value: string): number {
  let s: SizeSpec;
  try {
    s = parseSize(value);
  } catch (e) {
    throw new UsageError(`option '--${name}': ${e instanceof Error ? e.message : String(e)}`);
  }
  if (s === 'max') throw new UsageError(`option '--${name}': 'max' is not allowed here`);
  return s;
}

/** Parses the options into a bench config (exported for tests). */
export function parseBenchArgs(argv: readonly string[]): {
  config: Partial<BenchConfig>;
  json?: string;
  rows?: string;
  tfjs: boolean;
  quiet: boolean;
} {
  const opts = parseOptions(argv, OPTIONS);
  const config: Partial<BenchConfig> = {};
  const quick = opts.quick;
  if (quick && opts.sizes !== undefined) throw new UsageError("options '--quick' and '--sizes' exclude each other");
  if (quick) {
    config.sizes = [...QUICK_SIZES];
    config.model = false;
  }
  if (opts.model && opts.noModel) throw new UsageError("options '--model' and '--no-model' exclude each other");
  if (opts.model) config.model = true;
  const sizes = opts.sizes;
  if (sizes !== undefined) {
    config.sizes = sizes.split(',').map((s) => {
      try {
        return parseSize(s);
      } catch (e) {
        throw new UsageError(`option '--sizes': ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  }
  const int = (name: string, v: string | undefined, min: number, max: number) => {
    if (v === undefined) return undefined;
    const n = parseCount(name, v, max);
    if (n < min) throw new UsageError(`option '--${name}': '${v}' is below ${min}`);
    return n;
  };
  config.repeat = int('repeat', opts.repeat, 1, 10_000);
  config.warmup = int('warmup', opts.warmup, 1, 1000);
  const cases = opts.cases;
  if (cases !== undefined) {
    config.cases = cases.split(',').map((id) => {
      if (!CASES.some((c) => c.id === id)) throw new UsageError(`option '--cases': unknown case '${id}' (known: ${CASES.map((c) => c.id).join(', ')})`);
      return id;
    });
  }
  if (opts.noModel) config.model = false;
  if (opts.llama) config.llama = true;
  const cpuMax = opts.cpuMax;
  if (cpuMax !== undefined) config.cpuMaxElements = sizeOption('cpu-max', cpuMax);
  const peerMax = opts.peerMax;
  if (peerMax !== undefined) config.peerMaxElements = sizeOption('peer-max', peerMax);
  const maxBytes = opts.maxBytes;
  if (maxBytes !== undefined) config.maxBytes = sizeOption('max-bytes', maxBytes);
  const target = opts.targetMs;
  if (target !== undefined) {
    const t = parseNumber('target-ms', target);
    if (!(t > 0)) throw new UsageError(`option '--target-ms': '${target}' is not positive`);
    config.targetSampleMs = t;
  }
  if (opts.noTimestamps) config.timestamps = false;
  if (opts.noVerify) config.verify = false;
  const json = opts.json;
  const rows = opts.rows;
  return {
    config,
    ...(json === undefined ? {} : { json }),
    ...(rows === undefined ? {} : { rows }),
    tfjs: !opts.noTfjs,
    quiet: opts.quiet,
  };
}

/** Imports a module by a name the bundler must leave alone (TF.js is optional and not bundled). */
async function optionalImport<T>(specifier: string): Promise<T> {
  return (await import(/* @vite-ignore */ specifier)) as T;
}

/**
 * TF.js's WebGPU backend in Node: it needs navigator.gpu and the GPU* globals (GPUBufferUsage, GPUMapMode,
 * GPUBuffer for instanceof checks), which the `webgpu` package provides but does not install. Only missing
 * names are defined.
 */
export async function nodeTfPeer(gpu: GPU, device: GPUDevice, loadTf: TfLoader): Promise<TfPeer> {
  const dawn = await optionalImport<{ globals?: Record<string, unknown> }>('webgpu');
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(dawn.globals ?? {})) if (!(name in g)) g[name] = value;
  // The backend module registers a 'webgpu' backend of its own at import time when navigator.gpu exists, so
  // it is imported first and navigator.gpu is set only for the constructor, which checks it.
  const { core, webgpu, layers } = await loadTf();
  g['navigator'] ??= {};
  const nav = g['navigator'] as { gpu?: GPU };
  if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, enumerable: true });
  return createTfPeer({ core, webgpu, layers }, device, (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo);
}

/** TF.js's modules: imported from node_modules by default; the device bundle passes its bundled copies. */
export type TfLoader = () => Promise<TfModules>;

export interface TfModules {
  readonly core: TfCoreModule;
  readonly webgpu: TfWebGpuModule;
  readonly layers?: TfLayersModule | undefined;
}

/** The TF.js packages installed beside the library (optional dev dependencies; layers optional too). */
export async function importTfModules(): Promise<TfModules> {
  const core = await optionalImport<TfCoreModule>('@tensorflow/tfjs-core');
  const webgpu = await optionalImport<TfWebGpuModule>('@tensorflow/tfjs-backend-webgpu');
  let layers: TfLayersModule | undefined;
  try {
    layers = await optionalImport<TfLayersModule>('@tensorflow/tfjs-layers');
  } catch {
    layers = undefined;
  }
  return { core, webgpu, layers };
}

/** Appends each measured row to `path` as one JSON line, so that a run cut short keeps what it measured. */
function rowWriter(path: string): (row: CaseResult) => void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  return (row) => appendFileSync(path, `${JSON.stringify(row)}\n`);
}

function jsonPath(target: string, report: BenchReport): string {
  let isDir = target.endsWith('/') || target.endsWith('\\');
  if (!isDir) {
    try {
      isDir = statSync(target).isDirectory();
    } catch {
      isDir = false;
    }
  }
  return isDir ? join(target, resultFileName(report)) : target;
}

/**
 * Runs the benchmark; returns the exit code (0, or 1 when a case failed or a sample differed); bad options throw.
 * stdout carries the report as one JSON document; progress, the summary and the table go to stderr.
 */
export async function benchCommand(argv: string[], loadTf: TfLoader = importTfModules): Promise<number> {
  // A bad option throws UsageError and `--help` HelpRequested, which main() reports like every command's.
  const parsed = parseBenchArgs(argv);
  const log = parsed.quiet ? undefined : (line: string) => process.stderr.write(`bench: ${line}\n`);
  const node = await requestNodeGPU();
  const { adapter, device } = await requestBenchDevice(node.gpu, { timestamps: parsed.config.timestamps ?? true });
  const ctx = await createContext({ device });
  let tf: TfPeer | undefined;
  let tfUnavailable: string | undefined;
  if (parsed.tfjs) {
    try {
      tf = await nodeTfPeer(node.gpu, device, loadTf);
    } catch (e) {
      tfUnavailable = `TF.js's WebGPU backend could not run here: ${e instanceof Error ? e.message : String(e)}`;
      log?.(tfUnavailable);
    }
  } else {
    tfUnavailable = 'skipped (--no-tfjs)';
  }
  try {
    const report = await runBench(
      {
        ctx,
        adapter,
        runtime: { kind: 'node', version: process.version, platform: `${process.platform}-${process.arch}`, swiftShaderFallback: node.swiftShaderFallback },
        tf,
        tfUnavailable,
        log,
        ...(parsed.rows === undefined ? {} : { onResult: rowWriter(parsed.rows) }),
      },
      parsed.config,
    );
    // stdout: the report, one JSON document; the readable summary and table go to stderr.
    if (!parsed.quiet) process.stderr.write(`${summaryLines(report).join('\n')}\n\n${textTable(report.results)}\n`);
    const json = reportJson(report);
    if (parsed.json !== undefined) {
      const path = jsonPath(parsed.json, report);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, json);
      process.stderr.write(`\nwrote ${path}\n`);
    }
    process.stdout.write(json.endsWith('\n') ? json : `${json}\n`);
    const failed = report.results.some((r) => r.error !== undefined || r.verified === false) || report.samples.some((s) => !s.equal);
    return failed ? 1 : 0;
  } finally {
    ctx.destroy();
    device.destroy();
  }
}
