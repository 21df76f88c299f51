// `init` as a newcomer and a hostile user meet it (issue 19): inline JSON for --config, a config asking for 10^9
// layers refused at once, ResNet-18 without a Hugging Face config, both parameter counts, the folder dry run's
// fits/problems, and a first progress line without a made-up rate.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress.js';

const bin = fileURLToPath(new URL('../../bin/webgpu-weight-init.js', import.meta.url));
interface Result {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}
const run = async (...args: string[]): Promise<Result> => {
  const t0 = performance.now();
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    return { code: 0, stdout, stderr, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr, seconds: (performance.now() - t0) / 1000 };
  }
};

/** Exit 2, nothing on stdout, one line on stderr matching `message`. */
function expectOneLine(r: Result, message: RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toEqual([expect.stringMatching(/^webgpu-weight-init: /)]);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wwi-init-options-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const TINY_GPT2 = { n_layer: 2, n_embd: 64, n_head: 2, vocab_size: 100, n_positions: 16 };
/** GPT-2's parameters for these sizes, counted by formula (docs/models.md). */
const tinyGpt2Params = 100 * 64 + 16 * 64 + 2 * (4 * 64 + 64 * 192 + 192 + 64 * 64 + 64 + 64 * 256 + 256 + 256 * 64 + 64) + 2 * 64;

describe('init --config', () => {
  it('takes inline JSON as well as a file path', async () => {
    const path = join(dir, 'tiny.json');
    await writeFile(path, JSON.stringify(TINY_GPT2));
    const inline = await run('init', '--preset', 'gpt2', '--config', JSON.stringify(TINY_GPT2), '--dry-run');
    expect(inline.code, inline.stderr).toBe(0);
    const fromFile = await run('init', '--preset', 'gpt2', '--config', path, '--dry-run');
    expect(JSON.parse(inline.stdout).parameters).toBe(tinyGpt2Params);
    const { perTensor, bytes } = JSON.parse(fromFile.stdout);
    expect(JSON.parse(inline.stdout)).toMatchObject({ perTensor, bytes });
    expectOneLine(await run('init', '--preset', 'gpt2', '--config', '{"n_layer": 2,'), /option '--config': the inline JSON is not valid .*or a file path/);
  });

  it.each([
    [['--preset', 'gpt2'], { n_layer: 1e9 }, /config\.n_layer: got 1000000000; expected an integer in \[1, 8333\]/],
    [['--preset', 'gpt2'], { n_layer: 1e7 }, /config\.n_layer: got 10000000; expected an integer in \[1, 8333\]/],
    [[], { model_type: 'llama', num_hidden_layers: 1e9 }, /config\.num_hidden_layers: got 1000000000; expected an integer in \[1, 11110\]/],
    [['--out', 'DIR/'], { model_type: 'gpt2', n_layer: 1e5 }, /config\.n_layer: got 100000/],
  ])('%j %j: refused from the config numbers in one line, before anything is built', async (extra, config, message) => {
    const path = join(dir, 'huge.json');
    await writeFile(path, JSON.stringify(config));
    const out = join(dir, 'huge-out');
    const r = await run('init', ...extra.map((a) => (a === 'DIR/' ? `${out}/` : a)), '--config', path);
    expectOneLine(r, message);
    expect(r.stderr).toMatch(/MODEL_LIMITS\.maxTensors/);
    // Before this check, 1e7 layers ran 30-40 s into a V8 out-of-memory abort; now it is the time to start Node.
    expect(r.seconds).toBeLessThan(20);
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('--preset resnet18 --config is refused (ResNet-18 has no Hugging Face config), whatever the file holds', async () => {
    for (const content of [JSON.stringify({ model_type: 'gpt2', n_layer: 2 }), JSON.stringify({ rules: [] }), JSON.stringify({ num_labels: 10 })]) {
      const path = join(dir, 'resnet-config.json');
      await writeFile(path, content);
      expectOneLine(
        await run('init', '--preset', 'resnet18', '--config', path),
        /option '--config' does not apply to --preset resnet18: ResNet-18 has no Hugging Face config/,
      );
    }
    expectOneLine(await run('init', '--preset', 'resnet18', '--config', '{"numClasses": 10}', '--dry-run'), /does not apply to --preset resnet18/);
  });
});

describe('init: parameters as PyTorch counts them', () => {
  it('ResNet-18: parameters 11,689,512 (torchvision) and elements 11,699,112 (with BatchNorm running statistics)', async () => {
    const r = await run('init', '--preset', 'resnet18', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tensors: 102, parameters: 11_689_512, elements: 11_699_112 });
    const folder = await run('init', '--preset', 'resnet18', '--dry-run', '--out', `${join(dir, 'resnet')}/`);
    expect(JSON.parse(folder.stdout)).toMatchObject({ parameters: 11_689_512, elements: 11_699_112 });
  });
});

describe('init --dry-run --out DIR/: fits and problems', () => {
  it('a folder that can take the checkpoint fits; one holding a checkpoint, or one that cannot be created, does not (exit 1)', async () => {
    const args = ['init', '--preset', 'gpt2', '--config', JSON.stringify(TINY_GPT2), '--dry-run', '--out'];
    const fresh = `${join(dir, 'fresh', 'nested')}/`;
    const ok = await run(...args, fresh);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ fits: true, problems: [] });
    await expect(readdir(join(dir, 'fresh'))).rejects.toMatchObject({ code: 'ENOENT' });

    const occupied = join(dir, 'occupied');
    await mkdir(occupied);
    await writeFile(join(occupied, 'model.safetensors'), 'old');
    await writeFile(join(occupied, 'notes.txt'), 'mine');
    const taken = await run(...args, `${occupied}/`);
    expect(taken.code).toBe(1);
    // The real run's own check (prepareCheckpoint), run on a view of the folder that only reads.
    expect(JSON.parse(taken.stdout)).toMatchObject({
      fits: false,
      problems: [expect.stringMatching(/^folder: got "model\.safetensors"; expected a folder without a checkpoint/)],
    });
    expect((await readdir(occupied)).sort()).toEqual(['model.safetensors', 'notes.txt']);

    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    const notFolder = await run(...args, `${file}/sub/`);
    expect(notFolder.code).toBe(1);
    expect(JSON.parse(notFolder.stdout).problems).toEqual([expect.stringMatching(/cannot be created: .*plain-file is not a folder/)]);

    // /proc/self is not writable even for root.
    const proc = await run(...args, '/proc/self/checkpoint/');
    expect(await readdir('/proc/self')).not.toContain('checkpoint');
    expect(proc.code).toBe(1);
    expect(JSON.parse(proc.stdout)).toMatchObject({
      fits: false,
      problems: expect.arrayContaining([expect.stringMatching(/cannot be created in \/proc\/self: .*\(E(PERM|ACCES)\)/)]),
    });
  });
});

describe('init progress', () => {
  it('shows no rate and no ETA before there is a measurement: not "0.1 MiB/s ETA 566s" after the first header', () => {
    // The first line of a checkpoint: a header of 9 KB written 5 ms after the start, of 63 MB.
    const first = progressLine('write', 9_000, 63_000_000, 0.005, 'model.safetensors (1/2)');
    expect(first).not.toMatch(/\/s|ETA/);
    expect(first).toMatch(/^write \[\.{24}\] model\.safetensors \(1\/2\) {2}0\.0 MiB\/60\.1 MiB$/);
    // A second in, with a few percent done: the rate and the time left.
    expect(progressLine('write', 3 * 2 ** 20, 63 * 2 ** 20, 1.5, 'f')).toMatch(/ {2}2\.0 MiB\/s {2}ETA 30s$/);
    // Finished: the rate of the whole run, no ETA, even when the run was short.
    expect(progressLine('write', 2 ** 20, 2 ** 20, 0.5, 'f')).toMatch(/\[#{24}\] f {2}1\.0 MiB\/1\.0 MiB {2}2\.0 MiB\/s$/);
  });

  it('the first progress line of a real checkpoint write carries no rate', async () => {
    const out = `${join(dir, 'progress')}/`;
    const r = await run('init', '--preset', 'gpt2', '--config', JSON.stringify(TINY_GPT2), '--out', out, '--max-shard-size', '100KB');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('write ['));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0]).not.toMatch(/\/s|ETA/);
    expect(lines.at(-1)).toMatch(/\[#{24}\].*MiB\/s$/);
  });

  it("--part: a folder holding the other parts' shards of this checkpoint fits, as the real run finds them", async () => {
    const folder = `${join(dir, 'parts')}/`;
    const args = ['init', '--preset', 'gpt2', '--config', JSON.stringify(TINY_GPT2), '--seed', '3', '--out', folder, '--max-shard-size', '100KB', '--quiet'];
    const first = await run(...args, '--part', '0/2');
    expect(first.code, first.stderr).toBe(0);
    const second = await run(...args, '--part', '1/2', '--dry-run');
    expect(second.code, second.stdout).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ fits: true, problems: [] });
    // Another seed's part 2 does not belong with these shards: the real run would refuse them.
    const other = await run(...args.map((a) => (a === '3' ? '4' : a)), '--part', '1/2', '--dry-run');
    expect(other.code).toBe(1);
    expect(JSON.parse(other.stdout).problems).toEqual([expect.stringMatching(/^folder: got "model-00001-of-0000\d\.safetensors.*are not: another seed/)]);
  });
});
