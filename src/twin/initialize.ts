// CPU twin of src/gpu/initialize.ts: an initialize plan executed on the CPU with exactly the bits the GPU
// path writes; f16/bf16 come back as 16-bit patterns.

import { type JaxInitializeOptions, type JaxInitializePlan, planJaxInitializer } from '../init/jax-initializers.js';
import { type InitializeOptions, type InitializePlan, planInitialize } from '../init/plan-initialize.js';
import { allocate, convertF32, fillConstant, type GeneratedArray, generateJaxPlanned, generatePlanned, scatterConstant } from './generate.js';
import { orthogonalPlanned } from './orthogonal.js';

/** Initializes the slice of a tensor on the CPU (see InitializeOptions). */
export function initialize(options: InitializeOptions): GeneratedArray {
  return initializePlanned(planInitialize(options));
}

/** Executes an initialize plan on the CPU. */
export function initializePlanned(plan: InitializePlan): GeneratedArray {
  const { resolved: r, start, count, dtype } = plan;
  switch (r.kind) {
    case 'distribution':
      return generatePlanned(plan.generate!);
    case 'constant':
      return fillConstant(count, r.value, dtype);
    case 'eye':
    case 'dirac': {
      const out = fillConstant(count, 0, dtype);
      const value = r.kind === 'eye' ? r.value : 1;
      for (const p of plan.ones) scatterConstant(out, dtype, p.base, p.stride, p.n, value);
      return out;
    }
    case 'orthogonal': {
      const q = orthogonalPlanned(plan.orthogonal!);
      return convertF32(q.subarray(start, start + count), r.gain, dtype, allocate(dtype, count));
    }
  }
}

/**
 * `init(key, shape, dtype)` of a jax.nn.initializers initializer (or a slice of it) on the CPU, with jax 0.10.2's
 * bits; f16/bf16 come back as 16-bit patterns.
 */
export function initializeJax(options: JaxInitializeOptions): GeneratedArray {
  return initializeJaxPlanned(planJaxInitializer(options));
}

/** Executes a JAX initializer plan on the CPU. */
export function initializeJaxPlanned(plan: JaxInitializePlan): GeneratedArray {
  return plan.kind === 'sample' ? generateJaxPlanned(plan.plan) : fillConstant(plan.count, plan.value, plan.dtype);
}
