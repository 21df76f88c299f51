// Word -> float transforms. CPU twin: src/rng/transforms.ts (same function names).
//
// Bit-exactness rule: only +, -, * (correctly rounded in WGSL) and bit operations are used, and every
// product that feeds an addition passes through fenceF32 so that no compiler can contract the pair into
// a fused multiply-add (which rounds once instead of twice and would change the last bit).

// Always 0 at run time; read from the dispatch's uniform block by the entry point before any transform
// runs. Because its value is unknown at compile time, XOR-ing a float's bits with it is an opaque
// identity that forces the value to be rounded to f32 at that point.
var<private> fmaFence: u32;

fn fenceF32(x: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(x) ^ fmaFence);
}

// TensorFlow's Uint32ToFloat (random_distributions.h): 23 random mantissa bits under the exponent
// of 1.0 give a float in [1, 2); subtracting 1 is exact. Result: k * 2^-23, k in [0, 2^23).
fn uniformFromWord(word: u32) -> f32 {
  return bitcast<f32>(0x3F800000u | (word & 0x7FFFFFu)) - 1.0;
}

// [low, high) as u * (high - low) + low, with (high - low) already rounded to f32 by the caller.
fn uniformRange(u: f32, low: f32, range: f32) -> f32 {
  return fenceF32(u * range) + low;
}
