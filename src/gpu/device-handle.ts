// The one place that turns WebGPU's error reporting into this library's typed errors: error scopes around
// synchronous work, and the wait for a device loss.
//
// Concurrency rule: error scopes form one stack per device, shared by every caller. A scope pushed before
// an `await` and popped after it would catch the errors of whatever other callers did meanwhile, and lose
// its own to theirs. So every scope here is pushed, filled and popped in one synchronous step (`scoped`),
// which no other JavaScript can interleave with.
import { DeviceLostError, GPUValidationError, OutOfMemoryError, WeightInitError } from '../errors.js';

export class DeviceHandle {
  readonly device: GPUDevice;
  /** Resolves (never rejects) with the loss once the device is lost. */
  readonly lost: Promise<DeviceLostError>;
  private lostError: DeviceLostError | undefined;

  constructor(device: GPUDevice) {
    this.device = device;
    this.lost = device.lost.then((info) => {
      this.lostError = new DeviceLostError(String(info.reason ?? 'unknown'), info.message);
      return this.lostError;
    });
  }

  get isLost(): boolean {
    return this.lostError !== undefined;
  }

  /** Throws the DeviceLostError once the device is lost. */
  assertAlive(): void {
    if (this.lostError) throw this.lostError;
  }

  /**
   * Runs `body` (synchronous: it must not return a promise) inside an out-of-memory and a validation
   * scope of its own, then resolves with its value once WebGPU reported no error. An out-of-memory error
   * becomes OutOfMemoryError, a validation error GPUValidationError, a lost device DeviceLostError; on any
   * of them `onError` gets the value first (e.g. to destroy a buffer it created).
   */
  async scoped<T>(what: string, body: () => T, onError?: (value: T) => void): Promise<T> {
    this.assertAlive();
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let value: T;
    try {
      value = body();
    } catch (e) {
      // Popped in this same synchronous step, whatever body did.
      void Promise.all([device.popErrorScope(), device.popErrorScope()]).catch(() => undefined);
      throw e;
    }
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();
    if (value !== null && typeof (value as { then?: unknown } | undefined)?.then === 'function') {
      throw new Error(`${what}: the body of a scoped() call must be synchronous`);
    }
    let error: WeightInitError | undefined;
    try {
      const [v, o] = await Promise.all([validation, oom]);
      if (o) error = new OutOfMemoryError(`${what}: ${o.message}`);
      else if (v) error = new GPUValidationError(`${what}: ${v.message}`);
    } catch (e) {
      error = this.lostError ?? new GPUValidationError(`${what}: ${String(e)}`);
    }
    if (!error && this.lostError) error = this.lostError;
    if (error) {
      onError?.(value);
      throw error;
    }
    return value;
  }

  /**
   * Awaits a WebGPU promise (mapAsync, createComputePipelineAsync, ...). A rejection becomes the
   * DeviceLostError when the device went away meanwhile, else a GPUValidationError.
   */
  async guard<T>(what: string, promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (e) {
      // A rejection can come a moment before device.lost resolves: give the loss a chance to land.
      const lost = await Promise.race([this.lost, new Promise<undefined>((r) => setTimeout(r, 50, undefined))]);
      throw lost ?? (e instanceof WeightInitError ? e : new GPUValidationError(`${what}: ${String(e)}`));
    }
  }
}
