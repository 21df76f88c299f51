// Bench "time to first token, nothing downloaded" (src/bench/ttft.ts): GPT-2 and Llama initialized by the library
// and run by ONNX Runtime Web (native WebGPU EP) in headless Chromium, zero-copy vs external data vs loading the same
// pack from disk (OPFS), beside the bytes a download would move (runner: bench/ttft-runner.ts, page: bench/ttft.html).
//
//   npm run build && npx tsx bench/ttft.ts [--cases gpt2-tiny,llama-tiny] [--routes zero-copy,external-data,from-disk]
//                                          [--repeat 3] [--seed 1] [--json bench/results/] [--quiet]
// Default cases: gpt2-tiny and llama-tiny on a software adapter (SwiftShader), else gpt2-small-f32, gpt2-small-f16 and
// llama-2-7b-f16 (ids: src/bench/ttft.ts TTFT_CASES). CHROMIUM_PATH names the browser. stdout: one JSON document;
// progress goes to stderr.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { transformSync } from 'esbuild';
import type { TtftRoute } from '../src/bench/ttft.js';
import { runTtftBench } from './ttft-runner.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** src/bench/ttft.ts as the page imports it (its imports are type-only, so a transform is enough). */
export function compileTtftModule(): string {
  return transformSync(readFileSync(join(ROOT, 'src/bench/ttft.ts'), 'utf8'), { loader: 'ts', format: 'esm', target: 'es2022' }).code;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string' },
      routes: { type: 'string' },
      repeat: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  const report = await runTtftBench({
    ttftModule: compileTtftModule(),
    ...(values.cases ? { cases: values.cases.split(',') } : {}),
    ...(values.routes ? { routes: values.routes.split(',') as TtftRoute[] } : {}),
    ...(values.repeat ? { repeat: Number(values.repeat) } : {}),
    ...(values.seed ? { seed: Number(values.seed) } : {}),
    ...(values.quiet ? { log: () => {} } : {}),
  });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  if (values.json) {
    mkdirSync(values.json, { recursive: true });
    writeFileSync(join(values.json, `${report.date.replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}-ttft.json`), text);
  }
  process.stdout.write(text);
}
