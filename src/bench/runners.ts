// One small runner per kind of bench case (cases.ts's CaseKind): how it measures one row. Size cases run at every
// size of the run; the others once per run, where `when` allows, at the point (size label, elements, bytes) they
// name themselves. A runner returns its row; runBench (./run.ts) catches what it throws as an error row.

import { roundUp4 } from '../contract/align.js';
import type { Distribution } from '../contract/distributions.js';
import { bitsArray, DTYPE_BYTES } from '../contract/dtypes.js';
import { createJaxKey } from '../contract/jax-key.js';
import { planJaxRandom } from '../contract/jax-plan.js';
import { planGenerate, slicePlan } from '../contract/plan.js';
import type { WeightWriter } from '../gpu/batch.js';
import { BufferUsage } from '../gpu/flags.js';
import { computeOrthogonal } from '../gpu/orthogonal.js';
import { initModel } from '../output/init-model.js';
import { generate as cpuGenerate, generateJaxPlanned } from '../twin/generate.js';
import {
  type BenchCase,
  type CaseKind,
  GPT2_PARAMETERS,
  gpt2SmallTensors,
  LLAMA2_7B_PARAMETERS,
  llama2Bf16Tensors,
  ORTHOGONAL_SOFTWARE_MAX,
  parameterCount,
  SMALL_TENSORS,
  sizeLabel,
} from './cases.js';
import { type CaseResult, dtypeOf, skippedRow, stat, timed } from './report.js';
import type { BenchSession } from './session.js';
import { now } from './session.js';
import { prepareStore, STORE_VARIANT_ENTRY, storeParams, variantParams } from './store-kernels.js';

/** Where a row is measured: its size label, element count and bytes, and (size cases) the size's index in the run. */
export interface Point {
  readonly size: string;
  readonly elements: number;
  readonly bytes: number;
  readonly dtype: string;
  readonly index: number;
}

type KindOf<T extends CaseKind['type']> = Extract<CaseKind, { type: T }>;

export interface CaseRunner<K extends CaseKind> {
  /** 'size': at every size of the run; 'once': once per run. */
  readonly per: 'size' | 'once';
  /** Once-cases: run (true), leave out silently (false), or a skipped row with this reason. */
  readonly when?: (s: BenchSession, c: BenchCase) => boolean | string;
  /** Once-cases: the point of their row. */
  readonly point?: (k: K, c: BenchCase) => Omit<Point, 'index'>;
  /** A row (measured or skipped); throws when the case failed. */
  run(s: BenchSession, c: BenchCase, k: K, at: Point): Promise<CaseResult>;
}

/** Size cases that skip sizes above a config bound: the skipped row, or undefined to run. */
function above(c: BenchCase, at: Point, bound: number, name: string): CaseResult | undefined {
  return at.elements > bound ? skippedRow(c, at.size, at.elements, `above ${name} (${sizeLabel(bound)})`) : undefined;
}

/** The TF.js peer's tensor shape for n elements. */
function tfShape(n: number): number[] {
  return n % 1024 === 0 ? [n / 1024, 1024] : [n];
}

/** Runs `body` with a new buffer of `size` bytes, destroyed after. */
async function withBuffer<T>(s: BenchSession, c: BenchCase, size: number, usage: number, body: (buffer: GPUBuffer) => Promise<T>): Promise<T> {
  const buffer = await s.allocate({ label: `bench: ${c.id}`, size, usage });
  try {
    return await body(buffer);
  } finally {
    buffer.destroy();
  }
}

const withModel = (s: BenchSession) => s.config.model;

export const RUNNERS: { readonly [T in CaseKind['type']]: CaseRunner<KindOf<T>> } = {
  store: {
    per: 'size',
    run: (s, c, k, at) =>
      withBuffer(s, c, roundUp4(at.elements * k.elementBytes), BufferUsage.STORAGE, async (buffer) => {
        const kernel = { entryPoint: 'store', out: 'out', constants: { ELEMENT_BYTES: k.elementBytes } };
        const run = await prepareStore(s.ctx, s.handle, s.store!, kernel, buffer, at.elements, k.elementBytes, (chunk) => storeParams(chunk, k.elementBytes));
        return timed(c, at.size, at.elements, dtypeOf(c), await s.sampleGpu(run), true);
      }),
  },

  generate: {
    per: 'size',
    run: async (s, c, k, at) => {
      const n = at.elements;
      const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
      const gen = await s.generator(k);
      return withBuffer(s, c, roundUp4(n * DTYPE_BYTES[k.dtype]), usage, async (buffer) => {
        const options = { seed: s.config.seed, stream: s.streamOf(c), count: n, dist: k.dist, dtype: k.dtype, buffer };
        const samples = await s.sampleGpu((reps) =>
          gen.batch(async (b) => {
            for (let r = 0; r < reps; r++) await b.generate(options);
          }),
        );
        const verified = await s.verify(c, at.size, at.index, n, k.dist, k.dtype, buffer);
        const extra =
          k.workgroupSize === undefined ? undefined : { workgroupSize: gen.limits.workgroupSize, blocksPerInvocation: gen.limits.blocksPerInvocation ?? 1 };
        const row = timed(c, at.size, n, k.dtype, samples, true, extra);
        return verified === undefined ? row : { ...row, verified };
      });
    },
  },

  jax: {
    per: 'size',
    run: async (s, c, k, at) => {
      const n = at.elements;
      const eb = DTYPE_BYTES[k.dtype];
      const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
      const plan = planJaxRandom({
        key: createJaxKey(s.config.seed, k.impl),
        shape: [n],
        dist: k.dist,
        dtype: k.dtype,
        ...(k.dist === 'truncatedNormal' ? { lower: -2, upper: 2 } : {}),
      });
      const gen = s.contexts.kernel;
      return withBuffer(s, c, roundUp4(n * eb), usage, async (buffer) => {
        const samples = await s.sampleGpu((reps) =>
          gen.batch(async (b) => {
            for (let r = 0; r < reps; r++) await b.generateJaxPlanned(plan, { buffer });
          }),
        );
        let verified: boolean | undefined;
        if (s.config.verify) {
          // The first and last verifyCount elements against the CPU twin.
          const m = Math.min(s.config.verifyCount, n);
          verified = true;
          for (const start of n > m ? [0, n - m] : [0]) {
            const gpu = await gen.read(buffer, { offset: start * eb, count: m, dtype: k.dtype });
            const cpu = generateJaxPlanned(slicePlan(plan, start, m));
            const a = new Uint16Array(gpu.buffer, gpu.byteOffset, gpu.byteLength / 2);
            const b = new Uint16Array(cpu.buffer, cpu.byteOffset, cpu.byteLength / 2);
            verified &&= a.length === b.length && a.every((v, i) => v === b[i]);
          }
        }
        const row = timed(c, at.size, n, k.dtype, samples, true, { impl: k.impl });
        return verified === undefined ? row : { ...row, verified };
      });
    },
  },

  'store-variant': {
    per: 'size',
    run: async (s, c, k, at) => {
      const n = at.elements;
      if (k.store === 'vec4' && n % 4 !== 0) return skippedRow(c, at.size, n, 'vec4 stores need a multiple of 4 elements');
      return withBuffer(s, c, 4 * n, BufferUsage.STORAGE | BufferUsage.COPY_SRC, async (buffer) => {
        const kernel = { ...STORE_VARIANT_ENTRY[k.store], constants: { DIST: k.dist.kind === 'uniform' ? 0 : 1 } };
        const run = await prepareStore(s.ctx, s.handle, s.variants!, kernel, buffer, n, 4, variantParams(s.config.seed, s.streamOf(c)));
        const samples = await s.sampleGpu(run);
        const verified = await s.verify(c, at.size, at.index, n, k.dist, 'f32', buffer);
        const row = timed(c, at.size, n, 'f32', samples, true, { store: k.store });
        return verified === undefined ? row : { ...row, verified };
      });
    },
  },

  'cpu-twin': {
    per: 'size',
    run: async (s, c, k, at) => {
      const skipped = above(c, at, s.config.cpuMaxElements, 'cpuMaxElements');
      if (skipped) return skipped;
      const samples = await s.sampleWall((warmup) => {
        const count = warmup ? Math.min(at.elements, 1 << 20) : at.elements;
        const t = now();
        cpuGenerate({ seed: s.config.seed, stream: s.streamOf(c), count, dist: k.dist, dtype: k.dtype });
        return now() - t;
      });
      return timed(c, at.size, at.elements, k.dtype, samples, false);
    },
  },

  'cpu-simd': {
    per: 'size',
    run: async (s, c, k, at) => {
      const skipped = above(c, at, s.config.cpuMaxElements, 'cpuMaxElements');
      if (skipped) return skipped;
      const n = at.elements;
      // The output array is allocated once: a fresh one costs its first-touch page faults, which on some systems
      // take longer than generating the values.
      const out = bitsArray(k.dtype, n);
      const job = planGenerate({ seed: s.config.seed, stream: s.streamOf(c), count: n, dist: k.dist, dtype: k.dtype });
      const samples = await s.sampleWall(() => {
        const t = now();
        s.simd!.run(job, out);
        return now() - t;
      });
      return timed(c, at.size, n, k.dtype, samples, false);
    },
  },

  upload: {
    per: 'size',
    run: async (s, c, _k, at) => {
      const skipped = above(c, at, s.config.peerMaxElements, 'peerMaxElements');
      if (skipped) return skipped;
      const n = at.elements;
      return withBuffer(s, c, 4 * n, BufferUsage.STORAGE | BufferUsage.COPY_DST, async (buffer) => {
        const host = new Float32Array(n);
        const fills: number[] = [];
        const uploads: number[] = [];
        const samples = await s.sampleWall(async (warmup) => {
          const t = now();
          // A trivial pattern: the cheapest host fill there is (a real one would be the CPU twin).
          for (let i = 0; i < n; i++) host[i] = i * 1e-7;
          const fill = now() - t;
          const m = await s.timer.measure(() => s.device.queue.writeBuffer(buffer, 0, host));
          if (!warmup) {
            fills.push(fill);
            uploads.push(m.wallMs);
          }
          return fill + m.wallMs;
        });
        const uploadMs = stat(uploads).median;
        return timed(c, at.size, n, 'f32', samples, false, { fillMs: stat(fills).median, uploadMs, uploadGBps: (4 * n) / uploadMs / 1e6 });
      });
    },
  },

  tfjs: {
    per: 'size',
    run: async (s, c, k, at) => {
      const tf = s.env.tf;
      if (!tf) return skippedRow(c, at.size, at.elements, `no TF.js peer: ${s.env.tfUnavailable ?? 'not given'}`);
      if (k.init === 'glorotNormal' && !tf.layers) return skippedRow(c, at.size, at.elements, 'no @tensorflow/tfjs-layers');
      const skipped = above(c, at, s.config.peerMaxElements, 'peerMaxElements');
      if (skipped) return skipped;
      const samples = await s.sampleWall(async () => {
        const m = await s.timer.measure(() => tf.create(k.init, tfShape(at.elements), s.config.seed));
        m.result.dispose();
        return m.wallMs;
      });
      return timed(c, at.size, at.elements, 'f32', samples, false);
    },
  },

  // Many small tensors: per-tensor cost of one generate call, one submission each or in one batch.
  'small-tensors': {
    per: 'once',
    when: withModel,
    point: () => ({
      size: `${SMALL_TENSORS.count}×${SMALL_TENSORS.elements}`,
      elements: SMALL_TENSORS.count * SMALL_TENSORS.elements,
      bytes: 4 * SMALL_TENSORS.count * SMALL_TENSORS.elements,
      dtype: 'f32',
    }),
    run: (s, c, k, at) => {
      const { count, elements } = SMALL_TENSORS;
      const gen = s.contexts[k.strategy];
      return withBuffer(s, c, at.bytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, async (buffer) => {
        const dist: Distribution = { kind: 'normal', mean: 0, std: 0.02 };
        // Batched: every call into the one batch the body is handed; else each call is its own submission.
        const body = async (writer: WeightWriter) => {
          for (let i = 0; i < count; i++) await writer.generate({ seed: s.config.seed, stream: i, count: elements, dist, buffer, offset: 4 * elements * i });
        };
        const samples = await s.sampleWall(async () => (await s.timer.measure(() => (k.batched ? gen.batch(body) : body(gen)))).wallMs);
        const row = timed(c, at.size, at.elements, 'f32', samples, false);
        return { ...row, extra: { tensors: count, usPerTensor: (row.wallMs!.median * 1000) / count } };
      });
    },
  },

  // Orthogonal n x n: computeOrthogonal to Q in a new buffer (call → onSubmittedWorkDone), default strategy.
  orthogonal: {
    per: 'once',
    when: withModel,
    point: (k) => ({ size: `${k.n}²`, elements: k.n * k.n, bytes: 4 * k.n * k.n, dtype: 'f32' }),
    run: async (s, c, k, at) => {
      if (s.software && k.n > ORTHOGONAL_SOFTWARE_MAX && !s.config.cases?.includes(c.id)) {
        return skippedRow(
          c,
          at.size,
          at.elements,
          `software adapter: up to ${ORTHOGONAL_SOFTWARE_MAX}² unless asked for by id (bench/orthogonal.ts runs every size next to PyTorch CPU)`,
        );
      }
      const writer = s.contexts[s.ctx.strategy];
      const samples = await s.sampleWall(async () => {
        const m = await s.timer.measure(() => computeOrthogonal(writer, { seed: s.config.seed, stream: s.streamOf(c), rows: k.n, cols: k.n }));
        m.result.destroy();
        return m.wallMs;
      }, s.config.modelRepeat ?? s.config.repeat);
      return timed(c, at.size, at.elements, 'f32', samples, false, { strategy: writer.strategy });
    },
  },

  // Llama-2-7B in bf16, one buffer per tensor: time to weights on the adapter's default strategy.
  'model-llama': {
    per: 'once',
    when: (s, c) => s.config.llama || (s.config.cases?.includes(c.id) ? 'config.llama is off (--llama turns it on; it needs 13.5 GB of GPU memory)' : false),
    point: () => ({ size: 'model', elements: LLAMA2_7B_PARAMETERS, bytes: 2 * LLAMA2_7B_PARAMETERS, dtype: 'bf16' }),
    run: async (s, c, _k, at) => {
      const tensors = llama2Bf16Tensors();
      const params = parameterCount(tensors);
      if (params !== LLAMA2_7B_PARAMETERS) throw new Error(`Llama-2-7B tensor list has ${params} parameters, expected ${LLAMA2_7B_PARAMETERS}`);
      const model = s.contexts[s.ctx.strategy];
      const samples = await s.sampleWall(async () => {
        const m = await s.timer.measure(() => initModel(model, tensors, { seed: s.config.seed }));
        m.result.destroy();
        return m.wallMs;
      }, s.config.modelRepeat ?? s.config.repeat);
      const row = timed(c, at.size, params, 'bf16', samples, false, { tensors: tensors.length, strategy: model.strategy });
      return { ...row, extra: { ...row.extra, paramsPerSecond: row.elementsPerSecond! } };
    },
  },

  // GPT-2 small: time to weights (call → onSubmittedWorkDone), ours and TF.js's.
  'model-ours': {
    per: 'once',
    when: withModel,
    point: () => ({ size: 'model', elements: GPT2_PARAMETERS, bytes: 4 * GPT2_PARAMETERS, dtype: 'f32' }),
    run: async (s, c, k, at) => {
      const tensors = gpt2Tensors();
      const model = k.strategy === 'auto' ? s.contexts[s.ctx.strategy] : s.contexts[k.strategy];
      const gpu: number[] = [];
      const samples = await s.sampleWall(async (warmup) => {
        const m = await s.timer.measure(() => initModel(model, tensors, { seed: s.config.seed }));
        m.result.destroy();
        if (!warmup && m.gpuMs !== undefined) gpu.push(m.gpuMs);
        return m.wallMs;
      }, s.config.modelRepeat ?? s.config.repeat);
      const row = timed(c, at.size, at.elements, 'f32', samples, false, { tensors: tensors.length, strategy: model.strategy });
      return { ...row, ...(gpu.length === samples.wall.length ? { gpuMs: stat(gpu) } : {}), extra: { ...row.extra, paramsPerSecond: row.elementsPerSecond! } };
    },
  },

  'model-tfjs': {
    per: 'once',
    when: withModel,
    point: () => ({ size: 'model', elements: GPT2_PARAMETERS, bytes: 4 * GPT2_PARAMETERS, dtype: 'f32' }),
    run: async (s, c, _k, at) => {
      const tf = s.env.tf;
      if (!tf) return skippedRow(c, at.size, at.elements, `no TF.js peer: ${s.env.tfUnavailable ?? 'not given'}`);
      const tensors = gpt2Tensors();
      const samples = await s.sampleWall(async () => {
        const m = await s.timer.measure(() => tf.createModel(tensors, s.config.seed));
        m.result.dispose();
        return m.wallMs;
      }, s.config.modelRepeat ?? s.config.repeat);
      const row = timed(c, at.size, at.elements, 'f32', samples, false, { tensors: tensors.length });
      return { ...row, extra: { ...row.extra, paramsPerSecond: row.elementsPerSecond! } };
    },
  },
};

/** GPT-2 small's tensors, checked against its published parameter count. */
function gpt2Tensors() {
  const tensors = gpt2SmallTensors('f32');
  const params = parameterCount(tensors);
  if (params !== GPT2_PARAMETERS) throw new Error(`GPT-2 tensor list has ${params} parameters, expected ${GPT2_PARAMETERS}`);
  return tensors;
}

/** The runner of a case, typed by its kind. */
export function runnerOf<K extends CaseKind>(k: K): CaseRunner<K> {
  return RUNNERS[k.type] as unknown as CaseRunner<K>;
}
