// A WebGPU device prepared for weight generation: the limits fixed at creation, the kernel runner of
// generate.wgsl, the executor chosen once from the strategy (src/gpu/executor.ts: the kernels, or the SIMD CPU
// path and writeBuffer, with their QR runner and threads) and the device-loss state. Every call runs in a batch
// of its caller's own (src/gpu/batch.ts); a call made on the context directly is a batch of one call.

import { roundDown4 } from '../contract/align.js';
import { type DType, describeDTypes, type FloatDType } from '../contract/dtypes.js';
import type { JaxPlan } from '../contract/jax-plan.js';
import type { GeneratePlan } from '../contract/plan.js';
import { STRATEGY_OPTIONS, type Strategy, type StrategyOption } from '../contract/strategy.js';
import { checkIntegerIn } from '../contract/validate.js';
import { type DeviceLostError, InvalidParameterError, UnsupportedError } from '../errors.js';
import type { InitializePlan } from '../init/plan-initialize.js';
import { MAX_THREADS } from '../simd/worker-pool.js';
import type { ArrayForDType } from '../twin/generate.js';
import {
  Batch,
  type BatchEngine,
  type ConvertOptions,
  checkBatchBody,
  type FillOptions,
  type GpuGenerateOptions,
  type GpuJaxRandomOptions,
  type PlanSlice,
  type ReadOptions,
  type ScatterOptions,
  type WeightWriter,
  type WritePlansOptions,
} from './batch.js';
import { type AdapterSummary, requestAdapterAndDevice, summarize } from './device.js';
import { DeviceHandle } from './device-handle.js';
import type { DispatchLimits } from './dispatch-plan.js';
import type { DeviceParts, Executor } from './executor.js';
import { KernelRunner } from './kernel.js';
import { KernelExecutor } from './kernel-executor.js';
import { generateModule } from './shader-sources.js';
import type { GeneratedRange, InitializedRange, TargetOptions } from './target.js';
import { UploadExecutor } from './upload.js';

export type { GpuGenerateOptions, GpuJaxRandomOptions, ReadOptions, WeightWriter } from './batch.js';
export type { GeneratedRange, TargetOptions } from './target.js';
export type { FloatDType };

export interface ContextOptions {
  /** Use this device (e.g. the one TF.js or ONNX Runtime Web runs on). The context never destroys it. */
  device?: GPUDevice;
  /** Where to get an adapter when no device is given; default `navigator.gpu`. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Invocations per workgroup (default 64). */
  workgroupSize?: number;
  /**
   * Philox blocks (4 elements) each kernel invocation computes, grid-stride (default 4; 1 to 64). Values
   * are the same for every setting; it only changes how work is spread over invocations.
   */
  blocksPerInvocation?: number;
  /**
   * Caps below the device's limits, e.g. to exercise the windowed and 2-D dispatch paths in tests.
   * Values above the device limit are clamped to it.
   */
  maxBindingBytes?: number;
  maxWorkgroupsPerDimension?: number;
  /**
   * How generate() produces values; every strategy gives the same bits.
   * - 'kernel': the WGSL kernels write the buffer.
   * - 'upload': the SIMD CPU generator (WebAssembly) on worker threads, then `queue.writeBuffer` piece by
   *   piece. Faster where the "GPU" is the CPU itself (SwiftShader and other software adapters).
   * - 'auto' (default): 'upload' on a fallback or software adapter, else 'kernel'; if the workers cannot
   *   start (no Web Workers, a Content-Security-Policy without blob: workers), 'kernel'.
   * Ranges the upload cannot write whole (an offset or a byte length that is not a multiple of 4, a target
   * buffer without COPY_DST usage) always use the kernels.
   */
  strategy?: StrategyOption;
  /** Worker threads of the 'upload' strategy; default: the number of logical cores (at most 16). */
  threads?: number;
  /** @internal Set by the Node entry point. */
  swiftShaderFallback?: boolean;
}

/** Software adapters, where the upload strategy is the fast one. */
export function isSoftwareAdapter(adapter: Pick<AdapterSummary, 'isFallbackAdapter' | 'vendor' | 'architecture' | 'device' | 'description'>): boolean {
  return (
    adapter.isFallbackAdapter ||
    /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i.test(
      `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`,
    )
  );
}

const LABEL = 'webgpu-weight-init';

/**
 * The executor of a strategy: the kernels, or the upload path ('auto': on a software adapter). The one place where
 * the strategy is read; everything else runs the executor it gets.
 */
function chooseExecutor(strategy: StrategyOption, softwareAdapter: boolean, threads: number | undefined, parts: DeviceParts): Executor {
  const upload = strategy === 'upload' || (strategy === 'auto' && softwareAdapter);
  return upload ? new UploadExecutor(parts, strategy === 'upload' ? 'upload' : 'auto', threads) : new KernelExecutor(parts);
}

export class WeightInitContext implements WeightWriter {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  /** Resolves (never rejects) with the loss once the device is lost. */
  readonly lost: Promise<DeviceLostError>;
  readonly limits: DispatchLimits;
  private readonly engine: BatchEngine & { readonly executor: Executor };
  private readonly ownsDevice: boolean;
  /**
   * @internal The GPU object the device came from (options.gpu). Dawn for Node tears its instance down when that
   * object is garbage collected, even while devices from it are in use, so the context holds it.
   */
  readonly gpu: GPU | undefined;
  private destroyed = false;
  private batches = 0;

  constructor(device: GPUDevice, adapter: AdapterSummary, ownsDevice: boolean, options: ContextOptions = {}) {
    const strategy = checkStrategyOptions(options);
    const l = device.limits;
    const workgroupSize = options.workgroupSize ?? 64;
    if (
      !Number.isInteger(workgroupSize) ||
      workgroupSize < 1 ||
      workgroupSize > l.maxComputeInvocationsPerWorkgroup ||
      workgroupSize > l.maxComputeWorkgroupSizeX
    ) {
      throw new InvalidParameterError(
        'workgroupSize',
        workgroupSize,
        `an integer in [1, ${Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX)}]`,
      );
    }
    const cap = (value: number | undefined, limit: number, name: string, min: number) => {
      if (value === undefined) return limit;
      if (!Number.isSafeInteger(value) || value < min) throw new InvalidParameterError(name, value, `an integer of at least ${min}`);
      return Math.min(value, limit);
    };
    const blocksPerInvocation = options.blocksPerInvocation ?? 4;
    checkIntegerIn('blocksPerInvocation', blocksPerInvocation, 1, 64);
    const align = l.minStorageBufferOffsetAlignment;
    const maxBinding = cap(options.maxBindingBytes, l.maxStorageBufferBindingSize, 'maxBindingBytes', 2 * align);
    this.limits = Object.freeze({
      maxBindingBytes: roundDown4(maxBinding),
      bindingAlignment: align,
      maxWorkgroupsPerDimension: cap(options.maxWorkgroupsPerDimension, l.maxComputeWorkgroupsPerDimension, 'maxWorkgroupsPerDimension', 1),
      workgroupSize,
      blocksPerInvocation,
    });
    this.device = device;
    this.adapter = adapter;
    this.ownsDevice = ownsDevice;
    this.gpu = options.gpu;
    const handle = new DeviceHandle(device);
    this.lost = handle.lost;
    const runner = new KernelRunner(handle, generateModule);
    const parts: DeviceParts = { handle, runner, limits: this.limits, batch: (body) => this.batch(body) };
    this.engine = {
      handle,
      runner,
      limits: this.limits,
      executor: chooseExecutor(strategy, isSoftwareAdapter(adapter), options.threads, parts),
      assertUsable: () => this.assertUsable(),
    };
    // A lost device takes no more work: the executor's workers and threads (their memory and descriptors) go with it,
    // whether or not the caller ever calls destroy().
    void this.lost.then(() => this.engine.executor.close());
  }

  /** Rejects with GPUValidationError listing the WGSL compiler's errors, if there are any. */
  checkCompilation(): Promise<void> {
    return this.engine.runner.checkCompilation();
  }

  /**
   * The strategy generate() uses for ranges the upload can write (see ContextOptions.strategy); 'auto'
   * resolved for this adapter, and 'kernel' after the workers of an automatic 'upload' failed to start.
   */
  get strategy(): Strategy {
    return this.engine.executor.kind;
  }

  /**
   * The executor chosen from the strategy when the context was created: plans into GPU buffers (in a caller's
   * batch) and into host bytes (`executor.windows(n).bytes(slices)`, what the checkpoint writer writes).
   */
  get executor(): Executor {
    return this.engine.executor;
  }

  get isLost(): boolean {
    return this.engine.handle.isLost;
  }

  /**
   * Runs `body` with a batch of the caller's own: the calls made on the batch `b` are recorded into one
   * command encoder and submitted once when `body` returns, so many small tensors cost one submission.
   * `b.read()` and `b.flush()` submit what `b` recorded so far, so results come in call order. If `body`
   * throws, `b`'s unsubmitted work is dropped and the buffers `b` created are destroyed; other callers'
   * work is never affected. Calls made on the context itself inside `body` are not part of the batch.
   * A `b.generate()` that takes the 'upload' strategy submits what `b` recorded before it, then writes
   * with queue.writeBuffer at once.
   */
  async batch<T>(body: (batch: Batch) => Promise<T>): Promise<T> {
    checkBatchBody(body);
    this.assertUsable();
    const b = new Batch(this.engine, `${LABEL}: batch ${++this.batches}`);
    try {
      const result = await body(b);
      await b.submit();
      return result;
    } catch (e) {
      b.discard();
      throw e;
    }
  }

  /**
   * Writes elements [start, start + count) of the tensor (seed, stream, dist) into `buffer` at `offset`
   * (or into a new buffer). Resolves once the work is submitted and validated; later work on this
   * device's queue sees the values. Bytes outside [offset, offset + count * elementSize) are never
   * changed.
   */
  generate(options: GpuGenerateOptions): Promise<GeneratedRange> {
    return this.batch((b) => b.generate(options));
  }

  /** Executes a plan made by planGenerate into the target (see generate). */
  generatePlanned(plan: GeneratePlan, target: TargetOptions = {}): Promise<GeneratedRange> {
    return this.batch((b) => b.generatePlanned(plan, target));
  }

  /**
   * Writes `jax.random.<dist>(key, shape, dtype, ...)`, or the slice [start, start + count) of its flattened
   * result, into `buffer` at `offset` (or into a new buffer), with the bits jax 0.10.2 gives on the CPU
   * (docs/rng.md, "JAX streams").
   */
  generateJaxRandom(options: GpuJaxRandomOptions): Promise<GeneratedRange> {
    return this.batch((b) => b.generateJaxRandom(options));
  }

  /** Executes a plan made by planJaxRandom into the target (see generateJaxRandom). */
  generateJaxPlanned(plan: JaxPlan, target: TargetOptions = {}): Promise<GeneratedRange> {
    return this.batch((b) => b.generateJaxPlanned(plan, target));
  }

  /** Executes an initialize plan (planInitialize, sliceInitializePlan) into the target, with the context's executor. */
  initializePlanned(plan: InitializePlan, target: TargetOptions = {}, options: WritePlansOptions = {}): Promise<InitializedRange> {
    return this.batch((b) => b.initializePlanned(plan, target, options));
  }

  /** Executes slices of initialize plans into their targets, in one batch; an orthogonal matrix they share is computed once. */
  writePlans(slices: readonly PlanSlice[], options: WritePlansOptions = {}): Promise<InitializedRange[]> {
    return this.batch((b) => b.writePlans(slices, options));
  }

  /** Sets `count` elements at `offset` (or of a new buffer) to `value`, rounded to the dtype. */
  fillConstant(options: FillOptions): Promise<GeneratedRange> {
    return this.batch((b) => b.fillConstant(options));
  }

  /**
   * Sets elements base + t * stride (t < n) of the range [offset, offset + count) to `value`, leaving the
   * others as they are: the diagonals of eye and dirac. The range must already exist in `buffer`.
   */
  scatterConstant(options: ScatterOptions): Promise<void> {
    return this.batch((b) => b.scatterConstant(options));
  }

  /**
   * Stores `count` f32 values of `source` (from byte `sourceOffset`) times `scale` into the range, in the
   * dtype (e.g. an orthogonal matrix computed in f32).
   */
  convertF32(options: ConvertOptions): Promise<GeneratedRange> {
    return this.batch((b) => b.convertF32(options));
  }

  /** Copies `count` elements at byte `offset` of `buffer` back to the host (buffer needs COPY_SRC). */
  read<T extends DType>(buffer: GPUBuffer, options: ReadOptions<T>): Promise<ArrayForDType<T>> {
    return this.batch((b) => b.read(buffer, options));
  }

  /** Reads a generated range back as the typed array of its dtype. */
  readRange(range: GeneratedRange): Promise<ArrayForDType<DType>> {
    return this.read(range.buffer, { offset: range.offset, count: range.count, dtype: range.dtype });
  }

  /**
   * @deprecated The context has no batch of its own to submit: every call on it is submitted when it
   * resolves. Use `b.flush()` on the batch that `batch()` hands its body. Resolves at once.
   */
  async flush(): Promise<void> {}

  private assertUsable(): void {
    if (this.destroyed) throw new InvalidParameterError('context', 'destroyed', 'a context that destroy() has not been called on');
    this.engine.handle.assertAlive();
  }

  /** Releases the context (and its executor's workers and threads); destroys the device only if the context created it. */
  destroy(): void {
    this.destroyed = true;
    this.engine.executor.close();
    if (this.ownsDevice) this.device.destroy();
  }
}

/** Validates strategy and threads (before any device is acquired); returns the strategy option. */
function checkStrategyOptions(options: ContextOptions): StrategyOption {
  const strategy = options.strategy ?? 'auto';
  if (!(STRATEGY_OPTIONS as readonly unknown[]).includes(strategy)) {
    throw new InvalidParameterError('strategy', strategy, describeDTypes(STRATEGY_OPTIONS));
  }
  if (options.threads !== undefined) checkIntegerIn('threads', options.threads, 1, MAX_THREADS);
  return strategy;
}

/**
 * Creates a context on a caller's device, or acquires one from `options.gpu` / `navigator.gpu`.
 * In Node use createNodeContext from 'webgpu-weight-init/node', which also finds a software adapter.
 */
export async function createContext(options: ContextOptions = {}): Promise<WeightInitContext> {
  checkStrategyOptions(options);
  if (options.device) {
    const summary = summarize(options.device, undefined, { source: 'caller' });
    const ctx = new WeightInitContext(options.device, summary, false, options);
    await ctx.checkCompilation();
    return ctx;
  }
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    throw new UnsupportedError("WebGPU is not available here (no navigator.gpu); in Node use createNodeContext() from 'webgpu-weight-init/node'");
  }
  const { adapter, device } = await requestAdapterAndDevice(gpu, { powerPreference: options.powerPreference });
  const extra = options.swiftShaderFallback === undefined ? {} : { swiftShaderFallback: options.swiftShaderFallback };
  try {
    const summary = summarize(device, adapter, { source: 'adapter', ...extra });
    const ctx = new WeightInitContext(device, summary, true, options);
    await ctx.checkCompilation();
    return ctx;
  } catch (e) {
    device.destroy();
    throw e;
  }
}
