// One call from an initializer spec and a shape to values in a GPU buffer, with the context's executor.
// CPU twin: src/twin/initialize.ts.

import { type JaxInitializeOptions, type JaxInitializePlan, planJaxInitializer } from '../init/jax-initializers.js';
import { type InitializeOptions, type InitializePlan, planInitialize } from '../init/plan-initialize.js';
import type { WeightWriter } from './batch.js';
import type { GeneratedRange, InitializedRange, TargetOptions } from './target.js';

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

/**
 * Writes `init(key, shape, dtype)` of a jax.nn.initializers initializer (or the slice [start, start + count) of it)
 * into `buffer` at `offset` (or into a new buffer), with jax 0.10.2's bits. CPU twin: initializeJax in
 * src/twin/initialize.ts.
 */
export function initializeJax(ctx: WeightWriter, options: JaxInitializeOptions & TargetOptions): Promise<GeneratedRange> {
  try {
    return writeJaxInitializePlan(ctx, planJaxInitializer(options), options);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Executes a JAX initializer plan into the target. */
export function writeJaxInitializePlan(ctx: WeightWriter, plan: JaxInitializePlan, target: TargetOptions): Promise<GeneratedRange> {
  if (plan.kind === 'sample') return ctx.generateJaxPlanned(plan.plan, target);
  return ctx.fillConstant({ ...target, count: plan.count, dtype: plan.dtype, value: plan.value });
}
