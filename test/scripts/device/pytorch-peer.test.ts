// The PyTorch CUDA peer of the device run (scripts/device/pytorch_peer.py): its report without torch or
// CUDA, and every case on the CPU where a python3 has torch (a check of the script, not a peer measurement).
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const PEER = join(resolve(import.meta.dirname, '..', '..', '..'), 'scripts', 'device', 'pytorch_peer.py');

const python = (args: string[], exe = 'python3') => spawnSync(exe, args, { encoding: 'utf8', timeout: 120_000 });

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
