// `init --format onnx --out DIR/` as a user runs it (the built bin script): the pack's files, verified against the CPU
// twin; the Llama-2-7B f16 dry run (no device, nothing written); one-line errors with exit 2 for what does not apply.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const run = (...args: string[]) => runCli([...args]);

let dir: string;
let config: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wwi-cli-onnx-'));
  config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      model_type: 'llama',
      vocab_size: 300,
      hidden_size: 16,
      intermediate_size: 8,
      num_hidden_layers: 1,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    }),
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('init --format onnx', () => {
  it('writes the pack (config, generation config, tokenizer, onnx/model.onnx + model.onnx_data) and verifies it against the CPU twin', async () => {
    const out = join(dir, 'pack/');
    const r = await run('init', '--config', config, '--format', 'onnx', '--seed', '7', '--out', out, '--verify', '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.format).toBe('onnx');
    expect(summary.verified.mismatches).toBe(0);
    expect(summary.out.files.map((f: { path: string }) => f.path)).toEqual([
      'onnx/model.onnx_data',
      'onnx/model.onnx',
      'config.json',
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect((await readdir(out)).sort()).toEqual(['config.json', 'generation_config.json', 'onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect((await readdir(join(out, 'onnx'))).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    const written = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(written).toMatchObject({
      model_type: 'llama',
      num_key_value_heads: 2,
      head_dim: 4,
      bos_token_id: 1,
      eos_token_id: 2,
      architectures: ['LlamaForCausalLM'],
      'transformers.js_config': { dtype: 'fp32', use_external_data_format: { 'model.onnx': 1 } },
    });
    // A second run into the same folder is refused: no file of a pack is replaced.
    const again = await run('init', '--config', config, '--format', 'onnx', '--out', out, '--quiet');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^webgpu-weight-init: folder: .*onnx\/model\.onnx_data.*without an ONNX pack/);
  });

  it('dry run of Llama-2-7B in f16: the files and their sizes, no device, nothing written', async () => {
    const out = join(dir, 'llama-7b/');
    const r = await run('init', '--preset', 'llama', '--dtype', 'f16', '--format', 'onnx', '--out', out, '--dry-run');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.parameters).toBe(6_738_415_616);
    expect(s.bytes).toBe(2 * 6_738_415_616);
    const data = s.out.files.find((f: { path: string }) => f.path === 'onnx/model_fp16.onnx_data');
    // Weights plus alignment padding (each of the 291 tensors rounded up to 64 bytes or 64 KiB).
    expect(data.bytes).toBeGreaterThanOrEqual(s.bytes);
    expect(data.bytes - s.bytes).toBeLessThan(291 * 65536);
    expect(s.graph.opset).toBe(17);
    expect(await readdir(dir)).not.toContain('llama-7b');
  });

  it.each([
    [['--preset', 'llama', '--dtype', 'bf16'], /bf16: ONNX Runtime Web has no bfloat16/],
    [['--preset', 'resnet18'], /needs a decoder preset/],
    [['--preset', 'gpt2', '--max-shard-size', '1GB'], /'--max-shard-size' does not apply to --format onnx/],
    [['--preset', 'gpt2', '--format', 'tflite'], /--format/],
  ])('%j is one line on stderr and exit 2', async (args, message) => {
    const r = await run('init', ...args, ...(args.includes('--format') ? [] : ['--format', 'onnx']), '--out', join(dir, 'never/'), '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('needs --out DIR/', async () => {
    const r = await run('init', '--preset', 'gpt2', '--format', 'onnx', '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'--format onnx' needs --out DIR\//);
  });
});
