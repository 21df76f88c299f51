// Issue 13's real-GPU targets (and issue 15's orthogonal one), evaluated from one device run: each a ratio of two rows measured in the same
// run (bench@1 rows, and the PyTorch peer's rows). A target that has no rows, or that ran on a software
// adapter (where the "GPU" is the CPU), is reported as unmeasured with the reason.
import type { CaseResult } from '../../src/bench/run.js';

export interface TargetResult {
  readonly id: string;
  readonly what: string;
  /** The measured value in the unit of `goal` (a ratio, or seconds). */
  readonly value?: number;
  readonly goal: string;
  /** Met on a real GPU; absent when unmeasured. */
  readonly met?: boolean;
  readonly unmeasured?: string;
}

/** A row of the PyTorch peer's report (scripts/device/pytorch_peer.py). */
export interface TorchRow {
  readonly case: string;
  readonly size: string;
  readonly ms?: { readonly median: number };
}

/** The largest size at which `id` was measured (sizes in run order, the last is the largest). */
function largest(rows: readonly CaseResult[], id: string): CaseResult | undefined {
  return rows.filter((r) => r.case === id && r.ms).at(-1);
}

/** What the targets read of the ttft part's report (bench/ttft-runner.ts), or why it has none. */
export interface TtftPartReport {
  readonly results?: readonly {
    readonly case: string;
    readonly route: string;
    readonly totalMs?: number;
    readonly weightReads?: number;
    readonly error?: string;
  }[];
  readonly skipped?: string;
}

export function evaluateTargets(
  rows: readonly CaseResult[],
  pytorch: Record<string, unknown>,
  softwareAdapter: boolean | undefined,
  ttft: TtftPartReport = { skipped: 'no ttft part ran' },
): TargetResult[] {
  const torchRows = Array.isArray(pytorch['results']) ? (pytorch['results'] as TorchRow[]) : [];
  const torchSkipped = typeof pytorch['skipped'] === 'string' ? `PyTorch peer skipped: ${pytorch['skipped']}` : 'no PyTorch row';
  const notReal =
    softwareAdapter === false ? undefined : softwareAdapter ? 'software adapter (the "GPU" runs on the CPU): says nothing about GPU speed' : 'no adapter';
  const target = (id: string, what: string, goal: string, value: number | undefined, met: (v: number) => boolean, missing: string): TargetResult => {
    if (value === undefined || !Number.isFinite(value)) return { id, what, goal, unmeasured: missing };
    if (notReal) return { id, what, goal, value, unmeasured: notReal };
    return { id, what, goal, value, met: met(value) };
  };
  const fraction = (id: string) => largest(rows, id)?.fractionOfStore;
  const gpt2 = rows.find((r) => r.case === 'gpt2-ours' && r.wallMs);
  const torchGpt2 = torchRows.find((r) => r.case === 'torch-gpt2' && r.ms);
  const llama = rows.find((r) => r.case === 'llama2-7b-bf16' && r.wallMs);
  const orthogonal = rows.find((r) => r.case === 'orthogonal-4096' && r.wallMs);
  // Issue 22: Llama-2-7B shapes in f16 reach a first token in ORT Web with zero host copies of a weight.
  const llamaTtft = (ttft.results ?? []).filter((r) => r.case === 'llama-2-7b-f16' && r.route === 'zero-copy');
  const ttftOk = llamaTtft.filter((r) => r.totalMs !== undefined && !r.error);
  const ttftSeconds = ttftOk.length ? [...ttftOk.map((r) => r.totalMs!)].sort((a, b) => a - b)[(ttftOk.length - 1) >> 1]! / 1000 : undefined;
  const ttftMissing =
    ttft.skipped ??
    (llamaTtft.find((r) => r.error)?.error
      ? `llama-2-7b-f16 zero-copy failed: ${llamaTtft.find((r) => r.error)!.error}`
      : 'no llama-2-7b-f16 zero-copy row (the ttft part runs tiny cases in --quick)');
  const weightReads = llamaTtft.reduce((n, r) => n + (r.weightReads ?? 0), 0);
  return [
    target(
      'uniform-f32-vs-store',
      'uniform f32 / store kernel bandwidth, largest size',
      '>= 0.85',
      fraction('uniform-f32'),
      (v) => v >= 0.85,
      'no uniform-f32 or store-32 row',
    ),
    target(
      'normal-f32-vs-store',
      'normal f32 / store kernel bandwidth, largest size',
      '>= 0.7',
      fraction('normal-f32'),
      (v) => v >= 0.7,
      'no normal-f32 or store-32 row',
    ),
    target(
      'normal-bf16-vs-store16',
      'normal bf16 / 16-bit store kernel bandwidth, largest size',
      '>= 0.7',
      fraction('normal-bf16'),
      (v) => v >= 0.7,
      'no normal-bf16 or store-16 row',
    ),
    target(
      'gpt2-vs-tfjs',
      'GPT-2 small time to weights: TF.js time / ours',
      '>= 50',
      gpt2?.speedupVsTfjs,
      (v) => v >= 50,
      'no gpt2-ours and gpt2-tfjs rows (the model cases are off in --quick)',
    ),
    target(
      'gpt2-vs-pytorch',
      'GPT-2 small time to weights: ours / PyTorch CUDA (HF recipe)',
      '<= 2',
      gpt2?.wallMs && torchGpt2?.ms ? gpt2.wallMs.median / torchGpt2.ms.median : undefined,
      (v) => v <= 2,
      gpt2 ? torchSkipped : 'no gpt2-ours row (the model cases are off in --quick)',
    ),
    target(
      'orthogonal-4096-seconds',
      'orthogonal 4096 x 4096 (computeOrthogonal, default strategy), time to Q in seconds',
      '< 0.05',
      orthogonal?.wallMs ? orthogonal.wallMs.median / 1000 : undefined,
      (v) => v < 0.05,
      'no orthogonal-4096 row (a model case: off in --quick)',
    ),
    target(
      'llama2-7b-bf16-seconds',
      'Llama-2-7B bf16, per-tensor buffers, time to weights in seconds',
      '< 1',
      llama?.wallMs ? llama.wallMs.median / 1000 : undefined,
      (v) => v < 1,
      'no llama2-7b-bf16 row (off in --quick; needs 13.5 GB of GPU memory)',
    ),
    target(
      'llama2-7b-f16-first-token-zero-copy-seconds',
      'Llama-2-7B shapes in f16: initModel + ORT Web session (native WebGPU EP, weights as GPU-buffer inputs) + first token, in seconds, with zero weight bytes read back',
      'a first token, 0 weight reads (time reported)',
      ttftSeconds,
      () => weightReads === 0,
      ttftMissing,
    ),
  ];
}
