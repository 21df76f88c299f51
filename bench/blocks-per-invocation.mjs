// The library's kernels at several blocksPerInvocation settings (and workgroup sizes), same run, same
// adapter: 2^22 elements of uniform, normal and truncated normal f32 into one buffer, median of 5 runs,
// wall time to onSubmittedWorkDone. Run after `npm run build`: node bench/blocks-per-invocation.mjs
import { createNodeContext } from '../dist/node.js';
const dists = [
  { kind: 'uniform', low: 0, high: 1 },
  { kind: 'normal', mean: 0, std: 1 },
  { kind: 'truncatedNormal', mean: 0, std: 1, a: -2, b: 2 },
];
const n = 1 << 22;
for (const [workgroupSize, blocksPerInvocation] of [[64, 1], [64, 2], [64, 4], [64, 8], [256, 4]]) {
  const ctx = await createNodeContext({ strategy: 'kernel', workgroupSize, blocksPerInvocation });
  const buffer = ctx.device.createBuffer({ size: 4 * n, usage: 0x80 | 0x4 });
  const out = [];
  for (const dist of dists) {
    const ts = [];
    for (let i = 0; i < 6; i++) {
      const t = performance.now();
      await ctx.generate({ seed: 1, count: n, dist, buffer });
      await ctx.device.queue.onSubmittedWorkDone();
      if (i > 0) ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    out.push(`${dist.kind} ${(n / ts[2] / 1e3).toFixed(1)}`);
  }
  console.log(`workgroup ${workgroupSize}, ${blocksPerInvocation} blocks/invocation: ${out.join(', ')} M/s`);
  buffer.destroy();
  ctx.destroy();
}
process.exit(0);
