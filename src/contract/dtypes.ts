// The stored element types and every per-dtype fact the library needs, in one table: element size, the
// code the WGSL kernels and the SIMD generator switch on, and the names other formats and engines use.

/** How one element is stored: u32 words (bits only), f32, or IEEE half / bfloat16 packed two per word. */
export type DType = 'u32' | 'f32' | 'f16' | 'bf16';

/** The stored types of float values. */
export type FloatDType = Exclude<DType, 'u32'>;

export interface DTypeFacts {
  /** Bytes per element. */
  readonly bytes: 2 | 4;
  /**
   * How a 32-bit result is stored: 0 as the word itself, 1 as its f16 pattern, 2 as its bf16 pattern. The
   * value of generate.wgsl's `DTYPE` override and of the SIMD generator's `pack` field (its packF16 /
   * packBf16 exports).
   */
  readonly code: 0 | 1 | 2;
  /** The safetensors dtype name. */
  readonly safetensors: 'U32' | 'F32' | 'F16' | 'BF16';
  /** ONNX Runtime Web's tensor data type for a GPU buffer of this dtype; none for bf16. */
  readonly ort: 'uint32' | 'float32' | 'float16' | undefined;
  /** TF.js's tensor dtype for a GPU buffer of this dtype; TF.js reads only f32 buffers. */
  readonly tfjs: 'float32' | undefined;
}

export const DTYPES = {
  u32: { bytes: 4, code: 0, safetensors: 'U32', ort: 'uint32', tfjs: undefined },
  f32: { bytes: 4, code: 0, safetensors: 'F32', ort: 'float32', tfjs: 'float32' },
  f16: { bytes: 2, code: 1, safetensors: 'F16', ort: 'float16', tfjs: undefined },
  bf16: { bytes: 2, code: 2, safetensors: 'BF16', ort: undefined, tfjs: undefined },
} as const satisfies Readonly<Record<DType, DTypeFacts>>;

/** Every dtype, and the float ones, in the order messages list them. */
export const ALL_DTYPES: readonly DType[] = ['u32', 'f32', 'f16', 'bf16'];
export const FLOAT_DTYPES: readonly FloatDType[] = ['f32', 'f16', 'bf16'];

/** Typed array for a dtype: raw u32 words, f32 values, or 16-bit patterns for f16/bf16. */
export type ArrayForDType<T extends DType> = T extends 'u32' ? Uint32Array : T extends 'f32' ? Float32Array : Uint16Array;
export type GeneratedArray = Uint32Array | Float32Array | Uint16Array;
/** A dtype's stored bits: 32-bit words for u32 and f32, 16-bit patterns for f16 and bf16. */
export type BitsArray = Uint32Array | Uint16Array;

interface ArrayType {
  new (length: number): GeneratedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): GeneratedArray;
}
const ARRAY_TYPES: Readonly<Record<DType, ArrayType>> = { u32: Uint32Array, f32: Float32Array, f16: Uint16Array, bf16: Uint16Array };

/**
 * The typed array of a dtype's values (ArrayForDType): a new zeroed one of `source` elements, or a view of `source`
 * from `byteOffset`, `length` elements (default: to its end). The one place where a dtype picks its typed array.
 */
export function dtypeArray<T extends DType>(dtype: T, source: number | ArrayBufferLike, byteOffset = 0, length?: number): ArrayForDType<T> {
  const Type = ARRAY_TYPES[dtype];
  return (typeof source === 'number' ? new Type(source) : new Type(source, byteOffset, length)) as ArrayForDType<T>;
}

/** Like dtypeArray, as the stored bits: an f32 element is its u32 word. */
export function bitsArray(dtype: DType, source: number | ArrayBufferLike, byteOffset = 0, length?: number): BitsArray {
  return dtypeArray(dtype === 'f32' ? 'u32' : dtype, source, byteOffset, length);
}

/** The bits of an array of values: f32 values as their u32 words (the same memory), the others as they are. */
export function bitsOf(values: GeneratedArray): BitsArray {
  return values instanceof Float32Array ? new Uint32Array(values.buffer, values.byteOffset, values.length) : values;
}

function perDType<T>(fact: (facts: DTypeFacts) => T): Readonly<Record<DType, T>> {
  return Object.fromEntries(ALL_DTYPES.map((d) => [d, fact(DTYPES[d])])) as Record<DType, T>;
}

/** Bytes per element of each dtype. */
export const DTYPE_BYTES = perDType((f) => f.bytes);

/** generate.wgsl's `DTYPE` override constant (and the SIMD generator's pack code) for each dtype. */
export const DTYPE_CODE = perDType((f) => f.code);

export function isDType(v: unknown): v is DType {
  return typeof v === 'string' && Object.hasOwn(DTYPES, v);
}

export function isFloatDType(v: unknown): v is FloatDType {
  return isDType(v) && v !== 'u32';
}

/** The library's dtype for a safetensors dtype name, or undefined for one it does not write. */
export function dtypeOfSafetensors(name: string): DType | undefined {
  return ALL_DTYPES.find((d) => DTYPES[d].safetensors === name);
}

/** A list of names (dtypes, strategies) as a message names them: "'f32', 'f16' or 'bf16'". */
export function describeDTypes(dtypes: readonly string[]): string {
  const quoted = dtypes.map((d) => `'${d}'`);
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}
