// Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
// SC'11), in the form of Random123's threefry.h and of JAX's threefry2x32 (jax/_src/random/threefry2x32.py):
// rotation constants R_32x2 = 13, 15, 26, 6, 17, 29, 16, 24; key-schedule parity 0x1BD11BDA; a key injection
// after every 4 rounds whose second word also adds the injection's number. Part of the stream contract (JAX keys
// and bits); src/twin/threefry.ts re-exports it as the CPU twin of shaders/threefry.wgsl (same names, same bits).

/** Random123's SKEIN_KS_PARITY32: the third key word is key0 ^ key1 ^ THREEFRY_PARITY. */
export const THREEFRY_PARITY = 0x1bd11bda;

/** x rotated left by r bits (0 < r < 32), as a u32. */
export function rotateLeft32(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/** One Threefry round on the word pair: x0 += x1; x1 = rotl(x1, r) ^ x0. */
export function threefryMix(x: readonly [number, number], r: number): [number, number] {
  const a = (x[0] + x[1]) >>> 0;
  return [a, (rotateLeft32(x[1], r) ^ a) >>> 0];
}

const ROTATIONS = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
] as const;

/** Threefry-2x32-20 of (counter, key), as the pair of output words. */
export function threefry2x32_20(counter: readonly [number, number], key: readonly [number, number]): [number, number] {
  const out = new Uint32Array(2);
  threefryPair(counter[0], counter[1], key[0], key[1], out, 0);
  return [out[0]!, out[1]!];
}

/**
 * The hot path of the CPU twin: Threefry-2x32-20 of counter (c0, c1) and key (k0, k1), written to out[at],
 * out[at + 1]. The same rounds as threefryMix, inlined, with every word kept as an int32 (`| 0`).
 */
export function threefryPair(c0: number, c1: number, k0: number, k1: number, out: Uint32Array, at: number): void {
  const ks = [k0 | 0, k1 | 0, (k0 ^ k1 ^ THREEFRY_PARITY) | 0];
  let x0 = (c0 + ks[0]!) | 0;
  let x1 = (c1 + ks[1]!) | 0;
  for (let i = 0; i < 5; i++) {
    for (const r of ROTATIONS[i & 1]!) {
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << r) | (x1 >>> (32 - r))) ^ x0;
    }
    x0 = (x0 + ks[(i + 1) % 3]!) | 0;
    x1 = (x1 + ks[(i + 2) % 3]! + i + 1) | 0;
  }
  out[at] = x0;
  out[at + 1] = x1;
}
