// The benchmark harness (src/bench/, src/cli/bench.ts): its case list and sizes, option parsing, the derived
// comparisons, and a tiny run on the Node adapter (Dawn; SwiftShader without a GPU) with GPU timestamps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES, GPT2_PARAMETERS, gpt2SmallTensors, maxElements, parameterCount, parseSize, sizeLabel } from '../../src/bench/cases.js';
import { requestBenchDevice } from '../../src/bench/device.js';
import { resultFileName, textTable } from '../../src/bench/format.js';
import { type BenchReport, type CaseResult, deriveComparisons, resolveConfig, runBench } from '../../src/bench/run.js';
import { GpuTimer } from '../../src/bench/timer.js';
import { UsageError } from '../../src/cli/args.js';
import { parseBenchArgs } from '../../src/cli/bench.js';
import { createContext, type WeightInitContext } from '../../src/gpu/context.js';
import { requestNodeGPU } from '../../src/node.js';
import { generate } from '../../src/twin/generate.js';

describe('bench cases', () => {
  it('GPT-2 small has the 148 tensors and 124,439,808 parameters of HF GPT2Model', () => {
    const t = gpt2SmallTensors();
    expect(t).toHaveLength(2 + 12 * 12 + 2);
    expect(parameterCount(t)).toBe(GPT2_PARAMETERS);
    expect(new Set(t.map((x) => x.name)).size).toBe(t.length);
    const byName = new Map(t.map((x) => [x.name, x]));
    expect(byName.get('wte.weight')?.shape).toEqual([50257, 768]);
    expect(byName.get('h.11.attn.c_attn.weight')?.shape).toEqual([768, 2304]);
    expect(byName.get('h.0.mlp.c_proj.weight')?.shape).toEqual([3072, 768]);
    expect(byName.get('h.0.mlp.c_proj.weight')?.init).toEqual({ kind: 'normal', mean: 0, std: 0.02 / Math.sqrt(24) });
    expect(byName.get('h.0.ln_1.weight')?.init).toEqual({ kind: 'ones' });
    expect(byName.get('ln_f.bias')?.init).toEqual({ kind: 'zeros' });
  });

  it('parses and labels sizes', () => {
    expect(parseSize('1M')).toBe(1 << 20);
    expect(parseSize('64k')).toBe(65536);
    expect(parseSize('max')).toBe('max');
    expect(parseSize('1000')).toBe(1000);
    expect(() => parseSize('1.5M')).toThrow(RangeError);
    expect(() => parseSize('0')).toThrow(RangeError);
    expect(sizeLabel(16 << 20)).toBe('16M');
    expect(sizeLabel(65536)).toBe('64K');
    expect(sizeLabel(1000)).toBe('1000');
    expect(maxElements({ maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 })).toBe(2 ** 28);
    expect(maxElements({ maxBufferSize: 2 ** 40, maxStorageBufferBindingSize: 2 ** 31 })).toBe(2 ** 30);
  });

  it('every comparison names an existing case', () => {
    for (const c of CASES) {
      if (c.tfjsPeer) expect(CASES.some((k) => k.id === c.tfjsPeer)).toBe(true);
      if (c.oursCase) expect(CASES.some((k) => k.id === c.oursCase)).toBe(true);
    }
  });
});

describe('bench options', () => {
  it('--quick is 1M without GPT-2; --model puts it back', () => {
    expect(parseBenchArgs(['--quick']).config).toMatchObject({ sizes: [1 << 20], model: false });
    expect(parseBenchArgs(['--quick', '--model']).config).toMatchObject({ sizes: [1 << 20], model: true });
    const p = parseBenchArgs(['--sizes', '1M,16M,max', '--repeat', '7', '--json', 'bench/results/', '--no-tfjs']);
    expect(p.config.sizes).toEqual([1 << 20, 16 << 20, 'max']);
    expect(p.config.repeat).toBe(7);
    expect(p.json).toBe('bench/results/');
    expect(p.tfjs).toBe(false);
    expect(parseBenchArgs(['--rows', 'out/rows.jsonl', '--llama']).rows).toBe('out/rows.jsonl');
    expect(parseBenchArgs(['--llama']).config.llama).toBe(true);
  });

  it('rejects bad options with a UsageError', () => {
    expect(() => parseBenchArgs(['--sizes', '1.5M'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--quick', '--sizes', '1M'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--repeat', '0'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--cases', 'nope'])).toThrow(/unknown case 'nope'/);
    expect(() => parseBenchArgs(['--frobnicate'])).toThrow(UsageError);
    expect(() => resolveConfig({ repeat: 0 })).toThrow(RangeError);
  });
});

describe('derived comparisons', () => {
  const row = (id: string, size: string, gpu: number | undefined, wall: number): CaseResult => {
    const c = CASES.find((k) => k.id === id)!;
    const s = (v: number) => ({ median: v, min: v, max: v });
    return {
      case: id,
      label: c.label,
      group: c.group,
      size,
      elements: 1,
      bytes: c.elementBytes,
      dtype: 'f32',
      timing: gpu === undefined ? 'wall' : 'gpu-timestamp',
      ms: s(gpu ?? wall),
      wallMs: s(wall),
      ...(gpu === undefined ? {} : { gpuMs: s(gpu) }),
    };
  };

  it('fraction of the store kernel in the same timing, speed-ups in wall time', () => {
    const rows = deriveComparisons([
      row('store-32', '1M', 1, 2),
      row('uniform-f32', '1M', 4, 5),
      row('tfjs-uniform', '1M', undefined, 20),
      row('cpu-uniform-f32', '1M', undefined, 50),
      row('normal-f16', '1M', 3, 3),
    ]);
    const get = (id: string) => rows.find((r) => r.case === id)!;
    expect(get('uniform-f32').fractionOfStore).toBe(0.25);
    expect(get('uniform-f32').speedupVsTfjs).toBe(4);
    expect(get('tfjs-uniform').oursSpeedup).toBe(4);
    expect(get('tfjs-uniform').fractionOfStore).toBe(0.1);
    expect(get('cpu-uniform-f32').oursSpeedup).toBe(10);
    // No 2-byte store kernel at this size: no fraction.
    expect(get('normal-f16').fractionOfStore).toBeUndefined();
    expect(textTable(rows)).toMatch(/ours uniform f32 +1M +gpu/);
  });
});

describe('runBench on the Node adapter', () => {
  let ctx: WeightInitContext;
  let device: GPUDevice;
  let report: BenchReport;

  beforeAll(async () => {
    const node = await requestNodeGPU();
    ({ device } = await requestBenchDevice(node.gpu));
    ctx = await createContext({ device, strategy: 'kernel' });
  });

  afterAll(() => {
    ctx?.destroy();
    device?.destroy();
  });

  it('measures the store kernel and our kernels, verifies samples and restores queue.submit', async () => {
    report = await runBench(
      { ctx, runtime: { kind: 'node', version: process.version } },
      {
        // 4099: a count that is not a multiple of the 4-element block.
        sizes: [4096, 4099],
        repeat: 3,
        cases: ['store-32', 'store-16', 'uniform-f32', 'normal-bf16', 'upload-normal-f32', 'simd-normal-f32', 'cpu-uniform-f32', 'upload-f32', 'tfjs-uniform'],
        targetSampleMs: 5,
        maxReps: 4,
        model: false,
        verifyCount: 64,
      },
    );
    expect(Object.hasOwn(device.queue, 'submit')).toBe(false);
    expect(report.timing).toBe(device.features.has('timestamp-query') ? 'gpu-timestamp' : 'wall');
    expect(report.results.map((r) => `${r.case}@${r.size}`)).toEqual(
      ['4K', '4099'].flatMap((s) =>
        ['store-32', 'store-16', 'uniform-f32', 'normal-bf16', 'upload-normal-f32', 'simd-normal-f32', 'cpu-uniform-f32', 'upload-f32', 'tfjs-uniform'].map(
          (c) => `${c}@${s}`,
        ),
      ),
    );
    for (const r of report.results) {
      if (r.case === 'tfjs-uniform') {
        expect(r.skipped).toMatch(/no TF.js peer/);
        continue;
      }
      expect(r.error, r.case).toBeUndefined();
      expect(r.samples).toBe(3);
      expect(r.ms!.median).toBeGreaterThan(0);
      expect(r.elementsPerSecond).toBeGreaterThan(0);
      if (r.case.startsWith('upload-') && r.group === 'ours') {
        // writeBuffer is no submission: the upload strategy is timed by the wall clock.
        expect(r.timing).toBe('wall');
      } else if (r.group === 'limit' || r.group === 'ours') {
        expect(r.timing).toBe(report.timing);
        expect(r.reps).toBeGreaterThanOrEqual(1);
        expect(r.reps).toBeLessThanOrEqual(4);
      }
      if (r.group === 'ours') {
        expect(r.verified, r.case).toBe(true);
        expect(r.fractionOfStore).toBeGreaterThan(0);
      }
    }
    expect(report.samples.map((s) => s.case)).toEqual(['uniform-f32', 'normal-bf16', 'upload-normal-f32']);
    for (const s of report.samples) {
      const want = generate({ seed: s.seed, stream: s.stream, start: s.start, count: s.count, dist: s.dist, dtype: s.dtype });
      expect(s.gpu).toEqual(want instanceof Float32Array ? Array.from(new Uint32Array(want.buffer)) : Array.from(want));
    }
    expect(report.limits['maxStorageBufferBindingSize']).toBe(device.limits.maxStorageBufferBindingSize);
    expect(resultFileName(report)).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-[a-z0-9-]+-node\.json$/);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('runs the sweep, the store variants and the small-tensor case; every variant row equals the CPU twin', async () => {
    // In the order of CASES, which is the order of the rows.
    const cases = [
      'store-32',
      'sweep-normal-f32-wg128-b2',
      'stores-uniform-f32-atomic',
      'stores-uniform-f32-vec4',
      'stores-normal-f32-u32',
      'small-upload-batch',
      'llama2-7b-bf16',
    ];
    const r = await runBench(
      { ctx, runtime: { kind: 'node', version: process.version } },
      { sizes: [4096, 4099], repeat: 2, cases, targetSampleMs: 5, maxReps: 2, verifyCount: 64 },
    );
    const perSize = cases.filter((c) => !c.startsWith('small') && !c.startsWith('llama'));
    expect(r.results.map((x) => `${x.case}@${x.size}`)).toEqual([
      ...['4K', '4099'].flatMap((size) => perSize.map((c) => `${c}@${size}`)),
      'small-upload-batch@1000×768',
      'llama2-7b-bf16@model',
    ]);
    const row = (id: string, size: string) => r.results.find((x) => x.case === id && x.size === size)!;
    for (const x of r.results.filter((x) => x.group === 'variant' && !x.skipped)) {
      expect(x.error, x.case).toBeUndefined();
      expect(x.verified, `${x.case}@${x.size}`).toBe(true);
      expect(x.fractionOfStore).toBeGreaterThan(0);
    }
    expect(row('sweep-normal-f32-wg128-b2', '4K').extra).toEqual({ workgroupSize: 128, blocksPerInvocation: 2 });
    expect(row('stores-uniform-f32-vec4', '4K').extra).toEqual({ store: 'vec4' });
    expect(row('stores-uniform-f32-vec4', '4099').skipped).toMatch(/multiple of 4/);
    expect(row('small-upload-batch', '1000×768').extra?.['usPerTensor']).toBeGreaterThan(0);
    expect(row('llama2-7b-bf16', 'model').skipped).toMatch(/config.llama is off/);
    expect(r.samples.map((x) => x.case)).toEqual([
      'sweep-normal-f32-wg128-b2',
      'stores-uniform-f32-atomic',
      'stores-uniform-f32-vec4',
      'stores-normal-f32-u32',
    ]);
    for (const x of r.samples) {
      const want = generate({ seed: x.seed, stream: x.stream, start: x.start, count: x.count, dist: x.dist, dtype: x.dtype });
      expect(x.gpu, x.case).toEqual(Array.from(new Uint32Array((want as Float32Array).buffer)));
    }
  });

  it('GpuTimer: GPU time of submissions made by others, none when nothing is submitted', async () => {
    const timer = new GpuTimer(device);
    try {
      const buffer = device.createBuffer({ size: 4 << 20, usage: 0x80 | 0x08 });
      const m = await timer.measure(() => ctx.generate({ seed: 1, count: 1 << 20, dist: { kind: 'uniform', low: 0, high: 1 }, buffer }));
      buffer.destroy();
      expect(m.submits).toBe(1);
      if (timer.timestamps) expect(m.gpuMs).toBeGreaterThan(0);
      else expect(m.gpuMs).toBeUndefined();
      const idle = await timer.measure(() => 7);
      expect(idle).toMatchObject({ result: 7, submits: 0, gpuMs: undefined });
      await expect(Promise.all([timer.measure(() => 1), timer.measure(() => 2)])).rejects.toThrow(/overlap/);
    } finally {
      timer.dispose();
    }
    expect(Object.hasOwn(device.queue, 'submit')).toBe(false);
  });
});
