// One call from an initializer spec and a shape to values in a GPU buffer. CPU twin: src/twin/initialize.ts.
import { planInitialize, type InitializeOptions, type InitializePlan } from '../init/plan-initialize.js';
import type { ResolvedInitializer } from '../init/resolve-initializer.js';
import type { WeightWriter } from './batch.js';
import { checkTarget, type GeneratedRange, type TargetOptions } from './target.js';
import { computeOrthogonal } from './orthogonal.js';

export interface InitializedRange extends GeneratedRange {
  /** What the initializer resolved to for this shape (distribution and parameters, fans, expected std). */
  readonly resolved: ResolvedInitializer;
}

/**
 * Writes the slice [start, start + count) of the initialized tensor into `buffer` at `offset` (or into a
 * new buffer). Every kind runs on the GPU: distributions and constants in one pass, eye and dirac as a
 * fill and a strided scatter, orthogonal as a QR of a Gaussian matrix followed by a scaled copy. `ctx` is
 * a context (the call is one submission) or a caller's batch (the call is recorded into it).
 */
export function initialize(ctx: WeightWriter, options: InitializeOptions & TargetOptions): Promise<InitializedRange> {
  try {
    return writeInitializePlan(ctx, planInitialize(options), options);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Executes an initialize plan into the target (CPU twin: initializePlanned in src/twin/initialize.ts). */
export async function writeInitializePlan(ctx: WeightWriter, plan: InitializePlan, target: TargetOptions): Promise<InitializedRange> {
  const { resolved: r, start, count, dtype } = plan;
  switch (r.kind) {
    case 'distribution':
      return { ...(await ctx.generatePlanned(plan.generate!, target)), resolved: r };
    case 'constant':
      return { ...(await ctx.fillConstant({ ...target, count, dtype, value: r.value })), resolved: r };
    case 'eye':
    case 'dirac': {
      const value = r.kind === 'eye' ? r.value : 1;
      return ctx.batch(async (b) => {
        const filled = await b.fillConstant({ ...target, count, dtype, value: 0 });
        for (const p of plan.ones) {
          await b.scatterConstant({ buffer: filled.buffer, offset: filled.offset, count, dtype, value, ...p });
        }
        return { ...filled, resolved: r };
      });
    }
    case 'orthogonal': {
      // The target is checked before any GPU work (the QR included).
      checkTarget(target, count, dtype, 'orthogonal', ctx.device.limits.maxBufferSize);
      const q = await computeOrthogonal(ctx, { seed: plan.seed, stream: plan.stream, rows: r.rows, cols: r.cols });
      try {
        return await ctx.batch(async (b) => {
          const out = await b.convertF32({ ...target, source: q, sourceOffset: 4 * start, count, dtype, scale: r.gain });
          // The copy must reach the queue while q still exists.
          await b.flush();
          return { ...out, resolved: r };
        });
      } finally {
        q.destroy();
      }
    }
  }
}
