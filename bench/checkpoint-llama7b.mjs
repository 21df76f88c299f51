// checkpoint-llama7b: Llama-2-7B in bf16 (13.5 GB) written as a Hugging Face checkpoint folder by writeCheckpoint
// (what `init --preset llama --dtype bf16 --out DIR/` runs), against a floor measured in the same run: the same
// files, the same sizes, the same chunk size, written with zeros through the same file sink to the same disk.
// Both timings include a final `sync`, so they measure the disk rather than the page cache. Reports wall times,
// their ratio, and the peak RSS of the writer (sampled every 100 ms, and the process's maxRSS). Samples of every
// file are read back and compared with the CPU twin. The outputs are deleted. Not a test: it takes minutes.
//
//   npm run build && node bench/checkpoint-llama7b.mjs [--dir /tmp/x] [--layers 32] [--staging-mib 16]
//                                                      [--max-shard-size 5GB] [--json bench/results/]
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initialize } from '../dist/cpu.js';
import {
  createNodeContext,
  encodeHeader,
  fileSink,
  llama,
  openCheckpointFolder,
  planCheckpoint,
  readSafetensorsHeaderFromFile,
  resolveModel,
  writeCheckpoint,
} from '../dist/node.js';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    layers: { type: 'string', default: '32' },
    'staging-mib': { type: 'string', default: '16' },
    'max-shard-size': { type: 'string', default: '5GB' },
    json: { type: 'string' },
  },
});
const layers = Number(args.layers);
const stagingBytes = Number(args['staging-mib']) << 20;
const maxShardSize = args['max-shard-size'];
const root = await mkdtemp(join(args.dir ?? tmpdir(), 'wwi-checkpoint-llama7b-'));
const seed = 1n;
const tensors = resolveModel(llama({ num_hidden_layers: layers }, { dtype: 'bf16' }));
const plan = planCheckpoint(tensors, maxShardSize);
const sync = () => execFileSync('sync');
const log = (s) => process.stderr.write(`${s}\n`);

// Peak RSS while a phase runs, sampled every 100 ms.
function rssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage().rss);
  };
}

// Floor: every weight file of the plan with its real size (header + data), zeros, through fileSink in chunks of
// the staging size; the index and config are a few KB and left out.
const floorDir = join(root, 'zeros');
await openCheckpointFolder(floorDir);
const zeros = new Uint8Array(stagingBytes);
let floorBytes = 0;
log(`floor: ${plan.files.length} files of zeros to ${floorDir}`);
sync();
const f0 = performance.now();
const floorRss = rssSampler();
for (const f of plan.files) {
  const size = encodeHeader(f.tensors).bytes.length + f.dataBytes;
  const sink = fileSink(join(floorDir, f.name));
  for (let at = 0; at < size; at += stagingBytes) await sink.write(zeros.subarray(0, Math.min(stagingBytes, size - at)));
  await sink.close();
  floorBytes += size;
}
sync();
const floorSeconds = (performance.now() - f0) / 1000;
const floorPeakRss = floorRss();
await rm(floorDir, { recursive: true, force: true });
sync();
log(`floor: ${floorBytes} bytes in ${floorSeconds.toFixed(1)} s`);

// Ours.
const ctx = await createNodeContext();
const outDir = join(root, 'checkpoint');
const folder = await openCheckpointFolder(outDir);
log(`ours: ${tensors.length} tensors, strategy ${ctx.strategy}, to ${outDir}`);
let lastDecile = -1;
const o0 = performance.now();
const oursRss = rssSampler();
const written = await writeCheckpoint(ctx, tensors, folder, {
  seed,
  maxShardSize,
  stagingBytes,
  config: { model_type: 'llama', num_hidden_layers: layers },
  onProgress: (p) => {
    const decile = Math.floor((10 * p.bytesDone) / p.bytesTotal);
    if (decile !== lastDecile) {
      lastDecile = decile;
      log(`ours: ${(p.bytesDone / 1e9).toFixed(2)} / ${(p.bytesTotal / 1e9).toFixed(2)} GB, ${((performance.now() - o0) / 1000).toFixed(0)} s`);
    }
  },
});
sync();
const oursSeconds = (performance.now() - o0) / 1000;
const oursPeakRss = oursRss();
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
log(`ours: ${written.bytesWritten} bytes in ${oursSeconds.toFixed(1)} s`);

// Samples of every tensor (first and last 8 elements) from the files, against the CPU twin.
let checked = 0;
let mismatches = 0;
for (const f of plan.files) {
  const path = join(outDir, f.name);
  const header = await readSafetensorsHeaderFromFile(path);
  const h = await open(path, 'r');
  for (const t of f.tensors) {
    const entry = header.tensors.find((x) => x.name === t.name);
    for (const start of [0, t.numel - 8]) {
      const got = new Uint8Array(16);
      await h.read(got, 0, 16, header.dataOffset + entry.dataOffsets[0] + 2 * start);
      const want = initialize({ init: t.init, shape: t.shape, layout: t.layout, seed, stream: t.stream, dtype: t.dtype, start, count: 8 });
      if (Buffer.compare(Buffer.from(got), Buffer.from(want.buffer, want.byteOffset, 16)) !== 0) mismatches++;
      checked += 8;
    }
  }
  await h.close();
}
ctx.destroy();
await rm(root, { recursive: true, force: true });

const report = {
  case: 'checkpoint-llama7b',
  date: new Date().toISOString(),
  model: { preset: 'llama', num_hidden_layers: layers, dtype: 'bf16', tensors: tensors.length, parameters: tensors.reduce((n, t) => n + t.numel, 0) },
  adapter: {
    vendor: ctx.adapter.vendor,
    architecture: ctx.adapter.architecture,
    description: ctx.adapter.description,
    isFallbackAdapter: ctx.adapter.isFallbackAdapter,
  },
  strategy: ctx.strategy,
  node: process.version,
  stagingBytes,
  maxShardSize: plan.maxShardSize,
  files: written.files.map((f) => ({ name: f.name, bytes: f.bytes })),
  floor: {
    what: 'the same weight files written with zeros through fileSink, then sync',
    bytes: floorBytes,
    seconds: floorSeconds,
    bytesPerSecond: floorBytes / floorSeconds,
    peakRssBytes: floorPeakRss,
  },
  ours: {
    what: 'writeCheckpoint to a folder, then sync',
    bytes: written.bytesWritten,
    seconds: oursSeconds,
    bytesPerSecond: written.bytesWritten / oursSeconds,
    peakRssBytes: oursPeakRss,
    windows: written.windows,
  },
  ratio: oursSeconds / floorSeconds,
  processMaxRssBytes: maxRssBytes,
  verified: { against: 'cpu twin', elements: checked, mismatches },
};
const text = JSON.stringify(report, null, 2);
process.stdout.write(`${text}\n`);
if (args.json) await writeFile(join(args.json, `${report.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}-checkpoint-llama7b.json`), `${text}\n`);
process.exit(mismatches === 0 ? 0 : 1);
