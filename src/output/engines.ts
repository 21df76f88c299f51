// Hand-off of initialized GPU buffers to inference engines without a copy: TensorFlow.js's WebGPU backend and
// ONNX Runtime Web's WebGPU execution provider. The engines are passed in as parameters (typed structurally
// with only the members used here), so this module imports neither and adds no dependency.
// See docs/engines.md for the versions tested and what works where.

import { ALL_DTYPES, DTYPE_BYTES, DTYPES, type DType } from '../contract/dtypes.js';
import { checkDevice, checkDType, isGPUBuffer } from '../contract/validate.js';
import { BufferTooSmallError, BufferUsageError, InvalidParameterError, UnsupportedError } from '../errors.js';
import { BufferUsage } from '../gpu/flags.js';

/**
 * Usage a buffer needs to become a TF.js tensor: TF.js's WebGPU backend binds it as a storage buffer and copies
 * from it (reads, `dataToGPU`, the copy made when `zeroCopy` is false), and its `createTensorFromGPUData` rejects
 * a buffer without both. Buffers created by this library have STORAGE | COPY_SRC | COPY_DST.
 */
export const TFJS_BUFFER_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC;

/**
 * Usage toOrtTensor requires. ONNX Runtime Web checks nothing when the tensor is made; at run time an input
 * consumed by a WebGPU-EP kernel needs only STORAGE, but one consumed by a node ORT places on the CPU EP
 * (unsupported ops, `forceCpuNodeNames`, f16 without 'shader-f16') is copied out and needs COPY_SRC too, and
 * which nodes land where is ORT's choice. Call `ort.Tensor.fromGpuBuffer` directly for a STORAGE-only buffer.
 */
export const ORT_BUFFER_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC;

/**
 * What the helpers read from an initialized tensor: `initialize()` and `ctx.generate()` results (which have
 * `count`) and initModel's tensors (which have `shape`) fit.
 */
export interface EngineRange {
  readonly buffer: GPUBuffer;
  /** Byte offset of the first element; both engines read a tensor from byte 0, so it must be 0. */
  readonly offset: number;
  readonly dtype: DType;
  /** Elements; checked against the shape when present. */
  readonly count?: number;
  /** The default shape when none is passed to the helper. */
  readonly shape?: readonly number[];
}

/** Validates what both engines need of a range and returns the shape to give them. */
function checkRange(range: EngineRange, explicit: readonly number[] | undefined, required: number, engine: string): number[] {
  if (range === null || typeof range !== 'object' || !isGPUBuffer(range.buffer)) {
    throw new InvalidParameterError('range', range, 'an initialized range { buffer, offset, dtype, count or shape }');
  }
  const shape = explicit ?? range.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InvalidParameterError('shape', shape, "an array of non-negative integers (the range has no 'shape' to default to)");
  }
  const elements = shape.reduce((a, d) => a * d, 1);
  if (range.count !== undefined && elements !== range.count) {
    throw new InvalidParameterError('shape', shape, `a shape of ${range.count} elements (the range's count)`);
  }
  if (range.offset !== 0) {
    // Neither engine takes a byte offset: a tensor made from a GPUBuffer starts at byte 0 of it.
    throw new InvalidParameterError(
      'range.offset',
      range.offset,
      `0: ${engine} reads a tensor from byte 0 of its buffer; initialize into a buffer of its own (initModel: placement 'tensor', not 'arena')`,
    );
  }
  const usage = range.buffer.usage;
  if ((usage & required) !== required) {
    throw new BufferUsageError(`buffer "${range.buffer.label}": ${engine} needs usage 0x${required.toString(16)} (usage is 0x${usage.toString(16)})`);
  }
  const bytes = elements * DTYPE_BYTES[checkDType('range.dtype', range.dtype, ALL_DTYPES)];
  if (bytes > range.buffer.size) {
    throw new BufferTooSmallError(`buffer "${range.buffer.label}": ${range.buffer.size} bytes; ${elements} ${range.dtype} elements need ${bytes}`);
  }
  return [...shape];
}

// ------------------------------------------------------------------------------------- shared device

/**
 * Limits requested at the adapter's maximum by this library (maxStorageBufferBindingSize, maxBufferSize,
 * maxComputeWorkgroupsPerDimension), TF.js 4.22's WebGPU backend and ONNX Runtime Web 1.30's JSEP provider (the
 * others). A device created with the WebGPU defaults runs the tested kernels, but the engines size some
 * kernels (workgroup memory, workgroup sizes) from these limits on devices they create themselves.
 */
export const ENGINE_DEVICE_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
] as const;

/**
 * Optional features worth requesting for a device shared with an engine, when the adapter has them:
 * 'shader-f16' (ONNX Runtime's f16 kernels fail without it: "Program Cast requires f16 but the device does not
 * support it") and 'subgroups' (used by both engines' faster kernels).
 */
export const ENGINE_DEVICE_FEATURES = ['shader-f16', 'subgroups'] as const;

/**
 * A descriptor for `adapter.requestDevice()` that suits this library and the engines at once: every limit of
 * ENGINE_DEVICE_LIMITS at the adapter's maximum and the features of `features` (default
 * ENGINE_DEVICE_FEATURES) that the adapter has. createContext() itself requests no features, so f16 models on
 * a shared device need a device made this way, passed to `createContext({ device })` and to the engine.
 */
export function engineDeviceDescriptor(
  adapter: { readonly limits: GPUSupportedLimits; readonly features: { has(name: string): boolean } },
  options: { features?: readonly string[]; label?: string } = {},
): GPUDeviceDescriptor {
  if (adapter === null || typeof adapter !== 'object' || typeof adapter.limits !== 'object' || typeof adapter.features?.has !== 'function') {
    throw new InvalidParameterError('adapter', adapter, 'a GPUAdapter');
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of ENGINE_DEVICE_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const wanted = options.features ?? ENGINE_DEVICE_FEATURES;
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  return { label: options.label ?? 'webgpu-weight-init shared device', requiredLimits, requiredFeatures };
}

// ---------------------------------------------------------------------------------------------- TF.js

/** The part of `@tensorflow/tfjs-core` (or `@tensorflow/tfjs`) used to wrap a buffer. */
export interface TfjsTensorFactory<T> {
  tensor(values: { buffer: GPUBuffer; zeroCopy?: boolean }, shape: number[], dtype: 'float32'): T;
}

/** The part of `@tensorflow/tfjs-core` used to swap the device of the 'webgpu' backend. */
export interface TfjsBackendRegistry {
  findBackendFactory(name: string): unknown;
  removeBackend(name: string): void;
  registerBackend(name: string, factory: () => unknown, priority?: number): boolean;
  setBackend(name: string): Promise<boolean>;
  backend(): unknown;
}

/** `WebGPUBackend` from `@tensorflow/tfjs-backend-webgpu` (its constructor takes the device to run on). */
export type TfjsWebGPUBackendClass = new (device: GPUDevice, adapterInfo?: GPUAdapterInfo) => unknown;

export interface ShareDeviceWithTfjsOptions {
  /** Passed to WebGPUBackend (TF.js reads the vendor and architecture from it); default `device.adapterInfo`. */
  adapterInfo?: GPUAdapterInfo;
  /** Backend priority; default 3, the priority the package registers 'webgpu' with. */
  priority?: number;
}

/**
 * Makes TF.js's 'webgpu' backend run on `device` (e.g. a context's `ctx.device`) and selects it. TF.js has no
 * option for a caller's device, so the factory registered by `@tensorflow/tfjs-backend-webgpu` is replaced by one
 * that constructs `WebGPUBackend(device)`; the kernels stay registered under 'webgpu'. An initialized 'webgpu'
 * backend is disposed first (its tensors with it). TF.js never destroys the device (its backend's dispose()
 * leaves it alone), so the caller keeps ownership.
 */
export async function shareDeviceWithTfjs(
  tf: TfjsBackendRegistry,
  WebGPUBackend: TfjsWebGPUBackendClass,
  device: GPUDevice,
  options: ShareDeviceWithTfjsOptions = {},
): Promise<void> {
  if (typeof WebGPUBackend !== 'function')
    throw new InvalidParameterError('WebGPUBackend', WebGPUBackend, 'the WebGPUBackend class of @tensorflow/tfjs-backend-webgpu');
  checkDevice('device', device);
  const adapterInfo = options.adapterInfo ?? (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapterInfo), options.priority ?? 3);
  if (!(await tf.setBackend('webgpu'))) throw new UnsupportedError("TF.js could not initialize its 'webgpu' backend on the given device");
  const active = (tf.backend() as { device?: unknown }).device;
  if (active !== device) throw new UnsupportedError("TF.js's 'webgpu' backend is not running on the given device");
}

/**
 * The device TF.js's active backend runs on, for `createContext({ device })` (the other direction of sharing);
 * undefined when the active backend is not WebGPU.
 */
export function tfjsDevice(tf: Pick<TfjsBackendRegistry, 'backend'>): GPUDevice | undefined {
  const device = (tf.backend() as { device?: unknown } | undefined)?.device;
  return device !== null && typeof device === 'object' && typeof (device as GPUDevice).createBuffer === 'function' ? (device as GPUDevice) : undefined;
}

export interface ToTfTensorOptions {
  /**
   * Default true: the tensor is backed by `range.buffer` itself. Then `tensor.dispose()` does not destroy the
   * buffer, and the buffer must outlive every TF.js op that reads it (TF.js records work and submits it
   * later; any `data()`/`dataSync()` submits it). With false, TF.js copies the buffer into one of its own at
   * once, and the buffer may be destroyed right after this call.
   */
  zeroCopy?: boolean;
}

/**
 * Wraps an f32 range as a `float32` tf.Tensor of `shape` (default `range.shape`; row-major, as written). The
 * buffer must belong to the device of TF.js's 'webgpu' backend (see shareDeviceWithTfjs), hold the tensor from
 * byte 0 and have TFJS_BUFFER_USAGE. TF.js's WebGPU backend has no float16 tensors: initialize with dtype 'f32'.
 */
export function toTfTensor<T>(tf: TfjsTensorFactory<T>, range: EngineRange, shape?: readonly number[], options: ToTfTensorOptions = {}): T {
  const dims = checkRange(range, shape, TFJS_BUFFER_USAGE, 'TF.js');
  const dataType = DTYPES[range.dtype].tfjs;
  if (dataType === undefined) {
    throw new UnsupportedError(`dtype ${range.dtype}: TF.js's WebGPU backend takes only float32 (and int32) buffers; initialize with dtype 'f32'`);
  }
  return tf.tensor({ buffer: range.buffer, zeroCopy: options.zeroCopy ?? true }, dims, dataType);
}

// ------------------------------------------------------------------------------------ ONNX Runtime Web

/** ONNX Runtime's element type names for the dtypes an initialized range can have. */
export const ORT_DATA_TYPE = { f32: DTYPES.f32.ort, f16: DTYPES.f16.ort, u32: DTYPES.u32.ort } as const;

export type OrtGpuDataType = (typeof ORT_DATA_TYPE)[keyof typeof ORT_DATA_TYPE];

/** The part of `onnxruntime-web` used to wrap a buffer. */
export interface OrtTensorFactory<T> {
  Tensor: { fromGpuBuffer(buffer: GPUBuffer, options: { dataType: OrtGpuDataType; dims: readonly number[] }): T };
}

/**
 * Wraps a range as an `ort.Tensor` of `dims` (default `range.shape`) with location 'gpu-buffer': f32 as 'float32', f16 as 'float16' (IEEE half
 * bits), u32 as 'uint32'; bf16 has no GPU-buffer tensor type in ONNX Runtime Web. The tensor does not own the
 * buffer: `tensor.dispose()` leaves it alone, and it must stay alive until every `session.run()` given the
 * tensor has resolved. The session must run on the buffer's device:
 * - 'onnxruntime-web/webgpu' (native WebGPU EP): pass the device as the EP option (ortWebGpuExecutionProvider);
 *   setting only `ort.env.webgpu.device` is ignored and the run fails WebGPU validation.
 * - 'onnxruntime-web' (JSEP): it takes no device; create the context on ORT's, `await ort.env.webgpu.device`
 *   after the first WebGPU session. Inputs from another device do not throw there: the output is zeros.
 * f16 kernels on the WebGPU EP need a device with 'shader-f16' (createContext() does not request it).
 */
export function toOrtTensor<T>(ort: OrtTensorFactory<T>, range: EngineRange, dims?: readonly number[]): T {
  const shape = checkRange(range, dims, ORT_BUFFER_USAGE, 'ONNX Runtime Web');
  const dataType = DTYPES[range.dtype].ort;
  if (dataType === undefined) {
    // Only bf16 has no ORT name.
    throw new UnsupportedError("dtype bf16: ONNX Runtime Web has no bfloat16 GPU-buffer tensors; initialize with dtype 'f16' or 'f32'");
  }
  return ort.Tensor.fromGpuBuffer(range.buffer, { dataType, dims: shape });
}

/**
 * The execution-provider entry that makes an ONNX Runtime Web session of the 'onnxruntime-web/webgpu' build
 * (native WebGPU EP) run on `device`: `executionProviders: [ortWebGpuExecutionProvider(ctx.device)]`. Every
 * session that should read our buffers needs it; a plain 'webgpu' session runs on ORT's own device. `extra`
 * adds other WebGPU EP options (e.g. `forceCpuNodeNames`). The JSEP build ('onnxruntime-web') ignores the
 * option: see toOrtTensor.
 */
export function ortWebGpuExecutionProvider<E extends object = Record<string, never>>(device: GPUDevice, extra?: E): { name: 'webgpu'; device: GPUDevice } & E {
  checkDevice('device', device);
  return { ...(extra as E), name: 'webgpu', device };
}
