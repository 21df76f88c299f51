// Issue 13's targets from one device run's rows (scripts/device/targets.ts).
import { describe, expect, it } from 'vitest';
import { evaluateTargets } from '../../../scripts/device/targets.js';
import type { CaseResult } from '../../../src/bench/run.js';

describe('targets of a device run', () => {
  const row = (id: string, size: string, fields: Partial<CaseResult>): CaseResult => ({
    case: id,
    label: id,
    group: 'ours',
    size,
    elements: 1,
    bytes: 4,
    dtype: 'f32',
    ...fields,
  });
  const s = (v: number) => ({ median: v, min: v, max: v });
  const rows = [
    row('uniform-f32', '1M', { ms: s(1), fractionOfStore: 0.5 }),
    row('uniform-f32', 'max (1G)', { ms: s(1), fractionOfStore: 0.9 }),
    row('normal-f32', 'max (1G)', { ms: s(1), fractionOfStore: 0.6 }),
    row('gpt2-ours', 'model', { ms: s(100), wallMs: s(100), speedupVsTfjs: 60 }),
    row('llama2-7b-bf16', 'model', { ms: s(1500), wallMs: s(1500) }),
    row('orthogonal-4096', '4096²', { ms: s(80), wallMs: s(80) }),
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
    expect(t['orthogonal-4096-seconds']).toMatchObject({ value: 0.08, met: false });
    expect(evaluateTargets(rows.slice(0, -1), torch, false).find((x) => x.id === 'orthogonal-4096-seconds')?.unmeasured).toMatch(/no orthogonal-4096 row/);
  });

  it('Llama-2-7B f16 first token in ORT Web: the median zero-copy total, met only with zero weight reads; why it is unmeasured otherwise', () => {
    const id = 'llama2-7b-f16-first-token-zero-copy-seconds';
    const r = (totalMs: number, weightReads: number) => ({ case: 'llama-2-7b-f16', route: 'zero-copy', totalMs, weightReads });
    const at = (ttft: Parameters<typeof evaluateTargets>[3], software = false) => evaluateTargets(rows, torch, software, ttft).find((x) => x.id === id)!;
    expect(at({ results: [r(3000, 0), r(2000, 0), r(9000, 0), { case: 'llama-2-7b-f16', route: 'external-data', totalMs: 1 }] })).toMatchObject({
      value: 3,
      met: true,
    });
    expect(at({ results: [r(2000, 0), r(2000, 4)] })).toMatchObject({ value: 2, met: false });
    expect(at({ skipped: 'no Chromium or Chrome on this machine' }).unmeasured).toMatch(/no Chromium/);
    expect(at({ results: [{ case: 'llama-2-7b-f16', route: 'zero-copy', error: 'out of memory' }] }).unmeasured).toMatch(/failed: out of memory/);
    expect(at({ results: [{ case: 'gpt2-tiny', route: 'zero-copy', totalMs: 5, weightReads: 0 }] }).unmeasured).toMatch(/no llama-2-7b-f16 zero-copy row/);
    expect(at({ results: [r(2000, 0)] }, true).unmeasured).toMatch(/software adapter/);
    expect(evaluateTargets(rows, torch, false).find((x) => x.id === id)?.unmeasured).toBe('no ttft part ran');
  });

  it('on a software adapter every target is unmeasured; a skipped peer is named', () => {
    const t = evaluateTargets(rows, { skipped: 'no CUDA' }, true);
    expect(t.every((x) => x.met === undefined && typeof x.unmeasured === 'string')).toBe(true);
    expect(evaluateTargets(rows, { skipped: 'no CUDA' }, false).find((x) => x.id === 'gpt2-vs-pytorch')?.unmeasured).toBe('PyTorch peer skipped: no CUDA');
  });
});
