// Parts of one checkpoint for N independent workers: which weight files part K of N writes, a pure function of the
// checkpoint plan and N (the same on every machine), and which part this process is, from `K/N` or from the
// variables a job runner sets.
//
// Sources for the runners' variables:
// - Kubernetes, "Indexed Job for Parallel Processing with Static Work Assignment" (kubernetes.io/docs/tasks/job/
//   indexed-parallel-processing-static): the control plane sets JOB_COMPLETION_INDEX, 0 to .spec.completions - 1;
//   no variable holds the count. JobSpec.completionMode: with Indexed, .spec.parallelism ≤ 10^5.
// - Slurm, job_array.html and sbatch(1) OUTPUT ENVIRONMENT VARIABLES: SLURM_ARRAY_TASK_ID (the task's index),
//   SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX, SLURM_ARRAY_TASK_STEP; `--array=1-7:2`
//   gives 1, 3, 5, 7; a list such as `--array=1,2,9` has no step.
// - AWS Batch, "AWS Batch job environment variables" (docs.aws.amazon.com/batch/latest/userguide/job_env_vars.html):
//   AWS_BATCH_JOB_ARRAY_INDEX (from 0, child jobs only), AWS_BATCH_JOB_ARRAY_SIZE (the parent's size).
// - Cloud Run jobs, "Create jobs" (cloud.google.com/run/docs/create-jobs): CLOUD_RUN_TASK_INDEX (from 0) and
//   CLOUD_RUN_TASK_COUNT.
import { InvalidParameterError } from '../errors.js';
import type { CheckpointEntry, CheckpointFile, CheckpointPlan } from './checkpoint-plan.js';

/** Most parts a checkpoint can be split into (Kubernetes allows up to 10^5 parallel pods of an Indexed Job). */
export const MAX_PARTS = 100_000;

/** Part `index` (from 0) of `count`. */
export interface PartIndex {
  readonly index: number;
  readonly count: number;
}

/** One part: the weight files it writes (whole, in the plan's order) and their bytes of tensor data. */
export interface CheckpointPart<T extends CheckpointEntry = CheckpointEntry> {
  readonly index: number;
  readonly files: readonly CheckpointFile<T>[];
  readonly dataBytes: number;
}

const PART_ACCEPTED = `K/N with whole numbers 0 ≤ K < N ≤ ${MAX_PARTS} (part K of N, counted from 0 as JOB_COMPLETION_INDEX is)`;

function checkPart(parameter: string, value: unknown, index: unknown, count: unknown): PartIndex {
  if (
    typeof index !== 'number' ||
    typeof count !== 'number' ||
    !Number.isSafeInteger(index) ||
    !Number.isSafeInteger(count) ||
    count < 1 ||
    count > MAX_PARTS ||
    index < 0 ||
    index >= count
  ) {
    throw new InvalidParameterError(parameter, value, PART_ACCEPTED);
  }
  return Object.freeze({ index, count });
}

/** `{ index, count }` checked, or `'K/N'` parsed (decimal digits only: '3/8'). */
export function parsePart(value: unknown, parameter = 'part'): PartIndex {
  if (typeof value === 'string') {
    const m = /^(\d{1,15})\/(\d{1,15})$/.exec(value.trim());
    if (!m) throw new InvalidParameterError(parameter, value, PART_ACCEPTED);
    return checkPart(parameter, value, Number(m[1]), Number(m[2]));
  }
  if (value !== null && typeof value === 'object') {
    const v = value as { index?: unknown; count?: unknown };
    return checkPart(parameter, `${String(v.index)}/${String(v.count)}`, v.index, v.count);
  }
  throw new InvalidParameterError(parameter, value, PART_ACCEPTED);
}

/**
 * The variable that gives a Kubernetes Indexed Job's count (Kubernetes sets the index, JOB_COMPLETION_INDEX, but
 * no count): set it to the Job's `.spec.completions` in the pod template.
 */
export const PART_COUNT_VARIABLE = 'WEBGPU_WEIGHT_INIT_PART_COUNT';

/** The runners `--part auto` reads, in the order they are looked for. */
export const PART_RUNNERS = [
  { runner: 'Kubernetes Indexed Job', index: 'JOB_COMPLETION_INDEX', count: PART_COUNT_VARIABLE },
  { runner: 'Slurm job array', index: 'SLURM_ARRAY_TASK_ID', count: 'SLURM_ARRAY_TASK_COUNT' },
  { runner: 'AWS Batch array job', index: 'AWS_BATCH_JOB_ARRAY_INDEX', count: 'AWS_BATCH_JOB_ARRAY_SIZE' },
  { runner: 'Cloud Run job', index: 'CLOUD_RUN_TASK_INDEX', count: 'CLOUD_RUN_TASK_COUNT' },
] as const;

/** A part read from a runner's variables, and which runner it came from. */
export interface PartFromEnvironment extends PartIndex {
  readonly runner: (typeof PART_RUNNERS)[number]['runner'];
  /** `JOB_COMPLETION_INDEX=3 WEBGPU_WEIGHT_INIT_PART_COUNT=8`: what was read. */
  readonly from: string;
}

function wholeNumber(env: Readonly<Record<string, string | undefined>>, name: string, parameter: string): number {
  const text = env[name];
  if (text === undefined || !/^\d{1,15}$/.test(text.trim())) {
    throw new InvalidParameterError(parameter, text === undefined ? undefined : `${name}=${text}`, `${name} set to a whole number`);
  }
  return Number(text.trim());
}

/**
 * Which part this process is, from the variables of the job runner it runs under (`--part auto`): Kubernetes
 * (JOB_COMPLETION_INDEX with WEBGPU_WEIGHT_INIT_PART_COUNT), Slurm (SLURM_ARRAY_TASK_ID, _COUNT, _MIN, _MAX, _STEP:
 * the part is (ID − MIN) / STEP of COUNT, for an array given as a range MIN-MAX[:STEP]), AWS Batch
 * (AWS_BATCH_JOB_ARRAY_INDEX, _SIZE), Cloud Run (CLOUD_RUN_TASK_INDEX, _COUNT). None set, or two runners' index
 * variables at once, is an InvalidParameterError naming the variables.
 */
export function partFromEnvironment(env: Readonly<Record<string, string | undefined>>, parameter = 'part'): PartFromEnvironment {
  const present = PART_RUNNERS.filter((r) => env[r.index] !== undefined && env[r.index] !== '');
  if (present.length === 0) {
    throw new InvalidParameterError(
      parameter,
      'auto',
      `one of the job runners' index variables to be set: ${PART_RUNNERS.map((r) => `${r.index} (${r.runner})`).join(', ')}; or give K/N`,
    );
  }
  if (present.length > 1) {
    throw new InvalidParameterError(
      parameter,
      'auto',
      `the variables of one runner only (${present.map((r) => r.index).join(' and ')} are both set); give K/N`,
    );
  }
  const r = present[0]!;
  const id = wholeNumber(env, r.index, parameter);
  const count = wholeNumber(env, r.count, parameter);
  let index = id;
  let from = `${r.index}=${id} ${r.count}=${count}`;
  if (r.runner === 'Slurm job array') {
    const min = env['SLURM_ARRAY_TASK_MIN'] !== undefined ? wholeNumber(env, 'SLURM_ARRAY_TASK_MIN', parameter) : 0;
    const step = env['SLURM_ARRAY_TASK_STEP'] !== undefined ? wholeNumber(env, 'SLURM_ARRAY_TASK_STEP', parameter) : 1;
    const max = env['SLURM_ARRAY_TASK_MAX'] !== undefined ? wholeNumber(env, 'SLURM_ARRAY_TASK_MAX', parameter) : min + (count - 1) * step;
    if (step < 1 || (id - min) % step !== 0 || id < min || min + (count - 1) * step !== max) {
      throw new InvalidParameterError(
        parameter,
        `SLURM_ARRAY_TASK_ID=${id} MIN=${min} MAX=${max} STEP=${step} COUNT=${count}`,
        'a Slurm array given as a range MIN-MAX[:STEP] (e.g. --array=0-7), not a list',
      );
    }
    index = (id - min) / step;
    from = `SLURM_ARRAY_TASK_ID=${id} SLURM_ARRAY_TASK_MIN=${min} SLURM_ARRAY_TASK_STEP=${step} SLURM_ARRAY_TASK_COUNT=${count}`;
  }
  const part = checkPart(parameter, from, index, count);
  return Object.freeze({ ...part, runner: r.runner, from });
}

/**
 * Splits a checkpoint's weight files into `count` parts, balanced by bytes, files whole, each part a run of
 * consecutive files: file i goes to part ⌊(2·before_i + bytes_i) · count / (2 · total)⌋, where before_i is the bytes
 * of the files before it (the part whose share of the bytes holds the file's midpoint). So every part has at most
 * total/count plus one file's bytes, parts follow the files' order, and with more parts than files some parts are
 * empty. The index and config.json belong to no part (whichever part finds the last weight file in place writes them).
 */
export function planParts<T extends CheckpointEntry>(plan: CheckpointPlan<T>, count: number): readonly CheckpointPart<T>[] {
  const owner = partOfFiles(
    plan.files.map((f) => f.dataBytes),
    count,
  );
  const files: CheckpointFile<T>[][] = Array.from({ length: count }, () => []);
  for (const [i, f] of plan.files.entries()) files[owner[i]!]!.push(f);
  return files.map((fs, index) => Object.freeze({ index, files: fs, dataBytes: fs.reduce((s, f) => s + f.dataBytes, 0) }));
}

/** The part (of `count`) of each file, from the files' bytes of data in order: planParts' split. */
export function partOfFiles(dataBytes: readonly number[], count: number): number[] {
  const { count: n } = checkPart('count', count, 0, count);
  const total = dataBytes.reduce((s, b) => s + BigInt(b), 0n);
  let before = 0n;
  return dataBytes.map((b) => {
    const bytes = BigInt(b);
    const k = total === 0n ? 0 : Number(((2n * before + bytes) * BigInt(n)) / (2n * total));
    before += bytes;
    return Math.min(k, n - 1);
  });
}

/**
 * The `__metadata__` key under which each shard of a sharded checkpoint written by the CLI records the layout: the
 * shard size it was cut at and every file's bytes of data, so that any one shard tells `verify` what the folder
 * should hold and which part owns each file, before the index exists.
 */
export const CHECKPOINT_LAYOUT_KEY = 'webgpu-weight-init.checkpoint';

/** What CHECKPOINT_LAYOUT_KEY holds. */
export interface CheckpointLayout {
  readonly maxShardSize: number;
  /** Bytes of tensor data of each weight file, in order. */
  readonly files: readonly number[];
}

/** CHECKPOINT_LAYOUT_KEY's value for a plan: `{"max_shard_size":…,"files":[…]}`. */
export function encodeCheckpointLayout(plan: CheckpointPlan): string {
  return JSON.stringify({ max_shard_size: plan.maxShardSize, files: plan.files.map((f) => f.dataBytes) });
}

/** CHECKPOINT_LAYOUT_KEY's value read back, or null when it is not one. */
export function decodeCheckpointLayout(text: string | undefined): CheckpointLayout | null {
  if (text === undefined) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const o = v as { max_shard_size?: unknown; files?: unknown };
  const isSize = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (v === null || typeof v !== 'object' || !isSize(o.max_shard_size) || !Array.isArray(o.files) || !o.files.every(isSize)) return null;
  return { maxShardSize: o.max_shard_size, files: o.files as number[] };
}
