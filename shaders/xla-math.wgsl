// The float32 arithmetic XLA's CPU backend runs for jax.random's normal and truncated normal, reproduced bit for
// bit: fused multiply-adds where XLA's LLVM back end contracts them, correctly rounded division and square root,
// XLA's log and log1p (Cephes-style, as XLA's CPU emitter inlines them), and the erf_inv polynomials of M. Giles
// ("Approximating the erfinv function", GPU Computing Gems Jade Edition, 2011) that XLA's ErfInv32 evaluates.
// CPU twin: src/twin/xla-math.ts (same names). Uses fenceF32 from transforms.wgsl.
//
// WGSL's +, - and * of f32 values are correctly rounded; nothing else is relied on. fmaF32 is exact where every
// intermediate value stays a normal f32 (no GPU flushes a subnormal it never sees), which the callers here keep to:
// docs/rng.md lists the domains.

// Veltkamp's split: hi + lo = a exactly, hi with the top 12 significant bits of a (|a| < 2^115).
fn splitF32(a: f32) -> vec2<f32> {
  let c = fenceF32(4097.0 * a);
  let hi = fenceF32(c - fenceF32(c - a));
  return vec2<f32>(hi, fenceF32(a - hi));
}

// Dekker's product: (p, e) with p = a * b rounded and p + e = a * b exactly.
fn twoProductF32(a: f32, b: f32) -> vec2<f32> {
  let p = fenceF32(a * b);
  let sa = splitF32(a);
  let sb = splitF32(b);
  let e1 = fenceF32(fenceF32(sa.x * sb.x) - p);
  let e2 = fenceF32(e1 + fenceF32(sa.x * sb.y));
  let e3 = fenceF32(e2 + fenceF32(sa.y * sb.x));
  return vec2<f32>(p, fenceF32(e3 + fenceF32(sa.y * sb.y)));
}

// Knuth's TwoSum: (s, t) with s = a + b rounded and s + t = a + b exactly.
fn twoSumF32(a: f32, b: f32) -> vec2<f32> {
  let s = fenceF32(a + b);
  let bb = fenceF32(s - a);
  return vec2<f32>(s, fenceF32(fenceF32(a - fenceF32(s - bb)) + fenceF32(b - bb)));
}

// a + b rounded to odd: the rounded sum, moved one ulp toward the exact sum when it is inexact and even.
fn addRoundOddF32(a: f32, b: f32) -> f32 {
  let st = twoSumF32(a, b);
  let bits = bitcast<u32>(st.x);
  if (st.y == 0.0 || (bits & 1u) == 1u) {
    return st.x;
  }
  return bitcast<f32>(select(bits - 1u, bits + 1u, (st.y > 0.0) == (st.x > 0.0)));
}

// a * b + c rounded once (IEEE fusedMultiplyAdd): the exact product as p + e, c + p as s + t exactly, and
// s + round_to_odd(t + e) rounded to nearest (S. Boldo, G. Melquiond, "Emulation of a FMA and correctly-rounded
// sums: proved algorithms using rounding to odd", IEEE Trans. Computers 57(4), 2008). WGSL's own fma may round
// twice, so it is not used.
fn fmaF32(a: f32, b: f32, c: f32) -> f32 {
  let u = twoProductF32(a, b);
  let t = twoSumF32(c, u.x);
  return fenceF32(t.x + addRoundOddF32(t.y, u.y));
}

// a / b correctly rounded, for normal a (or 0) and b with a normal quotient: 25 quotient bits of the significands
// by restoring division, the 25th and the remainder rounding to nearest even.
fn divRoundedF32(a: f32, b: f32) -> f32 {
  let ba = bitcast<u32>(a);
  let bb = bitcast<u32>(b);
  let sign = (ba ^ bb) & 0x80000000u;
  if ((ba & 0x7FFFFFFFu) == 0u) {
    return bitcast<f32>(sign);
  }
  var n = (ba & 0x7FFFFFu) | 0x800000u;
  let d = (bb & 0x7FFFFFu) | 0x800000u;
  var e = i32((ba >> 23u) & 0xFFu) - i32((bb >> 23u) & 0xFFu) + 127;
  if (n < d) {
    n = n << 1u;
    e = e - 1;
  }
  var q = 0u;
  var r = n;
  for (var i = 0u; i < 25u; i++) {
    q = q << 1u;
    if (r >= d) {
      r = r - d;
      q = q | 1u;
    }
    r = r << 1u;
  }
  var m = q >> 1u;
  if ((q & 1u) == 1u && (r != 0u || (m & 1u) == 1u)) {
    m = m + 1u;
  }
  if (m == 0x1000000u) {
    m = m >> 1u;
    e = e + 1;
  }
  return bitcast<f32>(sign | (u32(e) << 23u) | (m & 0x7FFFFFu));
}

// sqrt(x) correctly rounded, for a positive normal x: the 25-bit integer square root of the significand times 2^25
// (digit by digit, two bits of the radicand per step), the 25th bit and the remainder rounding to nearest even.
fn sqrtRoundedF32(x: f32) -> f32 {
  let bx = bitcast<u32>(x);
  var e = i32((bx >> 23u) & 0xFFu) - 127;
  var m = (bx & 0x7FFFFFu) | 0x800000u;
  if ((e & 1) != 0) {
    m = m << 1u;
    e = e - 1;
  }
  var root = 0u;
  var rem = 0u;
  for (var i = 24; i >= 0; i--) {
    // Bits 2i + 1 and 2i of m * 2^25.
    var pair = 0u;
    if (i >= 13) {
      pair = (m >> u32(2 * i - 25)) & 3u;
    } else if (i == 12) {
      pair = (m & 1u) << 1u;
    }
    rem = (rem << 2u) | pair;
    let trial = (root << 2u) | 1u;
    if (rem >= trial) {
      rem = rem - trial;
      root = (root << 1u) | 1u;
    } else {
      root = root << 1u;
    }
  }
  var s = root >> 1u;
  if ((root & 1u) == 1u && (rem != 0u || (s & 1u) == 1u)) {
    s = s + 1u;
  }
  var be = e / 2 + 127;
  if (s == 0x1000000u) {
    s = s >> 1u;
    be = be + 1;
  }
  return bitcast<f32>((u32(be) << 23u) | (s & 0x7FFFFFu));
}

// x, or a zero of its sign when x is subnormal: what XLA's CPU runtime (flush-to-zero, denormals-are-zero) holds.
fn flushSubnormal(x: f32) -> f32 {
  return select(x, bitcast<f32>(bitcast<u32>(x) & 0x80000000u), abs(x) < 1.17549435e-38);
}

// XLA's float32 log on the CPU, for a positive normal v: v = m * 2^e with m in [1/2, 1), folded to
// [sqrt(1/2), sqrt(2)) around 1; Cephes logf's polynomial in x = m - 1 (three partial polynomials joined by x^3),
// and e * ln 2 in two parts, with the fused multiply-adds of XLA's code.
fn logXla(v: f32) -> f32 {
  let bits = bitcast<u32>(v);
  let e = f32(i32((bits >> 23u) & 0xFFu) - 127);
  let m = bitcast<f32>((bits & 0x807FFFFFu) | 0x3F000000u);
  var x: f32;
  var ea: f32;
  if (m < 0.707106769) {
    x = fenceF32(fenceF32(m - 1.0) + m);
    ea = e;
  } else {
    x = fenceF32(m - 1.0);
    ea = e + 1.0;
  }
  let z = fenceF32(x * x);
  let x3 = fenceF32(z * x);
  let y0 = fmaF32(x, fmaF32(x, 0.0703768358, -0.115146101), 0.116769984);
  let y1 = fmaF32(y0, x3, fmaF32(x, fmaF32(x, -0.124201410, 0.142493233), -0.166680574));
  let y2 = fmaF32(y1, x3, fmaF32(fmaF32(x, 0.200007141, -0.249999940), x, 0.333333313));
  let t = fmaF32(y2, x3, fenceF32(ea * -0.000212194442));
  return fmaF32(ea, 0.693359375, fenceF32(fmaF32(-0.5, z, x) + t));
}

// Cephes' log1p rational approximation as XLA holds it: denominator (after a leading 1) and numerator, highest
// degree first.
const LOG1P_DENOMINATOR = array<f32, 6>(15.0629091, 83.0475693, 221.762405, 309.098724, 216.427887, 60.1186600);
const LOG1P_NUMERATOR = array<f32, 7>(0.0000452700006, 0.498541027, 6.57873249, 29.9119186, 60.9496689, 57.1129646, 20.0395527);

// XLA's float32 log1p on the CPU: log(1 + x) for |x| >= sqrt(2) - 1, else x + (x^3 P(x) / Q(x) - x^2 / 2) with
// Cephes' rational approximation (Horner with fma), whose result is x itself once |x| < 2^-26.
fn log1pXla(x: f32) -> f32 {
  if (abs(x) >= 0.414213568) {
    return logXla(fenceF32(x + 1.0));
  }
  if (abs(x) < 1.49011612e-8) {
    return x;
  }
  let x2 = fenceF32(x * x);
  let dc = LOG1P_DENOMINATOR;
  let nc = LOG1P_NUMERATOR;
  var den = 1.0;
  for (var i = 0u; i < 6u; i++) {
    den = fmaF32(x, den, dc[i]);
  }
  var num = nc[0];
  for (var i = 1u; i < 7u; i++) {
    num = fmaF32(x, num, nc[i]);
  }
  let t = fenceF32(fenceF32(x * x2) * divRoundedF32(num, den));
  return fenceF32(x + fmaF32(-0.5, x2, t));
}

// M. Giles (2011), single-precision coefficients as XLA's ErfInv32 holds them, highest degree first: for
// w = -log(1 - u^2) below 5, and from 5 on.
const ERFINV_CENTRAL = array<f32, 9>(2.81022636e-8, 3.43273939e-7, -0.00000352338770, -0.00000439150654, 0.000218580870,
  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941);
const ERFINV_TAIL = array<f32, 9>(-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
  -0.00762246130, 0.00943887047, 1.00167406, 2.83297682);

// XLA's ErfInv32 of u in (-1, 1): w = -log1p(-u^2); Giles' polynomial in w - 2.5 (w < 5) or sqrt(w) - 3, by
// Horner with fma; times u.
fn erfInvXla(u: f32) -> f32 {
  let w = -log1pXla(flushSubnormal(fenceF32(u * -u)));
  var c = ERFINV_CENTRAL;
  var v: f32;
  if (w < 5.0) {
    v = fenceF32(w - 2.5);
  } else {
    c = ERFINV_TAIL;
    v = fenceF32(sqrtRoundedF32(w) - 3.0);
  }
  var p = c[0];
  for (var i = 1u; i < 9u; i++) {
    p = fmaF32(v, p, c[i]);
  }
  return fenceF32(u * p);
}
