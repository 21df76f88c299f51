// f32 -> 16-bit float conversions with integer operations only (no shader-f16 needed), rounding to
// nearest, ties to even. CPU twin: src/twin/pack.ts (same names).

// IEEE binary16 bits of an f32: overflow -> +-Inf, NaN -> quiet NaN (payload's top bits kept),
// results below the smallest subnormal half (2^-24) round to +-0 or +-2^-24 by the same rule.
fn f32ToF16Bits(x: f32) -> u32 {
  let bits = bitcast<u32>(x);
  let sign = (bits >> 16u) & 0x8000u;
  let exponent = (bits >> 23u) & 0xFFu;
  let mantissa = bits & 0x7FFFFFu;
  if (exponent == 0xFFu) {
    return sign | 0x7C00u | select(0u, 0x200u | (mantissa >> 13u), mantissa != 0u);
  }
  let e = i32(exponent) - 112; // half exponent field
  if (e >= 31) {
    return sign | 0x7C00u;
  }
  if (e <= 0) {
    if (e < -10) {
      return sign;
    }
    let m = mantissa | 0x800000u;
    let shift = u32(14 - e);
    let h = m >> shift;
    let rem = m & ((1u << shift) - 1u);
    let halfway = 1u << (shift - 1u);
    let up = select(0u, 1u, rem > halfway || (rem == halfway && (h & 1u) == 1u));
    return sign | (h + up);
  }
  let h = (u32(e) << 10u) | (mantissa >> 13u);
  let rem = mantissa & 0x1FFFu;
  let up = select(0u, 1u, rem > 0x1000u || (rem == 0x1000u && (h & 1u) == 1u));
  return sign | (h + up); // a carry out of the mantissa correctly bumps the exponent (up to Inf)
}

// bfloat16 bits of an f32 (its top 16 bits after rounding): NaN -> quiet NaN, overflow -> Inf.
fn f32ToBf16Bits(x: f32) -> u32 {
  let bits = bitcast<u32>(x);
  if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x7FFFFFu) != 0u) {
    return (bits >> 16u) | 0x40u;
  }
  return (bits + 0x7FFFu + ((bits >> 16u) & 1u)) >> 16u;
}
