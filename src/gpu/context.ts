import {
  BufferTooSmallError,
  BufferUsageError,
  DeviceLostError,
  GPUValidationError,
  InvalidParameterError,
  MisalignedError,
  UnsupportedError,
  WeightInitError,
} from '../errors.js';
import { DTYPE_BYTES, resolveDistribution, type DType } from '../rng/distributions.js';
import { ENTRY_POINTS, resolveDType, type ArrayForDType, type CpuGenerateOptions } from '../rng/generate.js';
import { resolveRange } from '../rng/range.js';
import { summarize, requestAdapterAndDevice, type AdapterSummary } from './device.js';
import { planDispatches, type DispatchLimits } from './dispatch-plan.js';
import { BufferUsage, MapMode, ShaderStage } from './flags.js';
import { packStruct } from './shader-layout.js';
import { generateModule } from './shader-sources.js';

export interface ContextOptions {
  /** Use this device (e.g. the one TF.js or ONNX Runtime Web runs on). The context never destroys it. */
  device?: GPUDevice;
  /** Where to get an adapter when no device is given; default `navigator.gpu`. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Invocations per workgroup (default 64); each invocation produces one 4-element Philox block. */
  workgroupSize?: number;
  /**
   * Caps below the device's limits, e.g. to exercise the windowed and 2-D dispatch paths in tests.
   * Values above the device limit are clamped to it.
   */
  maxBindingBytes?: number;
  maxWorkgroupsPerDimension?: number;
  /** Internal: set by the Node entry point. */
  swiftShaderFallback?: boolean;
}

export interface GpuGenerateOptions extends CpuGenerateOptions {
  /** Target buffer (needs STORAGE usage). When absent, a buffer is created and returned. */
  buffer?: GPUBuffer;
  /** Byte offset into `buffer`; a multiple of the element size (4, or 2 for f16/bf16). Default 0. */
  offset?: number;
  /** Label of a created buffer. */
  label?: string;
  /** Extra usage flags of a created buffer (STORAGE | COPY_SRC | COPY_DST are always set). */
  usage?: number;
}

/** Where the generated elements are: bytes [offset, offset + byteLength) of buffer. */
export interface GeneratedRange {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly byteLength: number;
  readonly count: number;
  readonly dtype: DType;
  /** Compute dispatches used (more than one when the range exceeds a binding window or a grid). */
  readonly dispatches: number;
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
  private readonly bindGroupLayout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly paramsStride: number;
  /**
   * The GPU object the device came from. Dawn for Node tears its instance down when that object is
   * garbage collected, even while devices from it are in use, so the context holds on to it.
   */
  private readonly gpu: GPU | undefined;

  constructor(device: GPUDevice, adapter: AdapterSummary, ownsDevice: boolean, options: ContextOptions = {}) {
    this.device = device;
    this.adapter = adapter;
    this.ownsDevice = ownsDevice;
    this.gpu = options.gpu;
    this.lost = device.lost.then((info) => {
      this.lostError = new DeviceLostError(String(info.reason ?? 'unknown'), info.message);
      return this.lostError;
    });
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
    const align = l.minStorageBufferOffsetAlignment;
    const maxBinding = cap(options.maxBindingBytes, l.maxStorageBufferBindingSize, 'maxBindingBytes', 2 * align);
    this.limits = {
      maxBindingBytes: maxBinding - (maxBinding % 4),
      bindingAlignment: align,
      maxWorkgroupsPerDimension: cap(options.maxWorkgroupsPerDimension, l.maxComputeWorkgroupsPerDimension, 'maxWorkgroupsPerDimension', 1),
      workgroupSize,
    };
    const layout = generateModule.layout;
    const params = layout.structs['Params'];
    if (!params) throw new Error('generate.wgsl has no Params struct');
    this.paramsStride = Math.ceil(params.size / l.minUniformBufferOffsetAlignment) * l.minUniformBufferOffsetAlignment;
    this.module = device.createShaderModule({ label: generateModule.label, code: generateModule.code });
    this.bindGroupLayout = device.createBindGroupLayout({
      label: `${LABEL}: generate bind group layout`,
      entries: layout.bindings.map((b) => ({
        binding: b.binding,
        visibility: ShaderStage.COMPUTE,
        buffer: { type: b.type },
      })),
    });
    this.pipelineLayout = device.createPipelineLayout({
      label: `${LABEL}: generate pipeline layout`,
      bindGroupLayouts: [this.bindGroupLayout],
    });
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

  get isLost(): boolean {
    return this.lostError !== undefined;
  }

  private assertAlive(): void {
    if (this.lostError) throw this.lostError;
  }

  /** The compute pipeline for an entry point of generate.wgsl and a dtype, compiled once per context. */
  pipeline(entryPoint: string, dtype: DType = 'f32'): Promise<GPUComputePipeline> {
    const code = DTYPE_CODE[dtype];
    const key = `${entryPoint}|wg${this.limits.workgroupSize}|dtype${code}`;
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipelineAsync({
        label: `${LABEL}: ${key}`,
        layout: this.pipelineLayout,
        compute: { module: this.module, entryPoint, constants: { WORKGROUP_SIZE: this.limits.workgroupSize, DTYPE: code } },
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
    const elementBytes = DTYPE_BYTES[dtype];
    const byteLength = range.count * elementBytes;
    let { buffer } = options;
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidParameterError('offset', offset, 'a non-negative integer number of bytes');
    }
    if (offset % elementBytes !== 0) throw new MisalignedError('offset', offset, elementBytes);
    if (buffer) {
      checkTargetBuffer(buffer, offset, byteLength);
    } else {
      if (offset !== 0) throw new InvalidParameterError('offset', offset, '0 when no buffer is given');
      const usage = options.usage ?? 0;
      if (!Number.isInteger(usage) || usage < 0) throw new InvalidParameterError('usage', usage, 'GPUBufferUsage flags');
      if (byteLength > this.device.limits.maxBufferSize) {
        throw new BufferTooSmallError(`count: ${range.count} elements need ${byteLength} bytes; this device's maxBufferSize is ${this.device.limits.maxBufferSize}`);
      }
    }
    const entryPoint = ENTRY_POINTS[dist.kind];
    const pipeline = await this.pipeline(entryPoint, dtype).catch((e: unknown) => {
      throw this.lostError ?? new GPUValidationError(`pipeline ${entryPoint}: ${String(e)}`);
    });
    this.assertAlive();

    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    if (!buffer) {
      buffer = device.createBuffer({
        label: options.label ?? `${LABEL}: ${dist.kind} ${dtype} x${range.count}`,
        size: roundUp4(Math.max(4, byteLength)),
        usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST | (options.usage ?? 0),
      });
    }
    const chunks = planDispatches(offset, range.count, range.start, this.limits, elementBytes);
    let paramsBuffer: GPUBuffer | undefined;
    if (chunks.length > 0) {
      const struct = generateModule.layout.structs['Params']!;
      const data = new Uint8Array(this.paramsStride * chunks.length);
      chunks.forEach((c, i) => {
        const packed = packStruct(
          struct,
          {
            key: range.key,
            stream: range.stream,
            startBlock: [Number((c.start >> 2n) & 0xffffffffn), Number((c.start >> 34n) & 0xffffffffn)],
            phase: Number(c.start & 3n),
            count: c.count,
            outIndex: c.outIndex,
            rowBlocks: c.rowBlocks,
            low: dist.low,
            range: dist.range,
            mean: dist.mean,
            stddev: dist.std,
            pLow: dist.pLow,
            pWidth: dist.pWidth,
            clampLow: dist.clampLow,
            clampHigh: dist.clampHigh,
            fence: 0,
          },
          'Params',
        );
        data.set(new Uint8Array(packed), i * this.paramsStride);
      });
      paramsBuffer = device.createBuffer({
        label: `${LABEL}: params x${chunks.length}`,
        size: data.byteLength,
        usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(paramsBuffer, 0, data);
      const encoder = device.createCommandEncoder({ label: `${LABEL}: ${entryPoint}` });
      const pass = encoder.beginComputePass({ label: `${LABEL}: ${entryPoint}` });
      pass.setPipeline(pipeline);
      chunks.forEach((c, i) => {
        const bindGroup = device.createBindGroup({
          label: `${LABEL}: ${entryPoint} chunk ${i}`,
          layout: this.bindGroupLayout,
          entries: [
            { binding: 0, resource: { buffer: paramsBuffer!, offset: i * this.paramsStride, size: struct.size } },
            { binding: 1, resource: { buffer: buffer!, offset: c.bindOffset, size: c.bindSize } },
          ],
        });
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(c.workgroups[0], c.workgroups[1]);
      });
      pass.end();
      device.queue.submit([encoder.finish()]);
      paramsBuffer.destroy();
    }
    const [validation, oom] = await Promise.all([device.popErrorScope(), device.popErrorScope()]).catch(
      (e: unknown) => {
        throw this.lostError ?? new GPUValidationError(String(e));
      },
    );
    this.assertAlive();
    const error = validation ?? oom;
    if (error) {
      if (!options.buffer) buffer.destroy();
      throw new GPUValidationError(`${entryPoint}: ${error.message}`);
    }
    return { buffer, offset, byteLength, count: range.count, dtype, dispatches: chunks.length };
  }

  /** Copies `count` elements at byte `offset` of `buffer` back to the host (buffer needs COPY_SRC). */
  async read<T extends DType>(buffer: GPUBuffer, options: ReadOptions<T>): Promise<ArrayForDType<T>> {
    this.assertAlive();
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

  /** Releases the context; destroys the device only if the context created it. */
  destroy(): void {
    this.pipelines.clear();
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

/**
 * Creates a context on a caller's device, or acquires one from `options.gpu` / `navigator.gpu`.
 * In Node use createNodeContext from 'webgpu-weight-init/node', which also finds a software adapter.
 */
export async function createContext(options: ContextOptions = {}): Promise<WeightInitContext> {
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
