// Philox4x32-10 as in Random123 (Salmon et al., SC'11); constants from Random123 philox.h. Part of the stream
// contract (the library's streams and JAX's philox4x32 keys); src/twin/philox.ts re-exports it as the CPU twin of
// shaders/philox.wgsl (same function names, same bits).

export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;

/**
 * Exact 32x32 -> 64-bit product as [hi, lo]. Uses only 16-bit limb products (each below 2^32, exact in
 * a double) and Math.imul for the low word, exactly as the WGSL version does.
 */
export function mulhilo32(a: number, b: number): [number, number] {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, Math.imul(a, b) >>> 0];
}

/** One Philox4x32 round (Random123 _philox4x32round). */
export function philox4x32Round(ctr: ArrayLike<number>, key: ArrayLike<number>): [number, number, number, number] {
  const [hi0, lo0] = mulhilo32(PHILOX_M0, ctr[0]!);
  const [hi1, lo1] = mulhilo32(PHILOX_M1, ctr[2]!);
  return [(hi1 ^ ctr[1]! ^ key[0]!) >>> 0, lo1, (hi0 ^ ctr[3]! ^ key[1]!) >>> 0, lo0];
}

// Limbs of the constant multipliers, for the inlined rounds below.
const M0_LO = PHILOX_M0 & 0xffff;
const M0_HI = PHILOX_M0 >>> 16;
const M1_LO = PHILOX_M1 & 0xffff;
const M1_HI = PHILOX_M1 >>> 16;
const M0_I32 = PHILOX_M0 | 0;
const M1_I32 = PHILOX_M1 | 0;
const W0_I32 = PHILOX_W0 | 0;
const W1_I32 = PHILOX_W1 | 0;

/**
 * The hot path of the CPU twin: Philox4x32-10 of counter (c0..c3) and key (k0, k1), written to
 * out[at..at+3]. Same arithmetic as mulhilo32 and philox4x32Round, inlined, with every word kept as a
 * signed int32 (`| 0`) so that V8 keeps it in a register instead of boxing values above 2^31.
 */
export function philoxBlock(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array, at: number): void {
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0_I32) | 0;
      k1 = (k1 + W1_I32) | 0;
    }
    // mulhilo32(PHILOX_M0, c0): 16-bit limb products, each exact in a double.
    let a0 = c0 & 0xffff;
    let a1 = c0 >>> 16;
    let p01 = a0 * M0_HI;
    let p10 = a1 * M0_LO;
    let mid = ((a0 * M0_LO) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const hi0 = (a1 * M0_HI + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
    const lo0 = Math.imul(M0_I32, c0);
    // mulhilo32(PHILOX_M1, c2)
    a0 = c2 & 0xffff;
    a1 = c2 >>> 16;
    p01 = a0 * M1_HI;
    p10 = a1 * M1_LO;
    mid = ((a0 * M1_LO) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const hi1 = (a1 * M1_HI + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
    const lo1 = Math.imul(M1_I32, c2);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  out[at] = c0;
  out[at + 1] = c1;
  out[at + 2] = c2;
  out[at + 3] = c3;
}

/** Philox4x32-10 of (counter, key), written to out[at..at+3] (and returned). */
export function philox4x32_10(counter: ArrayLike<number>, key: ArrayLike<number>, out: Uint32Array = new Uint32Array(4), at = 0): Uint32Array {
  philoxBlock(counter[0]! | 0, counter[1]! | 0, counter[2]! | 0, counter[3]! | 0, key[0]! | 0, key[1]! | 0, out, at);
  return out;
}
