// The bench's rows and report: what one case measured at one size, the derived comparisons, and the JSON report.
import type { Distribution } from '../contract/distributions.js';
import type { DType } from '../contract/dtypes.js';
import { type BenchCase, CASES, type CaseGroup } from './cases.js';
import type { BenchConfig } from './config.js';
import type { adapterInfoObject } from './device.js';

export const REPORT_SCHEMA = 'webgpu-weight-init/bench@1';

export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export type Timing = 'gpu-timestamp' | 'wall';

export interface CaseResult {
  readonly case: string;
  readonly label: string;
  readonly group: CaseGroup;
  /** '1M', '16M', 'max (256M)', 'model'. */
  readonly size: string;
  readonly elements: number;
  /** Bytes written to GPU memory by one run. */
  readonly bytes: number;
  readonly dtype: string;
  /** What `ms` is: summed GPU timestamps of the submissions, or wall time to onSubmittedWorkDone. */
  readonly timing?: Timing;
  /** Runs (generations) per timed sample; times are per run. */
  readonly reps?: number;
  readonly samples?: number;
  /** Per run, in the `timing` above: median, min, max over the samples. */
  readonly ms?: Stat;
  /** Per run, wall clock (for ours: call → onSubmittedWorkDone, divided by reps). */
  readonly wallMs?: Stat;
  /** Per run, GPU timestamps (where available). */
  readonly gpuMs?: Stat;
  readonly elementsPerSecond?: number;
  readonly gigabytesPerSecond?: number;
  /** Store kernel time / this case's time at the same size and bytes per element (same timing kind). */
  readonly fractionOfStore?: number;
  /** Ours: TF.js wall time / ours wall time, for the same job. */
  readonly speedupVsTfjs?: number;
  /** Peers: this peer's wall time / ours wall time for the same job (how many times faster ours is). */
  readonly oursSpeedup?: number;
  /** Ours: the read-back sample equals the CPU twin bit for bit. */
  readonly verified?: boolean;
  readonly extra?: Readonly<Record<string, number | string>>;
  readonly skipped?: string;
  readonly error?: string;
}

/** Elements read back from one of our cases next to the CPU twin's, as u32 words or 16-bit patterns. */
export interface SampleCheck {
  readonly case: string;
  readonly size: string;
  readonly seed: number;
  readonly stream: number;
  readonly dist: Distribution;
  readonly dtype: DType;
  readonly start: number;
  readonly count: number;
  readonly gpu: number[];
  readonly cpu: number[];
  readonly equal: boolean;
}

export interface BenchReport {
  readonly schema: string;
  readonly date: string;
  readonly runtime: BenchRuntime;
  readonly adapter: ReturnType<typeof adapterInfoObject>;
  readonly limits: Record<string, number>;
  readonly features: string[];
  readonly timing: Timing;
  readonly workgroupSize: number;
  /** Philox blocks per kernel invocation (grid-stride). */
  readonly blocksPerInvocation: number;
  readonly config: BenchConfig;
  readonly tfjs: { readonly version: string; readonly backend: string; readonly layers: boolean } | { readonly unavailable: string };
  readonly results: CaseResult[];
  /** Read-back samples of our cases at the first size (the test compares them with the CPU twin in Node). */
  readonly samples: SampleCheck[];
  readonly durationMs: number;
}

export interface BenchRuntime {
  readonly kind: 'node' | 'browser';
  /** Node's version, or the browser's user agent. */
  readonly version: string;
  readonly platform?: string;
  readonly [key: string]: unknown;
}

/** Per-run times of one case at one size: wall clock, and GPU timestamps where the device has them. */
export interface Samples {
  readonly reps: number;
  readonly wall: number[];
  readonly gpu: (number | undefined)[];
}

export function stat(values: readonly number[]): Stat {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

/** A measured row: the samples' statistics, rates and `extra` fields. */
export function timed(
  c: BenchCase,
  size: string,
  elements: number,
  dtype: string,
  s: Samples,
  preferGpu: boolean,
  extra?: Record<string, number | string>,
): CaseResult {
  const gpuValues = s.gpu.every((v): v is number => v !== undefined) ? (s.gpu as number[]) : undefined;
  const wallMs = stat(s.wall);
  const gpuMs = gpuValues ? stat(gpuValues) : undefined;
  const timing: Timing = preferGpu && gpuMs ? 'gpu-timestamp' : 'wall';
  const ms = timing === 'gpu-timestamp' ? gpuMs! : wallMs;
  const bytes = elements * c.elementBytes;
  const seconds = ms.median / 1000;
  return {
    case: c.id,
    label: c.label,
    group: c.group,
    size,
    elements,
    bytes,
    dtype,
    timing,
    reps: s.reps,
    samples: s.wall.length,
    ms,
    wallMs,
    ...(gpuMs ? { gpuMs } : {}),
    elementsPerSecond: elements / seconds,
    gigabytesPerSecond: bytes / seconds / 1e9,
    ...(extra ? { extra } : {}),
  };
}

export function skippedRow(c: BenchCase, size: string, elements: number, reason: string): CaseResult {
  return { case: c.id, label: c.label, group: c.group, size, elements, bytes: elements * c.elementBytes, dtype: dtypeOf(c), skipped: reason };
}

/** The row of a case that failed: what it was asked to do, and the error. */
export function errorRow(c: BenchCase, size: string, elements: number, bytes: number, dtype: string, e: unknown): CaseResult {
  return { case: c.id, label: c.label, group: c.group, size, elements, bytes, dtype, error: e instanceof Error ? e.message : String(e) };
}

export function dtypeOf(c: BenchCase): string {
  const k = c.kind;
  if (k.type === 'generate' || k.type === 'cpu-twin' || k.type === 'jax') return k.dtype;
  if (k.type === 'model-llama') return 'bf16';
  if (k.type === 'store') return k.elementBytes === 4 ? '32-bit' : '16-bit';
  return 'f32';
}

/** Fills `fractionOfStore`, `speedupVsTfjs` and `oursSpeedup` from the measured rows. */
export function deriveComparisons(rows: CaseResult[]): CaseResult[] {
  const find = (id: string, size: string) => rows.find((r) => r.case === id && r.size === size && r.ms);
  return rows.map((r) => {
    if (!r.ms || !r.wallMs) return r;
    const c = CASES.find((k) => k.id === r.case);
    if (!c) return r;
    const out: { -readonly [K in keyof CaseResult]: CaseResult[K] } = { ...r };
    if (c.group !== 'model' && c.group !== 'limit') {
      const store = find(c.elementBytes === 4 ? 'store-32' : 'store-16', r.size);
      if (store?.ms && store.wallMs) {
        const storeTime = r.timing === 'gpu-timestamp' && store.gpuMs ? store.gpuMs.median : store.wallMs.median;
        const mine = r.timing === 'gpu-timestamp' ? r.ms.median : r.wallMs.median;
        out.fractionOfStore = storeTime / mine;
      }
    }
    if (c.tfjsPeer) {
      const peer = find(c.tfjsPeer, r.size);
      if (peer?.wallMs) out.speedupVsTfjs = peer.wallMs.median / r.wallMs.median;
    }
    if (c.oursCase) {
      const ours = find(c.oursCase, r.size);
      if (ours?.wallMs) out.oursSpeedup = r.wallMs.median / ours.wallMs.median;
    }
    return out;
  });
}
