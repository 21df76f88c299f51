// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC'11),
// in the exact form of the Random123 reference implementation.
// Constants from Random123 philox.h: PHILOX_M4x32_0/1 and PHILOX_W32_0/1.
// CPU twin: src/twin/philox.ts (same function names).

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// Exact 32x32 -> 64-bit product of a and b, returned as (hi, lo).
// WGSL has no 64-bit integers, so the high word is assembled from 16-bit limbs;
// the low word is the wrapping u32 product.
fn mulhilo32(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xFFFFu;
  let a1 = a >> 16u;
  let b0 = b & 0xFFFFu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  // Sum of the three terms that land in bits 16..47; it stays below 3 * 2^16 + 2^16.
  let mid = (p00 >> 16u) + (p01 & 0xFFFFu) + (p10 & 0xFFFFu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, a * b);
}

// One Philox4x32 round (Random123 _philox4x32round).
fn philox4x32Round(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let p0 = mulhilo32(PHILOX_M0, ctr.x);
  let p1 = mulhilo32(PHILOX_M1, ctr.z);
  return vec4<u32>(p1.x ^ ctr.y ^ key.x, p1.y, p0.x ^ ctr.w ^ key.y, p0.y);
}

// Ten rounds with the Weyl key schedule between them.
fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    if (round > 0u) {
      k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
    }
    c = philox4x32Round(c, k);
  }
  return c;
}
