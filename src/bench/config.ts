// The bench's configuration: what runs, at which sizes, how many samples; defaults and checks.
import { CASES, DEFAULT_SIZES, MAX_BYTES_CAP, type SizeSpec } from './cases.js';

export interface BenchConfig {
  /** Element counts, or 'max'. */
  sizes: SizeSpec[];
  /** Timed samples per case and size; the median is reported with min and max (default 5). */
  repeat: number;
  /** Discarded runs before the samples (default 1; at least 1, it also calibrates `reps`). */
  warmup: number;
  /** GPU cases: generations per timed sample are chosen so that a sample lasts about this long (default 50 ms). */
  targetSampleMs: number;
  /** Most generations per timed sample (default 128). */
  maxReps: number;
  /** Only these case ids (default: all of CASES). */
  cases?: string[] | undefined;
  /** Seed of every generator (ours, the CPU twin, TF.js). */
  seed: number;
  /** The CPU twin runs only up to this many elements (default 16M: it does about 10-50 M/s in one thread). */
  cpuMaxElements: number;
  /** TF.js and the host upload run only up to this many elements (default 16M). */
  peerMaxElements: number;
  /** The cases run once rather than per size: GPT-2 small and the small-tensor cases (default true). */
  model: boolean;
  /** The Llama-2-7B bf16 case (default false: it needs 13.5 GB of GPU memory). */
  llama: boolean;
  /** Samples of the model cases (default: repeat). */
  modelRepeat?: number | undefined;
  /** Cap of 'max' in bytes of 4-byte elements (default 4 GiB). */
  maxBytes: number;
  /** Read back the first and last `verifyCount` elements of each of our cases and compare with the CPU twin. */
  verify: boolean;
  verifyCount: number;
  /** Use GPU timestamps when the device has 'timestamp-query' (default true). */
  timestamps: boolean;
}

export const DEFAULT_CONFIG: Readonly<BenchConfig> = {
  sizes: [...DEFAULT_SIZES],
  repeat: 5,
  warmup: 1,
  targetSampleMs: 50,
  maxReps: 128,
  seed: 42,
  cpuMaxElements: 16 << 20,
  peerMaxElements: 16 << 20,
  model: true,
  llama: false,
  maxBytes: MAX_BYTES_CAP,
  verify: true,
  verifyCount: 256,
  timestamps: true,
};

/** Fills in the defaults and checks the values. */
export function resolveConfig(partial: Partial<BenchConfig> = {}): BenchConfig {
  const c: BenchConfig = { ...DEFAULT_CONFIG, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) };
  const positiveInt = (name: keyof BenchConfig, v: unknown, min = 1) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new RangeError(`bench config ${name}: ${String(v)} is not an integer ≥ ${min}`);
  };
  positiveInt('repeat', c.repeat);
  positiveInt('warmup', c.warmup);
  positiveInt('maxReps', c.maxReps);
  positiveInt('cpuMaxElements', c.cpuMaxElements, 0);
  positiveInt('peerMaxElements', c.peerMaxElements, 0);
  positiveInt('maxBytes', c.maxBytes, 4096);
  positiveInt('verifyCount', c.verifyCount);
  positiveInt('seed', c.seed, 0);
  if (c.modelRepeat !== undefined) positiveInt('modelRepeat', c.modelRepeat);
  if (!(c.targetSampleMs > 0)) throw new RangeError(`bench config targetSampleMs: ${c.targetSampleMs} is not positive`);
  if (!Array.isArray(c.sizes) || c.sizes.length === 0) throw new RangeError('bench config sizes: at least one size');
  for (const s of c.sizes) if (s !== 'max') positiveInt('sizes', s);
  if (c.cases) {
    for (const id of c.cases)
      if (!CASES.some((k) => k.id === id)) throw new RangeError(`bench config cases: unknown case '${id}' (known: ${CASES.map((k) => k.id).join(', ')})`);
  }
  return c;
}
