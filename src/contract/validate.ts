// Checks of caller input shared by the CPU twin, the SIMD generator, the GPU host, the models and the CLI:
// each returns the value with its checked type or throws an InvalidParameterError that names the parameter
// and what it accepts. Nothing here touches a device.
import { InvalidParameterError } from '../errors.js';
import { type DType, describeDTypes, FLOAT_DTYPES, type FloatDType } from './dtypes.js';

/** A plain object (not null, not an array): a record whose fields can be checked one by one. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A safe integer of at least `min`. */
export function checkInteger(parameter: string, v: unknown, min: number, accepted: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new InvalidParameterError(parameter, v, accepted);
  return v;
}

/** A safe integer >= 0 (a count, an index, a dimension, a byte offset). */
export function checkNonNegativeInteger(parameter: string, v: unknown, accepted = 'a non-negative integer'): number {
  return checkInteger(parameter, v, 0, accepted);
}

/** A safe integer >= 1. */
export function checkPositiveInteger(parameter: string, v: unknown, accepted = 'a positive integer'): number {
  return checkInteger(parameter, v, 1, accepted);
}

/** A safe integer in [min, max]. */
export function checkIntegerIn(parameter: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new InvalidParameterError(parameter, v, `an integer in [${min}, ${max}]`);
  return v;
}

/** A finite number that stays finite in f32 (the kernels compute in f32). */
export function checkF32Number(parameter: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(Math.fround(v))) {
    throw new InvalidParameterError(parameter, v, 'a finite number within the f32 range');
  }
  return v;
}

/** A number > 0 that stays non-zero and finite in f32. */
export function checkPositiveF32(parameter: string, v: unknown, accepted = 'a positive finite number (non-zero and finite in f32)'): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0) || !(Math.fround(v) > 0) || !Number.isFinite(Math.fround(v))) {
    throw new InvalidParameterError(parameter, v, accepted);
  }
  return v;
}

/**
 * Smallest and largest non-zero parameter magnitudes (distribution parameters, constants, scales). Between
 * them no intermediate value of any kernel is subnormal or overflows, and GPUs may flush subnormals to zero,
 * which would break GPU == CPU bit equality (docs/rng.md explains the bound).
 */
export const MIN_PARAMETER = 2 ** -90;
export const MAX_PARAMETER = 2 ** 100;

/** 0 or a finite number with magnitude in [MIN_PARAMETER, MAX_PARAMETER]; returned as given (not rounded). */
export function checkParameter(parameter: string, v: unknown): number {
  const m = typeof v === 'number' ? Math.abs(v) : Number.NaN;
  if (!Number.isFinite(m) || (m !== 0 && (m < MIN_PARAMETER || m > MAX_PARAMETER))) {
    throw new InvalidParameterError(parameter, v, '0 or a finite number with magnitude in [2^-90, 2^100] (8.1e-28 to 1.3e30)');
  }
  return v as number;
}

/** One of `accepted` dtypes; the message lists them. */
export function checkDType<T extends DType>(parameter: string, v: unknown, accepted: readonly T[], note = ''): T {
  if (typeof v !== 'string' || !(accepted as readonly string[]).includes(v)) {
    throw new InvalidParameterError(parameter, v, `${describeDTypes(accepted)}${note}`);
  }
  return v as T;
}

/** 'f32', 'f16' or 'bf16'. */
export function checkFloatDType(parameter: string, v: unknown, note = ''): FloatDType {
  return checkDType(parameter, v, FLOAT_DTYPES, note);
}

/** Something with a GPUBuffer's size and usage: how a buffer the caller passed in is recognized, before any GPU work. */
export function isGPUBuffer(v: unknown): v is GPUBuffer {
  return v !== null && typeof v === 'object' && typeof (v as GPUBuffer).size === 'number' && typeof (v as GPUBuffer).usage === 'number';
}

/** Something with GPUDevice's createBuffer: a device the caller passed in. */
export function checkDevice(parameter: string, v: unknown): GPUDevice {
  if (v === null || typeof v !== 'object' || typeof (v as GPUDevice).createBuffer !== 'function') {
    throw new InvalidParameterError(parameter, v, 'a GPUDevice');
  }
  return v as GPUDevice;
}
