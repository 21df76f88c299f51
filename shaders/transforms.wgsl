// Word -> float transforms and the f32 math they need. CPU twin: src/twin/transforms.ts (same names).
//
// Bit-exactness rules:
// - Only +, -, * (correctly rounded in WGSL), comparisons, select and bit operations are used. The
//   platform's log, exp, sin, cos, sqrt and division are loosely specified in WGSL (and engine-dependent
//   in JS), so the functions below build them from polynomials and Newton steps.
// - Every +, - and * whose rounding matters passes through fenceF32 (only exact scalings by powers of two
//   and final results go without). The fence stops a compiler from contracting a * b + c into a fused
//   multiply-add (one rounding instead of two) and from reassociating: SwiftShader, for one, rewrites
//   1 - (b - c) as (1 + c) - b, and a * (b * c) may become (a * b) * c; both round differently.
// - Inputs are normal f32 numbers in the documented domain; a GPU may flush subnormals to zero.

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
  return fenceF32(bitcast<f32>(0x3F800000u | (word & 0x7FFFFFu)) - 1.0);
}

// (k + 1/2) * 2^-23 for k = the low 23 bits of the word: the midpoints of uniformFromWord's grid, in the
// open interval (0, 1), symmetric about 1/2. Exact.
fn openUniformFromWord(word: u32) -> f32 {
  return fenceF32(bitcast<f32>(0x3F800000u | (word & 0x7FFFFFu)) - 0.99999994);
}

// [low, high) as u * (high - low) + low, with (high - low) already rounded to f32 by the caller.
fn uniformRange(u: f32, low: f32, range: f32) -> f32 {
  return fenceF32(fenceF32(u * range) + low);
}

// 1 / d for a positive normal d below 2^126: d = m * 2^e with m in [1, 2); a linear first guess
// 24/17 - 8/17 * m for 1/m (relative error at most 1/17) and three Newton steps r = r * (2 - m * r),
// each squaring the error; then the exact scaling by 2^-e.
fn reciprocalF32(d: f32) -> f32 {
  let bits = bitcast<u32>(d);
  let m = bitcast<f32>((bits & 0x7FFFFFu) | 0x3F800000u);
  var r = fenceF32(1.41176474 - fenceF32(0.470588237 * m));
  r = fenceF32(r * fenceF32(2.0 - fenceF32(m * r)));
  r = fenceF32(r * fenceF32(2.0 - fenceF32(m * r)));
  r = fenceF32(r * fenceF32(2.0 - fenceF32(m * r)));
  // 2^-e as a float: exponent field 254 - biased exponent of d (d is normal and below 2^126 here).
  let scale = bitcast<f32>((254u - ((bits >> 23u) & 0xFFu)) << 23u);
  return r * scale;
}

// Natural logarithm of a positive normal f32. x = m * 2^e with m in [sqrt(1/2), sqrt(2)); then
// ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, by its odd series to s^9 (truncation error
// below 2e-9 relative), and e * ln 2 in two parts (Cody-Waite) so e * LN2_HI is exact.
fn logF32(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  var e = f32(i32((bits >> 23u) & 0xFFu) - 127);
  var m = bitcast<f32>((bits & 0x7FFFFFu) | 0x3F800000u);
  if (m > 1.4142135) {
    m = m * 0.5;
    e = e + 1.0;
  }
  let s = fenceF32(fenceF32(m - 1.0) * reciprocalF32(fenceF32(m + 1.0)));
  let s2 = fenceF32(s * s);
  var p = fenceF32(fenceF32(s2 * 0.11111111) + 0.14285715);
  p = fenceF32(fenceF32(p * s2) + 0.2);
  p = fenceF32(fenceF32(p * s2) + 0.33333334);
  let lnm = fenceF32(fenceF32(2.0 * s) + fenceF32(fenceF32(2.0 * s) * fenceF32(s2 * p)));
  // ln 2 = LN2_HI + LN2_LO; LN2_HI = 0.693145751953125 has 16 significant bits.
  return fenceF32(fenceF32(e * 0.693145751953125) + fenceF32(fenceF32(e * 1.4286068e-6) + lnm));
}

// Square root of x in [2^-100, 2^100] (x <= 0 gives 0; outside that range intermediate values leave the
// normal f32 range, which a GPU may flush): an inverse square root from the classic bit
// estimate 0x5F3759DF - bits / 2, three Newton steps y = y * (1.5 - x/2 * y^2), then s = x * y and one
// Newton correction s = s + y/2 * (x - s^2).
fn sqrtF32(x: f32) -> f32 {
  if (x <= 0.0) {
    return 0.0;
  }
  let half = 0.5 * x;
  var y = bitcast<f32>(0x5F3759DFu - (bitcast<u32>(x) >> 1u));
  y = fenceF32(y * fenceF32(1.5 - fenceF32(half * fenceF32(y * y))));
  y = fenceF32(y * fenceF32(1.5 - fenceF32(half * fenceF32(y * y))));
  y = fenceF32(y * fenceF32(1.5 - fenceF32(half * fenceF32(y * y))));
  let s = fenceF32(x * y);
  return fenceF32(s + fenceF32(fenceF32(0.5 * y) * fenceF32(x - fenceF32(s * s))));
}

// (sin(2 pi u), cos(2 pi u)) for u in [0, 1] on the 2^-23 grid. u = q/4 + t with q = round(4u) and
// t in [-1/8, 1/8] (both exact), then Taylor polynomials of sin(2 pi t) to t^11 and cos(2 pi t) to t^12
// (|2 pi t| <= pi/4, truncation error below 1e-11), rotated by q quarter turns.
// Coefficients: (2 pi)^k / k!, rounded to f32.
fn sinCos2Pi(u: f32) -> vec2<f32> {
  let q = floor(fenceF32(fenceF32(4.0 * u) + 0.5));
  let t = fenceF32(u - fenceF32(0.25 * q));
  let t2 = fenceF32(t * t);
  var s = fenceF32(fenceF32(t2 * -15.0946426) + 42.0586929);
  s = fenceF32(fenceF32(s * t2) - 76.7058563);
  s = fenceF32(fenceF32(s * t2) + 81.6052475);
  s = fenceF32(fenceF32(s * t2) - 41.3417015);
  s = fenceF32(fenceF32(s * t2) + 6.28318548);
  s = fenceF32(s * t);
  var c = fenceF32(fenceF32(t2 * 7.90353632) - 26.4262562);
  c = fenceF32(fenceF32(c * t2) + 60.2446404);
  c = fenceF32(fenceF32(c * t2) - 85.4568176);
  c = fenceF32(fenceF32(c * t2) + 64.9393921);
  c = fenceF32(fenceF32(c * t2) - 19.7392082);
  c = fenceF32(fenceF32(c * t2) + 1.0);
  switch (u32(q) & 3u) {
    case 1u: { return vec2<f32>(c, -s); }
    case 2u: { return vec2<f32>(-s, -c); }
    case 3u: { return vec2<f32>(-c, s); }
    default: { return vec2<f32>(s, c); }
  }
}

// erfinv(x) for x in (-1, 1) given w = -ln(1 - x^2) > 0 computed by the caller (so that callers with p
// close to 0 can form 1 - x^2 = 4p(1 - p) without cancellation). Single-precision approximation of
// M. Giles, "Approximating the erfinv function", GPU Computing Gems Jade Edition (2011), coefficients
// from that paper; polynomials in w - 2.5 (w < 5) or sqrt(w) - 3 (w >= 5), times x.
fn erfinvF32(x: f32, w: f32) -> f32 {
  var p: f32;
  if (w < 5.0) {
    let v = fenceF32(w - 2.5);
    p = fenceF32(fenceF32(v * 2.81022636e-08) + 3.43273939e-07);
    p = fenceF32(fenceF32(p * v) - 3.5233877e-06);
    p = fenceF32(fenceF32(p * v) - 4.39150654e-06);
    p = fenceF32(fenceF32(p * v) + 0.00021858087);
    p = fenceF32(fenceF32(p * v) - 0.00125372503);
    p = fenceF32(fenceF32(p * v) - 0.00417768164);
    p = fenceF32(fenceF32(p * v) + 0.246640727);
    p = fenceF32(fenceF32(p * v) + 1.50140941);
  } else {
    let v = fenceF32(sqrtF32(w) - 3.0);
    p = fenceF32(fenceF32(v * -0.000200214257) + 0.000100950558);
    p = fenceF32(fenceF32(p * v) + 0.00134934322);
    p = fenceF32(fenceF32(p * v) - 0.00367342844);
    p = fenceF32(fenceF32(p * v) + 0.00573950773);
    p = fenceF32(fenceF32(p * v) - 0.0076224613);
    p = fenceF32(fenceF32(p * v) + 0.00943887047);
    p = fenceF32(fenceF32(p * v) + 1.00167406);
    p = fenceF32(fenceF32(p * v) + 2.83297682);
  }
  return fenceF32(p * x);
}

// Phi^-1(p) for tiny p (below 2^-24, where Giles' single-precision tail polynomial, fitted for
// w = -ln(1 - x^2) up to about 16, is no longer accurate): the lower-tail rational approximation of
// P. J. Acklam, "An algorithm for computing the inverse normal cumulative distribution function" (2003),
// coefficients from that note: with q = sqrt(-2 ln p), Phi^-1(p) = C(q) / D(q). Exact enough down to the
// smallest normal f32.
fn normalQuantileLowerTail(p: f32) -> f32 {
  let q = sqrtF32(-2.0 * logF32(p));
  var n = fenceF32(fenceF32(q * -0.0077848942) - 0.322396457);
  n = fenceF32(fenceF32(n * q) - 2.40075827);
  n = fenceF32(fenceF32(n * q) - 2.54973245);
  n = fenceF32(fenceF32(n * q) + 4.37466431);
  n = fenceF32(fenceF32(n * q) + 2.938164);
  var d = fenceF32(fenceF32(q * 0.00778469583) + 0.322467119);
  d = fenceF32(fenceF32(d * q) + 2.44513416);
  d = fenceF32(fenceF32(d * q) + 3.7544086);
  d = fenceF32(fenceF32(d * q) + 1.0);
  return fenceF32(n * reciprocalF32(d));
}

// Standard normal quantile Phi^-1(p) for p in (0, 1) (p a normal f32): sqrt(2) * erfinv(2p - 1), with
// 1 - (2p - 1)^2 formed as 4 p (1 - p); below p = 2^-24, normalQuantileLowerTail.
fn normalQuantile(p: f32) -> f32 {
  if (p < 5.96046448e-8) {
    return normalQuantileLowerTail(p);
  }
  let w = -logF32(fenceF32(fenceF32(4.0 * p) * fenceF32(1.0 - p)));
  return 1.41421354 * erfinvF32(fenceF32(fenceF32(2.0 * p) - 1.0), w);
}
