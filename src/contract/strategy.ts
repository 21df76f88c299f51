// How a context makes values: the strategies a caller may ask for, and what they resolve to. Named once here; the
// context, its executors, the CLI's option values and the bench use these.

/** What a caller may ask for (ContextOptions.strategy): 'auto' picks one of STRATEGIES for the adapter. */
export const STRATEGY_OPTIONS = ['auto', 'kernel', 'upload'] as const;
export type StrategyOption = (typeof STRATEGY_OPTIONS)[number];

/** How a context's generations run, 'auto' resolved: the WGSL kernels, or the SIMD CPU path and writeBuffer. */
export const STRATEGIES = ['kernel', 'upload'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** How an executor makes host bytes: a context's strategy, or 'host' (the SIMD CPU path with no device). */
export type ExecutorKind = Strategy | 'host';
