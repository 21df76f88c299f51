// The device bundle (scripts/device/): `npm run device:bundle` builds .device/, and a copy of it in an empty
// folder outside the repository runs `run.sh --quick` on SwiftShader (VK_ICD_FILENAMES pointing at Debian
// chromium's ICD), as it would on an offline GPU machine; plus the pieces that need no bundle: the
// targets' evaluation and the PyTorch peer script.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { findSwiftShaderIcd } from '../../src/node.js';
import type { BenchReport, CaseResult } from '../../src/bench/run.js';
import { evaluateTargets } from '../../scripts/device/targets.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DEVICE = join(ROOT, '.device');
const PEER = join(ROOT, 'scripts', 'device', 'pytorch_peer.py');

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'out' && dir === DEVICE ? n : n + sizeOf(p);
    return e.isFile() ? n + statSync(p).size : n;
  }, 0);
}

const python = (args: string[], exe = 'python3') => spawnSync(exe, args, { encoding: 'utf8', timeout: 120_000 });

describe('targets of a device run', () => {
  const row = (id: string, size: string, fields: Partial<CaseResult>): CaseResult => ({ case: id, label: id, group: 'ours', size, elements: 1, bytes: 4, dtype: 'f32', ...fields });
  const s = (v: number) => ({ median: v, min: v, max: v });
  const rows = [
    row('uniform-f32', '1M', { ms: s(1), fractionOfStore: 0.5 }),
    row('uniform-f32', 'max (1G)', { ms: s(1), fractionOfStore: 0.9 }),
    row('normal-f32', 'max (1G)', { ms: s(1), fractionOfStore: 0.6 }),
    row('gpt2-ours', 'model', { ms: s(100), wallMs: s(100), speedupVsTfjs: 60 }),
    row('llama2-7b-bf16', 'model', { ms: s(1500), wallMs: s(1500) }),
  ];
  const torch = { results: [{ case: 'torch-gpt2', size: 'model', ms: { median: 40 } }] };

  it('takes the largest size, compares with the goals on a real GPU, and says why a target is unmeasured', () => {
    const t = Object.fromEntries(evaluateTargets(rows, torch, false).map((x) => [x.id, x]));
    expect(t['uniform-f32-vs-store']).toMatchObject({ value: 0.9, met: true });
    expect(t['normal-f32-vs-store']).toMatchObject({ value: 0.6, met: false });
    expect(t['normal-bf16-vs-store16']?.unmeasured).toMatch(/no normal-bf16/);
    expect(t['gpt2-vs-tfjs']).toMatchObject({ value: 60, met: true });
    expect(t['gpt2-vs-pytorch']).toMatchObject({ value: 2.5, met: false });
    expect(t['llama2-7b-bf16-seconds']).toMatchObject({ value: 1.5, met: false });
  });

  it('on a software adapter every target is unmeasured; a skipped peer is named', () => {
    const t = evaluateTargets(rows, { skipped: 'no CUDA' }, true);
    expect(t.every((x) => x.met === undefined && typeof x.unmeasured === 'string')).toBe(true);
    expect(evaluateTargets(rows, { skipped: 'no CUDA' }, false).find((x) => x.id === 'gpt2-vs-pytorch')?.unmeasured).toBe('PyTorch peer skipped: no CUDA');
  });
});

describe('the PyTorch peer script', () => {
  it('reports {skipped: reason} where torch or CUDA is missing, else CUDA rows, as one JSON document', (ctx) => {
    const r = python([PEER, '--quick']);
    if (r.error) ctx.skip(`no python3 here: ${r.error.message}`);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { schema: string; skipped?: string; results?: { case: string }[]; cuda?: unknown };
    expect(report.schema).toBe('webgpu-weight-init/pytorch-peer@1');
    if (report.skipped !== undefined) expect(report.skipped).toMatch(/^(no torch|no CUDA)/);
    else expect(report.results?.map((x) => x.case)).toEqual(['torch-uniform-f32', 'torch-normal-f32', 'torch-truncnormal-f32', 'torch-normal-bf16']);
  });

  it('--device cpu runs every case (GPT-2 small included) where a python3 has torch', (ctx) => {
    const exe = ['python3', '/usr/bin/python3'].find((p) => python(['-c', 'import torch'], p).status === 0);
    if (!exe) ctx.skip('no python3 with torch on this machine (Debian: apt-get install python3-torch)');
    const r = python([PEER, '--device', 'cpu', '--sizes', '64K', '--repeat', '1', '--model-repeat', '1'], exe);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { results: { case: string; elements: number; ms: { median: number } }[] };
    expect(report.results.map((x) => x.case)).toEqual(['torch-uniform-f32', 'torch-normal-f32', 'torch-truncnormal-f32', 'torch-normal-bf16', 'torch-gpt2']);
    expect(report.results.at(-1)?.elements).toBe(124_439_808);
    expect(report.results.every((x) => x.ms.median > 0)).toBe(true);
  });
});

describe('the device bundle on SwiftShader', () => {
  let notBuilt: string | undefined;

  beforeAll(() => {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      notBuilt = `the bundle is built on x86-64 Linux only (this is ${process.platform}-${process.arch})`;
      return;
    }
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'scripts', 'device', 'bundle.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 400_000,
    });
    if (r.status !== 0) notBuilt = `npm run device:bundle failed here (offline apt, no xz?): ${(r.stderr || String(r.error)).trim().split('\n').slice(-3).join(' | ')}`;
  }, 420_000);

  it('fits 60 MiB and runs run.sh --quick from a copy outside the repository: all GPU tests pass, bench and peer reported', (ctx) => {
    if (notBuilt) ctx.skip(notBuilt);
    const icd = findSwiftShaderIcd();
    if (!icd) ctx.skip('no SwiftShader Vulkan ICD here (Debian: apt-get install chromium)');
    expect(sizeOf(DEVICE)).toBeLessThanOrEqual(60 * 2 ** 20);
    const copy = mkdtempSync(join(tmpdir(), 'wwi-device-test-'));
    const id = readFileSync(join(DEVICE, 'BUNDLE_ID'), 'utf8').trim();
    const unpacked = `/tmp/webgpu-weight-init-device-${id}`;
    const unpackedBefore = existsSync(unpacked);
    try {
      cpSync(DEVICE, join(copy, 'dev'), { recursive: true, verbatimSymlinks: true, filter: (src) => !src.startsWith(join(DEVICE, 'out')) });
      const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], VK_ICD_FILENAMES: icd, OUT: join(copy, 'out') };
      const r = spawnSync('bash', [join(copy, 'dev', 'run.sh'), '--quick'], { cwd: copy, env, encoding: 'utf8', timeout: 240_000 });
      expect(r.status, r.stderr.split('\n').slice(-20).join('\n')).toBe(0);
      const line = JSON.parse(r.stdout) as { report: string; tests: { passed: number; failed: number } };
      expect(line.report).toBe(join(copy, 'out', 'device-report.json'));
      const report = JSON.parse(readFileSync(line.report, 'utf8')) as {
        schema: string;
        runtime: { execPath: string; bundle: string };
        vulkan: { icdFilenames: string };
        adapter: { isFallbackAdapter: boolean };
        softwareAdapter: boolean;
        limits: Record<string, number>;
        tests: { passed: number; failed: number; failures: unknown[] };
        bench: BenchReport;
        pytorch: { skipped?: string; results?: unknown[] };
        targets: { id: string; unmeasured?: string }[];
      };
      expect(report.schema).toBe('webgpu-weight-init/device-report@1');
      // The bundled Node, unpacked under /tmp, ran it; nothing came from the repository.
      expect(report.runtime.execPath).toBe(`${unpacked}/bin/node`);
      expect(report.runtime.bundle.startsWith(ROOT)).toBe(false);
      expect(report.vulkan.icdFilenames).toBe(icd);
      expect(report.softwareAdapter).toBe(true);
      expect(report.limits['maxBufferSize']).toBeGreaterThan(0);
      expect(report.tests.failures).toEqual([]);
      expect(report.tests.failed).toBe(0);
      expect(report.tests.passed).toBe(line.tests.passed);
      const gpuTests = JSON.parse(readFileSync(join(copy, 'out', 'gpu-tests.json'), 'utf8')) as { durations: { ok: boolean }[] };
      expect(report.tests.passed).toBe(gpuTests.durations.length);
      expect(report.tests.passed).toBeGreaterThan(40);
      const cases = new Set(report.bench.results.filter((x) => x.ms).map((x) => x.case));
      for (const id of ['store-32', 'store-16', 'uniform-f32', 'normal-bf16', 'sweep-normal-f32-wg64-b8', 'stores-uniform-f32-vec4', 'tfjs-normal']) expect(cases.has(id), id).toBe(true);
      expect(report.bench.results.filter((x) => x.verified === false || x.error)).toEqual([]);
      // The rows as they were measured, one JSON line each (what a run cut short would keep).
      const rows = readFileSync(join(copy, 'out', 'bench-rows.jsonl'), 'utf8').trim().split('\n');
      expect(rows.map((l) => (JSON.parse(l) as CaseResult).case)).toEqual(report.bench.results.map((x) => x.case));
      expect(report.bench.samples.every((x) => x.equal)).toBe(true);
      if (report.pytorch.skipped === undefined) expect(report.pytorch.results?.length).toBeGreaterThan(0);
      else expect(report.pytorch.skipped).toMatch(/no torch|no CUDA/);
      expect(report.targets.map((t) => t.id)).toHaveLength(6);
      expect(report.targets.every((t) => typeof t.unmeasured === 'string')).toBe(true);
    } finally {
      rmSync(copy, { recursive: true, force: true });
      if (!unpackedBefore) rmSync(unpacked, { recursive: true, force: true });
    }
  }, 300_000);
});
