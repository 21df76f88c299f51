// `webgpu-weight-init init`: a whole model from a preset, a config, a safetensors header or a spec, on the
// GPU, with a progress bar, a summary, optional verification against the CPU twin and a safetensors file.
import { open, stat } from 'node:fs/promises';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { DTYPE_BYTES, type FloatDType } from '../contract/dtypes.js';
import { STRATEGY_OPTIONS } from '../contract/strategy.js';
import { parseU64 } from '../contract/u64.js';
import { AbortedError, InvalidParameterError } from '../errors.js';
import type { WeightInitContext } from '../gpu/context.js';
import { encodeCheckpointLayout, type PartIndex, parsePart, partFromEnvironment, planParts } from '../models/checkpoint-parts.js';
import { DEFAULT_MAX_SHARD_SIZE, parseShardSize, planCheckpoint } from '../models/checkpoint-plan.js';
import { assertPlanFits, type ModelPlan, planModel } from '../models/model-plan.js';
import { fromSafetensorsHeader, gpt2, hfConfig, llama, type PresetOptions, presetFromHfConfig, resnet18 } from '../models/presets.js';
import type { InitRule } from '../models/rules.js';
import { type ModelSpec, modelTotals, parseModelSpec, type ResolvedTensor, resolveModel } from '../models/spec.js';
import { createNodeContext } from '../node.js';
import { prepareCheckpoint, type WriteCheckpointResult } from '../output/checkpoint.js';
import { type InitializedModel, initModel, type ModelTensor } from '../output/init-model.js';
import { weightFileMetadata } from '../output/metadata.js';
import { openCheckpointFolder } from '../output/node/checkpoint-folder.js';
import { openOnnxPackFolders } from '../output/node/onnx-pack-folder.js';
import { readRegularFile } from '../output/node/regular-file.js';
import { readSafetensorsHeaderFromFile } from '../output/node/safetensors-file.js';
import { DECODER_OPSET } from '../output/onnx/decoder-graph.js';
import { planOnnxPack, writeOnnxPack } from '../output/onnx/pack.js';
import { headerToJson, type ParsedSafetensorsHeader } from '../output/safetensors/parser.js';
import { writeSafetensors } from '../output/safetensors/writer.js';
import { initialize as initializeCpu } from '../twin/initialize.js';
import { storedToNumber } from '../twin/pack.js';
import { compactAdapter, type ProbedAdapter, probeAdapter } from './adapter.js';
import { givenOptions, type OptionSpec, type ParsedOptions, parseOptions, UsageError } from './args.js';
import { checkFolderTarget } from './folder-target.js';
import { type OutputFile, openOutputFile } from './output-file.js';
import { progressBar } from './progress.js';
import { formatTable } from './table.js';

const INIT_OPTIONS = {
  preset: { type: 'string', values: ['gpt2', 'llama', 'resnet18'] },
  config: { type: 'string' },
  from: { type: 'string' },
  rules: { type: 'string' },
  spec: { type: 'string' },
  seed: { type: 'string' },
  dtype: { type: 'string', values: ['f32', 'f16', 'bf16'] },
  placement: { type: 'string', values: ['tensor', 'arena'] },
  strategy: { type: 'string', values: STRATEGY_OPTIONS },
  out: { type: 'string' },
  'max-shard-size': { type: 'string' },
  part: { type: 'string' },
  verify: { type: 'flag' },
  table: { type: 'flag' },
  quiet: { type: 'flag' },
  'dry-run': { type: 'flag' },
  'max-memory': { type: 'string' },
  format: { type: 'string', values: ['safetensors', 'onnx'] },
} as const satisfies Readonly<Record<string, OptionSpec>>;

type InitOptions = ParsedOptions<typeof INIT_OPTIONS>;

export const INIT_HELP = `  init [options]             initialize a whole model on the GPU
    --preset gpt2|llama|resnet18   built-in model (GPT-2 small, Llama-2-7B, ResNet-18 by default)
    --config config.json     a Hugging Face config.json: for --preset gpt2|llama, or alone (the preset
                             from its model_type: gpt2, llama); or the JSON itself: --config '{"n_layer": 2}'
                             (a value starting with { or [ is JSON, as for --spec and --rules)
    --from file.safetensors  same names, shapes and dtypes as an existing file (needs --rules)
    --spec model.json        a model spec (docs/models.md)
    --rules rules.json       rules put before the preset's (e.g. [{"match":"*.bias","init":{"kind":"zeros"}}])
    --seed U64               default 0
    --dtype f32|f16|bf16     every tensor's dtype (default: the preset's, f32)
    --placement tensor|arena one buffer per tensor (default) or one arena
    --strategy auto|kernel|upload  WGSL kernels, or SIMD CPU workers + writeBuffer (default auto:
                             upload on a software adapter such as SwiftShader, else kernel)
    --out model.safetensors  stream the weights to a safetensors file
    --out DIR/               a Hugging Face checkpoint folder (an existing folder or a path ending in /):
                             config.json and model.safetensors, or shards + model.safetensors.index.json,
                             generated and written window by window (memory bounded, whatever the size)
    --format safetensors|onnx  with --out DIR/: a checkpoint folder (default), or an ONNX pack for
                             transformers.js / Optimum / ONNX Runtime (gpt2 and llama; f32 or f16):
                             config.json, generation_config.json, a byte-level stand-in tokenizer,
                             onnx/model.onnx + onnx/model.onnx_data (docs/engines.md)
    --max-shard-size SIZE    with --out DIR/: largest shard, as HF's max_shard_size (default 5GB = 5e9
                             bytes; 100MB, 2GiB = 2^31 bytes, ...); with --dry-run, the files it would write
    --part K/N|auto          with --out DIR/: write only part K of N (K from 0) of the shards, for N workers
                             sharing DIR (docs/scale.md); the part that completes the checkpoint writes the
                             index and config.json. auto: K and N from the job runner: JOB_COMPLETION_INDEX
                             with WEBGPU_WEIGHT_INIT_PART_COUNT (Kubernetes), SLURM_ARRAY_TASK_ID/_COUNT/_MIN/
                             _STEP, AWS_BATCH_JOB_ARRAY_INDEX/_SIZE, CLOUD_RUN_TASK_INDEX/_COUNT
    --verify                 compare samples of every tensor with the CPU twin
    --table                  per-tensor table on stderr: initializer, expected std, measured std
    --quiet                  no progress bar
    --dry-run                print the plan and allocate nothing: tensors, parameters, bytes per dtype,
                             buffers, and whether they fit the adapter's limits and the memory (exit 1
                             if not); only the adapter's limits are queried, no device is created; with
                             --out DIR/: the files, and whether the folder can take them (fits, problems)
    --max-memory N[K|M|G]    bytes the buffers may take (binary units; default on a software adapter:
                             this machine's available memory); a model that needs more stops before
                             allocating`;

/** Largest JSON file (--spec, --rules, --config) read. */
const MAX_JSON_BYTES = 64 << 20;

/**
 * The JSON of `--spec`, `--rules` or `--config`: the value itself when it starts with `{` or `[` (inline JSON, e.g.
 * `--config '{"n_layer": 2}'`), else the file it names.
 */
async function readJson(option: string, path: string): Promise<unknown> {
  if (/^\s*[[{]/.test(path)) {
    try {
      return JSON.parse(path);
    } catch (e) {
      throw new UsageError(`option '--${option}': the inline JSON is not valid (${(e as Error).message}); give JSON text starting with { or [, or a file path`);
    }
  }
  const bytes = await readRegularFile(`option '--${option}'`, path, MAX_JSON_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`option '--${option}': ${path} is not UTF-8 text`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`option '--${option}': ${path} is not valid JSON (${(e as Error).message})`);
  }
}

/** The model to initialize, and the config.json of its checkpoint folder when it comes from a Hugging Face config. */
interface ModelSource {
  readonly spec: ModelSpec;
  readonly config: Record<string, unknown> | undefined;
}

async function modelSpecFrom(opts: InitOptions): Promise<ModelSource> {
  const sources = givenOptions(INIT_OPTIONS, opts, ['preset', 'from', 'spec']);
  const configOnly = opts.config !== undefined && sources.length === 0;
  if (sources.length !== 1 && !configOnly) throw new UsageError(`give exactly one of --preset, --from, --spec, or --config alone (got ${sources.length})`);
  const rules = opts.rules !== undefined ? ((await readJson('rules', opts.rules)) as InitRule[]) : undefined;
  if (rules !== undefined && !Array.isArray(rules)) throw new UsageError(`option '--rules': expected a JSON array of rules`);
  const dtype: FloatDType | undefined = opts.dtype;
  const presetOptions: PresetOptions = { ...(dtype ? { dtype } : {}), ...(rules ? { rules } : {}) };
  if (opts.config !== undefined && !(opts.preset !== undefined) && !configOnly) throw new UsageError(`option '--config' goes with --preset or alone`);
  if (configOnly) {
    const config = await readJson('config', opts.config);
    try {
      const { modelType, spec } = presetFromHfConfig(config as Record<string, unknown>, presetOptions);
      return { spec, config: hfConfig(modelType, config as Record<string, unknown>) };
    } catch (e) {
      if (e instanceof InvalidParameterError && e.parameter === 'config.model_type') throw new UsageError(`option '--config': ${e.message}; or give --preset`);
      throw e;
    }
  }
  if (opts.preset !== undefined) {
    const config = opts.config !== undefined && opts.preset !== 'resnet18' ? ((await readJson('config', opts.config)) as Record<string, unknown>) : {};
    switch (opts.preset) {
      case 'gpt2':
        return { spec: gpt2(config, presetOptions), config: hfConfig('gpt2', config) };
      case 'llama':
        return { spec: llama(config, presetOptions), config: hfConfig('llama', config) };
      default:
        if (opts.config !== undefined) {
          throw new UsageError(
            "option '--config' does not apply to --preset resnet18: ResNet-18 has no Hugging Face config.json (give its tensors with --spec, or change its recipe with --rules)",
          );
        }
        return { spec: resnet18(presetOptions), config: undefined };
    }
  }
  if (opts.from !== undefined) {
    if (!rules) throw new UsageError(`option '--from' needs --rules to say how to initialize the tensors`);
    const header = await readSafetensorsHeaderFromFile(opts.from, { parameter: "option '--from'" });
    const spec = fromSafetensorsHeader(headerToJson(header) as never, rules);
    return { spec: dtype ? { ...spec, tensors: spec.tensors.map((t) => ({ ...t, dtype })) } : spec, config: undefined };
  }
  if (opts.spec === undefined) throw new UsageError('give exactly one of --preset, --from, --spec, or --config alone');
  const spec = parseModelSpec(await readJson('spec', opts.spec));
  return { spec: { ...spec, ...(dtype ? { dtype } : {}), rules: [...(rules ?? []), ...(spec.rules ?? [])] }, config: undefined };
}

/** True when `--out` names a folder: a path ending in a slash, or an existing directory. */
async function isFolderTarget(path: string): Promise<boolean> {
  if (path.endsWith('/')) return true;
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

/** `--part`: 'K/N', or 'auto' from the job runner's variables; a bad value is one line. */
function partOption(value: string): PartIndex {
  try {
    return value === 'auto' ? partFromEnvironment(process.env, "option '--part' auto") : parsePart(value, "option '--part'");
  } catch (e) {
    if (e instanceof InvalidParameterError) throw new UsageError(e.message);
    throw e;
  }
}

/** Reads up to `max` elements from the start of a tensor as numbers. */
async function readHead(ctx: WeightInitContext, model: InitializedModel, t: ResolvedTensor, start: number, count: number): Promise<number[]> {
  const m = model.get(t.name)!;
  const values = await ctx.read(m.buffer, { offset: m.offset + start * DTYPE_BYTES[t.dtype], count, dtype: t.dtype });
  return Array.from(values, storedToNumber(t.dtype));
}

const SAMPLE = 16;
const STD_SAMPLE = 1 << 18;

/** Reads `count` elements from element `start` of a tensor, as raw little-endian bytes. */
type TensorReader = (t: ResolvedTensor, start: number, count: number) => Promise<Uint8Array>;

/** Reads from the model's GPU buffers. */
function gpuReader(ctx: WeightInitContext, model: InitializedModel): TensorReader {
  return async (t, start, count) => {
    const m = model.get(t.name)!;
    const got = await ctx.read(m.buffer, { offset: m.offset + start * DTYPE_BYTES[t.dtype], count, dtype: t.dtype });
    return new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
  };
}

/** Reads from the weight files of a checkpoint folder (headers parsed by the strict parser). */
async function folderReader(folder: string, written: WriteCheckpointResult): Promise<TensorReader> {
  const where = new Map<string, { path: string; header: ParsedSafetensorsHeader }>();
  for (const f of written.files) {
    if (!f.name.endsWith('.safetensors')) continue;
    const path = join(folder, f.name);
    const header = await readSafetensorsHeaderFromFile(path);
    for (const t of header.tensors) where.set(t.name, { path, header });
  }
  return async (t, start, count) => {
    const { path, header } = where.get(t.name)!;
    const entry = header.tensors.find((x) => x.name === t.name)!;
    const eb = DTYPE_BYTES[t.dtype];
    const h = await open(path, 'r');
    try {
      const out = new Uint8Array(count * eb);
      const { bytesRead } = await h.read(out, 0, out.length, header.dataOffset + entry.dataOffsets[0] + start * eb);
      return out.subarray(0, bytesRead);
    } finally {
      await h.close();
    }
  };
}

/** Compares elements at the start, middle and end of every tensor with the CPU twin. */
async function verify(read: TensorReader, tensors: readonly ResolvedTensor[], seed: bigint) {
  let checked = 0;
  const mismatched: string[] = [];
  for (const t of tensors) {
    const spots = [...new Set([0, Math.max(0, Math.floor(t.numel / 2) - SAMPLE / 2), Math.max(0, t.numel - SAMPLE)])];
    for (const start of spots) {
      const count = Math.min(SAMPLE, t.numel - start);
      if (count <= 0) continue;
      const a = await read(t, start, count);
      const want = initializeCpu({ init: t.init, shape: t.shape, layout: t.layout, seed, stream: t.stream, dtype: t.dtype, start, count });
      const b = new Uint8Array(want.buffer, want.byteOffset, want.byteLength);
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) mismatched.push(`${t.name}[${start}..${start + count})`);
      checked += count;
    }
  }
  return { elements: checked, tensors: tensors.length, mismatched };
}

/** The summary's `verified` entry: what was compared with the CPU twin (`from`: where the values were read), the first mismatches. */
function verifiedEntry(v: Awaited<ReturnType<typeof verify>>, from?: string): Record<string, unknown> {
  return {
    against: 'cpu twin',
    ...(from === undefined ? {} : { from }),
    tensors: v.tensors,
    elements: v.elements,
    mismatches: v.mismatched.length,
    first: v.mismatched.slice(0, 5),
  };
}

function describeInit(t: ResolvedTensor): string {
  const r = t.resolved;
  if (r.kind === 'distribution') {
    const d = r.dist;
    if (d.kind === 'uniform') return `uniform(${d.low.toPrecision(4)}, ${d.high.toPrecision(4)})`;
    if (d.kind === 'normal') return `normal(${d.mean}, ${d.std.toPrecision(4)})`;
    return `truncNormal(${d.mean}, ${d.std.toPrecision(4)}, ${d.a}, ${d.b}${d.bounds === 'absolute' ? ' abs' : ''})`;
  }
  if (r.kind === 'constant') return `constant(${r.value})`;
  return r.kind;
}

const TENSOR_COLUMNS = [{ header: 'tensor' }, { header: 'shape' }, { header: 'dtype' }, { header: 'initializer' }] as const;

function tensorCells(t: ResolvedTensor): string[] {
  return [t.name, `[${t.shape.join(',')}]`, t.dtype, describeInit(t)];
}

function expectedStd(t: ResolvedTensor): string {
  const r = t.resolved;
  return r.kind === 'distribution' ? r.expectedStd.toPrecision(4) : r.kind === 'constant' ? '0' : '-';
}

/** `--max-memory`: bytes, or a number with K, M, G or T (powers of 1024). */
function parseByteSize(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]i?B?|B)?$/i.exec(value);
  if (!m) throw new UsageError(`option '--${name}': '${value}' is not a size such as 512M or 8G`);
  const unit = (m[2] ?? '').toUpperCase()[0];
  const scale = unit === 'K' ? 2 ** 10 : unit === 'M' ? 2 ** 20 : unit === 'G' ? 2 ** 30 : unit === 'T' ? 2 ** 40 : 1;
  return Math.floor(Number(m[1]) * scale);
}

/**
 * `parameters`: the trainable parameters, as PyTorch counts them (torchvision's 11,689,512 for ResNet-18);
 * `elements`: every value written, BatchNorm running statistics included (11,699,112).
 */
function parameterCounts(tensors: readonly Pick<ResolvedTensor, 'name' | 'numel' | 'byteLength'>[]): { parameters: number; elements: number } {
  const t = modelTotals(tensors);
  return { parameters: t.parameters, elements: t.numel };
}

/** The dry run's JSON: the plan without its per-tensor initializer details, plus what it was checked against. */
function planSummary(model: string | null, plan: ModelPlan, probed: ProbedAdapter, memoryGiven: boolean) {
  return {
    dryRun: true,
    model,
    placement: plan.placement,
    tensors: plan.tensors.length,
    ...parameterCounts(plan.tensors),
    bytes: plan.bytes,
    byDtype: plan.byDtype,
    buffers: plan.buffers,
    scratchBytes: plan.scratchBytes,
    peakBytes: plan.peakBytes,
    adapter: probed.adapter,
    limits: plan.limits,
    memory:
      plan.memoryBytes === null
        ? { bytes: null, source: "not checked: WebGPU does not report a GPU's memory (--max-memory sets a bound)" }
        : { bytes: plan.memoryBytes, source: memoryGiven ? '--max-memory' : "available memory of this machine (a software adapter's buffers are host memory)" },
    fitsAdapter: plan.fitsAdapter,
    fitsMemory: plan.fitsMemory,
    fits: plan.problems.length === 0,
    problems: plan.problems,
    perTensor: plan.tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype, bytes: t.byteLength, offset: t.offset })),
  };
}

function std(values: readonly number[]): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let m2 = 0;
  for (const v of values) m2 += (v - mean) * (v - mean);
  return Math.sqrt(m2 / values.length);
}

/** The summary fields every init run prints. */
function summaryOf(
  spec: ModelSpec,
  tensors: readonly ResolvedTensor[],
  bytes: number,
  seconds: number,
  seed: bigint,
  ctx: WeightInitContext,
): Record<string, unknown> {
  const params = modelTotals(tensors).parameters;
  return {
    model: spec.name ?? null,
    tensors: tensors.length,
    ...parameterCounts(tensors),
    bytes,
    seconds: Number(seconds.toFixed(3)),
    parametersPerSecond: Math.round(params / seconds),
    gigabytesPerSecond: Number((bytes / seconds / 1e9).toFixed(3)),
    seed: String(seed),
    strategy: ctx.strategy,
    adapter: {
      vendor: ctx.adapter.vendor,
      architecture: ctx.adapter.architecture,
      description: ctx.adapter.description,
      isFallbackAdapter: ctx.adapter.isFallbackAdapter,
    },
  };
}

export async function initCommand(argv: readonly string[]): Promise<number> {
  const opts = parseOptions(argv, INIT_OPTIONS);
  let seed: bigint;
  try {
    seed = parseU64(opts.seed ?? '0', 'seed');
  } catch {
    throw new UsageError(`option '--seed': '${opts.seed}' is not an unsigned 64-bit decimal integer`);
  }
  const maxMemory = opts.maxMemory !== undefined ? parseByteSize('max-memory', opts.maxMemory) : undefined;
  const source = await modelSpecFrom(opts);
  const spec = source.spec;
  const tensors = resolveModel(spec);
  const out = opts.out;
  if (opts.format === 'onnx') return initOnnxPack(opts, source, tensors, seed, out);
  if (out !== undefined && (await isFolderTarget(out))) return initFolder(opts, source, tensors, seed, out);
  for (const o of givenOptions(INIT_OPTIONS, opts, ['max-shard-size', 'part'])) throw new UsageError(`option '--${o}' needs --out DIR/ (a checkpoint folder)`);
  const placement = opts.placement ?? 'tensor';
  // The plan needs the adapter's limits only: no device, no buffer.
  const probed = await probeAdapter();
  const memoryBytes = maxMemory ?? (probed.software ? freemem() : undefined);
  const plan = planModel(tensors, { placement, limits: probed.limits, ...(memoryBytes !== undefined ? { memoryBytes } : {}) });
  if (opts.dryRun) {
    if (opts.table)
      process.stderr.write(
        `${formatTable(
          [...TENSOR_COLUMNS, { header: 'std expect', align: 'right' }],
          tensors.map((t) => [...tensorCells(t), expectedStd(t)]),
        )}\n`,
      );
    process.stdout.write(`${JSON.stringify(planSummary(spec.name ?? null, plan, probed, maxMemory !== undefined), null, 2)}\n`);
    return plan.problems.length === 0 ? 0 : 1;
  }
  assertPlanFits(plan);
  const quiet = opts.quiet;
  // The output file is checked and its temporary file created before any GPU work; it is removed on failure.
  const output = out === undefined ? undefined : await openOutputFile("option '--out'", out, { expectedBytes: plan.bytes });
  try {
    return await initOnDevice(opts, spec, tensors, seed, placement, quiet, output);
  } finally {
    await output?.discard();
  }
}

async function initOnDevice(
  opts: InitOptions,
  spec: ModelSpec,
  tensors: readonly ResolvedTensor[],
  seed: bigint,
  placement: 'tensor' | 'arena',
  quiet: boolean,
  output: OutputFile | undefined,
): Promise<number> {
  const ctx = await createNodeContext({ strategy: opts.strategy ?? 'auto' });
  try {
    const t0 = performance.now();
    const bar = progressBar('init', quiet);
    const model = await initModel(ctx, tensors, {
      seed,
      placement,
      onProgress: (p) => bar(p.bytesDone, p.bytesTotal, `${p.tensorsDone}/${p.tensorsTotal} tensors`),
    });
    try {
      await ctx.device.queue.onSubmittedWorkDone();
      const seconds = (performance.now() - t0) / 1000;
      const params = modelTotals(tensors).parameters;
      const summary: Record<string, unknown> = {
        model: spec.name ?? null,
        tensors: tensors.length,
        ...parameterCounts(tensors),
        bytes: model.byteLength,
        seconds: Number(seconds.toFixed(3)),
        parametersPerSecond: Math.round(params / seconds),
        gigabytesPerSecond: Number((model.byteLength / seconds / 1e9).toFixed(3)),
        seed: String(seed),
        strategy: ctx.strategy,
        adapter: compactAdapter(ctx.adapter),
      };
      let code = 0;
      if (opts.verify) {
        const v = await verify(gpuReader(ctx, model), tensors, seed);
        summary['verified'] = verifiedEntry(v);
        if (v.mismatched.length > 0) code = 1;
      }
      if (opts.table) {
        const rows: string[][] = [];
        for (const t of tensors) {
          const n = Math.min(t.numel, STD_SAMPLE);
          const measured = n > 1 ? std(await readHead(ctx, model, t, 0, n)) : 0;
          rows.push([...tensorCells(t), expectedStd(t), measured.toPrecision(4)]);
        }
        process.stderr.write(`${formatTable([...TENSOR_COLUMNS, { header: 'std expect', align: 'right' }, { header: 'std seen', align: 'right' }], rows)}\n`);
        process.stderr.write(`(seen: std of the first ${STD_SAMPLE.toLocaleString('en-US')} elements of each tensor, read back from the GPU)\n`);
      }
      if (output) {
        const path = output.path;
        const writeBar = progressBar('write', quiet);
        const metadata = weightFileMetadata(tensors, seed);
        const w0 = performance.now();
        const written = await writeSafetensors(
          ctx.device,
          model.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], buffer: t.buffer, offset: t.offset })),
          output.sink,
          { metadata, onProgress: (d, total) => writeBar(d, total, path) },
        );
        summary['out'] = { path, bytes: written.totalBytes, seconds: Number(((performance.now() - w0) / 1000).toFixed(3)) };
      }
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return code;
    } finally {
      model.destroy();
    }
  } finally {
    ctx.destroy();
  }
}

/**
 * `init --out DIR/`: the model generated and written window by window into a Hugging Face checkpoint folder (all of
 * it, or `--part K/N` of it). Options, the folder (writable, held by the lock file, room for the bytes left) and the
 * files of this checkpoint already there are checked before the device is created; SIGINT, SIGTERM and SIGHUP abort
 * the write, which removes the files written so far (a part keeps its complete shards for its rerun).
 */
async function initFolder(opts: InitOptions, source: ModelSource, tensors: readonly ResolvedTensor[], seed: bigint, out: string): Promise<number> {
  for (const o of givenOptions(INIT_OPTIONS, opts, ['table', 'placement', 'max-memory'])) {
    throw new UsageError(`option '--${o}' does not apply to --out DIR/ (the weights are streamed to disk in bounded windows, not kept on the GPU)`);
  }
  const size = opts.maxShardSize ?? DEFAULT_MAX_SHARD_SIZE;
  let maxShardSize: number;
  try {
    maxShardSize = parseShardSize(size, 'max-shard-size');
  } catch (e) {
    throw new UsageError(`option '--max-shard-size': ${(e as Error).message.replace(/^max-shard-size: /, '')}`);
  }
  const part = opts.part === undefined ? null : partOption(opts.part);
  const plan = planCheckpoint(tensors, maxShardSize);
  const layout = plan.index !== null ? encodeCheckpointLayout(plan) : undefined;
  const prepareOptions = {
    seed,
    maxShardSize,
    ...(source.config ? { config: source.config } : {}),
    metadata: (inFile: readonly ModelTensor[]) => weightFileMetadata(inFile, seed, layout),
    ...(part !== null ? { part } : {}),
  };
  if (opts.dryRun) {
    // The layout only: nothing is created, not even the folder.
    const parts = part === null ? null : planParts(plan, part.count);
    // The real run's checks (prepareCheckpoint) on a view of the folder that only reads.
    const problems = await checkFolderTarget(out, (folder) => prepareCheckpoint(tensors as readonly ModelTensor[], folder, prepareOptions));
    const describe = (p: NonNullable<typeof parts>[number]) => ({
      part: p.index,
      files: p.files.length,
      first: p.files[0]?.name ?? null,
      last: p.files.at(-1)?.name ?? null,
      bytes: p.dataBytes,
    });
    const summary = {
      dryRun: true,
      model: source.spec.name ?? null,
      tensors: tensors.length,
      ...parameterCounts(tensors),
      bytes: plan.totalSize,
      out: {
        path: out,
        sharded: plan.index !== null,
        maxShardSize: plan.maxShardSize,
        files: plan.files.map((f) => ({ name: f.name, tensors: f.tensors.length, bytes: f.dataBytes })),
        config: source.config !== undefined,
        ...(part !== null && parts !== null
          ? {
              part: { index: part.index, count: part.count, files: parts[part.index]!.files.map((f) => f.name), bytes: parts[part.index]!.dataBytes },
              parts: parts.map(describe),
            }
          : {}),
      },
      fits: problems.length === 0,
      problems,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return problems.length === 0 ? 0 : 1;
  }
  const folder = await openCheckpointFolder(out);
  const quiet = opts.quiet;
  // SIGINT, SIGTERM and SIGHUP abort the write (once: later signals wait for that abort, which removes what this run
  // wrote, or, for a part, keeps its complete shards for the rerun and removes its temporary file).
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) controller.abort(new Error(`interrupted (${signal})`));
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, stop);
  let ctx: WeightInitContext | null = null;
  try {
    const prepared = await prepareCheckpoint(tensors as readonly ModelTensor[], folder, prepareOptions);
    let written: WriteCheckpointResult;
    const t0 = performance.now();
    try {
      if (controller.signal.aborted) throw new AbortedError(controller.signal.reason);
      if (prepared.needsDevice) ctx = await createNodeContext({ strategy: opts.strategy ?? 'auto' });
      const bar = progressBar('write', quiet);
      written = await prepared.write(ctx, {
        onProgress: (p) => bar(p.bytesDone, p.bytesTotal, `${p.file} (${p.filesDone + 1}/${p.filesTotal})`),
        signal: controller.signal,
      });
    } catch (e) {
      await prepared.release();
      throw e;
    }
    const seconds = (performance.now() - t0) / 1000;
    const summary: Record<string, unknown> = ctx
      ? summaryOf(source.spec, tensors, written.totalSize, seconds, seed, ctx)
      : { model: source.spec.name ?? null, tensors: tensors.length, bytes: written.totalSize, seconds: Number(seconds.toFixed(3)), seed: String(seed) };
    summary['out'] = {
      path: out,
      files: written.files.map((f) => f.name),
      kept: written.kept,
      bytes: written.bytesWritten,
      sharded: written.sharded,
      maxShardSize: written.maxShardSize,
      part: written.part,
      complete: written.complete,
    };
    let code = 0;
    if (opts.verify) {
      const names = new Set(written.files.flatMap((f) => (f.name.endsWith('.safetensors') ? [f.name] : [])));
      const mineTensors = tensors.filter((t) => names.has(plan.files.find((f) => f.tensors.some((x) => x.name === t.name))!.name));
      const v = await verify(await folderReader(out, written), mineTensors, seed);
      summary['verified'] = verifiedEntry(v, 'the written files');
      if (v.mismatched.length > 0) code = 1;
    }
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return code;
  } finally {
    for (const s of signals) process.off(s, stop);
    ctx?.destroy();
  }
}

/**
 * `init --format onnx --out DIR/`: an ONNX pack (src/output/onnx/pack.ts) generated and written window by window, as
 * the checkpoint folder is. Everything is checked, the graph built and the folder checked before the device exists.
 */
async function initOnnxPack(
  opts: InitOptions,
  source: ModelSource,
  tensors: readonly ResolvedTensor[],
  seed: bigint,
  out: string | undefined,
): Promise<number> {
  if (out === undefined || !(await isFolderTarget(out)))
    throw new UsageError(`option '--format onnx' needs --out DIR/ (a folder: a path ending in / or an existing folder)`);
  for (const o of givenOptions(INIT_OPTIONS, opts, ['table', 'placement', 'max-memory', 'max-shard-size'])) {
    throw new UsageError(`option '--${o}' does not apply to --format onnx`);
  }
  if (source.config === undefined) throw new UsageError(`option '--format onnx' needs a decoder preset: --preset gpt2|llama or --config config.json`);
  const plan = planOnnxPack(source.config, tensors);
  const summaryFiles = plan.files.map((f) => ({ path: f.folder ? `${f.folder}/${f.name}` : f.name, bytes: f.bytes }));
  if (opts.dryRun) {
    const summary = {
      dryRun: true,
      format: 'onnx',
      model: source.spec.name ?? null,
      tensors: tensors.length,
      parameters: tensors.reduce((n, t) => n + t.numel, 0),
      bytes: plan.weightBytes,
      graph: { nodes: plan.onnx.graph.nodes, opset: DECODER_OPSET, inputs: plan.onnx.graph.inputNames.length, outputs: plan.onnx.graph.outputNames.length },
      out: { path: out, files: summaryFiles },
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  }
  const folders = await openOnnxPackFolders(out, plan);
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const ctx = await createNodeContext({ strategy: opts.strategy ?? 'auto' });
  try {
    const t0 = performance.now();
    const bar = progressBar('write', opts.quiet);
    const written = await writeOnnxPack(ctx, tensors as readonly ModelTensor[], folders, {
      seed,
      config: source.config,
      onProgress: (p) => bar(p.bytesDone, p.bytesTotal, p.file),
      signal: controller.signal,
    });
    const summary = summaryOf(source.spec, tensors, written.weightBytes, (performance.now() - t0) / 1000, seed, ctx);
    summary['format'] = 'onnx';
    summary['out'] = { path: out, files: summaryFiles, bytes: written.bytesWritten };
    let code = 0;
    if (opts.verify) {
      const dataPath = join(out, 'onnx', written.onnx.externalData!.location);
      const entries = written.onnx.externalData!.byName;
      const v = await verify(
        async (t, start, count) => {
          const eb = DTYPE_BYTES[t.dtype];
          const h = await open(dataPath, 'r');
          try {
            const bytes = new Uint8Array(count * eb);
            const { bytesRead } = await h.read(bytes, 0, bytes.length, entries.get(t.name)!.offset + start * eb);
            return bytes.subarray(0, bytesRead);
          } finally {
            await h.close();
          }
        },
        tensors,
        seed,
      );
      summary['verified'] = verifiedEntry(v, `onnx/${written.onnx.externalData!.location}`);
      if (v.mismatched.length > 0) code = 1;
    }
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return code;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    ctx.destroy();
  }
}
