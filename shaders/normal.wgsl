// Normal and truncated-normal values from Philox words. CPU twin: src/twin/normal.ts (same names).
// Uses transforms.wgsl.

// Box-Muller on one word pair, TensorFlow's BoxMullerFloat (random_distributions.h):
// u1 = max(uniform(w0), 1e-7), v = 2 pi uniform(w1), r = sqrt(-2 ln u1); returns (r sin v, r cos v).
fn boxMuller(w0: u32, w1: u32) -> vec2<f32> {
  let u1 = max(uniformFromWord(w0), 1e-7);
  let r = sqrtF32(-2.0 * logF32(u1));
  let sc = sinCos2Pi(uniformFromWord(w1));
  return vec2<f32>(fenceF32(r * sc.x), fenceF32(r * sc.y));
}

// mean + stddev * z, the product rounded before the sum.
fn scaleShift(z: f32, mean: f32, stddev: f32) -> f32 {
  return fenceF32(fenceF32(stddev * z) + mean);
}

// One truncated-normal value from one word by the inverse CDF: p = pLow + u * pWidth with u in the open
// interval (0, 1), z = Phi^-1(p), value = mean + stdSigned * z clamped to [lo, hi]. The host chooses the
// side of the distribution where pLow is small (stdSigned carries the mirror sign) and computes
// pLow = Phi(alpha) and pWidth = Phi(beta) - Phi(alpha) in f64 before rounding to f32.
fn truncatedNormalFromWord(word: u32, pLow: f32, pWidth: f32, mean: f32, stdSigned: f32, lo: f32, hi: f32) -> f32 {
  let p = fenceF32(fenceF32(openUniformFromWord(word) * pWidth) + pLow);
  let z = fenceF32(normalQuantile(p));
  return clamp(scaleShift(z, mean, stdSigned), lo, hi);
}
