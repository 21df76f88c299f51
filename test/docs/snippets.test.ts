// Every code snippet of README.md and docs/*.md runs as written (test/helpers/snippets.ts says which
// blocks are snippets and how a block says where it runs). This file runs the Node, bash and python ones
// in a fresh project with the packed library installed, as a user would: `import ... from
// 'webgpu-weight-init'` resolves to the installed tarball and `npx webgpu-weight-init` to its bin. The
// browser ones run in headless Chromium: test/browser/snippets.test.ts.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matMulAddModel } from '../browser/engines/onnx.js';
import { type ConsumerProject, createConsumerProject } from '../helpers/consumer-project.js';
import { allSnippets, fencedBlocks, ROOT, type Snippet } from '../helpers/snippets.js';

const exec = promisify(execFile);
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const snippets = allSnippets();
const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let project: ConsumerProject | undefined;

beforeAll(async () => {
  // Packages the snippets import besides the library (its optional peer `webgpu`, the engines).
  project = await createConsumerProject('wwi-snippets-', [
    'webgpu',
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-backend-webgpu',
    'onnxruntime-node',
    '@huggingface/transformers',
  ]);
}, 120_000);

afterAll(async () => {
  await project?.remove();
});

/** Runs one snippet in the consumer project; resolves with its output, rejects with it on failure. */
async function runSnippet(s: Snippet): Promise<string> {
  const dir = project!.dir;
  const base = `snippet-${s.file.replace(/[^\w]/g, '_')}-${s.line}`;
  const [file, command, args] =
    s.runtime === 'node'
      ? [`${base}.mts`, process.execPath, [TSX]]
      : s.runtime === 'bash'
        ? [`${base}.sh`, 'bash', ['-euo', 'pipefail']]
        : [`${base}.py`, 'python3', []];
  await writeFile(join(dir, file), s.code);
  // npx must find the installed bin and never ask the registry.
  const env = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  try {
    const r = await exec(command, [...args, file], { cwd: dir, env, maxBuffer: 64 << 20 });
    return r.stdout + r.stderr;
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    throw new Error(`${s.where} (${s.runtime}) exited with ${err.code}:\n--- code\n${s.code}\n--- stdout\n${err.stdout}\n--- stderr\n${err.stderr}`);
  }
}

describe('documentation snippets', () => {
  it('are found in README.md and docs/, and every one that does not run says why', () => {
    expect(snippets.length).toBeGreaterThan(15);
    const skipped = snippets.filter((s) => s.noRun !== undefined);
    for (const s of skipped) expect(s.noRun, s.where).toMatch(/registry|whole suite|runs under sbatch; test\/cli\/runners\.test\.ts/);
    // The opt-outs: the quick start (runs the whole suite), the three `npm install` lines and the Slurm script of
    // docs/scale.md (test/cli/runners.test.ts runs it as array tasks).
    expect(skipped.map((s) => s.where)).toHaveLength(4);
  });

  it('fenced blocks are parsed with their info strings, indented ones included', () => {
    const md = 'text\n```ts browser\nconst a = 1;\n```\n- item\n\n  ```sh no-run: installs from the npm registry\n  npm install x\n  ```\n';
    expect(fencedBlocks(md)).toEqual([
      { line: 2, info: 'ts browser', code: 'const a = 1;' },
      { line: 7, info: 'sh no-run: installs from the npm registry', code: 'npm install x' },
    ]);
  });

  it('docs/engines/linear.onnx is the model test/browser/engines/onnx.ts encodes (Y = X·W + B, 8×32·32×16)', () => {
    expect(new Uint8Array(readFileSync(join(ROOT, 'docs/engines/linear.onnx')))).toEqual(matMulAddModel(8, 32, 16));
  });

  for (const s of snippets.filter((x) => x.noRun === undefined && x.runtime !== 'browser')) {
    const skip = s.runtime === 'python' && !hasPython;
    // Without python3 the Python example cannot run; everywhere else it does.
    it.skipIf(skip)(
      `${s.where} runs (${s.runtime})`,
      async () => {
        const out = await runSnippet(s);
        expect(out).not.toMatch(/Traceback|Error:/);
      },
      240_000,
    );
  }
});
