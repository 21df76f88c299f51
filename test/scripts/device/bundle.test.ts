// The device bundle (scripts/device/bundle.ts, run.sh, main.ts): `npm run device:bundle` builds .device/,
// and a copy of it in an empty folder outside the repository runs `run.sh --quick` on SwiftShader
// (VK_ICD_FILENAMES pointing at Debian chromium's ICD), as it would on an offline GPU machine.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport, CaseResult } from '../../../src/bench/run.js';
import { findSwiftShaderIcd } from '../../../src/node-drivers.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const DEVICE = join(ROOT, '.device');

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'out' && dir === DEVICE ? n : n + sizeOf(p);
    return e.isFile() ? n + statSync(p).size : n;
  }, 0);
}

describe('the device bundle on SwiftShader', () => {
  let notBuilt: string | undefined;

  beforeAll(() => {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      notBuilt = `the bundle is built on x86-64 Linux only (this is ${process.platform}-${process.arch})`;
      return;
    }
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'scripts', 'device', 'bundle.ts')], {
      cwd: ROOT,
      // xz's fastest preset: the same files, larger; 60 MiB below holds for them, so for the default preset too.
      env: { ...process.env, DEVICE_BUNDLE_XZ_LEVEL: '0' },
      encoding: 'utf8',
      timeout: 400_000,
    });
    if (r.status !== 0)
      notBuilt = `npm run device:bundle failed here (offline apt, no xz?): ${(r.stderr || String(r.error)).trim().split('\n').slice(-3).join(' | ')}`;
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
      const r = spawnSync('bash', [join(copy, 'dev', 'run.sh'), '--quick'], { cwd: copy, env, encoding: 'utf8', timeout: 330_000 });
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
      for (const id of ['store-32', 'store-16', 'uniform-f32', 'normal-bf16', 'sweep-normal-f32-wg64-b8', 'stores-uniform-f32-vec4', 'tfjs-normal'])
        expect(cases.has(id), id).toBe(true);
      expect(report.bench.results.filter((x) => x.verified === false || x.error)).toEqual([]);
      // The rows as they were measured, one JSON line each (what a run cut short would keep).
      const rows = readFileSync(join(copy, 'out', 'bench-rows.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(rows.map((l) => (JSON.parse(l) as CaseResult).case)).toEqual(report.bench.results.map((x) => x.case));
      expect(report.bench.samples.every((x) => x.equal)).toBe(true);
      if (report.pytorch.skipped === undefined) expect(report.pytorch.results?.length).toBeGreaterThan(0);
      else expect(report.pytorch.skipped).toMatch(/no torch|no CUDA/);
      expect(report.targets.map((t) => t.id)).toEqual([
        'uniform-f32-vs-store',
        'normal-f32-vs-store',
        'normal-bf16-vs-store16',
        'gpt2-vs-tfjs',
        'gpt2-vs-pytorch',
        'orthogonal-4096-seconds',
        'llama2-7b-bf16-seconds',
        'llama2-7b-f16-first-token-zero-copy-seconds',
      ]);
      expect(report.targets.every((t) => typeof t.unmeasured === 'string')).toBe(true);
      // Time to first token (issue 22) at small size: ORT Web in the local Chromium, from the bundle's own files.
      const ttft = JSON.parse(readFileSync(join(copy, 'out', 'ttft.json'), 'utf8')) as {
        results: { case: string; route: string; error?: string; weightReads?: number; tokens?: number[] }[];
      };
      expect(ttft.results.map((r) => [r.case, r.route, r.error ?? null])).toEqual([['gpt2-tiny', 'zero-copy', null]]);
      expect(ttft.results[0]!.weightReads).toBe(0);
      expect(ttft.results[0]!.tokens).toHaveLength(9);
    } finally {
      rmSync(copy, { recursive: true, force: true });
      if (!unpackedBefore) rmSync(unpacked, { recursive: true, force: true });
    }
  }, 400_000);
});
