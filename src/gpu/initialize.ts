// One call from an initializer spec and a shape to values in a GPU buffer, with the context's executor.
// CPU twin: src/twin/initialize.ts.
import { planInitialize, type InitializeOptions, type InitializePlan } from '../init/plan-initialize.js';
import type { WeightWriter } from './batch.js';
import type { InitializedRange, TargetOptions } from './target.js';

export type { InitializedRange } from './target.js';

/**
 * Writes the slice [start, start + count) of the initialized tensor into `buffer` at `offset` (or into a
 * new buffer). Every kind runs on the device: distributions and constants in one pass, eye and dirac as a
 * fill and a strided scatter, orthogonal as a QR of a Gaussian matrix followed by a scaled copy. `ctx` is
 * a context (the call is one submission) or a caller's batch (the call is recorded into it).
 */
export function initialize(ctx: WeightWriter, options: InitializeOptions & TargetOptions): Promise<InitializedRange> {
  try {
    return ctx.initializePlanned(planInitialize(options), options);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Executes an initialize plan into the target (CPU twin: initializePlanned in src/twin/initialize.ts).
 * The same as `ctx.initializePlanned(plan, target)`.
 */
export function writeInitializePlan(ctx: WeightWriter, plan: InitializePlan, target: TargetOptions): Promise<InitializedRange> {
  return ctx.initializePlanned(plan, target);
}
