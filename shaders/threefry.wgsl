// Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror, Shaw, SC'11), in the form of Random123's threefry.h and of
// JAX's threefry2x32 (jax/_src/random/threefry2x32.py): rotations R_32x2 = 13, 15, 26, 6, 17, 29, 16, 24, key
// schedule parity 0x1BD11BDA, a key injection after every 4 rounds. Only additions, rotations and xors: no
// 32x32-bit multiply. CPU twin: src/twin/threefry.ts (same function names).

const THREEFRY_PARITY: u32 = 0x1BD11BDAu;

// x rotated left by r bits, 0 < r < 32.
fn rotateLeft32(x: u32, r: u32) -> u32 {
  return (x << r) | (x >> (32u - r));
}

// One round: x0 += x1; x1 = rotl(x1, r) ^ x0.
fn threefryMix(x: vec2<u32>, r: u32) -> vec2<u32> {
  let a = x.x + x.y;
  return vec2<u32>(a, rotateLeft32(x.y, r) ^ a);
}

// Threefry-2x32-20 of (counter, key). The key schedule is (key.x, key.y, key.x ^ key.y ^ parity); injection s
// (s = 1..5) adds schedule words s and s + 1 (mod 3), and s to the second word.
fn threefry2x32_20(counter: vec2<u32>, key: vec2<u32>) -> vec2<u32> {
  let k2 = key.x ^ key.y ^ THREEFRY_PARITY;
  var x = counter + key;
  x = threefryMix(threefryMix(threefryMix(threefryMix(x, 13u), 15u), 26u), 6u);
  x = x + vec2<u32>(key.y, k2 + 1u);
  x = threefryMix(threefryMix(threefryMix(threefryMix(x, 17u), 29u), 16u), 24u);
  x = x + vec2<u32>(k2, key.x + 2u);
  x = threefryMix(threefryMix(threefryMix(threefryMix(x, 13u), 15u), 26u), 6u);
  x = x + vec2<u32>(key.x, key.y + 3u);
  x = threefryMix(threefryMix(threefryMix(threefryMix(x, 17u), 29u), 16u), 24u);
  x = x + vec2<u32>(key.y, k2 + 4u);
  x = threefryMix(threefryMix(threefryMix(threefryMix(x, 13u), 15u), 26u), 6u);
  return x + vec2<u32>(k2, key.x + 5u);
}
