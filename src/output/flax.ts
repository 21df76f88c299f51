// model.init(jax.random.key(seed), x)['params'] of a Flax linen model (src/models/flax.ts), executed: on a GPU (one
// batch, one buffer per parameter) or on the CPU, with the bits flax 0.12 and jax 0.10.2 give on the CPU.
import type { FloatDType } from '../contract/dtypes.js';
import type { WeightWriter } from '../gpu/batch.js';
import { writeJaxInitializePlan } from '../gpu/initialize.js';
import type { GeneratedRange } from '../gpu/target.js';
import { type FlaxInitOptions, type FlaxPlannedParam, planFlaxInit } from '../models/flax.js';
import type { GeneratedArray } from '../twin/generate.js';
import { initializeJaxPlanned } from '../twin/initialize.js';

/** A Flax parameter written to the GPU. */
export interface InitializedFlaxParam {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
  readonly range: GeneratedRange;
}

/**
 * Writes every parameter of model.init(key, x) to a buffer of its own (labelled with its path), in one batch.
 * Returns them by path ('Dense_0/kernel'), in the order Flax creates them. A plan from planFlaxInit may be given
 * instead of the options.
 */
export function initFlax(ctx: WeightWriter, options: FlaxInitOptions | readonly FlaxPlannedParam[]): Promise<Map<string, InitializedFlaxParam>> {
  let params: readonly FlaxPlannedParam[];
  try {
    params = Array.isArray(options) ? options : planFlaxInit(options as FlaxInitOptions);
  } catch (e) {
    return Promise.reject(e);
  }
  return ctx.batch(async (b) => {
    const out = new Map<string, InitializedFlaxParam>();
    for (const p of params) {
      const range = await writeJaxInitializePlan(b, p.plan, { label: `flax: ${p.name}` });
      out.set(p.name, { name: p.name, shape: p.shape, dtype: p.dtype, range });
    }
    return out;
  });
}

/** model.init(key, x)['params'] on the CPU: every parameter's values by path (f16/bf16 as 16-bit patterns). */
export function initFlaxCpu(options: FlaxInitOptions | readonly FlaxPlannedParam[]): Map<string, GeneratedArray> {
  const params = Array.isArray(options) ? options : planFlaxInit(options as FlaxInitOptions);
  return new Map(params.map((p) => [p.name, initializeJaxPlanned(p.plan)]));
}
