// Per-call cost of many small tensors: 1000 normal tensors of 768 elements into one buffer, each strategy,
// one submission per call and inside ctx.batch(). Run after `npm run build`: node bench/small-tensors.mjs
// (median of 4 runs, wall time to onSubmittedWorkDone).
import { createNodeContext } from '../dist/node.js';
const N = 1000, n = 768;
for (const strategy of ['kernel', 'upload']) {
  const ctx = await createNodeContext({ strategy });
  const buf = ctx.device.createBuffer({ size: 4 * N * n, usage: 0x80 | 0x08 | 0x04 });
  for (const batched of [false, true]) {
    const ts = [];
    for (let rep = 0; rep < 4; rep++) {
      const t = performance.now();
      const body = async () => { for (let i = 0; i < N; i++) await ctx.generate({ seed: 1, stream: i, count: n, dist: { kind: 'normal', mean: 0, std: 0.02 }, buffer: buf, offset: 4 * n * i }); };
      if (batched) await ctx.batch(body); else await body();
      await ctx.device.queue.onSubmittedWorkDone();
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    console.log(strategy, batched ? 'batch()' : 'one submit each', (ts[1] / N * 1000).toFixed(0), 'us per tensor');
  }
  ctx.destroy();
}
process.exit(0);
