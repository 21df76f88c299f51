// `verify DIR/` on folders the CLI wrote, whole and damaged: a missing, truncated or corrupted shard, a header that
// disagrees, leftovers of an unfinished write are each named, with the exit code a job runner acts on (0 complete,
// 1 damaged, 3 incomplete, 2 usage), and `--parts N` names the parts the --dry-run plan gives those files.
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsHeaderFromFile } from '../../src/output/node/safetensors-file.js';
import { expectOneLine, runCli } from '../helpers/cli.js';

let dir: string;
let whole: string;
let single: string;
let parts3: { part: number; first: string | null; last: string | null; files: number }[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wwi-verify-'));
  const config = join(dir, 'c.json');
  writeFileSync(
    config,
    JSON.stringify({
      model_type: 'llama',
      hidden_size: 128,
      intermediate_size: 344,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 1000,
    }),
  );
  whole = join(dir, 'whole');
  single = join(dir, 'single');
  const args = ['init', '--config', config, '--dtype', 'bf16', '--seed', '11', '--quiet'];
  const [a, b, plan] = await Promise.all([
    runCli([...args, '--out', `${whole}/`, '--max-shard-size', '200KB']),
    runCli([...args, '--out', `${single}/`]),
    runCli([...args, '--out', `${whole}/`, '--max-shard-size', '200KB', '--dry-run', '--part', '0/3']),
  ]);
  expect([a.code, b.code, plan.code], a.stderr + b.stderr + plan.stderr).toEqual([0, 0, 0]);
  parts3 = JSON.parse(plan.stdout).out.parts;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the whole checkpoint, changed by `damage`. */
function copy(name: string, damage: (folder: string) => void): string {
  const folder = join(dir, name);
  cpSync(whole, folder, { recursive: true });
  damage(folder);
  return folder;
}

const verify = async (...args: string[]) => {
  const r = await runCli(['verify', ...args, '--quiet']);
  return { ...r, report: r.stdout ? JSON.parse(r.stdout) : null };
};
const shard = (i: number) => `model-0000${i}-of-00006.safetensors`;
const statusOf = (report: { files: { name: string; status: string }[] }) => Object.fromEntries(report.files.map((f) => [f.name, f.status]));
/** The part (of 3) that owns shard i, from the dry run's plan. */
const ownerOf = (i: number) => parts3.find((p) => p.first !== null && p.first <= shard(i) && shard(i) <= p.last!)!.part;

describe('verify', () => {
  it('a complete sharded folder and a single file: exit 0, every file ok; --full checks every element', async () => {
    const r = await verify(`${whole}/`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report).toMatchObject({ status: 'complete', exitCode: 0, sharded: true, seed: '11', leftovers: [], problems: [] });
    expect(Object.values(statusOf(r.report))).toEqual(Array(7).fill('ok'));
    const full = await verify(`${whole}/`, '--full');
    expect(full.code).toBe(0);
    expect(full.report.checked).toEqual({ mode: 'full', tensors: 21, elements: 619_136 });
    const one = await verify(`${single}/`, '--parts', '4');
    expect(one.code).toBe(0);
    expect(one.report).toMatchObject({ status: 'complete', sharded: false, parts: { count: 4, rerun: [] } });
  });

  it('a missing shard: exit 3 (incomplete), named, and its part to rerun', async () => {
    const r = await verify(`${copy('missing', (f) => unlinkSync(join(f, shard(4))))}/`, '--parts', '3');
    expect(r.code).toBe(3);
    expect(statusOf(r.report)[shard(4)]).toBe('missing');
    expect(r.report.parts).toEqual({ count: 3, rerun: [ownerOf(4)] });
  });

  it('a truncated shard: exit 1 (damaged), with the size its header gives', async () => {
    const size = readFileSync(join(whole, shard(2))).length;
    const folder = copy('truncated', (f) => {
      truncateSync(join(f, shard(2)), size - 1000);
      truncateSync(join(f, shard(1)), 100); // within its header
    });
    const r = await verify(`${folder}/`, '--parts', '3');
    expect(r.code).toBe(1);
    expect(r.report.files.find((x: { name: string }) => x.name === shard(2))).toMatchObject({ status: 'truncated', bytes: size - 1000, expectedBytes: size });
    expect(r.report.files.find((x: { name: string }) => x.name === shard(1))).toMatchObject({ status: 'truncated', bytes: 100 });
    expect(r.report.parts.rerun).toEqual([...new Set([ownerOf(1), ownerOf(2)])]);
  });

  it('one element changed: the samples catch a first element, --full catches any and names it', async () => {
    const h = await readSafetensorsHeaderFromFile(join(whole, shard(3)));
    const t = h.tensors[1]!;
    const flip = (folder: string, element: number) => {
      const fd = openSync(join(folder, shard(3)), 'r+');
      const at = h.dataOffset + t.dataOffsets[0] + element * 2;
      const byte = readFileSync(join(folder, shard(3)))[at]!;
      writeSync(fd, Buffer.from([byte ^ 0x40]), 0, 1, at);
      closeSync(fd);
    };
    const first = await verify(`${copy('first-element', (f) => flip(f, 0))}/`);
    expect(first.code).toBe(1);
    expect(first.report.files.find((x: { name: string }) => x.name === shard(3))).toMatchObject({ status: 'wrong values', mismatches: [`${t.name}[0]`] });
    const middle = copy('middle-element', (f) => flip(f, 777));
    const full = await verify(`${middle}/`, '--full');
    expect(full.code).toBe(1);
    expect(full.report.files.find((x: { name: string }) => x.name === shard(3)).mismatches).toEqual([`${t.name}[777]`]);
  });

  it('a header that says another seed: exit 1, the disagreement named', async () => {
    const folder = copy('seed', (f) => {
      const p = join(f, shard(5));
      const bytes = readFileSync(p);
      const text = bytes.toString('latin1');
      const at = text.indexOf('"webgpu-weight-init.seed":"11"');
      expect(at).toBeGreaterThan(0);
      bytes.write('"webgpu-weight-init.seed":"12"', at, 'latin1');
      writeFileSync(p, bytes);
    });
    const r = await verify(`${folder}/`);
    expect(r.code).toBe(1);
    expect(r.report.problems).toEqual([expect.stringMatching(/disagree on the seed: 11, 12/)]);
  });

  it('an unfinished parted write (no index yet, a temporary file and the lock): exit 3, leftovers named, any part finishes it', async () => {
    const folder = copy('unfinished', (f) => {
      unlinkSync(join(f, 'model.safetensors.index.json'));
      unlinkSync(join(f, 'config.json'));
      writeFileSync(join(f, `${shard(6)}.partial-1-abc`), 'x');
      writeFileSync(join(f, '.webgpu-weight-init.lock'), 'x\n');
    });
    const r = await verify(`${folder}/`, '--parts', '3');
    expect(r.code).toBe(3);
    expect(r.report.leftovers).toEqual(['.webgpu-weight-init.lock', `${shard(6)}.partial-1-abc`]);
    expect(statusOf(r.report)['model.safetensors.index.json']).toBe('missing');
    expect(r.report.parts.rerun).toEqual([0]);
  });

  it('not a checkpoint folder, a missing folder, bad options: one line, exit 2', async () => {
    expectOneLine(await runCli(['verify', `${dir}/`]), /verify: folder: .*expected a checkpoint folder/);
    expectOneLine(await runCli(['verify', join(dir, 'nope')]), /folder: .*nope cannot be listed: no such file or folder/);
    expectOneLine(await runCli(['verify']), /verify needs the checkpoint folder/);
    expectOneLine(await runCli(['verify', `${whole}/`, '--samples', '-1']), /option '--samples'/);
    expectOneLine(await runCli(['verify', `${whole}/`, '--parts', '0']), /option '--parts'/);
    expectOneLine(await runCli(['verify', `${whole}/`, '--full', '--samples', '3']), /exclude each other/);
  });
});
