// The GPU test subset of the device bundle (built into .device/app/gpu-tests.mjs by scripts/device/bundle.ts):
// the project's own test files, unchanged, run by scripts/device/test-runner.ts on Dawn's adapter:
// the Random123 known-answer vectors and every WGSL function against its CPU twin, the GPU == CPU matrix,
// every distribution in f32 / f16 / bf16, the 10,000-case property test, and the JAX streams (their functions
// against the twins with the threefry2x32-20 known answers; with no --quick, every jax 0.10.2 fixture case on the
// kernels, which compiles some twenty large pipelines: minutes on SwiftShader, seconds on a GPU).
//   node gpu-tests.mjs [--json PATH] [--quick]
// stdout: one JSON document {passed, failed, skipped, failures, durations}; progress on stderr.
// Exit code 0 when nothing failed, 1 otherwise.
import { writeFileSync } from 'node:fs';
import { emptySummary, runFile } from './test-runner.js';

export const GPU_TEST_FILES: readonly (readonly [string, () => Promise<unknown>])[] = [
  ['test/gpu/functions.test.ts', () => import('../../test/gpu/functions.test.js')],
  ['test/gpu/generate.test.ts', () => import('../../test/gpu/generate.test.js')],
  ['test/gpu/distributions.test.ts', () => import('../../test/gpu/distributions.test.js')],
  ['test/hardening/properties.test.ts', () => import('../../test/hardening/properties.test.js')],
  ['test/gpu/jax-functions.test.ts', () => import('../../test/gpu/jax-functions.test.js')],
];

/** Run by the full device run only (see above). */
export const GPU_TEST_FILES_FULL: readonly (readonly [string, () => Promise<unknown>])[] = [
  ['test/gpu/jax.test.ts', () => import('../../test/gpu/jax.test.js')],
];

async function main(argv: readonly string[]): Promise<number> {
  const jsonAt = argv.indexOf('--json');
  const jsonPath = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
  const summary = emptySummary();
  const log = (line: string) => process.stderr.write(`gpu-tests: ${line}\n`);
  const t0 = performance.now();
  const files = argv.includes('--quick') ? GPU_TEST_FILES : [...GPU_TEST_FILES, ...GPU_TEST_FILES_FULL];
  for (const [name, load] of files) await runFile(name, load, summary, log);
  const text = `${JSON.stringify({ ...summary, durationMs: Math.round(performance.now() - t0) }, null, 2)}\n`;
  if (jsonPath) writeFileSync(jsonPath, text);
  process.stdout.write(text);
  return summary.failed === 0 ? 0 : 1;
}

// Dawn's instance can keep the event loop alive after the last device is destroyed.
process.exit(await main(process.argv.slice(2)));
