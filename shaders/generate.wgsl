// Entry points that fill a range of a conceptual tensor. Composed after philox.wgsl and
// transforms.wgsl (see src/gpu/shader-sources.ts). CPU twin: src/rng/generate.ts.
//
// One invocation owns one Philox block (4 consecutive elements of the tensor). The dispatch covers the
// elements [start, start + count) of the tensor; start is a 64-bit index split into its block
// (startBlock) and its position inside that block (phase). Invocation k computes block startBlock + k
// and writes the elements of that block that fall inside the range, to out[outWord + element - start].

struct Params {
  key: vec2<u32>,        // seed (lo, hi)
  stream: vec2<u32>,     // stream (lo, hi): counter words 2 and 3
  startBlock: vec2<u32>, // (start / 4) as (lo, hi)
  phase: u32,            // start % 4
  count: u32,            // elements written by this dispatch
  outWord: u32,          // index in `out` of the first element
  rowBlocks: u32,        // invocations per row of a 2-D dispatch (workgroups in x * WORKGROUP_SIZE)
  low: f32,              // uniform: lower bound
  range: f32,            // uniform: f32(high - low)
  fence: u32,            // always 0; see fmaFence in transforms.wgsl
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

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

// Stores word j of block k when its element lies inside the dispatch's range.
fn storeWord(k: u32, j: u32, value: u32) {
  let p = 4u * k + j;
  if (p >= params.phase && p - params.phase < params.count) {
    out[params.outWord + p - params.phase] = value;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn generateBits(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = blockOffset(gid);
  if (4u * k >= params.count + params.phase) {
    return;
  }
  let w = blockWords(k);
  storeWord(k, 0u, w.x);
  storeWord(k, 1u, w.y);
  storeWord(k, 2u, w.z);
  storeWord(k, 3u, w.w);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn generateUniform(@builtin(global_invocation_id) gid: vec3<u32>) {
  fmaFence = params.fence;
  let k = blockOffset(gid);
  if (4u * k >= params.count + params.phase) {
    return;
  }
  let w = blockWords(k);
  let low = params.low;
  let range = params.range;
  storeWord(k, 0u, bitcast<u32>(uniformRange(uniformFromWord(w.x), low, range)));
  storeWord(k, 1u, bitcast<u32>(uniformRange(uniformFromWord(w.y), low, range)));
  storeWord(k, 2u, bitcast<u32>(uniformRange(uniformFromWord(w.z), low, range)));
  storeWord(k, 3u, bitcast<u32>(uniformRange(uniformFromWord(w.w), low, range)));
}
