// `webgpu-weight-init` command line: info, sample.
import { WeightInitError } from '../errors.js';
import { generate } from '../rng/generate.js';
import type { Distribution } from '../rng/distributions.js';
import { parseU64 } from '../rng/u64.js';
import { createNodeContext } from '../node.js';
import { parseCount, parseNumber, parseOptions, UsageError, type OptionSpec } from './args.js';

const HELP = `usage: webgpu-weight-init <command> [options]

commands:
  info                       print the WebGPU adapter this machine would use, as JSON
  sample [options]           print generated values as JSON
    --backend gpu|cpu        where to generate (default gpu)
    --dist bits|uniform      distribution (default uniform)
    --low N --high N         uniform bounds (default 0, 1)
    --seed U64 --stream U64  Philox key and stream (default 0, 0)
    --start U64              first element index (default 0)
    --count N                number of elements (default 8, at most ${2 ** 24})
    --verify                 also generate on the CPU twin and report whether every bit matches
  help                       this text
`;

const SAMPLE_OPTIONS: Record<string, OptionSpec> = {
  backend: { type: 'string', values: ['gpu', 'cpu'] },
  dist: { type: 'string', values: ['bits', 'uniform'] },
  low: { type: 'string' },
  high: { type: 'string' },
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
  const dist: Distribution =
    kind === 'bits'
      ? { kind: 'bits' }
      : { kind: 'uniform', low: parseNumber('low', opts.get('low') ?? '0'), high: parseNumber('high', opts.get('high') ?? '1') };
  if (kind === 'bits') {
    for (const n of ['low', 'high']) if (opts.has(n)) throw new UsageError(`option '--${n}' needs --dist uniform`);
  }
  const request = {
    seed: u64Option(opts, 'seed'),
    stream: u64Option(opts, 'stream'),
    start: u64Option(opts, 'start'),
    count: parseCount('count', opts.get('count') ?? '8', 2 ** 24),
    dist,
  };
  let values: Uint32Array | Float32Array;
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
  const result: Record<string, unknown> = { backend, adapter, dist, seed: String(request.seed), stream: String(request.stream), start: String(request.start), count: request.count };
  let code = 0;
  if (opts.has('verify')) {
    const cpu = generate(request);
    const a = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const b = new Uint32Array(cpu.buffer, cpu.byteOffset, cpu.length);
    let mismatches = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) mismatches++;
    result['verified'] = { against: 'cpu twin', elements: a.length, mismatches };
    if (mismatches > 0) code = 1;
  }
  // f32 values print as the shortest decimal of their double, which parses back to the same f32.
  result['values'] = Array.from(values);
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
