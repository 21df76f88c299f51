// Bench host-floor: the host path (what users of software adapters get) against its floors, all in one run.
//
//   npm run build && npx tsx bench/host-floor.ts [--layers 32] [--repeat 3] [--gpt2-repeat 5] [--dir /tmp]
//                                                [--cases simd-floor,zeros,checkpoint,init-out,gpt2] [--json bench/results/]
//
// Rows (each repeated, interleaved round by round, so that a change of load hits every row of a round alike):
//   (the Llama rows in a rotated order each round)
//   simd-floor        the host executor's worker pool (one worker per core) making the model's elements as bf16
//                     normals into a shared scratch buffer: generation only, nothing copied out, nothing written
//   zeros             the checkpoint's weight files (their real sizes) written with zeros through fileSink in
//                     chunks of the window size, then `sync`: the disk's floor
//   checkpoint        writeCheckpoint(ctx, Llama-2 bf16 (--layers), openCheckpointFolder(dir)) on a context of the
//                     Node adapter (SwiftShader here: the host executor's windows), then `sync`
//   init-out          `webgpu-weight-init init --preset llama --dtype bf16 --out DIR/` as a child process (the built
//                     CLI: process start, device, plan, write), then `sync`; only with --layers 32 the preset's
//                     model, else a config file with that many layers
//   gpt2-floor        the pool making GPT-2 small's normally initialized elements as f32 (nothing copied out)
//   gpt2-buffers      GPT-2 small's 148 buffers created (STORAGE | COPY_SRC | COPY_DST) on the device, queue drained
//   gpt2-ours         initModel(ctx, GPT-2 small) until the queue is drained: time to weights
//   gpt2-tfjs         TF.js's WebGPU backend on the same device: every tensor made and uploaded (src/bench/tfjs.ts)
// Ratios (medians over rounds of the per-round ratio):
//   checkpoint / max(simd-floor, zeros)      target ≤ 1.2
//   init-out / max(simd-floor, zeros)
//   gpt2-tfjs / gpt2-ours                    target ≥ 5
//   gpt2-ours / (gpt2-floor + gpt2-buffers)  target ≤ 1.15
// stdout carries the report (one JSON document); progress goes to stderr. Every folder written is deleted at once.
// Samples of the checkpoint are read back and compared with the CPU twin.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { registerWgslHooks } from './wgsl-hooks.js';

registerWgslHooks();

const { requestNodeGPU } = await import('../src/node.js');
const { createContext } = await import('../src/gpu/context.js');
const { requestBenchDevice } = await import('../src/bench/device.js');
const { gpt2SmallTensors, parameterCount } = await import('../src/bench/cases.js');
const { nodeTfPeer, importTfModules } = await import('../src/cli/bench.js');
const { resolveModel } = await import('../src/models/spec.js');
const { llama } = await import('../src/models/presets.js');
const { planCheckpoint } = await import('../src/models/checkpoint-plan.js');
const { encodeHeader } = await import('../src/output/safetensors/format.js');
const { fileSink, readSafetensorsHeaderFromFile } = await import('../src/output/node/safetensors-file.js');
const { openCheckpointFolder } = await import('../src/output/node/checkpoint-folder.js');
const { writeCheckpoint } = await import('../src/output/checkpoint.js');
const { initModel } = await import('../src/output/init-model.js');
const { initialize } = await import('../src/twin/initialize.js');
const { planGenerate, splitPlan } = await import('../src/contract/plan.js');
const { normal } = await import('../src/contract/distributions.js');
const { HostExecutor } = await import('../src/simd/host-executor.js');
const { BufferUsage } = await import('../src/gpu/flags.js');

const CASES = ['simd-floor', 'zeros', 'checkpoint', 'init-out', 'gpt2'] as const;
const { values: args } = parseArgs({
  options: {
    layers: { type: 'string', default: '32' },
    repeat: { type: 'string', default: '3' },
    'gpt2-repeat': { type: 'string', default: '5' },
    dir: { type: 'string' },
    cases: { type: 'string', default: CASES.join(',') },
    json: { type: 'string' },
  },
});
const layers = Number(args.layers);
const repeat = Number(args.repeat);
const gpt2Repeat = Number(args['gpt2-repeat']);
const cases = new Set(args.cases!.split(','));
for (const c of cases) if (!(CASES as readonly string[]).includes(c)) throw new Error(`--cases: unknown case '${c}' (${CASES.join(', ')})`);
const log = (s: string) => process.stderr.write(`host-floor: ${s}\n`);
const sync = () => execFileSync('sync');
const seconds = (t0: number) => (performance.now() - t0) / 1000;
/** Wall and CPU seconds (this process's every thread: main, workers, Dawn's and SwiftShader's) of one row. */
interface Sample {
  readonly seconds: number;
  readonly cpu: number;
  readonly mismatches?: number;
}
/** Starts a clock: calling the result reads wall and CPU seconds since. */
function clock(): () => Sample {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
}
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const root = await mkdtemp(join(args.dir ?? tmpdir(), 'wwi-host-floor-'));
const seed = 1n;
const window = 16 << 20;

const llamaConfig = { num_hidden_layers: layers };
const tensors = resolveModel(llama(llamaConfig, { dtype: 'bf16' }));
const elements = parameterCount(tensors);
const plan = planCheckpoint(tensors, '5GB');

const node = await requestNodeGPU();
const { device } = await requestBenchDevice(node.gpu, { timestamps: false });
const ctx = await createContext({ device });
const host = new HostExecutor();
const pool = await host.workers();
log(`adapter ${ctx.adapter.vendor} ${ctx.adapter.architecture}, strategy ${ctx.strategy}, ${pool.threads} workers, ${cpus().length} cores`);
log(`Llama-2 bf16, ${layers} layers: ${tensors.length} tensors, ${elements} parameters, ${plan.files.length} files; scratch ${root}`);

/**
 * The pool making `count` elements of normal(0, 0.02) in `dtype` window by window into two shared scratch windows
 * (two windows queued at once, as the checkpoint writer's pipeline has them), nothing copied out or written: the
 * generation floor.
 */
const scratch = [0, 1].map(() => new Uint8Array(new SharedArrayBuffer(window)));
async function simdFloor(count: number, dtype: 'bf16' | 'f32'): Promise<Sample> {
  const g = planGenerate({ seed, stream: 0n, start: 0n, count, dist: normal(0, 0.02), dtype });
  const eb = dtype === 'bf16' ? 2 : 4;
  const stop = clock();
  const inFlight: Promise<void>[] = [];
  for (const [k, w] of splitPlan(g, window / eb).entries()) {
    if (inFlight.length === 2) await inFlight.shift();
    inFlight.push(pool.runInto(w, scratch[k % 2]!.subarray(0, w.count * eb), 1 << 20));
  }
  await Promise.all(inFlight);
  return stop();
}

async function zeros(): Promise<Sample> {
  const dir = join(root, 'zeros');
  await openCheckpointFolder(dir);
  const chunk = new Uint8Array(window);
  sync();
  const stop = clock();
  for (const f of plan.files) {
    const size = encodeHeader(f.tensors).bytes.length + f.dataBytes;
    const sink = fileSink(join(dir, f.name));
    for (let at = 0; at < size; at += window) await sink.write(chunk.subarray(0, Math.min(window, size - at)));
    await sink.close!();
  }
  sync();
  const s = stop();
  await rm(dir, { recursive: true, force: true });
  sync(); // the next row does not pay for this one's pages
  return s;
}

/** First and last 8 elements of every tensor of the folder's files, against the CPU twin: mismatches. */
async function verifyFolder(dir: string): Promise<number> {
  let bad = 0;
  for (const f of plan.files) {
    const path = join(dir, f.name);
    const header = await readSafetensorsHeaderFromFile(path);
    const h = await open(path, 'r');
    try {
      for (const t of f.tensors) {
        const entry = header.tensors.find((x) => x.name === t.name)!;
        for (const start of [0, t.numel - 8]) {
          const got = new Uint8Array(16);
          await h.read(got, 0, 16, header.dataOffset + entry.dataOffsets[0] + 2 * start);
          const want = initialize({ init: t.init, shape: t.shape, layout: t.layout, seed, stream: t.stream, dtype: t.dtype, start, count: 8 });
          if (!Buffer.from(got).equals(Buffer.from(want.buffer, want.byteOffset, 16))) bad++;
        }
      }
    } finally {
      await h.close();
    }
  }
  return bad;
}

async function checkpoint(): Promise<Sample> {
  const dir = join(root, 'checkpoint');
  const folder = await openCheckpointFolder(dir);
  sync();
  const stop = clock();
  await writeCheckpoint(ctx, tensors, folder, { seed, stagingBytes: window, config: { model_type: 'llama', ...llamaConfig } });
  sync();
  const s = stop();
  const mismatches = await verifyFolder(dir);
  await rm(dir, { recursive: true, force: true });
  sync(); // the next row does not pay for this one's pages
  return { ...s, mismatches };
}

const exec = promisify(execFile);
const BIN = new URL('../bin/webgpu-weight-init.js', import.meta.url).pathname;

async function initOut(): Promise<Sample> {
  const dir = join(root, 'init-out');
  const configFile = join(root, 'llama-config.json');
  const model = layers === 32 ? ['--preset', 'llama'] : ['--preset', 'llama', '--config', configFile];
  if (layers !== 32) await writeFile(configFile, JSON.stringify({ model_type: 'llama', ...llamaConfig }));
  sync();
  const t0 = performance.now();
  await exec(process.execPath, [BIN, 'init', ...model, '--dtype', 'bf16', '--seed', String(seed), '--out', `${dir}/`, '--quiet'], { maxBuffer: 64 << 20 });
  sync();
  const wall = (performance.now() - t0) / 1000;
  // A child process: its CPU time is not this process's.
  const mismatches = await verifyFolder(dir);
  await rm(dir, { recursive: true, force: true });
  sync(); // the next row does not pay for this one's pages
  return { seconds: wall, cpu: Number.NaN, mismatches };
}

const gpt2 = gpt2SmallTensors('f32');
const gpt2Normal = parameterCount(gpt2.filter((t) => t.tf.kind === 'normal'));

async function gpt2Buffers(): Promise<Sample> {
  const stop = clock();
  const buffers = gpt2.map((t) =>
    device.createBuffer({ label: t.name, size: 4 * parameterCount([t]), usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST }),
  );
  await device.queue.onSubmittedWorkDone();
  const s = stop();
  for (const b of buffers) b.destroy();
  return s;
}

async function gpt2Ours(): Promise<Sample> {
  const stop = clock();
  const model = await initModel(ctx, gpt2, { seed });
  await device.queue.onSubmittedWorkDone();
  const s = stop();
  model.destroy();
  return s;
}

let tf: Awaited<ReturnType<typeof nodeTfPeer>> | undefined;
let tfUnavailable: string | undefined;
if (cases.has('gpt2')) {
  try {
    tf = await nodeTfPeer(node.gpu, device, importTfModules);
  } catch (e) {
    tfUnavailable = String(e);
    log(`TF.js unavailable: ${tfUnavailable}`);
  }
}

async function gpt2Tfjs(): Promise<Sample | undefined> {
  if (!tf) return undefined;
  const stop = clock();
  const m = await tf.createModel(gpt2, Number(seed));
  const s = stop();
  m.dispose();
  return s;
}

const rows: Record<string, Sample[]> = {};
let mismatches = 0;
const push = (name: string, s: Sample | undefined) => {
  if (s === undefined) return;
  rows[name] = [...(rows[name] ?? []), s];
  mismatches += s.mismatches ?? 0;
  log(`${name}: ${s.seconds.toFixed(3)} s${Number.isFinite(s.cpu) ? `, ${s.cpu.toFixed(2)} CPU s` : ''} (load ${loadavg()[0]!.toFixed(1)})`);
};
const ratios: Record<string, number[]> = {};
const ratio = (name: string, value: number) => {
  ratios[name] = [...(ratios[name] ?? []), value];
};

// Warm-up: the workers, the device, TF.js's backend (one small model each).
await simdFloor(1 << 22, 'bf16');
if (cases.has('gpt2')) {
  await gpt2Ours();
  await gpt2Tfjs();
}

const t0 = performance.now();
for (let r = 0; r < repeat; r++) {
  const round: Record<string, Sample> = {};
  // Each round starts one row later, so that no row always runs first (or right after the largest write).
  const order: [string, () => Promise<Sample>][] = [
    ['simd-floor', () => simdFloor(elements, 'bf16')],
    ['zeros', zeros],
    ['checkpoint', checkpoint],
    ['init-out', initOut],
  ];
  const selected = order.filter(([name]) => cases.has(name));
  for (let k = 0; k < selected.length; k++) {
    const [name, run] = selected[(k + r) % selected.length]!;
    round[name] = await run();
    push(name, round[name]);
  }
  const floor = Math.max(round['simd-floor']?.seconds ?? 0, round['zeros']?.seconds ?? 0);
  if (floor > 0 && round['checkpoint']) ratio('checkpoint / max(simd-floor, zeros)', round['checkpoint'].seconds / floor);
  if (floor > 0 && round['init-out']) ratio('init-out / max(simd-floor, zeros)', round['init-out'].seconds / floor);
}
if (cases.has('gpt2')) {
  for (let r = 0; r < gpt2Repeat; r++) {
    const floor = await simdFloor(gpt2Normal, 'f32');
    const buffers = await gpt2Buffers();
    const ours = await gpt2Ours();
    const theirs = await gpt2Tfjs();
    push('gpt2-floor', floor);
    push('gpt2-buffers', buffers);
    push('gpt2-ours', ours);
    push('gpt2-tfjs', theirs);
    ratio('gpt2-ours / (gpt2-floor + gpt2-buffers)', ours.seconds / (floor.seconds + buffers.seconds));
    if (theirs) ratio('gpt2-tfjs / gpt2-ours', theirs.seconds / ours.seconds);
  }
}
const wallSeconds = seconds(t0);
host.close();
ctx.destroy();
device.destroy();
await rm(root, { recursive: true, force: true });

const report = {
  case: 'host-floor',
  date: new Date().toISOString(),
  command: `npx tsx bench/host-floor.ts ${process.argv.slice(2).join(' ')}`.trim(),
  adapter: {
    vendor: ctx.adapter.vendor,
    architecture: ctx.adapter.architecture,
    description: ctx.adapter.description,
    fallback: ctx.adapter.isFallbackAdapter,
  },
  strategy: ctx.strategy,
  node: process.version,
  cores: cpus().length,
  threads: pool.threads,
  loadAverageAtEnd: loadavg(),
  model: {
    preset: 'llama',
    num_hidden_layers: layers,
    dtype: 'bf16',
    tensors: tensors.length,
    parameters: elements,
    bytes: plan.files.reduce((n, f) => n + f.dataBytes, 0),
  },
  gpt2: { tensors: gpt2.length, parameters: parameterCount(gpt2), normalElements: gpt2Normal, tfjs: tf ? tf.version : tfUnavailable },
  windowBytes: window,
  rows: Object.fromEntries(
    Object.entries(rows).map(([k, v]) => {
      const wall = v.map((x) => x.seconds);
      return [k, { median: median(wall), min: Math.min(...wall), max: Math.max(...wall), seconds: wall, cpuSeconds: v.map((x) => x.cpu) }];
    }),
  ),
  ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, { median: median(v), values: v }])),
  verified: { against: 'cpu twin', mismatches },
  wallSeconds,
};
const text = JSON.stringify(report, null, 2);
process.stdout.write(`${text}\n`);
for (const [k, v] of Object.entries(report.ratios)) log(`${k}: ${v.median.toFixed(3)} (${v.values.map((x) => x.toFixed(3)).join(', ')})`);
if (args.json)
  await writeFile(
    join(args.json, `${report.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}-host-floor-${ctx.adapter.architecture || 'adapter'}-node.json`),
    `${text}\n`,
  );
process.exit(mismatches === 0 ? 0 : 1);
