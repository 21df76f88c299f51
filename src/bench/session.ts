// One run of the bench: what its cases share (the contexts of each strategy on the caller's device, the GPU timer, the
// bench's own kernels, the SIMD generator), how a case is sampled, and how our cases' values are checked against the
// CPU twin. The cases themselves are the runners of ./runners.ts.
import type { Distribution } from '../contract/distributions.js';
import { bitsOf, DTYPE_BYTES, type DType } from '../contract/dtypes.js';
import type { Strategy } from '../contract/strategy.js';
import { createContext, isSoftwareAdapter, type WeightInitContext } from '../gpu/context.js';
import { DeviceHandle } from '../gpu/device-handle.js';
import { BufferUsage } from '../gpu/flags.js';
import { KernelRunner } from '../gpu/kernel.js';
import { createSimdGenerator, type SimdGenerator } from '../simd/generator.js';
import { generate as cpuGenerate, type GeneratedArray } from '../twin/generate.js';
import { type BenchCase, CASES, type CaseKind } from './cases.js';
import type { BenchConfig } from './config.js';
import { adapterInfoObject } from './device.js';
import type { BenchRuntime, CaseResult, SampleCheck, Samples } from './report.js';
import { STORE_SOURCE, STORE_VARIANTS_SOURCE } from './store-kernels.js';
import type { TfPeer } from './tfjs.js';
import { GpuTimer, type Measurement } from './timer.js';

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

export const now = (): number => performance.now();

/** createBuffer inside the device's error scopes: an allocation the device cannot make throws here, not later. */
export function allocate(handle: DeviceHandle, descriptor: GPUBufferDescriptor): Promise<GPUBuffer> {
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
export async function largestAllocatable(handle: DeviceHandle, elements: number): Promise<number> {
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

/** Bits of a generated array as numbers (u32 words; f16/bf16 patterns). */
function bitNumbers(a: GeneratedArray): number[] {
  return Array.from(bitsOf(a));
}

type GenerateKind = Extract<CaseKind, { type: 'generate' }>;

/** What the cases of one run share; made by `BenchSession.open`, released by `close`. */
export class BenchSession {
  readonly env: BenchEnvironment;
  readonly config: BenchConfig;
  readonly ctx: WeightInitContext;
  readonly device: GPUDevice;
  /** The bench's own error-scope helper on the device (its store kernels and buffers are not the library's). */
  readonly handle: DeviceHandle;
  readonly timer: GpuTimer;
  /** One context per strategy on the same device; env.ctx's own strategy is the adapter's default ('auto'). */
  readonly contexts: Readonly<Record<Strategy, WeightInitContext>>;
  /** Read-back samples of our cases at the first size. */
  readonly samples: SampleCheck[] = [];
  /** The bench's store kernel and store variants, compiled when a selected case needs them. */
  readonly store: KernelRunner | undefined;
  readonly variants: KernelRunner | undefined;
  /** The SIMD generator on this thread, when a selected case needs it. */
  readonly simd: SimdGenerator | undefined;
  /** The sweep's contexts (kernel strategy), one per workgroup size × blocks per invocation, made when first used. */
  private readonly sweepContexts = new Map<string, WeightInitContext>();

  private constructor(
    env: BenchEnvironment,
    config: BenchConfig,
    contexts: Record<Strategy, WeightInitContext>,
    parts: { handle: DeviceHandle; store?: KernelRunner; variants?: KernelRunner; simd?: SimdGenerator },
  ) {
    this.env = env;
    this.config = config;
    this.ctx = env.ctx;
    this.device = env.ctx.device;
    this.handle = parts.handle;
    this.timer = new GpuTimer(this.device, { timestamps: config.timestamps });
    this.contexts = contexts;
    this.store = parts.store;
    this.variants = parts.variants;
    this.simd = parts.simd;
  }

  /** Creates the contexts and what the `selected` cases need. */
  static async open(env: BenchEnvironment, config: BenchConfig, selected: readonly BenchCase[]): Promise<BenchSession> {
    const { ctx } = env;
    const options = { device: ctx.device, workgroupSize: ctx.limits.workgroupSize, blocksPerInvocation: ctx.limits.blocksPerInvocation ?? 1 };
    const contexts = { kernel: await createContext({ ...options, strategy: 'kernel' }), upload: await createContext({ ...options, strategy: 'upload' }) };
    const parts: { handle: DeviceHandle; store?: KernelRunner; variants?: KernelRunner; simd?: SimdGenerator } = { handle: new DeviceHandle(ctx.device) };
    try {
      const needs = (type: CaseKind['type']) => selected.some((c) => c.kind.type === type);
      if (needs('store')) parts.store = await compiled(parts.handle, STORE_SOURCE);
      if (needs('store-variant')) parts.variants = await compiled(parts.handle, STORE_VARIANTS_SOURCE);
      if (needs('cpu-simd')) parts.simd = await createSimdGenerator();
    } catch (e) {
      contexts.kernel.destroy();
      contexts.upload.destroy();
      throw e;
    }
    return new BenchSession(env, config, contexts, parts);
  }

  /** The Philox stream of a case: its place in CASES, so that every case draws different values. */
  streamOf(c: BenchCase): number {
    return CASES.indexOf(c) + 1;
  }

  /** Whether the adapter is a software one (SwiftShader and the like). */
  get software(): boolean {
    return isSoftwareAdapter(adapterInfoObject(this.device, this.env.adapter));
  }

  /** The context a generate case runs on: its strategy's, or a sweep context of its own workgroup size and blocks. */
  async generator(k: GenerateKind): Promise<WeightInitContext> {
    if (k.workgroupSize === undefined && k.blocksPerInvocation === undefined) return this.contexts[k.strategy];
    const workgroupSize = k.workgroupSize ?? this.ctx.limits.workgroupSize;
    const blocksPerInvocation = k.blocksPerInvocation ?? this.ctx.limits.blocksPerInvocation ?? 1;
    const key = `${k.strategy}/${workgroupSize}/${blocksPerInvocation}`;
    let gen = this.sweepContexts.get(key);
    if (!gen) {
      gen = await createContext({ device: this.device, strategy: k.strategy, workgroupSize, blocksPerInvocation });
      this.sweepContexts.set(key, gen);
    }
    return gen;
  }

  /** A buffer for a case, created inside the device's error scopes. */
  allocate(descriptor: GPUBufferDescriptor): Promise<GPUBuffer> {
    return allocate(this.handle, descriptor);
  }

  /**
   * Warm-up runs (the first also calibrates how many runs a sample needs to last targetSampleMs), then
   * `repeat` samples of `reps` runs each, per-run times.
   */
  async sampleGpu(run: (reps: number) => Promise<void> | void, repeat = this.config.repeat): Promise<Samples> {
    const { config, timer } = this;
    let one = Infinity;
    for (let w = 0; w < config.warmup; w++) {
      const m = await timer.measure(() => run(1));
      one = Math.min(one, m.gpuMs ?? m.wallMs);
    }
    const reps = Math.max(1, Math.min(config.maxReps, Math.ceil(config.targetSampleMs / Math.max(one, 1e-3))));
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
  async sampleWall(run: (warmup: boolean) => Promise<number> | number, repeat = this.config.repeat): Promise<Samples> {
    for (let w = 0; w < this.config.warmup; w++) await run(true);
    const wall: number[] = [];
    for (let r = 0; r < repeat; r++) wall.push(await run(false));
    return { reps: 1, wall, gpu: wall.map(() => undefined) };
  }

  /**
   * Reads back the first and last verifyCount elements of `buffer` and compares them with the CPU twin; at the first
   * size the first sample is kept for the report. Undefined when the config does not verify.
   */
  async verify(c: BenchCase, size: string, sizeIndex: number, n: number, dist: Distribution, dtype: DType, buffer: GPUBuffer): Promise<boolean | undefined> {
    const { config } = this;
    if (!config.verify) return undefined;
    const eb = DTYPE_BYTES[dtype];
    const m = Math.min(config.verifyCount, n);
    const stream = this.streamOf(c);
    let equal = true;
    for (const start of n > m ? [0, n - m] : [0]) {
      const gpu = await this.ctx.read(buffer, { offset: start * eb, count: m, dtype });
      const cpu = cpuGenerate({ seed: config.seed, stream, start, count: m, dist, dtype });
      const g = bitNumbers(gpu);
      const w = bitNumbers(cpu);
      const same = g.length === w.length && g.every((v, i) => v === w[i]);
      equal &&= same;
      if (sizeIndex === 0 && start === 0) {
        this.samples.push({ case: c.id, size, seed: config.seed, stream, dist, dtype, start, count: m, gpu: g, cpu: w, equal: same });
      }
    }
    return equal;
  }

  close(): void {
    this.timer.dispose();
    this.contexts.kernel.destroy();
    this.contexts.upload.destroy();
    for (const gen of this.sweepContexts.values()) gen.destroy();
  }
}

async function compiled(handle: DeviceHandle, source: typeof STORE_SOURCE): Promise<KernelRunner> {
  const runner = new KernelRunner(handle, source);
  await runner.checkCompilation();
  return runner;
}
