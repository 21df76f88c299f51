// The benchmark's store variants (cases `stores-*`): Philox4x32-10 values of uniform(0, 1) or normal(0, 1) f32,
// the same bits as the library's generateUniform / generateNormal (checked against the CPU twin), with the
// dispatch layout of store.wgsl, written three ways:
//   storeAtomic: four atomicStore per block, as shaders/generate.wgsl does (it needs atomics to merge
//                16-bit halves, and uses the same store for 32-bit dtypes);
//   storeU32:    four plain u32 stores per block;
//   storeVec4:   one vec4<u32> store per block (needs the range to start and end on a block).
// The comparison says what generate.wgsl could gain from a plain-store path for 32-bit dtypes on this
// adapter; bits are the same whichever store is used. Composed after philox.wgsl, transforms.wgsl and
// normal.wgsl.

struct Params {
  words: u32,       // u32 words this dispatch writes
  base: u32,        // index in `out` (words) of the first word
  rowBlocks: u32,   // invocations per row of the grid
  value: u32,       // unused here (store.wgsl's fill offset)
  blockStride: u32, // invocations that store: ceil(blocks / BLOCKS_PER_INVOCATION)
  startBlock: u32,  // Philox block of the dispatch's first element
  key: vec2<u32>,   // seed (lo, hi)
  stream: vec2<u32>, // stream (lo, hi)
  fence: u32,       // always 0 (see fmaFence in transforms.wgsl)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> outAtomic: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> outU32: array<u32>;
@group(0) @binding(3) var<storage, read_write> outVec4: array<vec4<u32>>;

override WORKGROUP_SIZE: u32 = 64u;
override BLOCKS_PER_INVOCATION: u32 = 1u;
// 0: uniform(0, 1); 1: normal(0, 1).
override DIST: u32 = 0u;

// The f32 bits of block k of the dispatch.
fn variantBlock(k: u32) -> vec4<u32> {
  let w = philox4x32_10(vec4<u32>(params.startBlock + k, 0u, params.stream.x, params.stream.y), params.key);
  if (DIST == 0u) {
    return vec4<u32>(
      bitcast<u32>(uniformRange(uniformFromWord(w.x), 0.0, 1.0)), bitcast<u32>(uniformRange(uniformFromWord(w.y), 0.0, 1.0)),
      bitcast<u32>(uniformRange(uniformFromWord(w.z), 0.0, 1.0)), bitcast<u32>(uniformRange(uniformFromWord(w.w), 0.0, 1.0)));
  }
  let z01 = boxMuller(w.x, w.y);
  let z23 = boxMuller(w.z, w.w);
  return vec4<u32>(
    bitcast<u32>(scaleShift(z01.x, 0.0, 1.0)), bitcast<u32>(scaleShift(z01.y, 0.0, 1.0)),
    bitcast<u32>(scaleShift(z23.x, 0.0, 1.0)), bitcast<u32>(scaleShift(z23.y, 0.0, 1.0)));
}

// Block i of invocation gid, or 0xFFFFFFFF past the range (grid-stride, as store.wgsl).
fn variantBlockIndex(gid: vec3<u32>, i: u32) -> u32 {
  let q = gid.y * params.rowBlocks + gid.x;
  let k = q + i * params.blockStride;
  if (q >= params.blockStride || 4u * k >= params.words) { return 0xFFFFFFFFu; }
  return k;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn storeAtomic(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = variantBlockIndex(gid, i);
    if (k == 0xFFFFFFFFu) { return; }
    let v = variantBlock(k);
    for (var j = 0u; j < min(4u, params.words - 4u * k); j++) { atomicStore(&outAtomic[params.base + 4u * k + j], v[j]); }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn storeU32(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = variantBlockIndex(gid, i);
    if (k == 0xFFFFFFFFu) { return; }
    let v = variantBlock(k);
    for (var j = 0u; j < min(4u, params.words - 4u * k); j++) { outU32[params.base + 4u * k + j] = v[j]; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn storeVec4(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = variantBlockIndex(gid, i);
    if (k == 0xFFFFFFFFu) { return; }
    outVec4[params.base / 4u + k] = variantBlock(k);
  }
}
