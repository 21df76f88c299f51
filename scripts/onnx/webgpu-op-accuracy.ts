// Accuracy of ONNX Runtime Web's elementwise Sin, Cos and Sigmoid on its WebGPU execution provider (and, for
// comparison, its WASM one) in headless Chromium, against Math.sin / Math.cos / 1/(1+e^-x) in f64: one-node graphs on
// the f32 angles -12, -11.99, ..., 12 and a few larger ones. This is how the rotary Sin/Cos were found to be what kept
// the Llama graphs 1e-2 off PyTorch on SwiftShader (docs/engines.md).
//
//   npm run build && npx tsx scripts/onnx/webgpu-op-accuracy.ts
//
// Prints, per EP and operator, the largest absolute error over |x| ≤ π, π < |x| ≤ 2π, 2π < |x| ≤ 12 and |x| > 12.
import { OnnxGraph } from '../../src/output/onnx/graph.js';
import { startHarness } from '../../test/browser/engines/harness.js';

const OPS = { Sin: Math.sin, Cos: Math.cos, Sigmoid: (x: number) => 1 / (1 + Math.exp(-x)) } as const;
type Op = keyof typeof OPS;
const EPS = ['webgpu', 'wasm'] as const;

const g = new OnnxGraph();
const x = g.input({ name: 'x', type: 'float32', dims: ['n'] });
for (const op of Object.keys(OPS)) g.op(op, [x], {}, op);
for (const op of Object.keys(OPS)) g.output({ name: op, type: 'float32', dims: ['n'] });
const model = Array.from(g.encode({ opset: 17, graphName: 'elementwise accuracy', producerName: 'webgpu-weight-init' }));

const xs: number[] = [];
for (let i = -1200; i <= 1200; i++) xs.push(Math.fround(i / 100));
for (const v of [20, 50, 100, 1000, -1000]) xs.push(v);

const range = (v: number) =>
  Math.abs(v) <= Math.PI ? '|x| ≤ π' : Math.abs(v) <= 2 * Math.PI ? 'π < |x| ≤ 2π' : Math.abs(v) <= 12 ? '2π < |x| ≤ 12' : '|x| > 12';

const harness = await startHarness(new Map());
try {
  const { page } = await harness.open('/pages/onnx.html', 'zeroCopy');
  const adapter = await page.evaluate(async () => {
    const a = await navigator.gpu.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture} ${a.info.description}`.trim() : 'none';
  });
  const results = await page.evaluate(
    async (bytes: number[], inputs: number[], eps: readonly string[], ops: string[]) => {
      const ort = await import('/vendor/ort/ort.webgpu.mjs' as string);
      ort.env.wasm.wasmPaths = '/vendor/ort/';
      ort.env.wasm.numThreads = 1;
      const out: Record<string, Record<string, number[]>> = {};
      for (const ep of eps) {
        const session = await ort.InferenceSession.create(Uint8Array.from(bytes), { executionProviders: [ep] });
        const o = await session.run({ x: new ort.Tensor('float32', Float32Array.from(inputs), [inputs.length]) });
        out[ep] = Object.fromEntries(ops.map((op) => [op, Array.from(o[op].data as Float32Array)]));
        await session.release();
      }
      return out;
    },
    model,
    xs,
    EPS,
    Object.keys(OPS),
  );
  console.log(`adapter: ${adapter}; ${xs.length} inputs`);
  for (const ep of EPS) {
    for (const op of Object.keys(OPS) as Op[]) {
      const ys = results[ep]![op]!;
      const worst = new Map<string, number>();
      xs.forEach((v, i) => {
        const k = range(v);
        worst.set(k, Math.max(worst.get(k) ?? 0, Math.abs(ys[i]! - OPS[op](v))));
      });
      console.log(`${ep.padEnd(6)} ${op.padEnd(7)} ${[...worst].map(([k, e]) => `${k}: ${e.toExponential(2)}`).join(', ')}`);
    }
  }
} finally {
  await harness.close();
}
