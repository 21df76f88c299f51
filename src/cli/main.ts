// `webgpu-weight-init` command line: info, sample.
import { WeightInitError } from '../errors.js';
import { generate } from '../rng/generate.js';
import type { Distribution, DType } from '../rng/distributions.js';
import { bf16BitsToNumber, f16BitsToNumber } from '../rng/pack.js';
import { parseU64 } from '../rng/u64.js';
import { createNodeContext } from '../node.js';
import { parseCount, parseNumber, parseOptions, UsageError, type OptionSpec } from './args.js';

const HELP = `usage: webgpu-weight-init <command> [options]

commands:
  info                       print the WebGPU adapter this machine would use, as JSON
  sample [options]           print generated values as JSON
    --backend gpu|cpu        where to generate (default gpu)
    --dist bits|uniform|normal|truncated-normal   distribution (default uniform)
    --low N --high N         uniform bounds (default 0, 1)
    --mean N --std N         normal / truncated-normal parameters (default 0, 1)
    --a N --b N              truncation bounds (default -2, 2)
    --bounds std|absolute    a and b in standard deviations (default) or as values
    --dtype f32|f16|bf16     stored type (default f32; bits are u32); f16/bf16 print as the numbers they encode
    --seed U64 --stream U64  Philox key and stream (default 0, 0)
    --start U64              first element index (default 0)
    --count N                number of elements (default 8, at most ${2 ** 24})
    --verify                 also generate on the CPU twin and report whether every bit matches
  help                       this text
`;

const SAMPLE_OPTIONS: Record<string, OptionSpec> = {
  backend: { type: 'string', values: ['gpu', 'cpu'] },
  dist: { type: 'string', values: ['bits', 'uniform', 'normal', 'truncated-normal'] },
  low: { type: 'string' },
  high: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  a: { type: 'string' },
  b: { type: 'string' },
  bounds: { type: 'string', values: ['std', 'absolute'] },
  dtype: { type: 'string', values: ['f32', 'f16', 'bf16'] },
  seed: { type: 'string' },
  stream: { type: 'string' },
  start: { type: 'string' },
  count: { type: 'string' },
  verify: { type: 'flag' },
};

function u64Option(opts: Map<string, string>, name: string): bigint {
  const v = opts.get(name) ?? '0';
  try {
    return parseU64(v, name);
  } catch {
    throw new UsageError(`option '--${name}': '${v}' is not an unsigned 64-bit decimal integer`);
  }
}

/** Options that belong to each distribution; any other distribution option is an error. */
const DIST_OPTIONS: Record<string, readonly string[]> = {
  bits: [],
  uniform: ['low', 'high'],
  normal: ['mean', 'std'],
  'truncated-normal': ['mean', 'std', 'a', 'b', 'bounds'],
};

function distributionFrom(kind: string, opts: Map<string, string>): Distribution {
  const allowed = DIST_OPTIONS[kind] ?? [];
  for (const name of ['low', 'high', 'mean', 'std', 'a', 'b', 'bounds']) {
    if (opts.has(name) && !allowed.includes(name)) throw new UsageError(`option '--${name}' does not apply to --dist ${kind}`);
  }
  const num = (name: string, fallback: string) => parseNumber(name, opts.get(name) ?? fallback);
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
        bounds: (opts.get('bounds') ?? 'std') as 'std' | 'absolute',
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

async function sample(argv: readonly string[]): Promise<number> {
  const opts = parseOptions(argv, SAMPLE_OPTIONS);
  const backend = opts.get('backend') ?? 'gpu';
  const kind = opts.get('dist') ?? 'uniform';
  const dist = distributionFrom(kind, opts);
  const dtype = opts.get('dtype') as DType | undefined;
  if (kind === 'bits' && dtype !== undefined) throw new UsageError(`option '--dtype' does not apply to --dist bits`);
  const request = {
    seed: u64Option(opts, 'seed'),
    stream: u64Option(opts, 'stream'),
    start: u64Option(opts, 'start'),
    count: parseCount('count', opts.get('count') ?? '8', 2 ** 24),
    dist,
    dtype,
  };
  let values: Uint32Array | Float32Array | Uint16Array;
  let adapter = null;
  if (backend === 'cpu') {
    values = generate(request);
  } else {
    const ctx = await createNodeContext();
    try {
      adapter = ctx.adapter;
      const out = await ctx.generate(request);
      try {
        values = await ctx.readRange(out);
      } finally {
        out.buffer.destroy();
      }
    } finally {
      ctx.destroy();
    }
  }
  const result: Record<string, unknown> = { backend, adapter, dist, dtype: dtype ?? (kind === 'bits' ? 'u32' : 'f32'), seed: String(request.seed), stream: String(request.stream), start: String(request.start), count: request.count };
  let code = 0;
  if (opts.has('verify')) {
    const cpu = generate(request);
    const a = new Uint16Array(values.buffer, values.byteOffset, values.byteLength / 2);
    const b = new Uint16Array(cpu.buffer, cpu.byteOffset, cpu.byteLength / 2);
    const halvesPerElement = a.length / values.length;
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
  const decode = dtype === 'f16' ? f16BitsToNumber : dtype === 'bf16' ? bf16BitsToNumber : (x: number) => x;
  result['values'] = Array.from(values, decode);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return code;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'info':
        return await info(rest);
      case 'sample':
        return await sample(rest);
      case 'help':
      case '--help':
      case '-h':
      case undefined:
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}' (try 'help')`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof WeightInitError) {
      process.stderr.write(`webgpu-weight-init: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
