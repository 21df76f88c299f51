// A batch: one caller's GPU work, recorded into a command encoder of its own and submitted when the
// caller's body returns. Nothing here is shared between callers: two batches on one context never see
// each other's encoder, buffers or errors, so a failing or aborted batch drops only its own work.

import { ALL_DTYPES, type ArrayForDType, DTYPE_BYTES, type DType, dtypeArray, type FloatDType } from '../contract/dtypes.js';
import { type JaxPlan, type JaxRandomRequest, planJaxRandom } from '../contract/jax-plan.js';
import type { OrthogonalPlan } from '../contract/orthogonal.js';
import { type GeneratePlan, type GenerateRequest, planGenerate } from '../contract/plan.js';
import type { Strategy } from '../contract/strategy.js';
import { checkDType, checkFloatDType, checkNonNegativeInteger, checkParameter, isGPUBuffer, isRecord } from '../contract/validate.js';
import { BufferTooSmallError, BufferUsageError, InvalidParameterError, MisalignedError } from '../errors.js';
import type { InitializePlan } from '../init/plan-initialize.js';
import type { DeviceHandle } from './device-handle.js';
import type { DispatchLimits } from './dispatch-plan.js';
import { BufferUsage } from './flags.js';
import { convertCall, fillCall, type KernelCall, scatterCall } from './generate-kernels.js';
import type { KernelRunner } from './kernel.js';
import { readBytes } from './readback.js';
import { checkTarget, createTargetBuffer, type GeneratedRange, type InitializedRange, rangeOf, type Target, type TargetOptions } from './target.js';

export interface GpuGenerateOptions extends GenerateRequest, TargetOptions {}

/** A jax.random sampler call (see JaxRandomRequest) and where to write it. */
export interface GpuJaxRandomOptions extends JaxRandomRequest, TargetOptions {}

export interface ReadOptions<T extends DType = DType> {
  /** Byte offset; a multiple of the element size. Default 0. */
  offset?: number;
  count: number;
  /** u32 and f32 read as Uint32Array / Float32Array; f16 and bf16 as Uint16Array bit patterns. */
  dtype: T;
}

export interface FillOptions extends TargetOptions {
  value: number;
  count: number;
  dtype?: FloatDType;
}

export interface ScatterOptions {
  buffer: GPUBuffer;
  offset?: number;
  count: number;
  dtype?: FloatDType;
  value: number;
  base: number;
  stride: number;
  n: number;
}

export interface ConvertOptions extends TargetOptions {
  source: GPUBuffer;
  sourceOffset?: number;
  count: number;
  dtype?: FloatDType;
  scale?: number;
}

/** One slice of an initialize plan and where it goes. */
export interface PlanSlice {
  readonly plan: InitializePlan;
  readonly target: TargetOptions;
}

export interface WritePlansOptions {
  /** Seen before each slice and during an orthogonal matrix's QR on the host (AbortedError). */
  readonly signal?: AbortSignal;
}

/**
 * The part of the context's executor (src/gpu/executor.ts) a batch runs its plans with: the one place where the
 * strategy decides how values reach a buffer. Every method records into, or submits after, the work `batch` recorded
 * before it.
 */
export interface PlanExecutor {
  /** 'kernel': the WGSL kernels; 'upload': the SIMD CPU path and writeBuffer (the kernels for what it cannot write whole). */
  readonly kind: Strategy;
  /** A generation plan into a checked target. */
  generate(batch: Batch, plan: GeneratePlan, target: Target): Promise<GeneratedRange>;
  /** A JAX plan (planJaxRandom) into a checked target. */
  generateJax(batch: Batch, plan: JaxPlan, target: Target): Promise<GeneratedRange>;
  /** Initialize plans (or slices of them) into their targets; an orthogonal matrix the slices share is computed once. */
  write(batch: Batch, slices: readonly PlanSlice[], options?: WritePlansOptions): Promise<InitializedRange[]>;
  /**
   * The orthogonal matrix Q of the plan in a new f32 buffer (STORAGE | COPY_SRC | COPY_DST, owned by the caller),
   * written after `batch`'s earlier work.
   */
  orthogonal(batch: Batch, plan: OrthogonalPlan, signal?: AbortSignal): Promise<GPUBuffer>;
  /**
   * Told the slices `batch` writes next, in order (Batch.prepare), the executor may start on them early; what it
   * returns is closed when the batch ends. The upload path generates them ahead and creates their buffers between
   * pieces; the kernels have nothing to do early.
   */
  prepare?(batch: Batch, slices: readonly PlanSlice[]): Promise<{ close(): void } | undefined>;
}

/** What a batch needs of its context: the device, the kernel runner, the limits and the executor. */
export interface BatchEngine {
  readonly handle: DeviceHandle;
  readonly runner: KernelRunner;
  readonly limits: DispatchLimits;
  readonly executor: PlanExecutor;
  /** Throws once the context is destroyed or its device lost: every call of its batches checks it first. */
  assertUsable(): void;
}

/** A batch body, checked before anything runs: `ctx.batch(null)` is a typed error, not a TypeError. */
export function checkBatchBody(body: unknown): void {
  if (typeof body !== 'function') throw new InvalidParameterError('body', body, 'a function (batch) => Promise, run with the batch');
}

/** The calls that write weights: a context (each call submitted on its own) and a batch (recorded, submitted together). */
export interface WeightWriter {
  readonly device: GPUDevice;
  readonly limits: DispatchLimits;
  /** How this caller's generations run ('auto' resolved): the WGSL kernels, or the SIMD CPU path and writeBuffer. */
  readonly strategy: Strategy;
  /** Writes elements [start, start + count) of the tensor (seed, stream, dist) into the target. */
  generate(options: GpuGenerateOptions): Promise<GeneratedRange>;
  /** Executes a plan made by planGenerate into the target. */
  generatePlanned(plan: GeneratePlan, target?: TargetOptions): Promise<GeneratedRange>;
  /** Writes `jax.random.<dist>(key, shape, dtype, ...)` (or a slice of it) into the target, with JAX's bits. */
  generateJaxRandom(options: GpuJaxRandomOptions): Promise<GeneratedRange>;
  /** Executes a plan made by planJaxRandom into the target. */
  generateJaxPlanned(plan: JaxPlan, target?: TargetOptions): Promise<GeneratedRange>;
  /** Executes an initialize plan (planInitialize, sliceInitializePlan) into the target. */
  initializePlanned(plan: InitializePlan, target?: TargetOptions, options?: WritePlansOptions): Promise<InitializedRange>;
  /** Executes slices of initialize plans into their targets, in order; an orthogonal matrix they share is computed once. */
  writePlans(slices: readonly PlanSlice[], options?: WritePlansOptions): Promise<InitializedRange[]>;
  /** Sets `count` elements of the target to `value`, rounded to the dtype. */
  fillConstant(options: FillOptions): Promise<GeneratedRange>;
  /** Sets elements base + t * stride (t < n) of an existing range to `value`; the others keep their values. */
  scatterConstant(options: ScatterOptions): Promise<void>;
  /** Stores `count` f32 values of `source` times `scale` into the target, in the dtype. */
  convertF32(options: ConvertOptions): Promise<GeneratedRange>;
  /** Copies `count` elements at byte `offset` of `buffer` back to the host, after this caller's earlier work. */
  read<T extends DType>(buffer: GPUBuffer, options: ReadOptions<T>): Promise<ArrayForDType<T>>;
  readRange(range: GeneratedRange): Promise<ArrayForDType<DType>>;
  /** Runs `body` with a batch of this caller's own (a batch passes itself). */
  batch<T>(body: (batch: Batch) => Promise<T>): Promise<T>;
}

export class Batch implements WeightWriter {
  private readonly engine: BatchEngine;
  private readonly label: string;
  /** The batch this one is nested in (`b.batch(body)`, and each call's own): it records into that batch's encoder. */
  private readonly parent: Batch | undefined;
  // The recording, kept by the outermost batch only.
  private encoder: GPUCommandEncoder | undefined;
  private passes = 0;
  /** Uniform buffers of recorded passes: destroyed once they are submitted or dropped. */
  private temporaries: GPUBuffer[] = [];
  /**
   * Buffers no caller will get (made by a call that failed or outlived its batch's body, or inside a nested body
   * that threw) that recorded work may still use: destroyed once that work is submitted or dropped.
   */
  private orphans: GPUBuffer[] = [];
  /** Buffers this batch created: destroyed if the batch is discarded. */
  private readonly created: GPUBuffer[] = [];
  private state: 'open' | 'submitted' | 'discarded' = 'open';
  /** What the executor started early for this batch (prepare): closed when the batch ends. */
  private readonly prepared: { close(): void }[] = [];

  constructor(engine: BatchEngine, label: string, parent?: Batch) {
    this.engine = engine;
    this.label = label;
    this.parent = parent;
  }

  /** The outermost batch, which holds the encoder. */
  private get root(): Batch {
    return this.parent ? this.parent.root : this;
  }

  /** @internal This batch, then the batches it is nested in, innermost first (each call runs in a nested batch of its own). */
  *lineage(): Generator<Batch> {
    for (let b: Batch | undefined = this; b; b = b.parent) yield b;
  }

  /** Open: its body (and the bodies of the batches it is nested in) has not returned yet. */
  private get isOpen(): boolean {
    return this.state === 'open' && (this.parent?.isOpen ?? true);
  }

  /** The state of the first closed batch on the way out ('open' when none is). */
  private get closedState(): 'open' | 'submitted' | 'discarded' {
    return this.state !== 'open' ? this.state : (this.parent?.closedState ?? 'open');
  }

  get device(): GPUDevice {
    return this.engine.handle.device;
  }

  get limits(): DispatchLimits {
    return this.engine.limits;
  }

  get strategy(): Strategy {
    return this.engine.executor.kind;
  }

  /** @internal The context's executor (for computeOrthogonal). */
  get executor(): PlanExecutor {
    return this.engine.executor;
  }

  private assertOpen(): void {
    this.engine.assertUsable();
    if (!this.isOpen) throw new InvalidParameterError('batch', this.closedState, 'a batch whose body has not returned yet');
  }

  generate(options: GpuGenerateOptions): Promise<GeneratedRange> {
    try {
      this.assertOpen();
      return this.generatePlanned(planGenerate(options), options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async generatePlanned(plan: GeneratePlan, options: TargetOptions = {}): Promise<GeneratedRange> {
    this.assertOpen();
    const target = this.check(options, plan.count, plan.dtype, `${plan.entryPoint} ${plan.dtype}`);
    return this.nested((b) => this.engine.executor.generate(b, plan, target));
  }

  generateJaxRandom(options: GpuJaxRandomOptions): Promise<GeneratedRange> {
    try {
      this.assertOpen();
      return this.generateJaxPlanned(planJaxRandom(options), options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async generateJaxPlanned(plan: JaxPlan, options: TargetOptions = {}): Promise<GeneratedRange> {
    this.assertOpen();
    const target = this.check(options, plan.count, plan.dtype, `${plan.entryPoint} ${plan.dtype}`);
    return this.nested((b) => this.engine.executor.generateJax(b, plan, target));
  }

  async initializePlanned(plan: InitializePlan, target: TargetOptions = {}, options: WritePlansOptions = {}): Promise<InitializedRange> {
    return (await this.writePlans([{ plan, target }], options))[0]!;
  }

  async writePlans(slices: readonly PlanSlice[], options: WritePlansOptions = {}): Promise<InitializedRange[]> {
    this.assertOpen();
    return this.nested((b) => this.engine.executor.write(b, slices, options));
  }

  /**
   * @internal Tells the executor the slices this batch's next calls write, in this order (initModel's tensors), so
   * that it may start on them early: the upload path generates them ahead while it creates the buffers. The values
   * and buffers are the same; the calls are made as usual.
   */
  async prepare(slices: readonly PlanSlice[]): Promise<void> {
    this.assertOpen();
    const early = await this.engine.executor.prepare?.(this, slices);
    if (!early) return;
    if (this.isOpen) this.prepared.push(early);
    else early.close();
  }

  async fillConstant(options: FillOptions): Promise<GeneratedRange> {
    this.assertOpen();
    const { dtype, value, count } = checkConstant(options);
    const target = this.check(options, count, dtype, `constant ${dtype}`);
    return this.nested(async (b) => {
      const buffer = await b.createBuffer(target);
      const call = fillCall(count, value, dtype, buffer, target.offset, this.engine.limits);
      await b.recordKernel(call, `fillConstant ${dtype}`);
      return rangeOf(buffer, target, call.dispatches.length, 'kernel');
    });
  }

  async scatterConstant(options: ScatterOptions): Promise<void> {
    this.assertOpen();
    const { dtype, value, count } = checkConstant(options);
    const { base, stride, n } = options;
    for (const [name, v] of [
      ['base', base],
      ['stride', stride],
      ['n', n],
    ] as const) {
      checkNonNegativeInteger(name, v);
    }
    if (n > 0 && (stride < 1 || base + (n - 1) * stride >= count)) {
      throw new InvalidParameterError('n', n, `positions base + t * stride (t < n) inside [0, ${count})`);
    }
    if (options.buffer === undefined) throw new InvalidParameterError('buffer', options.buffer, 'the GPUBuffer holding the range');
    const target = this.check(options, count, dtype, 'scatter');
    const call = scatterCall(count, { base, stride, n }, value, dtype, options.buffer, target.offset, this.engine.limits);
    await this.recordKernel(call, `scatterConstant ${dtype}`);
  }

  async convertF32(options: ConvertOptions): Promise<GeneratedRange> {
    this.assertOpen();
    checkObject(options);
    const dtype = checkFloatDType('dtype', options.dtype ?? 'f32');
    const count = checkNonNegativeInteger('count', options.count);
    const scale = Math.fround(checkParameter('scale', options.scale ?? 1));
    const source = options.source;
    if (!isGPUBuffer(source)) {
      throw new InvalidParameterError('source', source, 'a GPUBuffer of f32 values with STORAGE usage');
    }
    const sourceOffset = options.sourceOffset ?? 0;
    checkNonNegativeInteger('sourceOffset', sourceOffset);
    if (sourceOffset % 4 !== 0) throw new MisalignedError('sourceOffset', sourceOffset, 4);
    if ((source.usage & BufferUsage.STORAGE) === 0) throw new BufferUsageError(`source "${source.label}": needs STORAGE usage`);
    if (sourceOffset + 4 * count > source.size) {
      throw new BufferTooSmallError(`source "${source.label}": ${source.size} bytes; ${count} f32 values at ${sourceOffset} need ${sourceOffset + 4 * count}`);
    }
    const target = this.check(options, count, dtype, 'convert');
    return this.nested(async (b) => {
      const buffer = await b.createBuffer(target);
      const call = convertCall(count, source, sourceOffset, scale, dtype, buffer, target.offset, this.engine.limits);
      await b.recordKernel(call, `convertF32 ${dtype}`);
      return rangeOf(buffer, target, call.dispatches.length, 'kernel');
    });
  }

  async read<T extends DType>(buffer: GPUBuffer, options: ReadOptions<T>): Promise<ArrayForDType<T>> {
    this.assertOpen();
    checkObject(options);
    if (!isGPUBuffer(buffer)) throw new InvalidParameterError('buffer', buffer, 'a GPUBuffer');
    const { count, dtype } = options;
    const offset = options.offset ?? 0;
    checkNonNegativeInteger('count', count);
    checkDType('dtype', dtype, ALL_DTYPES);
    const elementBytes = DTYPE_BYTES[dtype];
    checkNonNegativeInteger('offset', offset, 'a non-negative integer number of bytes');
    if (offset % elementBytes !== 0) throw new MisalignedError('offset', offset, elementBytes);
    await this.flush();
    const bytes = await readBytes(this.engine.handle, buffer, offset, count * elementBytes, `${this.label}: read`);
    return dtypeArray(dtype, bytes);
  }

  readRange(range: GeneratedRange): Promise<ArrayForDType<DType>> {
    return this.read(range.buffer, { offset: range.offset, count: range.count, dtype: range.dtype });
  }

  /**
   * A nested batch: `body` gets a batch that records into this one's encoder (one submission for both), closed when
   * `body` returns; the buffers it created then belong to this batch. If `body` throws, or this batch's body returned
   * before it did (a nested call not awaited), the buffers it created are destroyed (once the work recorded with them
   * is submitted or dropped) and the call rejects.
   */
  batch<T>(body: (batch: Batch) => Promise<T>): Promise<T> {
    try {
      checkBatchBody(body);
      this.assertOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.nested(body);
  }

  /** Runs `body` in a nested batch (see batch); each call that creates a buffer runs in one, so its buffer is its own. */
  private async nested<T>(body: (batch: Batch) => Promise<T>): Promise<T> {
    const inner = new Batch(this.engine, this.label, this);
    try {
      const result = await body(inner);
      // This batch's body returned meanwhile: the result has no caller.
      inner.assertOpen();
      inner.state = 'submitted';
      inner.closePrepared();
      this.created.push(...inner.created.splice(0));
      return result;
    } catch (e) {
      inner.state = 'discarded';
      inner.closePrepared();
      this.root.orphan(inner.created.splice(0));
      throw e;
    }
  }

  /** Submits what this batch (and those it is nested in) recorded so far. */
  async flush(): Promise<void> {
    this.assertOpen();
    const root = this.root;
    const encoder = root.encoder;
    if (!encoder) {
      for (const b of root.orphans.splice(0)) b.destroy();
      return;
    }
    const done = [...root.temporaries, ...root.orphans];
    const passes = root.passes;
    root.encoder = undefined;
    root.passes = 0;
    root.temporaries = [];
    root.orphans = [];
    const { handle } = this.engine;
    try {
      await handle.scoped(`${this.label} (${passes} passes)`, () => handle.device.queue.submit([encoder.finish()]));
    } finally {
      for (const b of done) b.destroy();
    }
  }

  /** Submits the recorded work and closes the batch. */
  async submit(): Promise<void> {
    if (this.state !== 'open') return;
    this.closePrepared();
    await this.flush();
    this.state = 'submitted';
  }

  private closePrepared(): void {
    for (const p of this.prepared.splice(0)) p.close();
  }

  /** Drops the unsubmitted work and destroys every buffer the batch created. */
  discard(): void {
    if (this.state === 'discarded') return;
    this.state = 'discarded';
    this.closePrepared();
    this.encoder = undefined;
    for (const b of [...this.temporaries, ...this.orphans, ...this.created]) b.destroy();
    this.temporaries = [];
    this.orphans = [];
    this.created.length = 0;
  }

  /** Buffers no caller will get: destroyed now when nothing recorded can use them, else after the next submission. */
  private orphan(buffers: GPUBuffer[]): void {
    if (this.state === 'open' && this.encoder) this.orphans.push(...buffers);
    else for (const b of buffers) b.destroy();
  }

  private check(options: TargetOptions, count: number, dtype: DType, what: string): Target {
    return checkTarget(options, count, dtype, what, this.engine.handle.device.limits.maxBufferSize);
  }

  /**
   * @internal The target's buffer: the caller's, or a new one that this batch destroys if it is discarded (or, made
   * after this batch or one it is nested in closed, at once or after the work recorded with it: no caller gets it).
   */
  async createBuffer(target: Target): Promise<GPUBuffer> {
    if (target.buffer) return target.buffer;
    const buffer = await createTargetBuffer(this.engine.handle, target);
    if (!this.isOpen) {
      // Made after this batch or one it is nested in closed (a buffer created ahead, a call that outlived its
      // body): no caller gets it, and no list of a closed batch would ever destroy it.
      this.root.orphan([buffer]);
      this.assertOpen();
    }
    this.created.push(buffer);
    return buffer;
  }

  /** @internal Records one kernel call into this batch's encoder. */
  async recordKernel(call: KernelCall, what: string): Promise<void> {
    const { runner, handle } = this.engine;
    const pipeline = await runner.pipeline(call.entryPoint, call.constants);
    this.assertOpen();
    if (call.dispatches.length === 0) return;
    const root = this.root;
    const uniform = await handle.scoped(
      what,
      () => {
        root.encoder ??= handle.device.createCommandEncoder({ label: this.label });
        root.passes++;
        return runner.record(root.encoder, pipeline, call.entryPoint, call.dispatches);
      },
      (u) => u?.destroy(),
    );
    if (uniform) {
      if (root.state === 'open') root.temporaries.push(uniform);
      else uniform.destroy();
    }
  }
}

/** The dtype, value and count of a fill or scatter. */
function checkConstant(options: { dtype?: FloatDType; value: number; count: number }): { dtype: FloatDType; value: number; count: number } {
  checkObject(options);
  return {
    dtype: checkFloatDType('dtype', options.dtype ?? 'f32'),
    value: Math.fround(checkParameter('value', options.value)),
    count: checkNonNegativeInteger('count', options.count),
  };
}

function checkObject(options: unknown): void {
  if (!isRecord(options)) throw new InvalidParameterError('options', options, 'an object');
}
