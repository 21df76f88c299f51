// Which kernel shapes move the numbers on this adapter: the same Philox4x32-10 words (2^24 of them) stored
// with atomicStore, plain u32 stores, one vec4 store per block, a fully unrolled 10-round Philox, and a
// store-only kernel (the write limit). Run after `npm run build`:
//   node bench/kernel-variants.mjs
// Times are the median of 3 runs after a warm-up, wall time around onSubmittedWorkDone.
import fs from 'fs';
import { requestNodeGPU } from '../dist/node.js';
const { gpu } = await requestNodeGPU();
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
const sh = (f) => fs.readFileSync(new URL('../shaders/' + f, import.meta.url), 'utf8');
const base = [sh('philox.wgsl'), sh('transforms.wgsl')].join('\n');
const N = 1 << 24, blocks = N / 4;
const variants = {
  atomic: `@group(0) @binding(0) var<storage, read_write> out: array<atomic<u32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let k = g.y * 65535u * 64u + g.x; if (k >= ${blocks}u) { return; }
  let w = philox4x32_10(vec4<u32>(k, 0u, 7u, 0u), vec2<u32>(1u, 2u));
  for (var j = 0u; j < 4u; j++) { atomicStore(&out[4u * k + j], w[j]); } }`,
  plain: `@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let k = g.y * 65535u * 64u + g.x; if (k >= ${blocks}u) { return; }
  let w = philox4x32_10(vec4<u32>(k, 0u, 7u, 0u), vec2<u32>(1u, 2u));
  for (var j = 0u; j < 4u; j++) { out[4u * k + j] = w[j]; } }`,
  vec4: `@group(0) @binding(0) var<storage, read_write> out: array<vec4<u32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let k = g.y * 65535u * 64u + g.x; if (k >= ${blocks}u) { return; }
  out[k] = philox4x32_10(vec4<u32>(k, 0u, 7u, 0u), vec2<u32>(1u, 2u)); }`,
  unrolled: `@group(0) @binding(0) var<storage, read_write> out: array<vec4<u32>>;
fn r(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> { return philox4x32Round(c, k); }
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let k = g.y * 65535u * 64u + g.x; if (k >= ${blocks}u) { return; }
  var c = vec4<u32>(k, 0u, 7u, 0u); let key = vec2<u32>(1u, 2u); let W = vec2<u32>(PHILOX_W0, PHILOX_W1);
  c = r(c, key); c = r(c, key + W); c = r(c, key + 2u*W); c = r(c, key + 3u*W); c = r(c, key + 4u*W);
  c = r(c, key + 5u*W); c = r(c, key + 6u*W); c = r(c, key + 7u*W); c = r(c, key + 8u*W); c = r(c, key + 9u*W);
  out[k] = c; }`,
  // mulhilo32 for a constant multiplier with one fewer partial-sum step: u and v cannot overflow 32 bits.
  carry: `@group(0) @binding(0) var<storage, read_write> out: array<vec4<u32>>;
fn mulhiloConst(m: u32, b: u32) -> vec2<u32> {
  let m0 = m & 0xFFFFu; let m1 = m >> 16u; let b0 = b & 0xFFFFu; let b1 = b >> 16u;
  let t = b0 * m0; let u = b1 * m0 + (t >> 16u); let v = b0 * m1 + (u & 0xFFFFu);
  return vec2<u32>(b1 * m1 + (u >> 16u) + (v >> 16u), m * b); }
fn round2(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let p0 = mulhiloConst(PHILOX_M0, ctr.x); let p1 = mulhiloConst(PHILOX_M1, ctr.z);
  return vec4<u32>(p1.x ^ ctr.y ^ key.x, p1.y, p0.x ^ ctr.w ^ key.y, p0.y); }
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let k = g.y * 65535u * 64u + g.x; if (k >= ${blocks}u) { return; }
  var c = vec4<u32>(k, 0u, 7u, 0u); var key = vec2<u32>(1u, 2u);
  for (var r = 0u; r < 10u; r++) { if (r > 0u) { key = key + vec2<u32>(PHILOX_W0, PHILOX_W1); } c = round2(c, key); }
  out[k] = c; }`,
  // Four blocks per invocation (a quarter of the invocations), vec4 stores.
  four: `@group(0) @binding(0) var<storage, read_write> out: array<vec4<u32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let q = g.y * 65535u * 64u + g.x; if (q >= ${blocks / 4}u) { return; }
  for (var j = 0u; j < 4u; j++) { let k = 4u * q + j; out[k] = philox4x32_10(vec4<u32>(k, 0u, 7u, 0u), vec2<u32>(1u, 2u)); } }`,
  eight: `@group(0) @binding(0) var<storage, read_write> out: array<vec4<u32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let q = g.y * 65535u * 64u + g.x; if (q >= ${blocks / 8}u) { return; }
  for (var j = 0u; j < 8u; j++) { let k = 8u * q + j; out[k] = philox4x32_10(vec4<u32>(k, 0u, 7u, 0u), vec2<u32>(1u, 2u)); } }`,
  fourPlain: `@group(0) @binding(0) var<storage, read_write> out: array<atomic<u32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let q = g.y * 65535u * 64u + g.x; if (q >= ${blocks / 4}u) { return; }
  for (var j = 0u; j < 4u; j++) { let k = 4u * q + j; let w = philox4x32_10(vec4<u32>(k, 0u, 7u, 0u), vec2<u32>(1u, 2u));
    for (var i = 0u; i < 4u; i++) { atomicStore(&out[4u * k + i], w[i]); } } }`,
  wg256: `@group(0) @binding(0) var<storage, read_write> out: array<vec4<u32>>;
@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let k = g.y * 65535u * 256u + g.x; if (k >= ${blocks}u) { return; }
  out[k] = philox4x32_10(vec4<u32>(k, 0u, 7u, 0u), vec2<u32>(1u, 2u)); }`,
  store: `@group(0) @binding(0) var<storage, read_write> out: array<vec4<u32>>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let k = g.y * 65535u * 64u + g.x; if (k >= ${blocks}u) { return; }
  out[k] = vec4<u32>(k); }`,
};
const buf = device.createBuffer({ size: N * 4, usage: 0x80 | 0x4 });
for (const [name, code] of Object.entries(variants)) {
  const m = device.createShaderModule({ code: base + '\n' + code });
  const info = await m.getCompilationInfo(); if (info.messages.some(x => x.type === 'error')) { console.log(name, info.messages.map(x=>x.message)); continue; }
  const p = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: m, entryPoint: 'main' } });
  const bg = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] });
  const perInvocation = { four: 4, fourPlain: 4, eight: 8 }[name] ?? 1;
  const groups = blocks / perInvocation / (name === 'wg256' ? 256 : 64);
  const run = async () => { const e = device.createCommandEncoder(); const pass = e.beginComputePass(); pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(Math.min(groups, 65535), Math.ceil(groups / 65535)); pass.end(); device.queue.submit([e.finish()]); await device.queue.onSubmittedWorkDone(); };
  await run();
  const ts = []; for (let i = 0; i < 3; i++) { const t = performance.now(); await run(); ts.push(performance.now() - t); }
  ts.sort((a,b)=>a-b); console.log(name.padEnd(10), (N / ts[1] / 1e3).toFixed(1), 'M words/s');
}
device.destroy();
