/**
 * Every error this library throws on purpose is a WeightInitError with a stable `code`.
 * Messages name the parameter, the value received and the accepted range.
 */
export type ErrorCode =
  | 'InvalidParameter'
  | 'BufferTooSmall'
  | 'BufferUsage'
  | 'Misaligned'
  | 'DeviceLost'
  | 'Unsupported'
  | 'OutOfMemory'
  | 'Aborted'
  | 'GPUValidation'
  | 'WorkerFailed'
  | 'FileAccess';

export class WeightInitError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = `${code}Error`;
    this.code = code;
  }
}

export class InvalidParameterError extends WeightInitError {
  readonly parameter: string;
  constructor(parameter: string, value: unknown, accepted: string) {
    super('InvalidParameter', `${parameter}: got ${describeValue(value)}; expected ${accepted}`);
    this.parameter = parameter;
  }
}

export class BufferTooSmallError extends WeightInitError {
  constructor(message: string) {
    super('BufferTooSmall', message);
  }
}

export class BufferUsageError extends WeightInitError {
  constructor(message: string) {
    super('BufferUsage', message);
  }
}

export class MisalignedError extends WeightInitError {
  constructor(parameter: string, value: number, alignment: number) {
    super('Misaligned', `${parameter}: got ${value}; expected a multiple of ${alignment}`);
  }
}

export class DeviceLostError extends WeightInitError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super('DeviceLost', `GPU device lost (${reason}): ${message || 'no message'}; create a new context`);
    this.reason = reason;
  }
}

export class UnsupportedError extends WeightInitError {
  constructor(message: string) {
    super('Unsupported', message);
  }
}

/** The device could not allocate a buffer the call needed (WebGPU reported out-of-memory). */
export class OutOfMemoryError extends WeightInitError {
  constructor(message: string) {
    super('OutOfMemory', message);
  }
}

/** Work stopped because an AbortSignal fired; `cause` is the signal's reason. */
export class AbortedError extends WeightInitError {
  constructor(reason: unknown) {
    super('Aborted', `aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
  }
}

/** A WebGPU validation or out-of-memory error caught in an error scope around our own GPU work. */
export class GPUValidationError extends WeightInitError {
  constructor(message: string) {
    super('GPUValidation', message);
  }
}

/** A worker of the SIMD CPU generator failed (or its pool was closed) while a job was pending. */
export class WorkerFailedError extends WeightInitError {
  constructor(message: string) {
    super('WorkerFailed', message);
  }
}

/**
 * A file the call was told to read or write cannot be used: not a regular file (a folder, FIFO, device, socket or,
 * for outputs, a symbolic link), missing, unreadable, unwritable, larger than a cap, or a write failed (a full disk).
 * `.parameter` names the option or argument that gave the path; `.path` is the path.
 */
export class FileAccessError extends WeightInitError {
  readonly parameter: string;
  readonly path: string;
  constructor(parameter: string, path: string, problem: string, accepted: string, options?: { cause?: unknown }) {
    super('FileAccess', `${parameter}: ${path} ${problem}; expected ${accepted}`, options);
    this.parameter = parameter;
    this.path = path;
  }
}

/** Short, safe rendering of a received value for error messages. */
function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}
