// JAX's samplers for one element, as jax 0.10.2 computes them on the CPU (jax/_src/random/core.py: _uniform,
// _normal_real, _truncated_normal), with jax_threefry_partitionable on. Composed after philox.wgsl, threefry.wgsl,
// transforms.wgsl, xla-math.wgsl and pack.wgsl. CPU twin: src/twin/jax.ts (same names). `dtype` is generate.wgsl's
// DTYPE code (0 f32, 1 f16, 2 bf16); `generator` 0 is threefry2x32, 1 philox4x32.

// The 32 random bits of the element with flattened index (index.x << 32) | index.y: threefry2x32 hashes the
// counter (hi, lo) and xors its two words; philox4x32 hashes (hi, lo, 0, 0) and xors its four.
fn jaxWord(index: vec2<u32>, key: vec2<u32>, generator: u32) -> u32 {
  if (generator == 1u) {
    let w = philox4x32_10(vec4<u32>(index.x, index.y, 0u, 0u), key);
    return w.x ^ w.y ^ w.z ^ w.w;
  }
  let t = threefry2x32_20(index, key);
  return t.x ^ t.y;
}

// The value of an IEEE binary16 bit pattern (finite) as an f32; subnormal halves are normal f32 values.
fn f16BitsToF32(h: u32) -> f32 {
  let e = (h >> 10u) & 0x1Fu;
  let m = h & 0x3FFu;
  let sign = (h & 0x8000u) << 16u;
  if (e == 0u) {
    return bitcast<f32>(bitcast<u32>(f32(m) * 5.96046448e-8) | sign);
  }
  return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u));
}

// x rounded to the stored dtype (to nearest even), as an f32: what XLA's convert to f16 or bf16 and back gives.
fn roundToStored(x: f32, dtype: u32) -> f32 {
  switch (dtype) {
    case 1u: { return f16BitsToF32(f32ToF16Bits(x)); }
    case 2u: { return bitcast<f32>(f32ToBf16Bits(x) << 16u); }
    default: { return x; }
  }
}

// jax.random.uniform's value for one word: the top mantissa bits of the dtype (f32: 23 of 32; f16: 10 of the low
// 16; bf16: 7 of the low 8) as a float f in [0, 1), then max(low, f * range + low). XLA fuses the f32 product
// into the add (one rounding); for 16-bit dtypes each operation runs in f32 and is rounded to the dtype.
fn jaxUniformFromWord(word: u32, low: f32, range: f32, dtype: u32) -> f32 {
  var u: f32;
  switch (dtype) {
    case 1u: {
      let f = f32((word & 0xFFFFu) >> 6u) * 0.0009765625;
      u = roundToStored(fenceF32(roundToStored(fenceF32(f * range), 1u) + low), 1u);
    }
    case 2u: {
      let f = f32((word & 0xFFu) >> 1u) * 0.0078125;
      u = roundToStored(fenceF32(roundToStored(fenceF32(f * range), 2u) + low), 2u);
    }
    default: {
      let f = fenceF32(bitcast<f32>((word >> 9u) | 0x3F800000u) - 1.0);
      u = fmaF32(f, range, low);
    }
  }
  return select(u, low, u < low);
}

// sqrt(2) * erf_inv(u) in the dtype (f32: 1.41421354; f16 and bf16: 1.4140625, the erf_inv rounded first).
fn jaxNormalFromUniform(u: f32, dtype: u32) -> f32 {
  let e = erfInvXla(u);
  if (dtype == 0u) {
    return fenceF32(e * 1.41421354);
  }
  return roundToStored(fenceF32(roundToStored(e, dtype) * 1.4140625), dtype);
}

// jax.random.truncated_normal's value from its uniform in erf space: sqrt(2) erf_inv(u) clamped to
// [lo, hi] = [nextafter(lower, +inf), nextafter(upper, -inf)]. At u = ±1 erf_inv is infinite and the clamp
// gives the bound.
fn jaxTruncatedNormalFromUniform(u: f32, lo: f32, hi: f32, dtype: u32) -> f32 {
  if (abs(u) == 1.0) {
    return select(hi, lo, u < 0.0);
  }
  let z = jaxNormalFromUniform(u, dtype);
  let above = select(z, lo, z < lo);
  return select(above, hi, above > hi);
}

// v * scale in the dtype: how jax.nn.initializers scale a sample (an f32 product, rounded for f16 and bf16).
fn jaxScale(v: f32, scale: f32, dtype: u32) -> f32 {
  return roundToStored(fenceF32(v * scale), dtype);
}
