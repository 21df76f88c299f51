// The benchmark runner, environment-agnostic: it takes a WeightInitContext (on a device the caller
// requested, ideally with 'timestamp-query': see requestBenchDevice) and optionally a TF.js peer, runs the
// cases of cases.ts at each size, and returns a JSON-ready report. Used by src/cli/bench.ts (Node) and
// bench/page.ts (browser).
import { createContext, isSoftwareAdapter, type WeightInitContext } from '../gpu/context.js';
import { computeOrthogonal } from '../gpu/orthogonal.js';
import type { WeightWriter } from '../gpu/batch.js';
import { createSimdGenerator, type SimdGenerator } from '../simd/generator.js';
import { planGenerate } from '../contract/plan.js';
import { planDispatches, type DispatchChunk } from '../gpu/dispatch-plan.js';
import { BufferUsage } from '../gpu/flags.js';
import { initModel } from '../output/init-model.js';
import type { Distribution } from '../contract/distributions.js';
import { DTYPE_BYTES, type DType } from '../contract/dtypes.js';
import { generate as cpuGenerate, type GeneratedArray } from '../twin/generate.js';
import { functionSources } from '../gpu/shader-sources.js';
import storeWgsl from './store.wgsl?raw';
import storeLayout from './store.wgsl?reflect';
import storeVariantsWgsl from './store-variants.wgsl?raw';
import storeVariantsLayout from './store-variants.wgsl?reflect';
import { KernelRunner, type KernelDispatch, type KernelSource, type ParamValues } from '../gpu/kernel.js';
import type { DeviceHandle } from '../gpu/device-handle.js';
import {
  CASES,
  DEFAULT_SIZES,
  GPT2_PARAMETERS,
  LLAMA2_7B_PARAMETERS,
  MAX_BYTES_CAP,
  ORTHOGONAL_SOFTWARE_MAX,
  SMALL_TENSORS,
  gpt2SmallTensors,
  llama2Bf16Tensors,
  maxElements,
  parameterCount,
  sizeLabel,
  type BenchCase,
  type CaseGroup,
  type SizeSpec,
  type StoreVariant,
} from './cases.js';
import { adapterInfoObject, limitsObject } from './device.js';
import { GpuTimer, type Measurement } from './timer.js';
import type { TfPeer } from './tfjs.js';

export const REPORT_SCHEMA = 'webgpu-weight-init/bench@1';

export interface BenchConfig {
  /** Element counts, or 'max'. */
  sizes: SizeSpec[];
  /** Timed samples per case and size; the median is reported with min and max (default 5). */
  repeat: number;
  /** Discarded runs before the samples (default 1; at least 1, it also calibrates `reps`). */
  warmup: number;
  /** GPU cases: generations per timed sample are chosen so that a sample lasts about this long (default 50 ms). */
  targetSampleMs: number;
  /** Most generations per timed sample (default 128). */
  maxReps: number;
  /** Only these case ids (default: all of CASES). */
  cases?: string[] | undefined;
  /** Seed of every generator (ours, the CPU twin, TF.js). */
  seed: number;
  /** The CPU twin runs only up to this many elements (default 16M: it does about 10-50 M/s in one thread). */
  cpuMaxElements: number;
  /** TF.js and the host upload run only up to this many elements (default 16M). */
  peerMaxElements: number;
  /** The cases run once rather than per size: GPT-2 small and the small-tensor cases (default true). */
  model: boolean;
  /** The Llama-2-7B bf16 case (default false: it needs 13.5 GB of GPU memory). */
  llama: boolean;
  /** Samples of the model cases (default: repeat). */
  modelRepeat?: number | undefined;
  /** Cap of 'max' in bytes of 4-byte elements (default 4 GiB). */
  maxBytes: number;
  /** Read back the first and last `verifyCount` elements of each of our cases and compare with the CPU twin. */
  verify: boolean;
  verifyCount: number;
  /** Use GPU timestamps when the device has 'timestamp-query' (default true). */
  timestamps: boolean;
}

export const DEFAULT_CONFIG: Readonly<BenchConfig> = {
  sizes: [...DEFAULT_SIZES],
  repeat: 5,
  warmup: 1,
  targetSampleMs: 50,
  maxReps: 128,
  seed: 42,
  cpuMaxElements: 16 << 20,
  peerMaxElements: 16 << 20,
  model: true,
  llama: false,
  maxBytes: MAX_BYTES_CAP,
  verify: true,
  verifyCount: 256,
  timestamps: true,
};

/** Fills in the defaults and checks the values. */
export function resolveConfig(partial: Partial<BenchConfig> = {}): BenchConfig {
  const c: BenchConfig = { ...DEFAULT_CONFIG, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) };
  const positiveInt = (name: keyof BenchConfig, v: unknown, min = 1) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new RangeError(`bench config ${name}: ${String(v)} is not an integer ≥ ${min}`);
  };
  positiveInt('repeat', c.repeat);
  positiveInt('warmup', c.warmup);
  positiveInt('maxReps', c.maxReps);
  positiveInt('cpuMaxElements', c.cpuMaxElements, 0);
  positiveInt('peerMaxElements', c.peerMaxElements, 0);
  positiveInt('maxBytes', c.maxBytes, 4096);
  positiveInt('verifyCount', c.verifyCount);
  positiveInt('seed', c.seed, 0);
  if (c.modelRepeat !== undefined) positiveInt('modelRepeat', c.modelRepeat);
  if (!(c.targetSampleMs > 0)) throw new RangeError(`bench config targetSampleMs: ${c.targetSampleMs} is not positive`);
  if (!Array.isArray(c.sizes) || c.sizes.length === 0) throw new RangeError('bench config sizes: at least one size');
  for (const s of c.sizes) if (s !== 'max') positiveInt('sizes', s);
  if (c.cases) {
    for (const id of c.cases)
      if (!CASES.some((k) => k.id === id)) throw new RangeError(`bench config cases: unknown case '${id}' (known: ${CASES.map((k) => k.id).join(', ')})`);
  }
  return c;
}

export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export type Timing = 'gpu-timestamp' | 'wall';

export interface CaseResult {
  readonly case: string;
  readonly label: string;
  readonly group: CaseGroup;
  /** '1M', '16M', 'max (256M)', 'model'. */
  readonly size: string;
  readonly elements: number;
  /** Bytes written to GPU memory by one run. */
  readonly bytes: number;
  readonly dtype: string;
  /** What `ms` is: summed GPU timestamps of the submissions, or wall time to onSubmittedWorkDone. */
  readonly timing?: Timing;
  /** Runs (generations) per timed sample; times are per run. */
  readonly reps?: number;
  readonly samples?: number;
  /** Per run, in the `timing` above: median, min, max over the samples. */
  readonly ms?: Stat;
  /** Per run, wall clock (for ours: call → onSubmittedWorkDone, divided by reps). */
  readonly wallMs?: Stat;
  /** Per run, GPU timestamps (where available). */
  readonly gpuMs?: Stat;
  readonly elementsPerSecond?: number;
  readonly gigabytesPerSecond?: number;
  /** Store kernel time / this case's time at the same size and bytes per element (same timing kind). */
  readonly fractionOfStore?: number;
  /** Ours: TF.js wall time / ours wall time, for the same job. */
  readonly speedupVsTfjs?: number;
  /** Peers: this peer's wall time / ours wall time for the same job (how many times faster ours is). */
  readonly oursSpeedup?: number;
  /** Ours: the read-back sample equals the CPU twin bit for bit. */
  readonly verified?: boolean;
  readonly extra?: Readonly<Record<string, number | string>>;
  readonly skipped?: string;
  readonly error?: string;
}

/** Elements read back from one of our cases next to the CPU twin's, as u32 words or 16-bit patterns. */
export interface SampleCheck {
  readonly case: string;
  readonly size: string;
  readonly seed: number;
  readonly stream: number;
  readonly dist: Distribution;
  readonly dtype: DType;
  readonly start: number;
  readonly count: number;
  readonly gpu: number[];
  readonly cpu: number[];
  readonly equal: boolean;
}

export interface BenchReport {
  readonly schema: string;
  readonly date: string;
  readonly runtime: BenchRuntime;
  readonly adapter: ReturnType<typeof adapterInfoObject>;
  readonly limits: Record<string, number>;
  readonly features: string[];
  readonly timing: Timing;
  readonly workgroupSize: number;
  /** Philox blocks per kernel invocation (grid-stride). */
  readonly blocksPerInvocation: number;
  readonly config: BenchConfig;
  readonly tfjs: { readonly version: string; readonly backend: string; readonly layers: boolean } | { readonly unavailable: string };
  readonly results: CaseResult[];
  /** Read-back samples of our cases at the first size (the test compares them with the CPU twin in Node). */
  readonly samples: SampleCheck[];
  readonly durationMs: number;
}

export interface BenchRuntime {
  readonly kind: 'node' | 'browser';
  /** Node's version, or the browser's user agent. */
  readonly version: string;
  readonly platform?: string;
  readonly [key: string]: unknown;
}

export interface BenchEnvironment {
  readonly ctx: WeightInitContext;
  readonly adapter?: GPUAdapter | undefined;
  readonly runtime: BenchRuntime;
  readonly tf?: TfPeer | undefined;
  /** Why there is no TF.js peer. */
  readonly tfUnavailable?: string | undefined;
  readonly log?: ((line: string) => void) | undefined;
  /** Called with each row as soon as it is measured. */
  readonly onResult?: ((row: CaseResult) => void) | undefined;
}

const now = (): number => performance.now();

/** createBuffer inside the device's error scopes: an allocation the device cannot make throws here, not later. */
function allocate(handle: DeviceHandle, descriptor: GPUBufferDescriptor): Promise<GPUBuffer> {
  return handle.scoped(
    `bench: allocate ${descriptor.size} bytes`,
    () => handle.device.createBuffer(descriptor),
    (buffer) => buffer.destroy(),
  );
}

/**
 * The largest element count (f32, multiples of 2^18 = 1 MiB) not above `elements` that one buffer can
 * really hold: `elements` itself, else 1 MiB less, up to 8 steps, then halving.
 */
async function largestAllocatable(handle: DeviceHandle, elements: number): Promise<number> {
  const step = 1 << 18;
  let n = elements;
  for (let tries = 0; n >= step; tries++) {
    const buffer = await allocate(handle, { label: 'bench: probe', size: 4 * n, usage: BufferUsage.STORAGE }).catch(() => undefined);
    if (buffer) {
      buffer.destroy();
      return n;
    }
    n = tries < 8 ? n - step : Math.floor(n / 2 / step) * step;
  }
  return n;
}

function stat(values: readonly number[]): Stat {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

/** Bits of a generated array as numbers (u32 words; f16/bf16 patterns). */
function bitsOf(a: GeneratedArray): number[] {
  if (a instanceof Float32Array) return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
  return Array.from(a);
}

/** The bench's own kernels, on the library's kernel runner: the store limit and the store variants. */
const STORE_SOURCE: KernelSource = { label: 'bench: store.wgsl', code: storeWgsl, layout: storeLayout };
const STORE_VARIANTS_SOURCE: KernelSource = {
  label: 'bench: store-variants.wgsl',
  code: [functionSources.philox, functionSources.transforms, functionSources.normal, storeVariantsWgsl].join('\n'),
  layout: storeVariantsLayout,
};

/** Entry point and storage binding of each store variant in store-variants.wgsl. */
const STORE_VARIANT_ENTRY: Record<StoreVariant, { readonly entryPoint: string; readonly out: string }> = {
  atomic: { entryPoint: 'storeAtomic', out: 'outAtomic' },
  u32: { entryPoint: 'storeU32', out: 'outU32' },
  vec4: { entryPoint: 'storeVec4', out: 'outVec4' },
};

/** Params of store.wgsl for one dispatch window. */
function storeParams(c: DispatchChunk, eb: 4 | 2): ParamValues {
  return {
    words: Math.ceil((c.count * eb) / 4),
    base: Math.floor((c.outIndex * eb) / 4),
    rowBlocks: c.rowBlocks,
    value: 0x9e3779b9,
    blockStride: c.blockStride,
  };
}

/** Params of store-variants.wgsl: store.wgsl's, and the Philox counter of the window's first block. */
function variantParams(seed: number, stream: number): (c: DispatchChunk) => ParamValues {
  return (c) => ({ ...storeParams(c, 4), startBlock: Number(c.start / 4n), key: [seed >>> 0, 0], stream: [stream >>> 0, 0], fence: 0 });
}

/**
 * One size of a kernel in the store kernel's dispatch layout (store.wgsl, store-variants.wgsl): its
 * dispatches over the binding windows of `buffer`, recorded by the kernel runner. The returned function
 * submits `reps` passes in one submission, each a full store of the range (as ours: one pass per call).
 */
async function prepareStore(
  ctx: WeightInitContext,
  runner: KernelRunner,
  kernel: { readonly entryPoint: string; readonly out: string; readonly constants: Readonly<Record<string, number>> },
  buffer: GPUBuffer,
  count: number,
  eb: 4 | 2,
  paramsOf: (c: DispatchChunk) => ParamValues,
): Promise<(reps: number) => Promise<void>> {
  const device = ctx.device;
  const constants = { WORKGROUP_SIZE: ctx.limits.workgroupSize, BLOCKS_PER_INVOCATION: ctx.limits.blocksPerInvocation ?? 1, ...kernel.constants };
  const pipeline = await runner.pipeline(kernel.entryPoint, constants);
  const dispatches: KernelDispatch[] = planDispatches(0, count, 0n, ctx.limits, eb).map((c) => ({
    params: paramsOf(c),
    bindings: { [kernel.out]: { buffer, offset: c.bindOffset, size: c.bindSize } },
    workgroups: c.workgroups,
  }));
  return async (reps) => {
    const encoder = device.createCommandEncoder({ label: `bench: ${kernel.entryPoint}` });
    const uniforms: (GPUBuffer | undefined)[] = [];
    try {
      await ctx.handle.scoped(`bench: ${kernel.entryPoint}`, () => {
        for (let r = 0; r < reps; r++) uniforms.push(runner.record(encoder, pipeline, kernel.entryPoint, dispatches));
      });
      device.queue.submit([encoder.finish()]);
    } finally {
      for (const u of uniforms) u?.destroy();
    }
  };
}

interface Samples {
  readonly reps: number;
  readonly wall: number[];
  readonly gpu: (number | undefined)[];
}

/**
 * Warm-up runs (the first also calibrates how many runs a sample needs to last targetSampleMs), then
 * `repeat` samples of `reps` runs each, per-run times.
 */
async function sampleGpu(
  timer: GpuTimer,
  config: BenchConfig,
  repeat: number,
  run: (reps: number) => Promise<void> | void,
  maxReps = config.maxReps,
): Promise<Samples> {
  let one = Infinity;
  for (let w = 0; w < config.warmup; w++) {
    const m = await timer.measure(() => run(1));
    one = Math.min(one, m.gpuMs ?? m.wallMs);
  }
  const reps = Math.max(1, Math.min(maxReps, Math.ceil(config.targetSampleMs / Math.max(one, 1e-3))));
  const wall: number[] = [];
  const gpu: (number | undefined)[] = [];
  for (let r = 0; r < repeat; r++) {
    const m: Measurement<void> = await timer.measure(() => run(reps));
    wall.push(m.wallMs / reps);
    gpu.push(m.gpuMs === undefined ? undefined : m.gpuMs / reps);
  }
  return { reps, wall, gpu };
}

/** Wall-clock samples of a host-side job (CPU twin, TF.js): warm-up runs, then `repeat` timed runs. */
async function sampleWall(config: BenchConfig, repeat: number, run: (warmup: boolean) => Promise<number> | number): Promise<Samples> {
  for (let w = 0; w < config.warmup; w++) await run(true);
  const wall: number[] = [];
  for (let r = 0; r < repeat; r++) wall.push(await run(false));
  return { reps: 1, wall, gpu: wall.map(() => undefined) };
}

function timed(
  c: BenchCase,
  size: string,
  elements: number,
  dtype: string,
  s: Samples,
  preferGpu: boolean,
  extra?: Record<string, number | string>,
): CaseResult {
  const gpuValues = s.gpu.every((v): v is number => v !== undefined) ? (s.gpu as number[]) : undefined;
  const wallMs = stat(s.wall);
  const gpuMs = gpuValues ? stat(gpuValues) : undefined;
  const timing: Timing = preferGpu && gpuMs ? 'gpu-timestamp' : 'wall';
  const ms = timing === 'gpu-timestamp' ? gpuMs! : wallMs;
  const bytes = elements * c.elementBytes;
  const seconds = ms.median / 1000;
  return {
    case: c.id,
    label: c.label,
    group: c.group,
    size,
    elements,
    bytes,
    dtype,
    timing,
    reps: s.reps,
    samples: s.wall.length,
    ms,
    wallMs,
    ...(gpuMs ? { gpuMs } : {}),
    elementsPerSecond: elements / seconds,
    gigabytesPerSecond: bytes / seconds / 1e9,
    ...(extra ? { extra } : {}),
  };
}

function skippedRow(c: BenchCase, size: string, elements: number, reason: string): CaseResult {
  return { case: c.id, label: c.label, group: c.group, size, elements, bytes: elements * c.elementBytes, dtype: dtypeOf(c), skipped: reason };
}

/** The row of a case that failed: what it was asked to do, and the error. */
function errorRow(c: BenchCase, size: string, elements: number, bytes: number, dtype: string, e: unknown): CaseResult {
  return { case: c.id, label: c.label, group: c.group, size, elements, bytes, dtype, error: e instanceof Error ? e.message : String(e) };
}

function dtypeOf(c: BenchCase): string {
  const k = c.kind;
  if (k.type === 'generate' || k.type === 'cpu-twin') return k.dtype;
  if (k.type === 'model-llama') return 'bf16';
  if (k.type === 'store') return k.elementBytes === 4 ? '32-bit' : '16-bit';
  return 'f32';
}

function tfShape(n: number): number[] {
  return n % 1024 === 0 ? [n / 1024, 1024] : [n];
}

/** Fills `fractionOfStore`, `speedupVsTfjs` and `oursSpeedup` from the measured rows. */
export function deriveComparisons(rows: CaseResult[]): CaseResult[] {
  const find = (id: string, size: string) => rows.find((r) => r.case === id && r.size === size && r.ms);
  return rows.map((r) => {
    if (!r.ms || !r.wallMs) return r;
    const c = CASES.find((k) => k.id === r.case);
    if (!c) return r;
    const out: { -readonly [K in keyof CaseResult]: CaseResult[K] } = { ...r };
    if (c.group !== 'model' && c.group !== 'limit') {
      const store = find(c.elementBytes === 4 ? 'store-32' : 'store-16', r.size);
      if (store?.ms && store.wallMs) {
        const storeTime = r.timing === 'gpu-timestamp' && store.gpuMs ? store.gpuMs.median : store.wallMs.median;
        const mine = r.timing === 'gpu-timestamp' ? r.ms.median : r.wallMs.median;
        out.fractionOfStore = storeTime / mine;
      }
    }
    if (c.tfjsPeer) {
      const peer = find(c.tfjsPeer, r.size);
      if (peer?.wallMs) out.speedupVsTfjs = peer.wallMs.median / r.wallMs.median;
    }
    if (c.oursCase) {
      const ours = find(c.oursCase, r.size);
      if (ours?.wallMs) out.oursSpeedup = r.wallMs.median / ours.wallMs.median;
    }
    return out;
  });
}

/** Runs the benchmark. Rows come back in the order run (per size: the store kernels, ours, the peers; then GPT-2). */
export async function runBench(env: BenchEnvironment, partial: Partial<BenchConfig> = {}): Promise<BenchReport> {
  const config = resolveConfig(partial);
  const { ctx } = env;
  const device = ctx.device;
  const log = env.log ?? (() => {});
  const t0 = now();
  const timer = new GpuTimer(device, { timestamps: config.timestamps });
  const rows: CaseResult[] = [];
  const samples: SampleCheck[] = [];
  const emit = (row: CaseResult) => {
    rows.push(row);
    env.onResult?.(row);
    const t = row.ms ? `${row.ms.median.toFixed(3)} ms (${row.timing}, ${row.reps} rep${row.reps === 1 ? '' : 's'})` : (row.skipped ?? row.error ?? '');
    log(`${row.case} @ ${row.size}: ${t}`);
  };
  const selected = CASES.filter((c) => !config.cases || config.cases.includes(c.id));
  const streamOf = (c: BenchCase) => CASES.indexOf(c) + 1;
  // 'max': the limit the adapter reports, stepped down to what it can really allocate (SwiftShader
  // reports maxBufferSize = 1 GiB and fails to allocate exactly that).
  const largest = config.sizes.includes('max')
    ? await largestAllocatable(ctx.handle, maxElements(device.limits, config.maxBytes))
    : maxElements(device.limits, config.maxBytes);
  const sizes = [...new Set(config.sizes.map((s) => (s === 'max' ? largest : Math.min(s, largest))))];
  const labelOf = (n: number) => (n === largest && config.sizes.includes('max') ? `max (${sizeLabel(n)})` : sizeLabel(n));
  let store: KernelRunner | undefined;
  let variants: KernelRunner | undefined;
  // One context per strategy on the same device; env.ctx's own strategy is the adapter's default ('auto').
  const contexts = {
    kernel: await createContext({
      device,
      strategy: 'kernel',
      workgroupSize: ctx.limits.workgroupSize,
      blocksPerInvocation: ctx.limits.blocksPerInvocation ?? 1,
    }),
    upload: await createContext({
      device,
      strategy: 'upload',
      workgroupSize: ctx.limits.workgroupSize,
      blocksPerInvocation: ctx.limits.blocksPerInvocation ?? 1,
    }),
  };
  // The sweep's contexts (kernel strategy), one per workgroup size × blocks per invocation, made when first used.
  const sweepContexts = new Map<string, WeightInitContext>();
  const generator = async (k: Extract<BenchCase['kind'], { type: 'generate' }>): Promise<WeightInitContext> => {
    if (k.workgroupSize === undefined && k.blocksPerInvocation === undefined) return contexts[k.strategy];
    const workgroupSize = k.workgroupSize ?? ctx.limits.workgroupSize;
    const blocksPerInvocation = k.blocksPerInvocation ?? ctx.limits.blocksPerInvocation ?? 1;
    const key = `${k.strategy}/${workgroupSize}/${blocksPerInvocation}`;
    let gen = sweepContexts.get(key);
    if (!gen) {
      gen = await createContext({ device, strategy: k.strategy, workgroupSize, blocksPerInvocation });
      sweepContexts.set(key, gen);
    }
    return gen;
  };
  let simd: SimdGenerator | undefined;
  try {
    if (selected.some((c) => c.kind.type === 'store')) {
      store = new KernelRunner(ctx.handle, STORE_SOURCE);
      await store.checkCompilation();
    }
    if (selected.some((c) => c.kind.type === 'cpu-simd')) simd = await createSimdGenerator();
    if (selected.some((c) => c.kind.type === 'store-variant')) {
      variants = new KernelRunner(ctx.handle, STORE_VARIANTS_SOURCE);
      await variants.checkCompilation();
    }
    /** Reads back the first and last verifyCount elements of `buffer` and compares them with the CPU twin. */
    const verify = async (
      c: BenchCase,
      size: string,
      sizeIndex: number,
      n: number,
      dist: Distribution,
      dtype: DType,
      buffer: GPUBuffer,
    ): Promise<boolean | undefined> => {
      if (!config.verify) return undefined;
      const eb = DTYPE_BYTES[dtype];
      const m = Math.min(config.verifyCount, n);
      let equal = true;
      for (const start of n > m ? [0, n - m] : [0]) {
        const gpu = await ctx.read(buffer, { offset: start * eb, count: m, dtype });
        const cpu = cpuGenerate({ seed: config.seed, stream: streamOf(c), start, count: m, dist, dtype });
        const g = bitsOf(gpu);
        const w = bitsOf(cpu);
        const same = g.length === w.length && g.every((v, i) => v === w[i]);
        equal &&= same;
        if (sizeIndex === 0 && start === 0) {
          samples.push({ case: c.id, size, seed: config.seed, stream: streamOf(c), dist, dtype, start, count: m, gpu: g, cpu: w, equal: same });
        }
      }
      return equal;
    };
    for (const [sizeIndex, n] of sizes.entries()) {
      const size = labelOf(n);
      for (const c of selected) {
        const k = c.kind;
        if (k.type === 'model-ours' || k.type === 'model-tfjs' || k.type === 'model-llama' || k.type === 'small-tensors') continue;
        try {
          switch (k.type) {
            case 'store': {
              const buffer = await allocate(ctx.handle, { label: `bench: ${c.id}`, size: Math.ceil((n * k.elementBytes) / 4) * 4, usage: BufferUsage.STORAGE });
              try {
                const kernel = { entryPoint: 'store', out: 'out', constants: { ELEMENT_BYTES: k.elementBytes } };
                const run = await prepareStore(ctx, store!, kernel, buffer, n, k.elementBytes, (chunk) => storeParams(chunk, k.elementBytes));
                emit(timed(c, size, n, dtypeOf(c), await sampleGpu(timer, config, config.repeat, run), true));
              } finally {
                buffer.destroy();
              }
              break;
            }
            case 'generate': {
              const eb = DTYPE_BYTES[k.dtype];
              const buffer = await allocate(ctx.handle, {
                label: `bench: ${c.id}`,
                size: Math.ceil((n * eb) / 4) * 4,
                usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
              });
              const options = { seed: config.seed, stream: streamOf(c), count: n, dist: k.dist, dtype: k.dtype, buffer };
              const gen = await generator(k);
              try {
                const run = (reps: number) =>
                  gen.batch(async (b) => {
                    for (let r = 0; r < reps; r++) await b.generate(options);
                  });
                const s = await sampleGpu(timer, config, config.repeat, run);
                const verified = await verify(c, size, sizeIndex, n, k.dist, k.dtype, buffer);
                const extra =
                  k.workgroupSize === undefined
                    ? undefined
                    : { workgroupSize: gen.limits.workgroupSize, blocksPerInvocation: gen.limits.blocksPerInvocation ?? 1 };
                const row = timed(c, size, n, k.dtype, s, true, extra);
                emit(verified === undefined ? row : { ...row, verified });
              } finally {
                buffer.destroy();
              }
              break;
            }
            case 'store-variant': {
              if (k.store === 'vec4' && n % 4 !== 0) {
                emit(skippedRow(c, size, n, 'vec4 stores need a multiple of 4 elements'));
                break;
              }
              const buffer = await allocate(ctx.handle, { label: `bench: ${c.id}`, size: 4 * n, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
              try {
                const kernel = { ...STORE_VARIANT_ENTRY[k.store], constants: { DIST: k.dist.kind === 'uniform' ? 0 : 1 } };
                const run = await prepareStore(ctx, variants!, kernel, buffer, n, 4, variantParams(config.seed, streamOf(c)));
                const samples = await sampleGpu(timer, config, config.repeat, run);
                const verified = await verify(c, size, sizeIndex, n, k.dist, 'f32', buffer);
                const row = timed(c, size, n, 'f32', samples, true, { store: k.store });
                emit(verified === undefined ? row : { ...row, verified });
              } finally {
                buffer.destroy();
              }
              break;
            }
            case 'cpu-twin': {
              if (n > config.cpuMaxElements) {
                emit(skippedRow(c, size, n, `above cpuMaxElements (${sizeLabel(config.cpuMaxElements)})`));
                break;
              }
              const s = await sampleWall(config, config.repeat, (warmup) => {
                const count = warmup ? Math.min(n, 1 << 20) : n;
                const t = now();
                cpuGenerate({ seed: config.seed, stream: streamOf(c), count, dist: k.dist, dtype: k.dtype });
                return now() - t;
              });
              emit(timed(c, size, n, k.dtype, s, false));
              break;
            }
            case 'cpu-simd': {
              if (n > config.cpuMaxElements) {
                emit(skippedRow(c, size, n, `above cpuMaxElements (${sizeLabel(config.cpuMaxElements)})`));
                break;
              }
              // The output array is allocated once: a fresh one costs its first-touch page faults, which
              // on some systems take longer than generating the values.
              const out = k.dtype === 'f32' || k.dtype === 'u32' ? new Uint32Array(n) : new Uint16Array(n);
              const job = planGenerate({ seed: config.seed, stream: streamOf(c), count: n, dist: k.dist, dtype: k.dtype });
              const s = await sampleWall(config, config.repeat, () => {
                const t = now();
                simd!.run(job, out);
                return now() - t;
              });
              emit(timed(c, size, n, k.dtype, s, false));
              break;
            }
            case 'upload': {
              if (n > config.peerMaxElements) {
                emit(skippedRow(c, size, n, `above peerMaxElements (${sizeLabel(config.peerMaxElements)})`));
                break;
              }
              const buffer = await allocate(ctx.handle, { label: `bench: ${c.id}`, size: 4 * n, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST });
              const host = new Float32Array(n);
              const fills: number[] = [];
              const uploads: number[] = [];
              try {
                const s = await sampleWall(config, config.repeat, async (warmup) => {
                  const t = now();
                  // A trivial pattern: the cheapest host fill there is (a real one would be the CPU twin).
                  for (let i = 0; i < n; i++) host[i] = i * 1e-7;
                  const fill = now() - t;
                  const m = await timer.measure(() => device.queue.writeBuffer(buffer, 0, host));
                  if (!warmup) {
                    fills.push(fill);
                    uploads.push(m.wallMs);
                  }
                  return fill + m.wallMs;
                });
                emit(
                  timed(c, size, n, 'f32', s, false, {
                    fillMs: stat(fills).median,
                    uploadMs: stat(uploads).median,
                    uploadGBps: (4 * n) / stat(uploads).median / 1e6,
                  }),
                );
              } finally {
                buffer.destroy();
              }
              break;
            }
            case 'tfjs': {
              const tf = env.tf;
              if (!tf) {
                emit(skippedRow(c, size, n, `no TF.js peer: ${env.tfUnavailable ?? 'not given'}`));
                break;
              }
              if (k.init === 'glorotNormal' && !tf.layers) {
                emit(skippedRow(c, size, n, 'no @tensorflow/tfjs-layers'));
                break;
              }
              if (n > config.peerMaxElements) {
                emit(skippedRow(c, size, n, `above peerMaxElements (${sizeLabel(config.peerMaxElements)})`));
                break;
              }
              const s = await sampleWall(config, config.repeat, async () => {
                const m = await timer.measure(() => tf.create(k.init, tfShape(n), config.seed));
                m.result.dispose();
                return m.wallMs;
              });
              emit(timed(c, size, n, 'f32', s, false));
              break;
            }
          }
        } catch (e) {
          emit(errorRow(c, size, n, n * c.elementBytes, dtypeOf(c), e));
        }
      }
    }

    // Many small tensors: per-tensor cost of one generate call, one submission each or in one batch.
    for (const c of config.model ? selected : []) {
      const k = c.kind;
      if (k.type !== 'small-tensors') continue;
      const { count, elements } = SMALL_TENSORS;
      const size = `${count}×${elements}`;
      try {
        const gen = contexts[k.strategy];
        const buffer = await allocate(ctx.handle, {
          label: `bench: ${c.id}`,
          size: 4 * count * elements,
          usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
        });
        try {
          const dist: Distribution = { kind: 'normal', mean: 0, std: 0.02 };
          // Batched: every call into the one batch the body is handed; else each call is its own submission.
          const body = async (writer: WeightWriter) => {
            for (let i = 0; i < count; i++) await writer.generate({ seed: config.seed, stream: i, count: elements, dist, buffer, offset: 4 * elements * i });
          };
          const s = await sampleWall(config, config.repeat, async () => (await timer.measure(() => (k.batched ? gen.batch(body) : body(gen)))).wallMs);
          const row = timed(c, size, count * elements, 'f32', s, false);
          emit({ ...row, extra: { tensors: count, usPerTensor: (row.wallMs!.median * 1000) / count } });
        } finally {
          buffer.destroy();
        }
      } catch (e) {
        emit(errorRow(c, size, count * elements, 4 * count * elements, 'f32', e));
      }
    }

    // Orthogonal n x n: computeOrthogonal to Q in a new buffer (call → onSubmittedWorkDone), default strategy.
    for (const c of config.model ? selected : []) {
      const k = c.kind;
      if (k.type !== 'orthogonal') continue;
      const size = `${k.n}²`;
      if (isSoftwareAdapter(adapterInfoObject(device, env.adapter)) && k.n > ORTHOGONAL_SOFTWARE_MAX && !config.cases?.includes(c.id)) {
        emit(
          skippedRow(
            c,
            size,
            k.n * k.n,
            `software adapter: up to ${ORTHOGONAL_SOFTWARE_MAX}² unless asked for by id (bench/orthogonal.ts runs every size next to PyTorch CPU)`,
          ),
        );
        continue;
      }
      try {
        const writer = contexts[ctx.strategy];
        const s = await sampleWall(config, config.modelRepeat ?? config.repeat, async () => {
          const m = await timer.measure(() => computeOrthogonal(writer, { seed: config.seed, stream: streamOf(c), rows: k.n, cols: k.n }));
          m.result.destroy();
          return m.wallMs;
        });
        emit(timed(c, size, k.n * k.n, 'f32', s, false, { strategy: writer.strategy }));
      } catch (e) {
        emit(errorRow(c, size, k.n * k.n, 4 * k.n * k.n, 'f32', e));
      }
    }

    // Llama-2-7B in bf16, one buffer per tensor: time to weights on the adapter's default strategy.
    const llamaCase = selected.find((c) => c.kind.type === 'model-llama');
    if (llamaCase && config.llama) {
      try {
        const tensors = llama2Bf16Tensors();
        const params = parameterCount(tensors);
        if (params !== LLAMA2_7B_PARAMETERS) throw new Error(`Llama-2-7B tensor list has ${params} parameters, expected ${LLAMA2_7B_PARAMETERS}`);
        const model = contexts[ctx.strategy];
        const s = await sampleWall(config, config.modelRepeat ?? config.repeat, async () => {
          const m = await timer.measure(() => initModel(model, tensors, { seed: config.seed }));
          m.result.destroy();
          return m.wallMs;
        });
        const row = timed(llamaCase, 'model', params, 'bf16', s, false, { tensors: tensors.length, strategy: model.strategy });
        emit({ ...row, extra: { ...row.extra, paramsPerSecond: row.elementsPerSecond! } });
      } catch (e) {
        emit(errorRow(llamaCase, 'model', LLAMA2_7B_PARAMETERS, 2 * LLAMA2_7B_PARAMETERS, 'bf16', e));
      }
    } else if (llamaCase && config.cases?.includes(llamaCase.id)) {
      emit(skippedRow(llamaCase, 'model', LLAMA2_7B_PARAMETERS, 'config.llama is off (--llama turns it on; it needs 13.5 GB of GPU memory)'));
    }

    // GPT-2 small: time to weights (call → onSubmittedWorkDone), ours and TF.js's.
    if (config.model) {
      const tensors = gpt2SmallTensors('f32');
      const params = parameterCount(tensors);
      if (params !== GPT2_PARAMETERS) throw new Error(`GPT-2 tensor list has ${params} parameters, expected ${GPT2_PARAMETERS}`);
      const repeat = config.modelRepeat ?? config.repeat;
      for (const c of selected) {
        const k = c.kind;
        if (k.type !== 'model-ours' && k.type !== 'model-tfjs') continue;
        try {
          if (k.type === 'model-ours') {
            const model = k.strategy === 'auto' ? contexts[ctx.strategy] : contexts[k.strategy];
            const gpu: number[] = [];
            const s = await sampleWall(config, repeat, async (warmup) => {
              const m = await timer.measure(() => initModel(model, tensors, { seed: config.seed }));
              m.result.destroy();
              if (!warmup && m.gpuMs !== undefined) gpu.push(m.gpuMs);
              return m.wallMs;
            });
            const row = timed(c, 'model', params, 'f32', s, false, { tensors: tensors.length, strategy: model.strategy });
            emit({ ...row, ...(gpu.length === s.wall.length ? { gpuMs: stat(gpu) } : {}), extra: { ...row.extra, paramsPerSecond: row.elementsPerSecond! } });
          } else {
            const tf = env.tf;
            if (!tf) {
              emit(skippedRow(c, 'model', params, `no TF.js peer: ${env.tfUnavailable ?? 'not given'}`));
              continue;
            }
            const s = await sampleWall(config, repeat, async () => {
              const m = await timer.measure(() => tf.createModel(tensors, config.seed));
              m.result.dispose();
              return m.wallMs;
            });
            const row = timed(c, 'model', params, 'f32', s, false, { tensors: tensors.length });
            emit({ ...row, extra: { ...row.extra, paramsPerSecond: row.elementsPerSecond! } });
          }
        } catch (e) {
          emit(errorRow(c, 'model', params, 4 * params, 'f32', e));
        }
      }
    }
  } finally {
    timer.dispose();
    contexts.kernel.destroy();
    contexts.upload.destroy();
    for (const gen of sweepContexts.values()) gen.destroy();
  }

  return {
    schema: REPORT_SCHEMA,
    date: new Date().toISOString(),
    runtime: env.runtime,
    adapter: adapterInfoObject(device, env.adapter),
    limits: limitsObject(device.limits),
    features: [...device.features].map(String).sort(),
    timing: timer.timestamps ? 'gpu-timestamp' : 'wall',
    workgroupSize: ctx.limits.workgroupSize,
    blocksPerInvocation: ctx.limits.blocksPerInvocation ?? 1,
    config,
    tfjs: env.tf ? { version: env.tf.version, backend: env.tf.backend, layers: env.tf.layers } : { unavailable: env.tfUnavailable ?? 'not given' },
    results: deriveComparisons(rows),
    samples,
    durationMs: now() - t0,
  };
}
