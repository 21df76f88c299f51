// Entry points that fill a range of a conceptual tensor. Composed after philox.wgsl, transforms.wgsl,
// normal.wgsl and pack.wgsl (see src/gpu/shader-sources.ts). CPU twin: src/rng/generate.ts.
//
// One invocation owns one Philox block (4 consecutive elements of the tensor). The dispatch covers the
// elements [start, start + count) of the tensor; start is a 64-bit index split into its block
// (startBlock) and its position inside that block (phase). Invocation k computes block startBlock + k
// and stores the elements of that block that fall inside the range: element e of the range goes to
// 32-bit word outIndex + e (DTYPE 0) or to 16-bit half outIndex + e (DTYPE 1 = f16, 2 = bf16; half h is
// the low half of word h / 2 when h is even).

struct Params {
  key: vec2<u32>,        // seed (lo, hi)
  stream: vec2<u32>,     // stream (lo, hi): counter words 2 and 3
  startBlock: vec2<u32>, // (start / 4) as (lo, hi)
  phase: u32,            // start % 4
  count: u32,            // elements written by this dispatch
  outIndex: u32,         // index in `out`, in elements of the stored size, of the first element
  rowBlocks: u32,        // invocations per row of a 2-D dispatch (workgroups in x * WORKGROUP_SIZE)
  low: f32,              // uniform: f32(low)
  range: f32,            // uniform: f32(f32(high) - f32(low))
  mean: f32,             // normal, truncatedNormal
  stddev: f32,           // normal; truncatedNormal: signed (mirror)
  pLow: f32,             // truncatedNormal: Phi(alpha) on the sampled side
  pWidth: f32,           // truncatedNormal: Phi(beta) - Phi(alpha)
  clampLow: f32,         // truncatedNormal: value bounds
  clampHigh: f32,
  fence: u32,            // always 0; see fmaFence in transforms.wgsl
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<atomic<u32>>;

override WORKGROUP_SIZE: u32 = 64u;
// 0: one 32-bit word per element (u32 or f32); 1: f16; 2: bf16 (two elements per word).
override DTYPE: u32 = 0u;

// Index of this invocation's block relative to startBlock.
fn blockOffset(gid: vec3<u32>) -> u32 {
  return gid.y * params.rowBlocks + gid.x;
}

// Philox words of block startBlock + k: counter = (block lo, block hi, stream lo, stream hi).
fn blockWords(k: u32) -> vec4<u32> {
  let lo = params.startBlock.x + k;
  let hi = params.startBlock.y + select(0u, 1u, lo < k);
  return philox4x32_10(vec4<u32>(lo, hi, params.stream.x, params.stream.y), params.key);
}

// The stored bits of an f32 value: itself (DTYPE 0) or its f16 / bf16 pattern in the low 16 bits.
fn packValue(x: f32) -> u32 {
  switch (DTYPE) {
    case 1u: { return f32ToF16Bits(x); }
    case 2u: { return f32ToBf16Bits(x); }
    default: { return bitcast<u32>(x); }
  }
}

// Stores the in-range elements of block k. 16-bit elements whose word is shared with an element of
// another invocation (or one outside the range) are merged with atomicAnd / atomicOr, which change only
// this element's half; words fully owned here are stored whole.
fn storeBlock(k: u32, v: vec4<u32>) {
  var j = 0u;
  loop {
    if (j >= 4u) { break; }
    let p = 4u * k + j;
    if (p < params.phase || p - params.phase >= params.count) {
      j = j + 1u;
      continue;
    }
    let index = params.outIndex + p - params.phase;
    if (DTYPE == 0u) {
      atomicStore(&out[index], v[j]);
      j = j + 1u;
      continue;
    }
    let word = index >> 1u;
    let nextInRange = j < 3u && p + 1u - params.phase < params.count;
    if ((index & 1u) == 0u && nextInRange) {
      atomicStore(&out[word], (v[j] & 0xFFFFu) | (v[j + 1u] << 16u));
      j = j + 2u;
    } else {
      let shift = (index & 1u) * 16u;
      atomicAnd(&out[word], ~(0xFFFFu << shift));
      atomicOr(&out[word], (v[j] & 0xFFFFu) << shift);
      j = j + 1u;
    }
  }
}

// True when block k has no element inside this dispatch's range.
fn outsideRange(k: u32) -> bool {
  return 4u * k >= params.count + params.phase;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn generateBits(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = blockOffset(gid);
  if (outsideRange(k)) { return; }
  storeBlock(k, blockWords(k));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn generateUniform(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  let k = blockOffset(gid);
  if (outsideRange(k)) { return; }
  let w = blockWords(k);
  var v: vec4<u32>;
  for (var j = 0u; j < 4u; j++) {
    v[j] = packValue(uniformRange(uniformFromWord(w[j]), params.low, params.range));
  }
  storeBlock(k, v);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn generateNormal(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  let k = blockOffset(gid);
  if (outsideRange(k)) { return; }
  let w = blockWords(k);
  let z01 = boxMuller(w.x, w.y);
  let z23 = boxMuller(w.z, w.w);
  let z = vec4<f32>(z01.x, z01.y, z23.x, z23.y);
  var v: vec4<u32>;
  for (var j = 0u; j < 4u; j++) {
    v[j] = packValue(scaleShift(z[j], params.mean, params.stddev));
  }
  storeBlock(k, v);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn generateTruncatedNormal(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  let k = blockOffset(gid);
  if (outsideRange(k)) { return; }
  let w = blockWords(k);
  var v: vec4<u32>;
  for (var j = 0u; j < 4u; j++) {
    v[j] = packValue(truncatedNormalFromWord(
      w[j], params.pLow, params.pWidth, params.mean, params.stddev, params.clampLow, params.clampHigh));
  }
  storeBlock(k, v);
}
