import {
  BufferTooSmallError,
  BufferUsageError,
  DeviceLostError,
  GPUValidationError,
  InvalidParameterError,
  MisalignedError,
  OutOfMemoryError,
  UnsupportedError,
  WeightInitError,
} from '../errors.js';
import { DTYPE_BYTES, MAX_PARAMETER, MIN_PARAMETER, resolveDistribution, type DType, type FloatDType } from '../contract/distributions.js';

export type { FloatDType };
import { ENTRY_POINTS, resolveDType, type ArrayForDType, type CpuGenerateOptions } from '../twin/generate.js';
import { resolveRange } from '../contract/range.js';
import { summarize, requestAdapterAndDevice, type AdapterSummary } from './device.js';
import { planDispatches, type DispatchChunk, type DispatchLimits } from './dispatch-plan.js';
import { BufferUsage, MapMode, ShaderStage } from './flags.js';
import { packStruct } from './shader-layout.js';
import { generateModule } from './shader-sources.js';
import { simdJob, type SimdJob } from '../simd/generator.js';
import { createWorkerPool, type WorkerPool } from '../simd/worker-pool.js';

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
  strategy?: 'auto' | 'kernel' | 'upload';
  /** Worker threads of the 'upload' strategy; default: the number of logical cores (at most 16). */
  threads?: number;
  /** Internal: set by the Node entry point. */
  swiftShaderFallback?: boolean;
}

/** Elements per piece of the 'upload' strategy: 4 MiB of f32, one writeBuffer each. */
const UPLOAD_PIECE = 1 << 20;

/** Software adapters, where the upload strategy is the fast one. */
export function isSoftwareAdapter(adapter: Pick<AdapterSummary, 'isFallbackAdapter' | 'vendor' | 'architecture' | 'device' | 'description'>): boolean {
  return adapter.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i.test(
    `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`,
  );
}

export interface GpuGenerateOptions extends CpuGenerateOptions, TargetOptions {}

/** Where the generated elements are: bytes [offset, offset + byteLength) of buffer. */
export interface GeneratedRange {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly byteLength: number;
  readonly count: number;
  readonly dtype: DType;
  /** Compute dispatches used (more than one when the range exceeds a binding window or a grid); 0 for 'upload'. */
  readonly dispatches: number;
  /** How the values got there: the WGSL kernels or the SIMD CPU generator and writeBuffer. */
  readonly via: 'kernel' | 'upload';
}

export interface ReadOptions<T extends DType = DType> {
  /** Byte offset; a multiple of the element size. Default 0. */
  offset?: number;
  count: number;
  /** u32 and f32 read as Uint32Array / Float32Array; f16 and bf16 as Uint16Array bit patterns. */
  dtype: T;
}

/** DTYPE override of generate.wgsl for each stored type. */
const DTYPE_CODE: Readonly<Record<DType, number>> = { u32: 0, f32: 0, f16: 1, bf16: 2 };

const LABEL = 'webgpu-weight-init';

/**
 * A GPU device prepared for weight generation: the compiled pipelines are cached per entry point and
 * workgroup size, the dispatch limits are fixed at creation, and device loss is tracked.
 */
export class WeightInitContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  /** Resolves (never rejects) with the loss once the device is lost. */
  readonly lost: Promise<DeviceLostError>;
  readonly limits: DispatchLimits;
  private lostError: DeviceLostError | undefined;
  private readonly ownsDevice: boolean;
  private readonly module: GPUShaderModule;
  /** Bind-group and pipeline layouts per entry point, built from the bindings reflected for it. */
  private readonly layouts = new Map<string, { bindGroup: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly paramsStride: number;
  /** Work recorded by batch() and not yet submitted. */
  private openBatch: { encoder: GPUCommandEncoder; buffers: GPUBuffer[]; passes: number } | undefined;
  /**
   * The GPU object the device came from. Dawn for Node tears its instance down when that object is
   * garbage collected, even while devices from it are in use, so the context holds on to it.
   */
  private readonly gpu: GPU | undefined;
  private chosenStrategy: 'kernel' | 'upload';
  private readonly strategyOption: 'auto' | 'kernel' | 'upload';
  private readonly threads: number | undefined;
  private pool: Promise<WorkerPool> | undefined;

  constructor(device: GPUDevice, adapter: AdapterSummary, ownsDevice: boolean, options: ContextOptions = {}) {
    this.device = device;
    this.adapter = adapter;
    this.ownsDevice = ownsDevice;
    this.gpu = options.gpu;
    this.lost = device.lost.then((info) => {
      this.lostError = new DeviceLostError(String(info.reason ?? 'unknown'), info.message);
      return this.lostError;
    });
    const strategy = checkStrategyOptions(options);
    this.strategyOption = strategy;
    this.chosenStrategy = strategy === 'auto' ? (isSoftwareAdapter(adapter) ? 'upload' : 'kernel') : strategy;
    this.threads = options.threads;
    const l = device.limits;
    const workgroupSize = options.workgroupSize ?? 64;
    if (!Number.isInteger(workgroupSize) || workgroupSize < 1 || workgroupSize > l.maxComputeInvocationsPerWorkgroup || workgroupSize > l.maxComputeWorkgroupSizeX) {
      throw new InvalidParameterError('workgroupSize', workgroupSize, `an integer in [1, ${Math.min(l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX)}]`);
    }
    const cap = (value: number | undefined, limit: number, name: string, min: number) => {
      if (value === undefined) return limit;
      if (!Number.isSafeInteger(value) || value < min) {
        throw new InvalidParameterError(name, value, `an integer of at least ${min}`);
      }
      return Math.min(value, limit);
    };
    const blocksPerInvocation = options.blocksPerInvocation ?? 4;
    if (!Number.isInteger(blocksPerInvocation) || blocksPerInvocation < 1 || blocksPerInvocation > 64) {
      throw new InvalidParameterError('blocksPerInvocation', blocksPerInvocation, 'an integer in [1, 64]');
    }
    const align = l.minStorageBufferOffsetAlignment;
    const maxBinding = cap(options.maxBindingBytes, l.maxStorageBufferBindingSize, 'maxBindingBytes', 2 * align);
    this.limits = {
      maxBindingBytes: maxBinding - (maxBinding % 4),
      bindingAlignment: align,
      maxWorkgroupsPerDimension: cap(options.maxWorkgroupsPerDimension, l.maxComputeWorkgroupsPerDimension, 'maxWorkgroupsPerDimension', 1),
      workgroupSize,
      blocksPerInvocation,
    };
    const layout = generateModule.layout;
    const params = layout.structs['Params'];
    if (!params) throw new Error('generate.wgsl has no Params struct');
    this.paramsStride = Math.ceil(params.size / l.minUniformBufferOffsetAlignment) * l.minUniformBufferOffsetAlignment;
    this.module = device.createShaderModule({ label: generateModule.label, code: generateModule.code });
    const bindingTypes = new Map(layout.bindings.map((x) => [x.binding, x.type]));
    for (const entry of layout.entryPoints) {
      const bindGroup = device.createBindGroupLayout({
        label: `${LABEL}: ${entry.name} bind group layout`,
        entries: entry.bindings.map((binding) => ({ binding, visibility: ShaderStage.COMPUTE, buffer: { type: bindingTypes.get(binding)! } })),
      });
      const pipeline = device.createPipelineLayout({ label: `${LABEL}: ${entry.name} pipeline layout`, bindGroupLayouts: [bindGroup] });
      this.layouts.set(entry.name, { bindGroup, pipeline });
    }
  }

  /** Rejects with GPUValidationError listing the WGSL compiler's errors, if there are any. */
  async checkCompilation(): Promise<void> {
    const info = await this.module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new GPUValidationError(
        `${generateModule.label} failed to compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`,
      );
    }
  }

  /**
   * The strategy generate() uses for ranges the upload can write (see ContextOptions.strategy); 'auto'
   * resolved for this adapter, and 'kernel' after the workers of an automatic 'upload' failed to start.
   */
  get strategy(): 'kernel' | 'upload' {
    return this.chosenStrategy;
  }

  get isLost(): boolean {
    return this.lostError !== undefined;
  }

  private assertAlive(): void {
    if (this.lostError) throw this.lostError;
  }

  private layoutOf(entryPoint: string): { bindGroup: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    const l = this.layouts.get(entryPoint);
    if (!l) throw new Error(`generate.wgsl has no entry point ${entryPoint}`);
    return l;
  }

  /** The compute pipeline for an entry point of generate.wgsl and a dtype, compiled once per context. */
  pipeline(entryPoint: string, dtype: DType = 'f32'): Promise<GPUComputePipeline> {
    const code = DTYPE_CODE[dtype];
    // scatterConstant maps invocations to single elements, not blocks.
    const blocks = entryPoint === 'scatterConstant' ? undefined : (this.limits.blocksPerInvocation ?? 1);
    const key = `${entryPoint}|wg${this.limits.workgroupSize}|dtype${code}${blocks === undefined ? '' : `|bpi${blocks}`}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const constants: Record<string, number> = { WORKGROUP_SIZE: this.limits.workgroupSize, DTYPE: code };
      if (blocks !== undefined) constants['BLOCKS_PER_INVOCATION'] = blocks;
      p = this.device.createComputePipelineAsync({
        label: `${LABEL}: ${key}`,
        layout: this.layoutOf(entryPoint).pipeline,
        compute: { module: this.module, entryPoint, constants },
      });
      p.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Writes elements [start, start + count) of the tensor (seed, stream, dist) into `buffer` at `offset`
   * (or into a new buffer). Resolves once the work is submitted and validated; later work on this
   * device's queue sees the values. Bytes outside [offset, offset + count * elementSize) are never
   * changed.
   */
  async generate(options: GpuGenerateOptions): Promise<GeneratedRange> {
    this.assertAlive();
    const range = resolveRange(options);
    const dist = resolveDistribution(options.dist);
    const dtype = resolveDType(dist, options.dtype);
    if (this.strategy === 'upload' && range.count > 0) {
      const byteLength = range.count * DTYPE_BYTES[dtype];
      const offset = options.offset ?? 0;
      const copyable = options.buffer === undefined || (typeof options.buffer?.usage === 'number' && (options.buffer.usage & BufferUsage.COPY_DST) !== 0);
      const pool = copyable && offset % 4 === 0 && byteLength % 4 === 0 ? await this.workerPool() : undefined;
      if (pool) {
        const target = await this.prepareTarget(options, range.count, dtype, `${dist.kind} ${dtype}`);
        try {
          await this.upload(pool, target, simdJob(range, dist, dtype), DTYPE_BYTES[dtype]);
        } catch (e) {
          if (target.created) target.buffer.destroy();
          throw e;
        }
        return { ...target.result(range.count, dtype), via: 'upload' };
      }
    }
    return this.runRange(ENTRY_POINTS[dist.kind], dtype, range.count, range.start, options, `${dist.kind} ${dtype}`, {
      key: range.key,
      stream: range.stream,
      low: dist.low,
      range: dist.range,
      mean: dist.mean,
      stddev: dist.std,
      pLow: dist.pLow,
      pWidth: dist.pWidth,
      clampLow: dist.clampLow,
      clampHigh: dist.clampHigh,
    });
  }

  /** Sets `count` elements at `offset` (or of a new buffer) to `value`, rounded to the dtype. */
  async fillConstant(options: TargetOptions & { value: number; count: number; dtype?: FloatDType }): Promise<GeneratedRange> {
    this.assertAlive();
    const dtype = checkFloatDType(options.dtype);
    const value = checkFinite('value', options.value);
    const count = checkCount(options.count);
    return this.runRange('fillConstant', dtype, count, 0n, options, `constant ${dtype}`, { mean: value });
  }

  /**
   * Sets elements base + t * stride (t < n) of the range [offset, offset + count) to `value`, leaving the
   * others as they are: the diagonals of eye and dirac. The range must already exist in `buffer`.
   */
  async scatterConstant(options: {
    buffer: GPUBuffer;
    offset?: number;
    count: number;
    dtype?: FloatDType;
    value: number;
    base: number;
    stride: number;
    n: number;
  }): Promise<void> {
    this.assertAlive();
    const dtype = checkFloatDType(options.dtype);
    const value = checkFinite('value', options.value);
    const count = checkCount(options.count);
    const { base, stride, n } = options;
    for (const [name, v] of [['base', base], ['stride', stride], ['n', n]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new InvalidParameterError(name, v, 'a non-negative integer');
    }
    if (n > 0 && (stride < 1 || base + (n - 1) * stride >= count)) {
      throw new InvalidParameterError('n', n, `positions base + t * stride (t < n) inside [0, ${count})`);
    }
    const target = await this.prepareTarget(options, count, dtype, 'scatter');
    // Split along the same windows a fill of the range would use; each window gets its slice of the
    // progression.
    const chunks = planDispatches(target.offset, count, 0n, this.limits, DTYPE_BYTES[dtype]);
    const dispatches: KernelDispatch[] = [];
    for (const c of chunks) {
      const chunkStart = Number(c.start);
      const tFirst = Math.max(0, Math.ceil((chunkStart - base) / Math.max(stride, 1)));
      const tEnd = Math.min(n, Math.floor((chunkStart + c.count - 1 - base) / Math.max(stride, 1)) + 1);
      if (tEnd > tFirst) {
        const grid = gridFor(tEnd - tFirst, this.limits);
        dispatches.push({
          target: c,
          workgroups: grid.workgroups,
          params: { count: tEnd - tFirst, outIndex: c.outIndex + base + tFirst * stride - chunkStart, stride, rowBlocks: grid.rowBlocks, mean: value },
        });
      }
    }
    await this.run('scatterConstant', dtype, target, dispatches);
  }

  /**
   * Stores `count` f32 values of `source` (from byte `sourceOffset`) times `scale` into the range, in the
   * dtype (e.g. an orthogonal matrix computed in f32).
   */
  async convertF32(
    options: TargetOptions & { source: GPUBuffer; sourceOffset?: number; count: number; dtype?: FloatDType; scale?: number },
  ): Promise<GeneratedRange> {
    this.assertAlive();
    const dtype = checkFloatDType(options.dtype);
    const count = checkCount(options.count);
    const scale = checkFinite('scale', options.scale ?? 1);
    const sourceOffset = options.sourceOffset ?? 0;
    if (!Number.isSafeInteger(sourceOffset) || sourceOffset < 0) throw new InvalidParameterError('sourceOffset', sourceOffset, 'a non-negative integer');
    if (sourceOffset % 4 !== 0) throw new MisalignedError('sourceOffset', sourceOffset, 4);
    if ((options.source.usage & BufferUsage.STORAGE) === 0) throw new BufferUsageError(`source "${options.source.label}": needs STORAGE usage`);
    if (sourceOffset + 4 * count > options.source.size) {
      throw new BufferTooSmallError(`source "${options.source.label}": ${options.source.size} bytes; ${count} f32 values at ${sourceOffset} need ${sourceOffset + 4 * count}`);
    }
    // Plan the target so that the matching source window (4 bytes per element plus alignment slack)
    // also fits one binding.
    const eb = DTYPE_BYTES[dtype];
    const align = this.limits.bindingAlignment;
    const window = Math.floor(((this.limits.maxBindingBytes - align) * eb) / 4 / 4) * 4;
    const limits = { ...this.limits, maxBindingBytes: Math.max(2 * align, window) };
    const target = await this.prepareTarget(options, count, dtype, 'convert');
    const chunks = planDispatches(target.offset, count, 0n, limits, eb);
    let done = 0;
    const dispatches = chunks.map((c): KernelDispatch => {
      const srcByte = sourceOffset + 4 * done;
      const srcBind = Math.floor(srcByte / align) * align;
      done += c.count;
      return {
        target: c,
        workgroups: c.workgroups,
        source: { buffer: options.source, offset: srcBind, size: srcByte + 4 * c.count - srcBind },
        params: { count: c.count, outIndex: c.outIndex, rowBlocks: c.rowBlocks, blockStride: c.blockStride, sourceIndex: (srcByte - srcBind) / 4, stddev: scale },
      };
    });
    await this.run('convertF32', dtype, target, dispatches);
    return target.result(count, dtype);
  }

  /**
   * The worker pool of the 'upload' strategy, started on first use. When it cannot start and the strategy
   * was chosen automatically, the context falls back to the kernels (resolves undefined).
   */
  private async workerPool(): Promise<WorkerPool | undefined> {
    this.pool ??= createWorkerPool(this.threads === undefined ? {} : { threads: this.threads });
    try {
      return await this.pool;
    } catch (e) {
      this.pool = undefined;
      if (this.strategyOption === 'upload') throw e instanceof WeightInitError ? e : new UnsupportedError(`the upload strategy's workers: ${String(e)}`);
      this.chosenStrategy = 'kernel';
      return undefined;
    }
  }

  /**
   * Generates `job` on the workers and writes each piece with queue.writeBuffer as it arrives, after
   * submitting whatever an open batch recorded before (so the queue sees the calls in order).
   */
  private async upload(pool: WorkerPool, target: PreparedTarget, job: SimdJob, elementBytes: number): Promise<void> {
    await this.flush();
    const device = this.device;
    const scopes: Promise<[GPUError | null, GPUError | null]>[] = [];
    await pool.runPieces(job, UPLOAD_PIECE, (elements, at) => {
      this.assertAlive();
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      device.queue.writeBuffer(target.buffer, target.offset + at * elementBytes, elements);
      const validation = device.popErrorScope();
      scopes.push(Promise.all([validation, device.popErrorScope()]));
    });
    const results = await Promise.all(scopes).catch((e: unknown) => {
      throw this.lostError ?? new GPUValidationError(String(e));
    });
    this.assertAlive();
    const error = results.map(([v, o]) => v ?? o).find((x) => x);
    if (error) throw new GPUValidationError(`upload: ${error.message}`);
  }

  /** Validates or creates the target of `count` elements of `dtype`. */
  private async prepareTarget(options: TargetOptions, count: number, dtype: DType, what: string): Promise<PreparedTarget> {
    const elementBytes = DTYPE_BYTES[dtype];
    const byteLength = count * elementBytes;
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidParameterError('offset', offset, 'a non-negative integer number of bytes');
    }
    if (offset % elementBytes !== 0) throw new MisalignedError('offset', offset, elementBytes);
    let buffer = options.buffer;
    let created = false;
    if (buffer) {
      checkTargetBuffer(buffer, offset, byteLength);
    } else {
      if (offset !== 0) throw new InvalidParameterError('offset', offset, '0 when no buffer is given');
      const usage = options.usage ?? 0;
      if (!Number.isInteger(usage) || usage < 0) throw new InvalidParameterError('usage', usage, 'GPUBufferUsage flags');
      const size = roundUp4(Math.max(4, byteLength));
      if (size > this.device.limits.maxBufferSize) {
        throw new BufferTooSmallError(`count: ${count} elements need ${size} bytes; this device's maxBufferSize is ${this.device.limits.maxBufferSize}`);
      }
      this.device.pushErrorScope('out-of-memory');
      buffer = this.device.createBuffer({
        label: options.label ?? `${LABEL}: ${what} x${count}`,
        size,
        usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST | usage,
      });
      created = true;
      const error = await this.device.popErrorScope();
      if (error) {
        buffer.destroy();
        throw new OutOfMemoryError(`creating a ${size}-byte buffer for ${count} elements: ${error.message}`);
      }
    }
    const target = buffer;
    return {
      buffer: target,
      offset,
      created,
      result: (n, t) => ({ buffer: target, offset, byteLength: n * DTYPE_BYTES[t], count: n, dtype: t, dispatches: 0, via: 'kernel' }),
    };
  }

  /** Fills a contiguous range with one entry point, split by planDispatches. */
  private async runRange(
    entryPoint: string,
    dtype: DType,
    count: number,
    start: bigint,
    options: TargetOptions,
    what: string,
    shared: ParamValues,
  ): Promise<GeneratedRange> {
    const target = await this.prepareTarget(options, count, dtype, what);
    const chunks = planDispatches(target.offset, count, start, this.limits, DTYPE_BYTES[dtype]);
    const dispatches = chunks.map((c): KernelDispatch => ({
      target: c,
      workgroups: c.workgroups,
      params: {
        ...shared,
        startBlock: [Number((c.start >> 2n) & 0xffffffffn), Number((c.start >> 34n) & 0xffffffffn)],
        phase: Number(c.start & 3n),
        count: c.count,
        outIndex: c.outIndex,
        rowBlocks: c.rowBlocks,
        blockStride: c.blockStride,
      },
    }));
    await this.run(entryPoint, dtype, target, dispatches);
    return { ...target.result(count, dtype), dispatches: dispatches.length };
  }

  /**
   * Records the dispatches in one compute pass and submits them, inside validation and out-of-memory
   * error scopes; a WebGPU error becomes a GPUValidationError, a lost device a DeviceLostError. A target
   * buffer the context created is destroyed again when the work fails.
   */
  private async run(entryPoint: string, dtype: DType, target: PreparedTarget, dispatches: readonly KernelDispatch[]): Promise<void> {
    try {
      await this.record(entryPoint, dtype, target, dispatches);
    } catch (e) {
      if (target.created) target.buffer.destroy();
      throw e;
    }
  }

  private async record(entryPoint: string, dtype: DType, target: PreparedTarget, dispatches: readonly KernelDispatch[]): Promise<void> {
    const pipeline = await this.pipeline(entryPoint, dtype).catch((e: unknown) => {
      throw this.lostError ?? new GPUValidationError(`pipeline ${entryPoint}: ${String(e)}`);
    });
    this.assertAlive();
    if (dispatches.length === 0) return;
    const device = this.device;
    const layout = this.layoutOf(entryPoint);
    const uses = new Set(generateModule.layout.entryPoints.find((e) => e.name === entryPoint)!.bindings);
    const struct = generateModule.layout.structs['Params']!;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const data = new Uint8Array(this.paramsStride * dispatches.length);
    dispatches.forEach((d, i) => {
      data.set(new Uint8Array(packStruct(struct, { ...ZERO_PARAMS, ...d.params }, 'Params')), i * this.paramsStride);
    });
    const paramsBuffer = device.createBuffer({
      label: `${LABEL}: params x${dispatches.length}`,
      size: data.byteLength,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(paramsBuffer, 0, data);
    const batch = this.openBatch;
    const encoder = batch?.encoder ?? device.createCommandEncoder({ label: `${LABEL}: ${entryPoint}` });
    const pass = encoder.beginComputePass({ label: `${LABEL}: ${entryPoint}` });
    pass.setPipeline(pipeline);
    dispatches.forEach((d, i) => {
      const entries: GPUBindGroupEntry[] = [];
      if (uses.has(0)) entries.push({ binding: 0, resource: { buffer: paramsBuffer, offset: i * this.paramsStride, size: struct.size } });
      if (uses.has(1)) entries.push({ binding: 1, resource: { buffer: target.buffer, offset: d.target.bindOffset, size: d.target.bindSize } });
      if (uses.has(2) && d.source) entries.push({ binding: 2, resource: d.source });
      pass.setBindGroup(0, device.createBindGroup({ label: `${LABEL}: ${entryPoint} dispatch ${i}`, layout: layout.bindGroup, entries }));
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1]);
    });
    pass.end();
    if (batch) {
      batch.buffers.push(paramsBuffer);
      batch.passes++;
    } else {
      device.queue.submit([encoder.finish()]);
      paramsBuffer.destroy();
    }
    await this.popScopes(entryPoint);
  }

  private async popScopes(what: string): Promise<void> {
    const device = this.device;
    const [validation, oom] = await Promise.all([device.popErrorScope(), device.popErrorScope()]).catch((e: unknown) => {
      throw this.lostError ?? new GPUValidationError(String(e));
    });
    this.assertAlive();
    const error = validation ?? oom;
    if (error) throw new GPUValidationError(`${what}: ${error.message}`);
  }

  /**
   * Runs `body` with this context's GPU work recorded into one command encoder and submitted once when
   * it returns, instead of one submission per call: many small tensors then cost one submit. `read()`
   * and `flush()` inside the batch submit what is recorded so far, so results are always in call order.
   * If `body` throws, the recorded work is dropped unsubmitted. Work submitted to the same device by
   * other code while a batch is open may run before the batch. A generate() that takes the 'upload'
   * strategy submits what was recorded before it, then writes with queue.writeBuffer at once: its values
   * are not part of the work a throwing `body` drops.
   */
  async batch<T>(body: () => Promise<T>): Promise<T> {
    if (this.openBatch) return body();
    this.openBatch = { encoder: this.device.createCommandEncoder({ label: `${LABEL}: batch` }), buffers: [], passes: 0 };
    let result: T;
    try {
      result = await body();
    } catch (e) {
      this.dropBatch();
      throw e;
    }
    await this.flush();
    this.openBatch = undefined;
    return result;
  }

  /** Submits the work recorded in the open batch so far (no-op outside a batch). */
  async flush(): Promise<void> {
    const batch = this.openBatch;
    if (!batch || batch.passes === 0) return;
    this.openBatch = { encoder: this.device.createCommandEncoder({ label: `${LABEL}: batch` }), buffers: [], passes: 0 };
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    device.queue.submit([batch.encoder.finish()]);
    for (const b of batch.buffers) b.destroy();
    await this.popScopes(`batch of ${batch.passes} passes`);
  }

  private dropBatch(): void {
    const batch = this.openBatch;
    this.openBatch = undefined;
    if (batch) for (const b of batch.buffers) b.destroy();
  }

  /** Copies `count` elements at byte `offset` of `buffer` back to the host (buffer needs COPY_SRC). */
  async read<T extends DType>(buffer: GPUBuffer, options: ReadOptions<T>): Promise<ArrayForDType<T>> {
    this.assertAlive();
    await this.flush();
    const offset = options.offset ?? 0;
    const { count, dtype } = options;
    if (!Number.isSafeInteger(count) || count < 0) throw new InvalidParameterError('count', count, 'a non-negative integer');
    if (!(dtype in DTYPE_BYTES)) throw new InvalidParameterError('dtype', dtype, "'u32', 'f32', 'f16' or 'bf16'");
    const elementBytes = DTYPE_BYTES[dtype];
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidParameterError('offset', offset, 'a non-negative integer number of bytes');
    if (offset % elementBytes !== 0) throw new MisalignedError('offset', offset, elementBytes);
    const byteLength = count * elementBytes;
    if ((buffer.usage & BufferUsage.COPY_SRC) === 0) throw new BufferUsageError(`buffer "${buffer.label}": reading back needs COPY_SRC usage`);
    // Copies move whole 4-byte words: read the enclosing words and cut the range out of them.
    const first = offset - (offset % 4);
    const end = roundUp4(offset + byteLength);
    if (end > buffer.size) {
      throw new BufferTooSmallError(`buffer "${buffer.label}": ${buffer.size} bytes; reading ${byteLength} bytes at offset ${offset} needs ${end}`);
    }
    const words = new ArrayBuffer(end - first);
    const total = end - first;
    const staging = Math.min(total, 64 << 20);
    if (count > 0) {
      const device = this.device;
      device.pushErrorScope('validation');
      const stage = device.createBuffer({ label: `${LABEL}: readback`, size: staging, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      try {
        for (let done = 0; done < total; done += staging) {
          const n = Math.min(staging, total - done);
          const encoder = device.createCommandEncoder({ label: `${LABEL}: readback` });
          encoder.copyBufferToBuffer(buffer, first + done, stage, 0, n);
          device.queue.submit([encoder.finish()]);
          await this.guard(stage.mapAsync(MapMode.READ, 0, n));
          new Uint8Array(words, done, n).set(new Uint8Array(stage.getMappedRange(0, n)));
          stage.unmap();
        }
      } finally {
        stage.destroy();
        const error = await device.popErrorScope().catch(() => null);
        if (error && !this.lostError) throw new GPUValidationError(`read: ${error.message}`);
      }
    }
    const out = words.slice(offset - first, offset - first + byteLength);
    const typed = dtype === 'u32' ? new Uint32Array(out) : dtype === 'f32' ? new Float32Array(out) : new Uint16Array(out);
    return typed as ArrayForDType<T>;
  }

  /** Reads a generated range back as the typed array of its dtype. */
  readRange(range: GeneratedRange): Promise<ArrayForDType<DType>> {
    return this.read(range.buffer, { offset: range.offset, count: range.count, dtype: range.dtype });
  }

  /** Rejects with DeviceLostError instead of a bare WebGPU error when the device went away meanwhile. */
  private async guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      // mapAsync can reject a moment before device.lost resolves; give the loss a chance to land.
      const lost = await Promise.race([this.lost, new Promise<undefined>((r) => setTimeout(r, 50, undefined))]);
      throw lost ?? (e instanceof WeightInitError ? e : new GPUValidationError(String(e)));
    }
  }

  /** Releases the context (and the upload strategy's workers); destroys the device only if the context created it. */
  destroy(): void {
    this.pipelines.clear();
    void this.pool?.then((p) => p.close(), () => undefined);
    this.pool = undefined;
    if (this.ownsDevice) this.device.destroy();
  }
}

function checkTargetBuffer(buffer: GPUBuffer, offset: number, byteLength: number): void {
  if (typeof buffer !== 'object' || buffer === null || typeof buffer.size !== 'number') {
    throw new InvalidParameterError('buffer', buffer, 'a GPUBuffer');
  }
  if ((buffer.usage & BufferUsage.STORAGE) === 0) {
    throw new BufferUsageError(`buffer "${buffer.label}": needs GPUBufferUsage.STORAGE (usage is 0x${buffer.usage.toString(16)})`);
  }
  if (buffer.mapState !== 'unmapped') {
    throw new BufferUsageError(`buffer "${buffer.label}": is ${buffer.mapState}; unmap it before generating into it`);
  }
  // The storage binding covers whole 4-byte words, so the buffer must reach the end of the last word.
  const end = roundUp4(offset + byteLength);
  if (end > buffer.size) {
    throw new BufferTooSmallError(
      `buffer "${buffer.label}": ${buffer.size} bytes; writing ${byteLength} bytes at offset ${offset} needs ${end}`,
    );
  }
}

function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

type ParamValues = Record<string, number | readonly number[]>;

/** Every Params member at zero; each dispatch overrides what its entry point reads. */
const ZERO_PARAMS: ParamValues = Object.fromEntries(
  Object.entries(generateModule.layout.structs['Params']!.members).map(([name, m]) => [
    name,
    m.components === 1 ? 0 : new Array<number>(m.components).fill(0),
  ]),
);

interface KernelDispatch {
  readonly target: Pick<DispatchChunk, 'bindOffset' | 'bindSize'>;
  readonly workgroups: readonly [number, number];
  readonly params: ParamValues;
  readonly source?: GPUBufferBinding;
}

/** Where a kernel writes, and how to describe what it wrote. */
interface PreparedTarget {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  /** True when the context created the buffer (it is destroyed again if the work fails). */
  readonly created: boolean;
  readonly result: (count: number, dtype: DType) => GeneratedRange;
}

/** Options naming the target of a write: a caller's buffer and offset, or a new buffer. */
export interface TargetOptions {
  /** Target buffer (needs STORAGE usage). When absent, a buffer is created and returned. */
  buffer?: GPUBuffer;
  /** Byte offset into `buffer`; a multiple of the element size (4, or 2 for f16/bf16). Default 0. */
  offset?: number;
  /** Label of a created buffer. */
  label?: string;
  /** Extra usage flags of a created buffer (STORAGE | COPY_SRC | COPY_DST are always set). */
  usage?: number;
}

function checkFloatDType(dtype: DType | undefined): FloatDType {
  if (dtype === undefined) return 'f32';
  if (dtype !== 'f32' && dtype !== 'f16' && dtype !== 'bf16') throw new InvalidParameterError('dtype', dtype, "'f32', 'f16' or 'bf16'");
  return dtype;
}

/** A constant or scale: 0 or within [2^-90, 2^100] in magnitude, like distribution parameters. */
function checkFinite(name: string, v: unknown): number {
  const m = typeof v === 'number' ? Math.abs(v) : NaN;
  if (!Number.isFinite(m) || (m !== 0 && (m < MIN_PARAMETER || m > MAX_PARAMETER))) {
    throw new InvalidParameterError(name, v, '0 or a finite number with magnitude in [2^-90, 2^100]');
  }
  return Math.fround(v as number);
}

function checkCount(count: unknown): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new InvalidParameterError('count', count, 'a non-negative integer');
  }
  return count;
}

/** A 1-D or 2-D grid with at least n invocations of one element each. */
function gridFor(n: number, limits: DispatchLimits): { workgroups: [number, number]; rowBlocks: number } {
  const groups = Math.ceil(n / limits.workgroupSize);
  const x = Math.min(groups, limits.maxWorkgroupsPerDimension);
  return { workgroups: [x, Math.ceil(groups / x)], rowBlocks: x * limits.workgroupSize };
}

/** Validates strategy and threads (before any device is acquired); returns the strategy option. */
function checkStrategyOptions(options: ContextOptions): 'auto' | 'kernel' | 'upload' {
  const strategy = options.strategy ?? 'auto';
  if (strategy !== 'auto' && strategy !== 'kernel' && strategy !== 'upload') {
    throw new InvalidParameterError('strategy', strategy, "'auto', 'kernel' or 'upload'");
  }
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1 || options.threads > 64)) {
    throw new InvalidParameterError('threads', options.threads, 'an integer in [1, 64]');
  }
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
    throw new UnsupportedError(
      "WebGPU is not available here (no navigator.gpu); in Node use createNodeContext() from 'webgpu-weight-init/node'",
    );
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
