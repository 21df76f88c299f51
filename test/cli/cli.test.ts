// The command line as a user runs it: the built bin script, JSON on stdout, one-line errors.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bits, normal, uniform } from '../../src/contract/distributions.js';
import { readSafetensorsHeaderFromFile, readSafetensorsTensorBytes } from '../../src/output/node/safetensors-file.js';
import { generate } from '../../src/twin/generate.js';
import { f16BitsToNumber } from '../../src/twin/pack.js';
import { BIN, runCli } from '../helpers/cli.js';

const run = (...args: string[]) => runCli([...args]);

describe('webgpu-weight-init CLI', () => {
  it('info prints the adapter as JSON', async () => {
    const r = await run('info');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toHaveProperty('isFallbackAdapter');
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
  });

  it("sample on the GPU prints values that round-trip exactly to the CPU twin's f32 bits", async () => {
    const r = await run(
      'sample',
      '--dist',
      'uniform',
      '--low',
      '-0.5',
      '--high',
      '2',
      '--seed',
      '18446744073709551615',
      '--stream',
      '3',
      '--start',
      '17179869180',
      '--count',
      '37',
      '--verify',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backend).toBe('gpu');
    expect(out.adapter.description.length + out.adapter.architecture.length).toBeGreaterThan(0);
    // the adapter once, compactly: what it is, not its limits and features (`info` prints those)
    expect(Object.keys(out.adapter)).toEqual(['vendor', 'architecture', 'description', 'isFallbackAdapter']);
    expect(out.verified).toEqual({ against: 'cpu twin', elements: 37, mismatches: 0 });
    const want = generate({ seed: '18446744073709551615', stream: 3, start: 17179869180n, count: 37, dist: uniform(-0.5, 2) });
    expect(new Float32Array(out.values)).toEqual(want);
  });

  it('bench prints its report as one JSON document on stdout and the table on stderr', async () => {
    const r = await run('bench', '--sizes', '1K', '--cases', 'uniform-f32', '--no-tfjs', '--no-model', '--repeat', '1');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.schema).toBe('webgpu-weight-init/bench@1');
    expect(report.results.map((x: { case: string }) => x.case)).toEqual(['uniform-f32']);
    expect(r.stderr).toMatch(/case\s+size\s+timing/);
  });

  it('sample --backend cpu --dist bits prints the Philox words', async () => {
    const r = await run('sample', '--backend', 'cpu', '--dist', 'bits', '--seed', '0', '--count', '4');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.adapter).toBeNull();
    // Element 0..3 of seed 0, stream 0 is Philox4x32-10 of counter 0, key 0: the first Random123 vector.
    expect(out.values).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(out.values).toEqual(Array.from(generate({ seed: 0, count: 4, dist: bits() })));
  });

  it('sample --dist normal --dtype f16 prints the numbers the halves encode, verified against the CPU twin', async () => {
    const r = await run('sample', '--dist', 'normal', '--mean', '0.5', '--std', '0.02', '--dtype', 'f16', '--count', '9', '--start', '3', '--verify');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.verified.mismatches).toBe(0);
    const halves = generate({ seed: 0, start: 3, count: 9, dist: normal(0.5, 0.02), dtype: 'f16' });
    expect(out.values).toEqual(Array.from(halves, f16BitsToNumber));
  });

  it('sample --init runs an initializer on a shape, on the GPU and on the CPU alike', async () => {
    const args = ['sample', '--init', 'kaiming_uniform', '--a', '2.23606797749979', '--shape', '64,32,3,3', '--seed', '5', '--count', '16', '--start', '100'];
    const gpu = await run(...args, '--verify');
    expect(gpu.code).toBe(0);
    const g = JSON.parse(gpu.stdout);
    expect(g.verified.mismatches).toBe(0);
    expect(g.resolved.fanIn).toBe(32 * 9);
    const cpu = JSON.parse((await run(...args, '--backend', 'cpu')).stdout);
    expect(cpu.values).toEqual(g.values);
    // kaiming_uniform with a = sqrt(5): bound = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + 5)).
    const bound = Math.sqrt(2 / 6) * Math.sqrt(3 / (32 * 9));
    for (const v of g.values) expect(Math.abs(v)).toBeLessThanOrEqual(Math.fround(bound));
  });

  it("sample --init accepts the article's schemes by name", async () => {
    const r = await run('sample', '--init', 'xavier', '--shape', '10,20', '--backend', 'cpu', '--count', '4');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).values).toHaveLength(4);
  });

  it.each([
    [['sample', '--init', 'glorot_uniform'], /option '--shape' is required/],
    [['sample', '--init', 'glorot_uniform', '--shape', '3,x'], /option '--shape'/],
    [['sample', '--init', 'frobnicate', '--shape', '3,3'], /option '--init'/],
    [['sample', '--gain', '2'], /option '--gain' needs --init/],
    [['sample', '--init', 'eye', '--shape', '3,3,3'], /shape/],
    [['sample', '--init', 'xavier', '--shape', '3,3', '--gain', '2'], /option '--gain'/],
    [['sample', '--init', 'orthogonal', '--dist', 'normal', '--shape', '3,3'], /exclude each other/],
    [['sample', '--nope'], /unknown option '--nope'/],
    [['sample', '--count'], /option '--count' needs a value/],
    [['sample', '--count', '-1'], /option '--count'/],
    [['sample', '--seed', '-1'], /option '--seed'/],
    [['sample', '--seed', '18446744073709551616'], /option '--seed'/],
    [['sample', '--dist', 'gamma'], /option '--dist'/],
    [['sample', '--backend', 'tpu'], /option '--backend'/],
    [['sample', '--low', 'abc'], /option '--low'/],
    [['sample', '--dist', 'bits', '--low', '1'], /option '--low'/],
    [['sample', '--low', '2', '--high', '1'], /dist.high/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['help', '--nope'], /unexpected argument '--nope'/],
    [['bench', '--repeat', '0'], /option '--repeat'/],
  ])('%j exits non-zero with a one-line message naming the problem', async (args, message) => {
    const r = await run(...(args as string[]));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('webgpu-weight-init:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it.each([
    ['info', []],
    ['sample', ['--dist', '--low']],
    ['init', ['--preset', 'gpt2', '--dry-run']],
    ['bench', ['--cases', 'store-32']],
  ])('%s --help and -h print its options on stdout and exit 0, whatever else is given, without touching a device', async (command, others) => {
    for (const flag of ['--help', '-h']) {
      const r = await run(command, ...others, flag);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^usage: webgpu-weight-init ${command}\\b`));
    }
    const viaHelp = await run('help', command);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe((await run(command, '--help')).stdout);
  });

  it("help lists every command and says how to get one command's options", async () => {
    const r = await run('help');
    expect(r.code).toBe(0);
    for (const c of ['info', 'sample', 'init', 'bench']) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toMatch(/<command> --help/);
  });
});

/** Runs `body` with a new temporary directory, removed afterwards. */
async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wwi-cli-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('webgpu-weight-init init', () => {
  it('initializes ResNet-18 on the GPU, verifies it against the CPU twin and writes a safetensors file', async () => {
    const { mkdtemp, rm, stat } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'wwi-cli-'));
    try {
      const out = join(dir, 'r18.safetensors');
      const r = await run('init', '--preset', 'resnet18', '--seed', '3', '--dtype', 'bf16', '--verify', '--out', out, '--quiet');
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.tensors).toBe(102);
      expect(summary.verified.mismatches).toBe(0);
      expect((await stat(out)).size).toBe(summary.out.bytes);
      // The file's header can be read back, and a spec from it re-initializes the same names.
      const rules = join(dir, 'rules.json');
      const { writeFile } = await import('node:fs/promises');
      await writeFile(rules, JSON.stringify([{ match: '*', init: { kind: 'zeros' } }]));
      const again = await run('init', '--from', out, '--rules', rules, '--seed', '3', '--quiet');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).tensors).toBe(102);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['init'], /exactly one of --preset, --from, --spec/],
    [['init', '--preset', 'gpt2', '--spec', 'x.json'], /exactly one of/],
    [['init', '--preset', 'bert'], /option '--preset'/],
    [['init', '--preset', 'gpt2', '--seed', '-4'], /option '--seed'/],
    [['init', '--from', 'missing.safetensors'], /needs --rules/],
    [['init', '--spec', '/nonexistent/spec.json'], /cannot be read/],
    [['init', '--preset', 'gpt2', '--max-memory', 'lots'], /option '--max-memory'/],
  ])('%j fails with a one-line message', async (args, message) => {
    const r = await run(...(args as string[]));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('--table goes to stderr with columns as wide as the longest name; stdout is one JSON document', async () => {
    await inTempDir(async (dir) => {
      const long = 'model.layers.31.self_attn.rotary_emb.inv_freq.extra.long.name.weight';
      const spec = join(dir, 'spec.json');
      await writeFile(
        spec,
        JSON.stringify({
          name: 'tiny',
          tensors: [
            { name: long, shape: [8, 4] },
            { name: 'b', shape: [4], init: { kind: 'zeros' } },
          ],
          rules: [{ match: '*', init: { kind: 'normal', std: 0.02 } }],
        }),
      );
      const r = await run('init', '--spec', spec, '--seed', '1', '--table', '--quiet');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).tensors).toBe(2); // the whole of stdout parses
      const lines = r.stderr.split('\n');
      const header = lines.find((l) => l.startsWith('tensor'))!;
      const row = lines.find((l) => l.startsWith(long))!;
      const b = lines.find((l) => l.startsWith('b '))!;
      // the name column is as wide as the longest name; every column starts at the same place in the
      // header and in both rows
      expect(header.indexOf('shape')).toBe(long.length + 2);
      for (const column of ['shape', 'dtype', 'initializer']) {
        const at = header.indexOf(column);
        expect(row[at - 1]).toBe(' ');
        expect(b[at - 1]).toBe(' ');
        expect(row[at]).not.toBe(' ');
        expect(b[at]).not.toBe(' ');
      }
    });
  });

  it('--dry-run prints the plan (no device: only the adapter limits) and exits 1 when it does not fit', async () => {
    const r = await run('init', '--preset', 'llama', '--dtype', 'bf16', '--dry-run', '--max-memory', '16G');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    // Llama-2-7B: 6,738,415,616 parameters, 2 bytes each in bf16, 291 tensors
    expect(plan).toMatchObject({
      dryRun: true,
      tensors: 291,
      parameters: 6_738_415_616,
      bytes: 2 * 6_738_415_616,
      fitsAdapter: true,
      fitsMemory: true,
      fits: true,
      problems: [],
    });
    expect(plan.byDtype).toEqual({ bf16: { tensors: 291, parameters: 6_738_415_616, bytes: 2 * 6_738_415_616 } });
    expect(plan.buffers).toEqual({ count: 291, bytes: 2 * 6_738_415_616, largest: 2 * 32000 * 4096 });
    expect(plan.memory).toEqual({ bytes: 16 * 2 ** 30, source: '--max-memory' });
    expect(plan.limits.maxBufferSize).toBeGreaterThan(0);
    expect(plan.perTensor).toHaveLength(291);
    const small = await run('init', '--preset', 'llama', '--dtype', 'bf16', '--dry-run', '--max-memory', '8G');
    expect(small.code).toBe(1);
    const p = JSON.parse(small.stdout);
    expect(p.fits).toBe(false);
    expect(p.problems).toEqual(['the buffers need 12.55 GiB; 8.00 GiB of memory is available']);
  });

  it('a model that does not fit the memory stops with one line before allocating', async () => {
    const r = await run('init', '--preset', 'gpt2', '--max-memory', '100M');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('webgpu-weight-init:'));
    expect(lines).toEqual(['webgpu-weight-init: the buffers need 474.7 MiB; 100.0 MiB of memory is available']);
  });
});

describe('webgpu-weight-init init --out DIR/ (Hugging Face checkpoint folder)', () => {
  // A tiny Llama with grouped-query attention, as a Hugging Face config.json: the preset comes from model_type.
  const LLAMA = {
    model_type: 'llama',
    hidden_size: 64,
    intermediate_size: 160,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 300,
    architectures: ['LlamaForCausalLM'],
  };

  it('--config picks the preset from model_type; the shards hold the bits of --out FILE.safetensors, verified from the files', async () => {
    await inTempDir(async (dir) => {
      const config = join(dir, 'config.json');
      await writeFile(config, JSON.stringify(LLAMA));
      const out = `${join(dir, 'ckpt')}/`;
      const r = await run('init', '--config', config, '--dtype', 'bf16', '--seed', '9', '--out', out, '--max-shard-size', '60KB', '--verify', '--quiet');
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.model).toBe('llama');
      expect(summary.verified).toMatchObject({ from: 'the written files', mismatches: 0 });
      expect(summary.out.sharded).toBe(true);
      const files = (await readdir(out)).sort();
      expect(files).toEqual([...summary.out.files].sort());
      expect(files).toContain('model.safetensors.index.json');
      const written = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
      expect(written).toEqual({ ...written, ...LLAMA, initializer_range: 0.02, tie_word_embeddings: false, attention_bias: false });
      // The same model to one file: every tensor's bytes are the same.
      const single = join(dir, 'one.safetensors');
      expect((await run('init', '--preset', 'llama', '--config', config, '--dtype', 'bf16', '--seed', '9', '--out', single, '--quiet')).code).toBe(0);
      const one = await readSafetensorsHeaderFromFile(single);
      const index = JSON.parse(await readFile(join(out, 'model.safetensors.index.json'), 'utf8'));
      expect(Object.keys(index.weight_map).sort()).toEqual(one.tensors.map((t) => t.name).sort());
      for (const shard of files.filter((f) => f.startsWith('model-'))) {
        const header = await readSafetensorsHeaderFromFile(join(out, shard));
        for (const t of header.tensors) {
          expect(index.weight_map[t.name]).toBe(shard);
          const a = await readSafetensorsTensorBytes(join(out, shard), header, t.name);
          const b = await readSafetensorsTensorBytes(single, one, t.name);
          expect(Buffer.from(a).equals(Buffer.from(b)), t.name).toBe(true);
        }
      }
      // The folder now holds a checkpoint: a second run refuses it and changes nothing.
      const again = await run('init', '--config', config, '--out', out, '--quiet');
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(
        /webgpu-weight-init: folder: got "config\.json, model-00001-of-0000\d\.safetensors, .*; expected a folder without a checkpoint/,
      );
      expect((await readdir(out)).sort()).toEqual(files);
    });
  });

  it('SIGINT while writing: exit 2 with one line, and no checkpoint file is left (completed shards removed, the folder it created too)', async () => {
    await inTempDir(async (dir) => {
      // About 217 MB of bf16 in 4 MB shards: the first progress line past shard 2 comes at about 20%, so most of the
      // work is still ahead when the signal lands, and two shards are complete on disk.
      await writeFile(
        join(dir, 'c.json'),
        JSON.stringify({ model_type: 'llama', hidden_size: 512, intermediate_size: 1376, num_hidden_layers: 24, num_attention_heads: 8 }),
      );
      const out = join(dir, 'out');
      const child = spawn(process.execPath, [BIN, 'init', '--config', join(dir, 'c.json'), '--dtype', 'bf16', '--out', `${out}/`, '--max-shard-size', '4MB'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let sent = false;
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // Interrupt once a shard after the second is being written (two are complete on disk).
        if (!sent && /model-0000[3-9]-of-/.test(stderr)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(sent, stderr).toBe(true);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.split('\n').filter((l) => l.startsWith('webgpu-weight-init:'))).toEqual([expect.stringMatching(/Aborted|interrupted/)]);
      expect(existsSync(out)).toBe(false);
    });
  });

  it('--dry-run with --out DIR/ prints the files it would write and creates nothing', async () => {
    await inTempDir(async (dir) => {
      await writeFile(join(dir, 'c.json'), JSON.stringify(LLAMA));
      const r = await run('init', '--config', join(dir, 'c.json'), '--dtype', 'bf16', '--out', `${join(dir, 'out')}/`, '--max-shard-size', '60KB', '--dry-run');
      expect(r.code, r.stderr).toBe(0);
      const plan = JSON.parse(r.stdout);
      expect(plan).toMatchObject({ dryRun: true, model: 'llama', out: { sharded: true, maxShardSize: 60_000, config: true } });
      expect(plan.out.files.reduce((n: number, f: { bytes: number }) => n + f.bytes, 0)).toBe(plan.bytes);
      expect(plan.out.files.reduce((n: number, f: { tensors: number }) => n + f.tensors, 0)).toBe(plan.tensors);
      expect(await readdir(dir)).toEqual(['c.json']);
    });
  });

  it.each([
    [{ model_type: 'bert' }, [], /option '--config': config\.model_type: got "bert"; expected one of 'gpt2', 'llama'/],
    [{}, [], /option '--config': config\.model_type: got undefined/],
    [LLAMA, ['--max-shard-size', '5Gb', '--out', 'DIR/'], /option '--max-shard-size': got "5Gb"; expected .*KiB, MiB, GiB/],
    [LLAMA, ['--max-shard-size', '1GB'], /option '--max-shard-size' needs --out DIR\//],
    [LLAMA, ['--table', '--out', 'DIR/'], /option '--table' does not apply to --out DIR\//],
    [LLAMA, ['--max-memory', '1G', '--out', 'DIR/'], /option '--max-memory' does not apply to --out DIR\//],
    [LLAMA, ['--part', '0/0', '--out', 'DIR/'], /option '--part': got "0\/0"; expected K\/N with whole numbers 0 ≤ K < N ≤ 100000/],
    [LLAMA, ['--part', '3/2', '--out', 'DIR/'], /option '--part': got "3\/2"/],
    [LLAMA, ['--part', '-1/4', '--out', 'DIR/'], /option '--part': got "-1\/4"/],
    [LLAMA, ['--part', '1/1e30', '--out', 'DIR/'], /option '--part': got "1\/1e30"/],
    [LLAMA, ['--part', 'text', '--out', 'DIR/'], /option '--part': got "text"/],
    [
      LLAMA,
      ['--part', 'auto', '--out', 'DIR/'],
      /option '--part' auto: got "auto"; expected one of the job runners' index variables to be set: JOB_COMPLETION_INDEX/,
    ],
    [LLAMA, ['--part', '0/2'], /option '--part' needs --out DIR\//],
  ])('config %j with %j fails with a one-line message before any device work', async (config, extra, message) => {
    await inTempDir(async (dir) => {
      await writeFile(join(dir, 'c.json'), JSON.stringify(config));
      const r = await run('init', '--config', join(dir, 'c.json'), ...(extra as string[]).map((a) => (a === 'DIR/' ? `${join(dir, 'out')}/` : a)));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('webgpu-weight-init:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(await readdir(dir)).toEqual(['c.json']);
    });
  });
});
