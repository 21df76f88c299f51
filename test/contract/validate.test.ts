// The shared input checks: boundaries accepted, one step past them rejected with an InvalidParameterError
// that names the parameter and the accepted range.
import { describe, expect, it } from 'vitest';
import {
  checkDevice,
  checkDType,
  checkF32Number,
  checkFloatDType,
  checkInteger,
  checkIntegerIn,
  checkNonNegativeInteger,
  checkParameter,
  checkPositiveF32,
  checkPositiveInteger,
  isRecord,
  MAX_PARAMETER,
  MIN_PARAMETER,
} from '../../src/contract/validate.js';
import { expectInvalid } from '../helpers/errors.js';

const notNumbers = [Number.NaN, Infinity, -Infinity, '1', 1n, null, undefined, {}];

describe('integer checks', () => {
  it('checkInteger: safe integers >= min', () => {
    expect(checkInteger('n', 2, 2, 'at least 2')).toBe(2);
    expect(checkInteger('n', Number.MAX_SAFE_INTEGER, 2, 'at least 2')).toBe(Number.MAX_SAFE_INTEGER);
    expectInvalid(() => checkInteger('n', 1, 2, 'at least 2'), 'n', 'at least 2');
    for (const v of [2.5, 2 ** 53, ...notNumbers]) expectInvalid(() => checkInteger('n', v, 2, 'at least 2'), 'n');
  });

  it('checkNonNegativeInteger and checkPositiveInteger', () => {
    expect(checkNonNegativeInteger('count', 0)).toBe(0);
    expectInvalid(() => checkNonNegativeInteger('count', -1), 'count', 'a non-negative integer');
    expect(checkPositiveInteger('groups', 1)).toBe(1);
    expectInvalid(() => checkPositiveInteger('groups', 0), 'groups', 'a positive integer');
    expectInvalid(() => checkPositiveInteger('bytes', 0, 'a positive number of bytes'), 'bytes', 'a positive number of bytes');
  });

  it('checkIntegerIn: both ends inclusive', () => {
    expect(checkIntegerIn('threads', 1, 1, 64)).toBe(1);
    expect(checkIntegerIn('threads', 64, 1, 64)).toBe(64);
    for (const v of [0, 65, 1.5, ...notNumbers]) expectInvalid(() => checkIntegerIn('threads', v, 1, 64), 'threads', 'an integer in [1, 64]');
  });
});

describe('number checks', () => {
  it('checkParameter: 0 or magnitude in [2^-90, 2^100]', () => {
    for (const v of [0, -0, MIN_PARAMETER, -MIN_PARAMETER, MAX_PARAMETER, -MAX_PARAMETER, 1]) expect(checkParameter('std', v)).toBe(v);
    for (const v of [MIN_PARAMETER / 2, MAX_PARAMETER * 2, ...notNumbers]) expectInvalid(() => checkParameter('std', v), 'std', '[2^-90, 2^100]');
  });

  it('checkF32Number: finite in f32', () => {
    expect(checkF32Number('a', -3.4e38)).toBe(-3.4e38);
    for (const v of [3.5e38, ...notNumbers]) expectInvalid(() => checkF32Number('a', v), 'a', 'f32');
  });

  it('checkPositiveF32: > 0 and neither 0 nor infinite in f32', () => {
    expect(checkPositiveF32('std', 2 ** -149)).toBe(2 ** -149);
    for (const v of [0, -1, 2 ** -151, 3.5e38, ...notNumbers]) expectInvalid(() => checkPositiveF32('std', v), 'std');
    expectInvalid(() => checkPositiveF32('std', 0, 'a standard deviation'), 'std', 'a standard deviation');
  });
});

describe('dtype, record and device checks', () => {
  it('checkDType / checkFloatDType name the accepted dtypes', () => {
    expect(checkFloatDType('dtype', 'bf16')).toBe('bf16');
    expectInvalid(() => checkFloatDType('dtype', 'u32'), 'dtype', "'f32', 'f16' or 'bf16'");
    expectInvalid(() => checkFloatDType('dtype', 'f64', ' for a float distribution'), 'dtype', "or 'bf16' for a float distribution");
    expect(checkDType('d', 'u32', ['f32', 'u32'])).toBe('u32');
    for (const v of ['constructor', 'F32', 3, undefined]) expectInvalid(() => checkDType('d', v, ['f32', 'u32']), 'd', "'f32' or 'u32'");
  });

  it('isRecord: plain objects only', () => {
    expect(isRecord({})).toBe(true);
    for (const v of [null, [], 'x', 1, undefined]) expect(isRecord(v), String(v)).toBe(false);
  });

  it('checkDevice: something with createBuffer', () => {
    const device = { createBuffer: () => undefined };
    expect(checkDevice('device', device)).toBe(device);
    for (const v of [null, {}, { createBuffer: 1 }, 'gpu']) expectInvalid(() => checkDevice('device', v), 'device', 'a GPUDevice');
  });
});
