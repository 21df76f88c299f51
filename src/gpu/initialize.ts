// One call from an initializer spec and a shape to values in a GPU buffer. CPU twin: src/init/plan-initialize.ts.
import { planInitialize, structuredOnes, type InitializeOptions } from '../init/plan-initialize.js';
import type { ResolvedInitializer } from '../init/resolve-initializer.js';
import type { GeneratedRange, TargetOptions, WeightInitContext } from './context.js';
import { computeOrthogonal } from './orthogonal.js';

export interface InitializedRange extends GeneratedRange {
  /** What the initializer resolved to for this shape (distribution and parameters, fans, expected std). */
  readonly resolved: ResolvedInitializer;
}

/**
 * Writes the slice [start, start + count) of the initialized tensor into `buffer` at `offset` (or into a
 * new buffer). Every kind runs on the GPU: distributions and constants in one pass, eye and dirac as a
 * fill and a strided scatter, orthogonal as a QR of a Gaussian matrix followed by a scaled copy.
 */
export async function initialize(ctx: WeightInitContext, options: InitializeOptions & TargetOptions): Promise<InitializedRange> {
  const plan = planInitialize(options);
  const { resolved: r, start, count, dtype } = plan;
  const stream = options.stream ?? 0;
  switch (r.kind) {
    case 'distribution':
      return { ...(await ctx.generate({ ...options, stream, start, count, dist: r.dist, dtype })), resolved: r };
    case 'constant':
      return { ...(await ctx.fillConstant({ ...options, count, dtype, value: r.value })), resolved: r };
    case 'eye':
    case 'dirac': {
      const filled = await ctx.fillConstant({ ...options, count, dtype, value: 0 });
      const value = r.kind === 'eye' ? r.value : 1;
      try {
        for (const p of structuredOnes(plan)) {
          await ctx.scatterConstant({ buffer: filled.buffer, offset: filled.offset, count, dtype, value, ...p });
        }
      } catch (e) {
        if (!options.buffer) filled.buffer.destroy();
        throw e;
      }
      return { ...filled, resolved: r };
    }
    case 'orthogonal': {
      const q = await computeOrthogonal(ctx, { seed: options.seed, stream, rows: r.rows, cols: r.cols });
      try {
        const out = await ctx.convertF32({ ...options, source: q, sourceOffset: 4 * start, count, dtype, scale: r.gain });
        // Inside ctx.batch() the copy is only recorded: submit it while q still exists.
        await ctx.flush();
        return { ...out, resolved: r };
      } finally {
        q.destroy();
      }
    }
  }
}
