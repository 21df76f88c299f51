// `webgpu-weight-init` command line: info, sample.

import type { Distribution } from '../contract/distributions.js';
import type { DType } from '../contract/dtypes.js';
import { createJaxKey } from '../contract/jax-key.js';
import { type JaxRandomRequest, planJaxRandom } from '../contract/jax-plan.js';
import { planGenerate } from '../contract/plan.js';
import { STRATEGY_OPTIONS } from '../contract/strategy.js';
import { parseU64 } from '../contract/u64.js';
import { WeightInitError } from '../errors.js';
import type { GeneratedRange, WeightInitContext } from '../gpu/context.js';
import { initialize as initializeGpu } from '../gpu/initialize.js';
import { planInitialize } from '../init/plan-initialize.js';
import { SCHEMES } from '../init/presets.js';
import { INITIALIZER_KINDS, type InitializerSpec } from '../init/resolve-initializer.js';
import { createNodeContext } from '../node.js';
import { generate, generateJaxPlanned } from '../twin/generate.js';
import { initialize as initializeCpu } from '../twin/initialize.js';
import { storedToNumber } from '../twin/pack.js';
import { type CompactAdapter, compactAdapter } from './adapter.js';
import { givenOptions, HelpRequested, type OptionSpec, type ParsedOptions, parseCount, parseNumber, parseOptions, UsageError } from './args.js';
import { BENCH_HELP, benchCommand } from './bench.js';
import { providePrivateRuntimeDir } from './driver-environment.js';
import { INIT_HELP, initCommand } from './init.js';
import { VERIFY_HELP, verifyCommand } from './verify.js';

const INIT_NAMES = [...INITIALIZER_KINDS, ...Object.keys(SCHEMES)].join(', ');

const INFO_HELP = `  info                       print the WebGPU adapter this machine would use, as JSON
`;

const SAMPLE_HELP = `  sample [options]           print generated values as JSON
    --backend gpu|cpu        where to generate (default gpu)
    --strategy auto|kernel|upload  with gpu: WGSL kernels, or SIMD CPU workers + writeBuffer
                             (default auto: upload on a software adapter such as SwiftShader)
    --dist bits|uniform|normal|truncated-normal   distribution (default uniform)
    --low N --high N         uniform bounds (default 0, 1)
    --mean N --std N         normal / truncated-normal parameters (default 0, 1)
    --a N --b N              truncation bounds (default -2, 2)
    --bounds std|absolute    a and b in standard deviations (default) or as values
    --dtype f32|f16|bf16     stored type (default f32; bits are u32); f16/bf16 print as the numbers they encode
                             (an overflowed half prints as the string "Infinity" or "-Infinity")
    --init NAME              an initializer instead of --dist: ${INIT_NAMES}
      --shape D,D,...        the tensor's shape (required with --init)
      --layout torch|keras|tfjs   how fans are read from the shape (default torch)
      --gain --mode --nonlinearity --scale --distribution --a --value --groups --flatten
                             the initializer's own options (docs/initializers.md)
    --seed U64 --stream U64  Philox key and stream (default 0, 0)
    --start U64              first element index (default 0)
    --count N                number of elements (default 8, at most ${2 ** 24})
    --verify                 also generate on the CPU twin and report whether every bit matches
    --jax-seed U32           instead of --seed: jax.random.<dist>(jax.random.key(U32, impl), shape, dtype) with jax
                             0.10.2's bits (docs/rng.md, "JAX streams"); needs --shape, prints the whole tensor
                             flattened unless --start/--count give a slice; --low/--high are minval/maxval,
                             --a/--b lower/upper (default -2, 2)
      --jax-impl threefry2x32|philox4x32   the key's implementation (default threefry2x32)
`;

const HELP = `usage: webgpu-weight-init <command> [options]    (<command> --help: that command's options)

commands:
${INFO_HELP}${SAMPLE_HELP}${INIT_HELP}
${VERIFY_HELP}  bench [options]            time generation on this adapter against a store kernel, TF.js and the CPU twin
  help                       this text
`;

/** What `<command> --help` (or `-h`) prints on stdout. */
const COMMAND_HELP: Readonly<Record<string, string>> = {
  info: `usage: webgpu-weight-init info\n\n${INFO_HELP}`,
  sample: `usage: webgpu-weight-init sample [options]\n\n${SAMPLE_HELP}`,
  init: `usage: webgpu-weight-init init [options]\n\n${INIT_HELP}\n`,
  verify: `usage: webgpu-weight-init verify DIR/ [options]\n\n${VERIFY_HELP}`,
  bench: BENCH_HELP,
};

const SAMPLE_OPTIONS = {
  backend: { type: 'string', values: ['gpu', 'cpu'] },
  strategy: { type: 'string', values: STRATEGY_OPTIONS },
  dist: { type: 'string', values: ['bits', 'uniform', 'normal', 'truncated-normal'] },
  low: { type: 'string' },
  high: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  a: { type: 'string' },
  b: { type: 'string' },
  bounds: { type: 'string', values: ['std', 'absolute'] },
  dtype: { type: 'string', values: ['f32', 'f16', 'bf16'] },
  init: { type: 'string' },
  shape: { type: 'string' },
  layout: { type: 'string', values: ['torch', 'keras', 'tfjs'] },
  gain: { type: 'string' },
  mode: { type: 'string', values: ['fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'] },
  nonlinearity: { type: 'string' },
  scale: { type: 'string' },
  distribution: { type: 'string', values: ['truncated_normal', 'untruncated_normal', 'normal', 'uniform'] },
  value: { type: 'string' },
  groups: { type: 'string' },
  flatten: { type: 'string', values: ['torch', 'keras'] },
  seed: { type: 'string' },
  stream: { type: 'string' },
  start: { type: 'string' },
  count: { type: 'string' },
  verify: { type: 'flag' },
  'jax-seed': { type: 'string' },
  'jax-impl': { type: 'string', values: ['threefry2x32', 'philox4x32'] },
} as const satisfies Readonly<Record<string, OptionSpec>>;

type SampleOptions = ParsedOptions<typeof SAMPLE_OPTIONS>;

/** The distribution parameters of `sample --dist`. */
const DIST_OPTION_NAMES = ['low', 'high', 'mean', 'std', 'a', 'b', 'bounds'] as const;
type DistOption = (typeof DIST_OPTION_NAMES)[number];

function u64Option(name: string, value: string | undefined): bigint {
  const v = value ?? '0';
  try {
    return parseU64(v, name);
  } catch {
    throw new UsageError(`option '--${name}': '${v}' is not an unsigned 64-bit decimal integer`);
  }
}

/** Options that belong to each distribution; any other distribution option is an error. */
const DIST_OPTIONS: Record<NonNullable<SampleOptions['dist']>, readonly DistOption[]> = {
  bits: [],
  uniform: ['low', 'high'],
  normal: ['mean', 'std'],
  'truncated-normal': ['mean', 'std', 'a', 'b', 'bounds'],
};

function distributionFrom(kind: NonNullable<SampleOptions['dist']>, opts: SampleOptions): Distribution {
  const allowed = DIST_OPTIONS[kind];
  for (const name of givenOptions(SAMPLE_OPTIONS, opts, DIST_OPTION_NAMES)) {
    if (!allowed.includes(name)) throw new UsageError(`option '--${name}' does not apply to --dist ${kind}`);
  }
  const num = (name: 'low' | 'high' | 'mean' | 'std' | 'a' | 'b', fallback: string) => parseNumber(name, opts[name] ?? fallback);
  switch (kind) {
    case 'bits':
      return { kind: 'bits' };
    case 'normal':
      return { kind: 'normal', mean: num('mean', '0'), std: num('std', '1') };
    case 'truncated-normal':
      return {
        kind: 'truncatedNormal',
        mean: num('mean', '0'),
        std: num('std', '1'),
        a: num('a', '-2'),
        b: num('b', '2'),
        bounds: opts.bounds ?? 'std',
      };
    default:
      return { kind: 'uniform', low: num('low', '0'), high: num('high', '1') };
  }
}

async function info(argv: readonly string[]): Promise<number> {
  parseOptions(argv, {});
  const ctx = await createNodeContext();
  try {
    process.stdout.write(`${JSON.stringify(ctx.adapter, null, 2)}\n`);
  } finally {
    ctx.destroy();
  }
  return 0;
}

/** camelCase of a kebab- or snake-case name: glorot_uniform -> glorotUniform. */
function camel(name: string): string {
  return name.replace(/[-_]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const INIT_NUMBER_OPTIONS = ['gain', 'scale', 'a', 'b', 'mean', 'std', 'low', 'high', 'value', 'groups'] as const;
const INIT_STRING_OPTIONS = ['mode', 'nonlinearity', 'distribution', 'flatten', 'bounds'] as const;

function initializerFrom(name: string, opts: SampleOptions): InitializerSpec {
  const scheme = SCHEMES[camel(name) as keyof typeof SCHEMES];
  if (scheme) {
    const [extra] = givenOptions(SAMPLE_OPTIONS, opts, [...INIT_NUMBER_OPTIONS, ...INIT_STRING_OPTIONS]);
    if (extra) throw new UsageError(`option '--${extra}' does not apply to the scheme '${name}'`);
    return scheme();
  }
  const kind = camel(name);
  if (!(INITIALIZER_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`option '--init': '${name}' is not one of ${INIT_NAMES}`);
  }
  const spec: Record<string, unknown> = { kind };
  for (const o of INIT_NUMBER_OPTIONS) {
    const v = opts[o];
    if (v !== undefined) spec[o] = parseNumber(o, v);
  }
  for (const o of INIT_STRING_OPTIONS) if (opts[o] !== undefined) spec[o] = opts[o];
  return spec as unknown as InitializerSpec;
}

function shapeFrom(value: string | undefined): number[] {
  if (value === undefined) throw new UsageError(`option '--shape' is required with --init`);
  if (!/^\d+(,\d+)*$/.test(value)) throw new UsageError(`option '--shape': '${value}' is not a comma-separated list of sizes`);
  return value.split(',').map(Number);
}

async function sampleInit(name: string, opts: SampleOptions): Promise<number> {
  if (opts.dist !== undefined) throw new UsageError(`options '--dist' and '--init' exclude each other`);
  const backend = opts.backend ?? 'gpu';
  const init = initializerFrom(name, opts);
  const shape = shapeFrom(opts.shape);
  const layout = opts.layout ?? 'torch';
  const dtype = opts.dtype ?? 'f32';
  const total = shape.reduce((a, b) => a * b, 1);
  const start = u64Option('start', opts.start);
  const count = parseCount('count', opts.count ?? String(Math.min(8, Math.max(0, total - Number(start)))), 2 ** 24);
  const request = { init, shape, layout, dtype, seed: u64Option('seed', opts.seed), stream: u64Option('stream', opts.stream), start, count };
  planInitialize(request); // every option checked before a device is created
  let values: Float32Array | Uint16Array | Uint32Array;
  let adapter: CompactAdapter | null = null;
  let via = 'cpu';
  let resolved: unknown;
  if (backend === 'cpu') {
    values = initializeCpu(request);
  } else {
    ({
      adapter,
      values,
      extra: resolved,
      via,
    } = await onGpu(opts, async (ctx) => {
      const out = await initializeGpu(ctx, request);
      return { out, extra: out.resolved };
    }));
  }
  return printSample(
    opts,
    { backend, via, adapter, init, resolved, shape, layout, dtype, seed: String(request.seed), stream: String(request.stream), start: String(start), count },
    values,
    () => initializeCpu(request),
    dtype,
  );
}

/**
 * Runs `make` on a fresh Node context, reads its output back and releases the buffer and the context.
 */
async function onGpu<E>(
  opts: SampleOptions,
  make: (ctx: WeightInitContext) => Promise<{ out: GeneratedRange; extra: E }>,
): Promise<{ adapter: CompactAdapter; values: Float32Array | Uint16Array | Uint32Array; extra: E; via: string }> {
  const ctx = await createNodeContext({ strategy: opts.strategy ?? 'auto' });
  try {
    const { out, extra } = await make(ctx);
    try {
      return { adapter: compactAdapter(ctx.adapter), values: await ctx.readRange(out), extra, via: out.via };
    } finally {
      out.buffer.destroy();
    }
  } finally {
    ctx.destroy();
  }
}

/** Prints the JSON result; with --verify also compares with the CPU twin. Returns the exit code. */
function printSample(
  opts: SampleOptions,
  result: Record<string, unknown>,
  values: Float32Array | Uint16Array | Uint32Array,
  cpuTwin: () => Float32Array | Uint16Array | Uint32Array,
  dtype: DType,
): number {
  let code = 0;
  if (opts.verify) {
    const cpu = cpuTwin();
    const a = new Uint16Array(values.buffer, values.byteOffset, values.byteLength / 2);
    const b = new Uint16Array(cpu.buffer, cpu.byteOffset, cpu.byteLength / 2);
    const halvesPerElement = a.length / Math.max(1, values.length);
    let mismatches = 0;
    for (let i = 0; i < values.length; i++) {
      for (let h = 0; h < halvesPerElement; h++) {
        if (a[i * halvesPerElement + h] !== b[i * halvesPerElement + h]) {
          mismatches++;
          break;
        }
      }
    }
    result['verified'] = { against: 'cpu twin', elements: values.length, mismatches };
    if (mismatches > 0) code = 1;
  }
  // f32 values print as the shortest decimal of their double, which parses back to the same f32.
  // JSON has no infinities: an f16 that overflowed prints as the string "Infinity" or "-Infinity", not null.
  const decode = storedToNumber(dtype);
  result['values'] = Array.from(values, (x) => {
    const v = decode(x);
    return Number.isFinite(v) ? v : String(v);
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return code;
}

/** Options of `sample` that only an initializer (--init) takes. */
const INIT_ONLY = ['shape', 'layout', 'gain', 'mode', 'nonlinearity', 'scale', 'distribution', 'value', 'groups', 'flatten'] as const;

/** Options of `sample` that mean nothing for a JAX stream (which takes --shape). */
const NOT_JAX = ['seed', 'stream', 'mean', 'std', 'bounds', 'init', ...INIT_ONLY.filter((o) => o !== 'shape')] as const;

/** Elements `sample --jax-seed` prints at most. */
const MAX_SAMPLE = 2 ** 24;

/** `sample --jax-seed`: a jax.random sampler call, printed flattened (or a slice of it). */
async function sampleJax(seed: string, opts: SampleOptions): Promise<number> {
  const [wrong] = givenOptions(SAMPLE_OPTIONS, opts, NOT_JAX);
  if (wrong) throw new UsageError(`option '--${wrong}' does not apply with --jax-seed`);
  if (!/^\d{1,10}$/.test(seed) || Number(seed) > 0xffffffff) throw new UsageError(`option '--jax-seed': '${seed}' is not an integer in [0, 4294967295]`);
  const kind = opts.dist ?? 'uniform';
  const allowed: Record<typeof kind, readonly DistOption[]> = { bits: [], uniform: ['low', 'high'], normal: [], 'truncated-normal': ['a', 'b'] };
  for (const name of givenOptions(SAMPLE_OPTIONS, opts, DIST_OPTION_NAMES)) {
    if (!allowed[kind].includes(name)) throw new UsageError(`option '--${name}' does not apply to --dist ${kind} with --jax-seed`);
  }
  if (opts.shape === undefined) throw new UsageError(`option '--shape' is required with --jax-seed`);
  const shape = shapeFrom(opts.shape);
  if (kind === 'bits' && opts.dtype !== undefined) throw new UsageError(`option '--dtype' does not apply to --dist bits`);
  const dist = ({ bits: 'bits', uniform: 'uniform', normal: 'normal', 'truncated-normal': 'truncatedNormal' } as const)[kind];
  const impl = opts.jaxImpl ?? 'threefry2x32';
  const key = createJaxKey(seed, impl);
  const request: JaxRandomRequest = { key, shape, dist, ...(opts.dtype === undefined ? {} : { dtype: opts.dtype }) };
  if (dist === 'uniform') {
    if (opts.low !== undefined) request.minval = parseNumber('low', opts.low);
    if (opts.high !== undefined) request.maxval = parseNumber('high', opts.high);
  }
  if (dist === 'truncatedNormal') {
    request.lower = parseNumber('a', opts.a ?? '-2');
    request.upper = parseNumber('b', opts.b ?? '2');
  }
  if (opts.start !== undefined) request.start = u64Option('start', opts.start);
  if (opts.count !== undefined) request.count = parseCount('count', opts.count, MAX_SAMPLE);
  // Every option is checked before a device is created: the same validation the GPU call would run.
  const plan = planJaxRandom(request);
  if (plan.count > MAX_SAMPLE) throw new UsageError(`the tensor has ${plan.count} elements from --start; print at most ${MAX_SAMPLE} with --count`);
  const backend = opts.backend ?? 'gpu';
  let values: Uint32Array | Float32Array | Uint16Array;
  let adapter: CompactAdapter | null = null;
  let via = 'cpu';
  if (backend === 'cpu') {
    values = generateJaxPlanned(plan);
  } else {
    ({ adapter, values, via } = await onGpu(opts, async (ctx) => ({ out: await ctx.generateJaxPlanned(plan), extra: undefined })));
  }
  const { minval, maxval, lower, upper } = request;
  const result: Record<string, unknown> = {
    backend,
    via,
    adapter,
    jax: { seed: Number(seed), impl, keyData: [...key.data], shape, dist, dtype: plan.dtype, minval, maxval, lower, upper },
    start: String(plan.start),
    count: plan.count,
  };
  return printSample(opts, result, values, () => generateJaxPlanned(plan), plan.dtype);
}

async function sample(argv: readonly string[]): Promise<number> {
  const opts = parseOptions(argv, SAMPLE_OPTIONS);
  if (opts.jaxSeed !== undefined) return sampleJax(opts.jaxSeed, opts);
  if (opts.jaxImpl !== undefined) throw new UsageError(`option '--jax-impl' needs --jax-seed`);
  if (opts.init !== undefined) return sampleInit(opts.init, opts);
  for (const o of givenOptions(SAMPLE_OPTIONS, opts, INIT_ONLY)) throw new UsageError(`option '--${o}' needs --init`);
  const backend = opts.backend ?? 'gpu';
  const kind = opts.dist ?? 'uniform';
  const dist = distributionFrom(kind, opts);
  const dtype: DType | undefined = opts.dtype;
  if (kind === 'bits' && dtype !== undefined) throw new UsageError(`option '--dtype' does not apply to --dist bits`);
  const request = {
    seed: u64Option('seed', opts.seed),
    stream: u64Option('stream', opts.stream),
    start: u64Option('start', opts.start),
    count: parseCount('count', opts.count ?? '8', 2 ** 24),
    dist,
    dtype,
  };
  // Every option is checked before a device is created: the same validation the GPU call would run.
  planGenerate(request);
  let values: Uint32Array | Float32Array | Uint16Array;
  let adapter: CompactAdapter | null = null;
  let via = 'cpu';
  if (backend === 'cpu') {
    values = generate(request);
  } else {
    ({ adapter, values, via } = await onGpu(opts, async (ctx) => ({ out: await ctx.generate(request), extra: undefined })));
  }
  const result: Record<string, unknown> = {
    backend,
    via,
    adapter,
    dist,
    dtype: dtype ?? (kind === 'bits' ? 'u32' : 'f32'),
    seed: String(request.seed),
    stream: String(request.stream),
    start: String(request.start),
    count: request.count,
  };
  return printSample(opts, result, values, () => generate(request), dtype ?? 'f32');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'info' || command === 'sample' || command === 'init' || command === 'bench') providePrivateRuntimeDir();
  try {
    switch (command) {
      case 'info':
        return await info(rest);
      case 'sample':
        return await sample(rest);
      case 'init':
        return await initCommand(rest);
      case 'bench':
        return await benchCommand(rest);
      case 'verify':
        return await verifyCommand(rest);
      case 'help':
      case '--help':
      case '-h':
        // `help` takes no options; `help init` prints that command's help.
        if (rest.length > 0 && !(rest.length === 1 && Object.hasOwn(COMMAND_HELP, rest[0]!))) {
          throw new UsageError(`unexpected argument '${rest[0]}' (try 'help' or 'help <command>': ${Object.keys(COMMAND_HELP).join(', ')})`);
        }
        process.stdout.write(rest.length === 1 ? COMMAND_HELP[rest[0]!]! : HELP);
        return 0;
      case undefined:
        process.stdout.write(HELP);
        return 2;
      default:
        throw new UsageError(`unknown command '${command}' (try 'help')`);
    }
  } catch (e) {
    if (e instanceof HelpRequested && command !== undefined && Object.hasOwn(COMMAND_HELP, command)) {
      process.stdout.write(COMMAND_HELP[command]!);
      return 0;
    }
    if (e instanceof UsageError || e instanceof WeightInitError) {
      process.stderr.write(`webgpu-weight-init: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
