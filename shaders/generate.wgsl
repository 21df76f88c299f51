// Entry points that fill a range of a conceptual tensor. Composed after philox.wgsl, threefry.wgsl,
// transforms.wgsl, normal.wgsl, xla-math.wgsl, pack.wgsl and jax.wgsl (see src/gpu/shader-sources.ts). CPU twin:
// src/twin/generate.ts (random, JAX and fill entry points alike).
//
// The dispatch covers the elements [start, start + count) of the tensor; start is a 64-bit index split
// into its block (startBlock) and its position inside that block (phase). Block k of the dispatch is
// Philox block startBlock + k (4 consecutive elements). Invocation q < blockStride computes the blocks
// k = q + i * blockStride for i < BLOCKS_PER_INVOCATION (grid-stride, so that at each step neighbouring
// invocations write neighbouring blocks) and stores the elements of each block that fall inside the range: element e of the range goes to
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
  blockStride: u32,      // invocations that compute blocks: ceil(blocks / BLOCKS_PER_INVOCATION)
  low: f32,              // uniform: f32(low)
  range: f32,            // uniform: f32(f32(high) - f32(low))
  mean: f32,             // normal, truncatedNormal
  stddev: f32,           // normal; truncatedNormal: signed (mirror)
  pLow: f32,             // truncatedNormal: Phi(alpha) on the sampled side
  pWidth: f32,           // truncatedNormal: Phi(beta) - Phi(alpha)
  clampLow: f32,         // truncatedNormal: value bounds
  clampHigh: f32,
  stride: u32,           // scatterConstant: distance between written elements
  sourceIndex: u32,      // convertF32: index in `source` of the first element
  fence: u32,            // always 0; see fmaFence in transforms.wgsl
  scale: f32,            // jax*: the value times scale, rounded to the dtype (1 for jax.random itself)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<atomic<u32>>;
// convertF32 only: f32 values to store (e.g. an orthogonal matrix computed in f32).
@group(0) @binding(2) var<storage, read> source: array<f32>;

override WORKGROUP_SIZE: u32 = 64u;
// 0: one 32-bit word per element (u32 or f32); 1: f16; 2: bf16 (two elements per word).
override DTYPE: u32 = 0u;
// Philox blocks per invocation of the block-based entry points (not scatterConstant). More than one
// spreads each invocation's fixed cost over several blocks.
override BLOCKS_PER_INVOCATION: u32 = 1u;
// The jax* entry points: 0 for threefry2x32 keys, 1 for philox4x32 keys.
override JAX_IMPL: u32 = 0u;

// Index of this invocation in the dispatch's grid.
fn blockOffset(gid: vec3<u32>) -> u32 {
  return gid.y * params.rowBlocks + gid.x;
}

// Returned by invocationBlock when an invocation has no block i.
const NO_BLOCK: u32 = 0xFFFFFFFFu;

// Block i of this invocation (relative to startBlock): q + i * blockStride for invocation q, or NO_BLOCK
// when q is past the invocations that compute blocks or the block is past the range. Blocks grow with i,
// so the first NO_BLOCK ends the invocation's work.
fn invocationBlock(gid: vec3<u32>, i: u32) -> u32 {
  let q = blockOffset(gid);
  let k = q + i * params.blockStride;
  if (q >= params.blockStride || outsideRange(k)) { return NO_BLOCK; }
  return k;
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

// Stores one element's stored bits at `index` (in elements of the stored size). A 16-bit element changes
// only its own half of the word (atomicAnd clears it, atomicOr sets it), whoever owns the other half.
fn storeElement(index: u32, value: u32) {
  if (DTYPE == 0u) {
    atomicStore(&out[index], value);
    return;
  }
  let word = index >> 1u;
  let shift = (index & 1u) * 16u;
  atomicAnd(&out[word], ~(0xFFFFu << shift));
  atomicOr(&out[word], (value & 0xFFFFu) << shift);
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
    let nextInRange = j < 3u && p + 1u - params.phase < params.count;
    if (DTYPE != 0u && (index & 1u) == 0u && nextInRange) {
      atomicStore(&out[index >> 1u], (v[j] & 0xFFFFu) | (v[j + 1u] << 16u));
      j = j + 2u;
    } else {
      storeElement(index, v[j]);
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
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
    storeBlock(k, blockWords(k));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn generateUniform(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
    let w = blockWords(k);
    var v: vec4<u32>;
    for (var j = 0u; j < 4u; j++) {
      v[j] = packValue(uniformRange(uniformFromWord(w[j]), params.low, params.range));
    }
    storeBlock(k, v);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn generateNormal(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
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
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn generateTruncatedNormal(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
    let w = blockWords(k);
    var v: vec4<u32>;
    for (var j = 0u; j < 4u; j++) {
      v[j] = packValue(truncatedNormalFromWord(
        w[j], params.pLow, params.pWidth, params.mean, params.stddev, params.clampLow, params.clampHigh));
    }
    storeBlock(k, v);
  }
}

// Every element of the range = params.mean (zeros, ones, constant; the background of eye and dirac).
@compute @workgroup_size(WORKGROUP_SIZE)
fn fillConstant(@builtin(global_invocation_id) gid: vec3<u32>) {
  let v = packValue(params.mean);
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
    storeBlock(k, vec4<u32>(v, v, v, v));
  }
}

// Element outIndex + t * stride = params.mean for t < count (the diagonals of eye and dirac).
@compute @workgroup_size(WORKGROUP_SIZE)
fn scatterConstant(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = blockOffset(gid);
  if (t >= params.count) { return; }
  storeElement(params.outIndex + t * params.stride, packValue(params.mean));
}

// Element e of the range = source[sourceIndex + e] * params.stddev, stored in the dtype.
@compute @workgroup_size(WORKGROUP_SIZE)
fn convertF32(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
    var v: vec4<u32>;
    for (var j = 0u; j < 4u; j++) {
      let p = 4u * k + j;
      if (p >= params.phase && p - params.phase < params.count) {
        v[j] = packValue(fenceF32(source[params.sourceIndex + p - params.phase] * params.stddev));
      }
    }
    storeBlock(k, v);
  }
}

// The JAX entry points write elements [start, start + count) of a flattened JAX tensor, cut in blocks of 4 like
// the entry points above: element j of block k has the flattened index 4 (startBlock + k) + j; `key` holds the
// key data. Each element hashes its own counter (jaxWord). The float samplers multiply by params.scale (1 for
// jax.random itself; a jax.nn.initializers stddev or scale otherwise), in the dtype.

// The JAX words of the 4 elements of block startBlock + k.
fn jaxBlockWords(k: u32) -> vec4<u32> {
  let lo = params.startBlock.x + k;
  let hi = params.startBlock.y + select(0u, 1u, lo < k);
  // 4 * block as (hi, lo) words; its low two bits are 0, so adding j never carries.
  let base = vec2<u32>((hi << 2u) | (lo >> 30u), lo << 2u);
  return vec4<u32>(
    jaxWord(base, params.key, JAX_IMPL),
    jaxWord(base + vec2<u32>(0u, 1u), params.key, JAX_IMPL),
    jaxWord(base + vec2<u32>(0u, 2u), params.key, JAX_IMPL),
    jaxWord(base + vec2<u32>(0u, 3u), params.key, JAX_IMPL));
}

// jax.random.bits(key, shape, uint32).
@compute @workgroup_size(WORKGROUP_SIZE)
fn jaxBits(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
    storeBlock(k, jaxBlockWords(k));
  }
}

// The stored values of block k for the float samplers: jax.random.uniform (sampler 0; params.low = minval,
// params.range = maxval - minval), normal (1; low = nextafter(-1, 0), range = 1 - low, in the dtype) and
// truncated_normal (2; low and range span [erf(lower / sqrt 2), erf(upper / sqrt 2)), clampLow and clampHigh are the
// clip bounds), each times params.scale.
fn jaxBlockValues(k: u32, sampler: u32) -> vec4<u32> {
  let w = jaxBlockWords(k);
  var v: vec4<u32>;
  for (var j = 0u; j < 4u; j++) {
    var x = jaxUniformFromWord(w[j], params.low, params.range, DTYPE);
    if (sampler == 1u) {
      x = jaxNormalFromUniform(x, DTYPE);
    } else if (sampler == 2u) {
      x = jaxTruncatedNormalFromUniform(x, params.clampLow, params.clampHigh, DTYPE);
    }
    v[j] = packValue(jaxScale(x, params.scale, DTYPE));
  }
  return v;
}

// jax.random.uniform(key, shape, dtype, minval, maxval).
@compute @workgroup_size(WORKGROUP_SIZE)
fn jaxUniform(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
    storeBlock(k, jaxBlockValues(k, 0u));
  }
}

// jax.random.normal(key, shape, dtype).
@compute @workgroup_size(WORKGROUP_SIZE)
fn jaxNormal(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
    storeBlock(k, jaxBlockValues(k, 1u));
  }
}

// jax.random.truncated_normal(key, lower, upper, shape, dtype).
@compute @workgroup_size(WORKGROUP_SIZE)
fn jaxTruncatedNormal(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = invocationBlock(gid, i);
    if (k == NO_BLOCK) { return; }
    storeBlock(k, jaxBlockValues(k, 2u));
  }
}
