// docs/scale.md's three runner forms, run for real on this machine: the plain shell script as written, the
// Kubernetes Indexed Job's container command with JOB_COMPLETION_INDEX (the manifest first validated against the
// batch/v1 Job schema), and the Slurm array script with SLURM_ARRAY_TASK_* set: N local workers writing one folder,
// N ∈ {1, 2, 3, 7} for the Job, {2, 7} for Slurm and {1, 3} for the shell form. In every run one worker is SIGKILLed in the middle of a shard (stopped first, so the
// test knows its temporary file was still unfinished) and retried, as the runner would; the folder must then be
// byte for byte the one a single writer leaves (and the shell form's own `verify` must call it complete).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from 'kubernetes-models/batch/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BIN, type CliResult, collect, expectSameFolder, runCli } from '../helpers/cli.js';
import { fencedBlocks, ROOT } from '../helpers/snippets.js';

const blocks = fencedBlocks(readFileSync(join(ROOT, 'docs/scale.md'), 'utf8'));
const shellForm = blocks.find((b) => b.info === 'sh' && b.code.includes('--part "$K/$N"'))!.code;
const manifestText = blocks.find((b) => b.info === 'yaml')!.code;
const slurmScript = blocks.find((b) => b.info.startsWith('sh no-run: runs under sbatch'))!.code;
/** The shell form's model, and the shard size: the reference writer and the other runners use the same. */
const tinyConfig = /echo '(.*)' > tiny-llama\.json/.exec(shellForm)![1]!;
const SHARD = '100KB';

let dir: string;
let reference: string;
let config: string;
/** Every shard's final size (a temporary file smaller than this is unfinished). */
let finalSizes: Map<string, number>;
/** `npx` on PATH that runs this checkout's CLI (what `npx --yes webgpu-weight-init` runs once installed). */
let shimDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wwi-runners-'));
  config = join(dir, 'tiny-llama.json');
  writeFileSync(config, tinyConfig);
  reference = join(dir, 'reference');
  const r = await runCli(['init', '--config', config, '--dtype', 'bf16', '--seed', '42', '--out', `${reference}/`, '--max-shard-size', SHARD, '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  finalSizes = new Map(readdirSync(reference).map((f) => [f, statSync(join(reference, f)).size]));
  expect([...finalSizes.keys()].filter((f) => f.startsWith('model-')).length).toBeGreaterThanOrEqual(7);
  shimDir = join(dir, 'bin');
  mkdirSync(shimDir);
  writeFileSync(
    join(shimDir, 'npx'),
    `#!/bin/sh\n[ "$1" = "--yes" ] && shift\n[ "$1" = "webgpu-weight-init" ] || exit 127\nshift\nexec '${process.execPath}' '${BIN}' "$@"\n`,
  );
  chmodSync(join(shimDir, 'npx'), 0o755);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PATH = () => `${shimDir}:${process.env['PATH']}`;

/**
 * Kills one worker in the middle of a shard: waits for a temporary shard file, stops its writer (the pid is in the
 * name), and kills it if the file is still there and short of its final size; otherwise lets it go on and waits for
 * the next one. Resolves with the pid killed.
 */
async function killOneMidShard(folder: string): Promise<number> {
  const tried = new Set<string>();
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000) {
    const names = existsSync(folder) ? readdirSync(folder) : [];
    for (const f of names) {
      const m = /^(model-\d+-of-\d+\.safetensors)\.partial-(\d+)-/.exec(f);
      if (!m || tried.has(f)) continue;
      tried.add(f);
      const pid = Number(m[2]);
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {
        continue; // gone already
      }
      const size = existsSync(join(folder, f)) ? statSync(join(folder, f)).size : null;
      if (size !== null && size < finalSizes.get(m[1]!)!) {
        process.kill(pid, 'SIGKILL');
        return pid;
      }
      process.kill(pid, 'SIGCONT');
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error('no worker was caught in the middle of a shard');
}

/** Runs N workers (made by `start`), kills one mid-shard, retries the failed one, checks the folder. */
async function runWorkers(n: number, folder: string, start: (k: number) => ReturnType<typeof spawn>): Promise<void> {
  const running = Array.from({ length: n }, (_, k) => collect(start(k)));
  const killed = await killOneMidShard(folder);
  const first = await Promise.all(running);
  const failed = first.flatMap((r, k) => (r.code === 0 ? [] : [k]));
  expect(failed, `killed pid ${killed}; ${first.map((r) => r.stderr).join('\n')}`).toHaveLength(1);
  // The runner's retry of that index.
  const retry: CliResult = await collect(start(failed[0]!));
  expect(retry.code, retry.stderr).toBe(0);
  expectSameFolder(folder, reference);
}

describe('docs/scale.md runners: N workers, one killed mid-shard and retried, the single writer’s folder', () => {
  it('the Kubernetes manifest is a valid batch/v1 Indexed Job (the kubernetes-models JSON schema), and a bad one is not', () => {
    const manifest = parseYaml(manifestText);
    expect(() => new Job(manifest).validate()).not.toThrow();
    expect(manifest.spec.completionMode).toBe('Indexed');
    const env = manifest.spec.template.spec.containers[0].env as { name: string; value: string }[];
    expect(env.find((e) => e.name === 'WEBGPU_WEIGHT_INIT_PART_COUNT')!.value).toBe(String(manifest.spec.completions));
    // The validator does catch mistakes (so the check above can fail).
    expect(() => new Job({ ...manifest, spec: { ...manifest.spec, completionMode: 'indexed', completions: '8' } }).validate()).toThrow(
      /completionMode|completions/,
    );
  });

  it.each([1, 2, 3, 7])('Kubernetes Indexed Job, %i pods: the container command with JOB_COMPLETION_INDEX', async (n) => {
    const manifest = parseYaml(manifestText);
    const container = manifest.spec.template.spec.containers[0];
    const root = join(dir, `k8s-${n}`);
    // The volumes as local folders: /ckpt (the shared volume) and /config (the ConfigMap).
    const command = (container.command as string[]).map((a) =>
      a === '/config/config.json' ? config : a.startsWith('/ckpt/') ? join(root, a.slice('/ckpt/'.length)) : a === '2GB' ? SHARD : a,
    );
    expect(command.slice(0, 3)).toEqual(['npx', '--yes', 'webgpu-weight-init']);
    const folder = command[command.indexOf('--out') + 1]!.replace(/\/$/, '');
    await runWorkers(n, folder, (k) =>
      spawn(command[0]!, command.slice(1), {
        env: { ...process.env, PATH: PATH(), JOB_COMPLETION_INDEX: String(k), WEBGPU_WEIGHT_INIT_PART_COUNT: String(n) },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  });

  // Every N on the manifest's form; two of them on each of the others (the CI time budget: each worker is a process).
  it.each([2, 7])('Slurm job array of %i tasks (--array=1-N run as 1..N, step 1): the sbatch script under bash', async (n) => {
    const script = join(dir, 'llama-init.sh');
    writeFileSync(script, slurmScript);
    const folder = join(dir, `slurm-${n}`);
    await runWorkers(n, folder, (k) =>
      spawn('bash', [script], {
        env: {
          ...process.env,
          PATH: PATH(),
          CKPT: folder,
          CONFIG: config,
          MAX_SHARD_SIZE: SHARD,
          SLURM_ARRAY_TASK_ID: String(k + 1),
          SLURM_ARRAY_TASK_MIN: '1',
          SLURM_ARRAY_TASK_MAX: String(n),
          SLURM_ARRAY_TASK_STEP: '1',
          SLURM_ARRAY_TASK_COUNT: String(n),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  });

  it.each([1, 3])('the plain shell form with N=%i, as written (its loop retries the killed worker)', async (n) => {
    const cwd = join(dir, `shell-${n}`);
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'run.sh'), shellForm);
    const script = collect(
      spawn('bash', ['-euo', 'pipefail', 'run.sh'], { cwd, env: { ...process.env, PATH: PATH(), N: String(n) }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    await killOneMidShard(join(cwd, 'tiny-parts'));
    const r = await script;
    expect(r.code, r.stderr).toBe(0);
    // The script's own last line: verify's report.
    expect(JSON.parse(r.stdout)).toEqual({ status: 'complete', exitCode: 0, rerun: [] });
    expectSameFolder(join(cwd, 'tiny-parts'), reference);
  });
});
