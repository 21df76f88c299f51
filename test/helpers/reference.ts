// An independent reference of the stream contract, written with BigInt for clarity rather than speed,
// used to check both the CPU twin and the GPU kernels. It shares no code with src/.

const M0 = 0xd2511f53n; // Random123 PHILOX_M4x32_0
const M1 = 0xcd9e8d57n; // Random123 PHILOX_M4x32_1
const W0 = 0x9e3779b9n; // Random123 PHILOX_W32_0
const W1 = 0xbb67ae85n; // Random123 PHILOX_W32_1
const MASK = 0xffffffffn;

export function refPhilox(ctr: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = ctr.map(BigInt) as [bigint, bigint, bigint, bigint];
  let [k0, k1] = key.map(BigInt) as [bigint, bigint];
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) & MASK;
      k1 = (k1 + W1) & MASK;
    }
    const p0 = M0 * c0;
    const p1 = M1 * c2;
    [c0, c1, c2, c3] = [((p1 >> 32n) ^ c1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32n) ^ c3 ^ k1) & MASK, p0 & MASK];
  }
  return [c0, c1, c2, c3].map(Number);
}

/** Word of element `index` of the tensor (seed, stream), per docs/rng.md. */
export function refWord(seed: bigint, stream: bigint, index: bigint): number {
  const block = index / 4n;
  const ctr = [block & MASK, block >> 32n, stream & MASK, stream >> 32n].map(Number);
  const key = [seed & MASK, seed >> 32n].map(Number);
  return refPhilox(ctr, key)[Number(index % 4n)]!;
}

/** TensorFlow's uniform mapping, via the f32 bit pattern 0x3F800000 | mantissa. */
export function refUniform(word: number, low: number, high: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, (0x3f800000 | (word & 0x7fffff)) >>> 0);
  const u = Math.fround(view.getFloat32(0) - 1);
  const range = Math.fround(Math.fround(high) - Math.fround(low));
  return Math.fround(Math.fround(u * range) + Math.fround(low));
}

/** Random123 known-answer vectors for philox4x32 with 10 rounds (Random123 examples/kat_vectors):
 *  counter (4 words), key (2 words), expected output (4 words). */
export const PHILOX4X32_10_KAT: readonly { ctr: number[]; key: number[]; out: number[] }[] = [
  { ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

/** A small deterministic generator for test inputs (xorshift32); not the library's RNG. */
export function testWords(n: number, seed = 0x9e3779b9): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x;
  }
  return out;
}

/**
 * Random123 known-answer vectors for threefry2x32 with 20 rounds (Random123 examples/kat_vectors, rows
 * "threefry2x32 20": counter (2 words), key (2 words), expected output (2 words)); JAX's testThreefry2x32
 * checks the same vectors.
 */
export const THREEFRY2X32_20_KAT: readonly { ctr: number[]; key: number[]; out: number[] }[] = [
  { ctr: [0, 0], key: [0, 0], out: [0x6b200159, 0x99ba4efe] },
  { ctr: [0xffffffff, 0xffffffff], key: [0xffffffff, 0xffffffff], out: [0x1cb996fc, 0xbb002be7] },
  { ctr: [0x243f6a88, 0x85a308d3], key: [0x13198a2e, 0x03707344], out: [0xc4923a9c, 0x483df7a0] },
];

/** The integer significand and exponent of a finite double: x = m * 2^e with m an integer. */
function dyadic(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  let m = x;
  let e = 0;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  return [BigInt(m), e];
}

/** a * b + c rounded once to f32 (nearest, ties to even), in exact integer arithmetic: the reference of fmaF32. */
export function refFmaF32(a: number, b: number, c: number): number {
  const [ma, ea] = dyadic(a);
  const [mb, eb] = dyadic(b);
  const [mc, ec] = dyadic(c);
  const e = Math.min(ea + eb, ec);
  const v = ma * mb * 2n ** BigInt(ea + eb - e) + mc * 2n ** BigInt(ec - e);
  if (v === 0n) return 0;
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const shift = abs.toString(2).length - 24;
  let q = shift > 0 ? abs >> BigInt(shift) : abs << BigInt(-shift);
  if (shift > 0) {
    const rem = abs - (q << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const value = Number(q) * 2 ** (shift + e);
  return negative ? -value : value;
}
