// Per-tensor streams: a tensor's Philox stream is derived from its name, so it depends on nothing else in the model.

import { parseU64, type U64Input } from '../contract/u64.js';
import { isWellFormedUnicode } from '../contract/unicode.js';
import { InvalidParameterError } from '../errors.js';

export { isWellFormedUnicode };

/**
 * FNV-1a, 64-bit (Fowler/Noll/Vo; G. Fowler, L. C. Noll, K.-P. Vo, D. Eastlake, "The FNV Non-Cryptographic Hash
 * Algorithm", IETF Internet-Draft draft-eastlake-fnv, section 2; http://www.isthe.com/chongo/tech/comp/fnv/):
 *
 *   hash = offset_basis                       (64-bit: 0xcbf29ce484222325 = 14695981039346656037)
 *   for each octet: hash = (hash XOR octet) * FNV_prime  mod 2^64
 *                                             (64-bit: 0x100000001b3 = 2^40 + 2^8 + 0xb3 = 1099511628211)
 *
 * Computed on two 32-bit limbs with exact double arithmetic: the prime is 0x100·2^32 + 0x1b3, so
 * (hi·2^32 + lo)·prime mod 2^64 = lo·0x1b3 + 2^32·(hi·0x1b3 + lo·0x100) mod 2^64, and every partial product is
 * below 2^42.
 */
export const FNV1A64_OFFSET_BASIS = 0xcbf29ce484222325n;
export const FNV1A64_PRIME = 0x100000001b3n;

const TWO_32 = 4294967296;

/** One FNV-1a round with `octet` on the state [lo, hi] (two u32 limbs), in place. */
function round(state: [number, number], octet: number): void {
  const lo = (state[0] ^ octet) >>> 0;
  const pLo = lo * 0x1b3; // < 2^41
  const carry = Math.floor(pLo / TWO_32);
  state[0] = pLo - carry * TWO_32;
  state[1] = (state[1] * 0x1b3 + lo * 0x100 + carry) % TWO_32; // < 2^42 before the reduction
}

function toBigInt(state: readonly [number, number]): bigint {
  return (BigInt(state[1]) << 32n) | BigInt(state[0]);
}

/** FNV-1a 64 of raw octets. */
export function fnv1a64Bytes(bytes: Uint8Array): bigint {
  const state: [number, number] = [0x84222325, 0xcbf29ce4];
  for (let i = 0; i < bytes.length; i++) round(state, bytes[i]!);
  return toBigInt(state);
}

/**
 * FNV-1a 64 of the UTF-8 bytes of `name` (no Unicode normalization: NFC and NFD spellings of a name are different
 * names). A string with a lone surrogate has no UTF-8 encoding (TextEncoder would silently substitute U+FFFD, so two
 * different names could share a hash) and is rejected. The UTF-8 bytes are produced on the fly (RFC 3629), equal to
 * `new TextEncoder().encode(name)` for every well-formed string.
 */
export function fnv1a64(name: string, parameter = 'name'): bigint {
  if (typeof name !== 'string') throw new InvalidParameterError(parameter, name, 'a string');
  if (!isWellFormedUnicode(name)) {
    throw new InvalidParameterError(parameter, name, 'a well-formed Unicode string (no lone UTF-16 surrogates)');
  }
  const state: [number, number] = [0x84222325, 0xcbf29ce4];
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c < 0x80) {
      round(state, c);
    } else if (c < 0x800) {
      round(state, 0xc0 | (c >> 6));
      round(state, 0x80 | (c & 0x3f));
    } else if (c >= 0xd800 && c <= 0xdbff) {
      // A high surrogate, followed by its low surrogate (checked above): one code point above U+FFFF, 4 bytes.
      c = 0x10000 + ((c - 0xd800) << 10) + (name.charCodeAt(++i) - 0xdc00);
      round(state, 0xf0 | (c >> 18));
      round(state, 0x80 | ((c >> 12) & 0x3f));
      round(state, 0x80 | ((c >> 6) & 0x3f));
      round(state, 0x80 | (c & 0x3f));
    } else {
      round(state, 0xe0 | (c >> 12));
      round(state, 0x80 | ((c >> 6) & 0x3f));
      round(state, 0x80 | (c & 0x3f));
    }
  }
  return toBigInt(state);
}

/**
 * The stream of a tensor: `override` parsed as an unsigned 64-bit integer when given, otherwise `fnv1a64(name)`.
 * Depends on nothing but the name (and the override), so adding, removing or reordering other tensors never changes it.
 */
export function tensorStream(name: string, override?: U64Input, parameter = 'stream'): bigint {
  return override === undefined ? fnv1a64(name) : parseU64(override, parameter);
}
