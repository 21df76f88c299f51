// The benchmark's bandwidth reference: a kernel that only stores, with the same dispatch layout as the
// generate entry points of shaders/generate.wgsl (BLOCKS_PER_INVOCATION 4-element blocks per invocation,
// grid-stride, WORKGROUP_SIZE invocations per workgroup, 2-D grid of rowBlocks invocations per row, one
// dispatch per binding window),
// writing the same number of bytes: 4 words per invocation for 4-byte elements, 2 for 2-byte elements.
// What a generator kernel costs beyond this is its arithmetic (Philox, transforms, packing).

struct Params {
  words: u32,      // u32 words this dispatch writes
  base: u32,       // index in `out` of the first word
  rowBlocks: u32,  // invocations per row of the grid (workgroups in x * WORKGROUP_SIZE)
  value: u32,      // added to the stored index, so the stores are not a constant fill
  blockStride: u32, // invocations that store: ceil(blocks / BLOCKS_PER_INVOCATION)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;
// Bytes per element: 4 (u32/f32: 4 words per block) or 2 (f16/bf16: 2 words per block).
override ELEMENT_BYTES: u32 = 4u;
override BLOCKS_PER_INVOCATION: u32 = 1u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn store(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.y * params.rowBlocks + gid.x;
  if (q >= params.blockStride) { return; }
  for (var i = 0u; i < BLOCKS_PER_INVOCATION; i++) {
    let k = q + i * params.blockStride;
    let first = k * ELEMENT_BYTES;
    if (first >= params.words) { return; }
    let n = min(ELEMENT_BYTES, params.words - first);
    for (var j = 0u; j < n; j++) {
      out[params.base + first + j] = first + j + params.value;
    }
  }
}
