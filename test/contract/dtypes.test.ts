// The dtype table: each fact agrees with what uses it (typed arrays of the CPU twin, safetensors' sizes,
// the engines' type names), and lookups by name see only the table's own keys.
import { describe, expect, it } from 'vitest';
import {
  ALL_DTYPES,
  DTYPE_BYTES,
  DTYPE_CODE,
  DTYPES,
  describeDTypes,
  dtypeOfSafetensors,
  FLOAT_DTYPES,
  isDType,
  isFloatDType,
} from '../../src/contract/dtypes.js';
import { SAFETENSORS_DTYPE_BITS } from '../../src/output/safetensors/format.js';
import { allocate } from '../../src/twin/generate.js';

describe('DTYPES', () => {
  it('bytes are the element size of the CPU twin arrays and of the safetensors dtype', () => {
    for (const d of ALL_DTYPES) {
      expect(allocate(d, 1).BYTES_PER_ELEMENT, d).toBe(DTYPE_BYTES[d]);
      expect(SAFETENSORS_DTYPE_BITS[DTYPES[d].safetensors] / 8, d).toBe(DTYPE_BYTES[d]);
    }
  });

  it('codes: 32-bit words store as is (0), f16 and bf16 have codes of their own', () => {
    expect(DTYPE_CODE).toEqual({ u32: 0, f32: 0, f16: 1, bf16: 2 });
  });

  it('safetensors names map back to the dtype; others and Object.prototype keys do not', () => {
    for (const d of ALL_DTYPES) expect(dtypeOfSafetensors(DTYPES[d].safetensors)).toBe(d);
    for (const name of ['F64', 'I64', 'f32', 'constructor', 'toString', '__proto__', '']) expect(dtypeOfSafetensors(name), name).toBeUndefined();
  });

  it('engine names: ORT has no bf16 GPU tensors, TF.js takes only f32', () => {
    expect(ALL_DTYPES.map((d) => DTYPES[d].ort)).toEqual(['uint32', 'float32', 'float16', undefined]);
    expect(ALL_DTYPES.map((d) => DTYPES[d].tfjs)).toEqual([undefined, 'float32', undefined, undefined]);
  });

  it('isDType / isFloatDType accept exactly the table keys', () => {
    expect(ALL_DTYPES.filter(isDType)).toEqual(ALL_DTYPES);
    expect(ALL_DTYPES.filter(isFloatDType)).toEqual(FLOAT_DTYPES);
    for (const v of ['f64', 'F32', 'constructor', 'hasOwnProperty', 4, null, undefined]) {
      expect(isDType(v), String(v)).toBe(false);
      expect(isFloatDType(v), String(v)).toBe(false);
    }
  });

  it('describeDTypes lists names as messages do', () => {
    expect(describeDTypes(FLOAT_DTYPES)).toBe("'f32', 'f16' or 'bf16'");
    expect(describeDTypes(['u32'])).toBe("'u32'");
  });
});
