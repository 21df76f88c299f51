// Parts of a checkpoint: the split of the weight files (whole, in order, balanced by bytes) as a pure function of the
// plan and N, `K/N` parsing, and the job runners' variables read by `--part auto`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/errors.js';
import { MAX_PARTS, parsePart, partFromEnvironment, planParts } from '../../src/models/checkpoint-parts.js';
import { type CheckpointEntry, planCheckpoint } from '../../src/models/checkpoint-plan.js';
import { llama } from '../../src/models/presets.js';
import { resolveModel } from '../../src/models/spec.js';

const t = (name: string, numel: number): CheckpointEntry => ({ name, shape: [numel], dtype: 'bf16' });

describe('planParts', () => {
  it('every file in exactly one part, parts in file order, each part within total/N + one file of the mean', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 40 }),
        (sizes, limit, n) => {
          const plan = planCheckpoint(
            sizes.map((s, i) => t(`t${i}`, s)),
            limit,
          );
          const parts = planParts(plan, n);
          expect(parts).toHaveLength(n);
          expect(parts.flatMap((p) => p.files)).toEqual(plan.files);
          const total = plan.files.reduce((s, f) => s + f.dataBytes, 0);
          const largest = Math.max(...plan.files.map((f) => f.dataBytes));
          for (const p of parts) {
            expect(p.dataBytes).toBe(p.files.reduce((s, f) => s + f.dataBytes, 0));
            expect(p.dataBytes).toBeLessThanOrEqual(total / n + largest);
          }
          // A pure function: the same plan and N give the same split.
          expect(
            planParts(
              planCheckpoint(
                sizes.map((s, i) => t(`t${i}`, s)),
                limit,
              ),
              n,
            ),
          ).toEqual(parts);
        },
      ),
      { seed: 20, numRuns: 300 },
    );
  });

  it('equal shards split as evenly as whole shards allow; more parts than shards leaves parts empty', () => {
    const plan = planCheckpoint(
      Array.from({ length: 10 }, (_, i) => t(`t${i}`, 500)),
      1000,
    );
    expect(plan.files).toHaveLength(10);
    expect(planParts(plan, 4).map((p) => p.files.length)).toEqual([2, 3, 2, 3]);
    expect(planParts(plan, 3).map((p) => p.files.length)).toEqual([3, 4, 3]);
    expect(planParts(plan, 1)[0]!.files).toEqual(plan.files);
    const many = planParts(plan, 16);
    expect(many.filter((p) => p.files.length === 1)).toHaveLength(10);
    expect(many.filter((p) => p.files.length === 0)).toHaveLength(6);
  });

  it('Llama-2-7B bf16 in 5GB shards (3 files) over 2 parts: the midpoint of shard 2 is past half the bytes', () => {
    const plan = planCheckpoint(resolveModel(llama({}, { dtype: 'bf16' })), '5GB');
    const parts = planParts(plan, 2);
    expect(plan.files).toHaveLength(3);
    const [a, b] = plan.files.map((f) => f.dataBytes);
    expect(a! + b! / 2).toBeGreaterThan(plan.totalSize / 2);
    expect(parts.map((p) => p.files.map((f) => f.name))).toEqual([
      ['model-00001-of-00003.safetensors'],
      ['model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'],
    ]);
  });

  it('refuses a count outside [1, MAX_PARTS]', () => {
    const plan = planCheckpoint([t('a', 4)]);
    for (const n of [0, -1, 1.5, MAX_PARTS + 1, Number.NaN]) expect(() => planParts(plan, n)).toThrow(InvalidParameterError);
  });
});

describe('parsePart', () => {
  it.each([
    ['0/1', 0, 1],
    ['3/8', 3, 8],
    ['511/512', 511, 512],
    [`0/${MAX_PARTS}`, 0, MAX_PARTS],
  ])('%s', (text, index, count) => {
    expect(parsePart(text)).toEqual({ index, count });
  });

  it.each(['0/0', '3/2', '2/2', '-1/4', '1/1e30', `1/${MAX_PARTS + 1}`, 'text', '1/', '/4', '1.0/4', '0x1/4', '1/4/2', '', 'auto'])(
    '%j is an InvalidParameterError naming the accepted form',
    (bad) => {
      expect(() => parsePart(bad, '--part')).toThrow(InvalidParameterError);
      expect(() => parsePart(bad, '--part')).toThrow(/--part: got .*; expected K\/N with whole numbers 0 ≤ K < N ≤ 100000/);
    },
  );

  it('objects are checked the same way', () => {
    expect(parsePart({ index: 2, count: 3 })).toEqual({ index: 2, count: 3 });
    expect(() => parsePart({ index: 3, count: 3 })).toThrow(InvalidParameterError);
    expect(() => parsePart(null)).toThrow(InvalidParameterError);
  });
});

describe('partFromEnvironment (--part auto)', () => {
  it.each([
    [{ JOB_COMPLETION_INDEX: '3', WEBGPU_WEIGHT_INIT_PART_COUNT: '7' }, 3, 7, 'Kubernetes Indexed Job'],
    [{ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '2' }, 2, 3, 'Slurm job array'],
    // --array=1-7:2 → tasks 1, 3, 5, 7: task 5 is part 2 of 4
    [
      { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_STEP: '2' },
      2,
      4,
      'Slurm job array',
    ],
    [{ AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '2' }, 0, 2, 'AWS Batch array job'],
    [{ CLOUD_RUN_TASK_INDEX: '6', CLOUD_RUN_TASK_COUNT: '7' }, 6, 7, 'Cloud Run job'],
  ])('%j → part %d of %d (%s)', (env, index, count, runner) => {
    expect(partFromEnvironment(env)).toMatchObject({ index, count, runner });
  });

  it('no runner variable: the error names every variable it looks for', () => {
    const e = (() => {
      try {
        partFromEnvironment({ HOME: '/root' }, '--part');
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(InvalidParameterError);
    for (const v of ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'AWS_BATCH_JOB_ARRAY_INDEX', 'CLOUD_RUN_TASK_INDEX']) expect(e!.message).toContain(v);
  });

  it.each([
    [{ JOB_COMPLETION_INDEX: '3' }, /WEBGPU_WEIGHT_INIT_PART_COUNT set to a whole number/],
    [{ JOB_COMPLETION_INDEX: '3', WEBGPU_WEIGHT_INIT_PART_COUNT: '3' }, /K\/N with whole numbers/],
    [{ JOB_COMPLETION_INDEX: 'x', WEBGPU_WEIGHT_INIT_PART_COUNT: '3' }, /JOB_COMPLETION_INDEX set to a whole number/],
    [{ CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '1e3' }, /CLOUD_RUN_TASK_COUNT/],
    [
      { JOB_COMPLETION_INDEX: '0', WEBGPU_WEIGHT_INIT_PART_COUNT: '2', SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' },
      /JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID/,
    ],
    // --array=1,2,9: a list, not a range
    [{ SLURM_ARRAY_TASK_ID: '9', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9' }, /range MIN-MAX\[:STEP\]/],
  ])('%j is refused: %s', (env, message) => {
    expect(() => partFromEnvironment(env)).toThrow(message);
  });
});
