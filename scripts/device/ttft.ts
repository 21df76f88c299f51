// The "time to first token, nothing downloaded" part of the device bundle (built into .device/app/ttft.mjs by
// scripts/device/bundle.ts): bench/ttft-runner.ts in headless Chromium with the page, the library's browser build and
// ONNX Runtime Web shipped in app/ttft-web/. ORT Web needs a browser: where the device machine has no Chromium (or
// Chrome), the report says so and the target stays unmeasured.
//   node ttft.mjs --json PATH [--quick]     (CHROMIUM_PATH names the browser; DEVICE_CHROMIUM_ARGS adds flags)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = dirname(fileURLToPath(import.meta.url));
const WEB = join(APP, 'ttft-web');
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/opt/google/chrome/chrome'];

async function main(argv: readonly string[]): Promise<number> {
  const jsonAt = argv.indexOf('--json');
  const jsonPath = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
  const quick = argv.includes('--quick');
  const write = (o: unknown) => {
    const text = `${JSON.stringify(o, null, 2)}\n`;
    if (jsonPath) writeFileSync(jsonPath, text);
    process.stdout.write(text);
  };
  const chromium = process.env['CHROMIUM_PATH'] || CANDIDATES.find((p) => existsSync(p));
  if (!chromium) {
    write({
      skipped: `no Chromium or Chrome on this machine (looked at CHROMIUM_PATH and ${CANDIDATES.join(', ')}): ONNX Runtime Web's WebGPU EP runs in a browser`,
    });
    return 0;
  }
  process.env['CHROMIUM_PATH'] = chromium;
  // Imported after CHROMIUM_PATH is set: the launcher reads it when loaded.
  const { runTtftBench } = await import('../../bench/ttft-runner.js');
  const report = await runTtftBench({
    ttftModule: readFileSync(join(WEB, 'ttft.js'), 'utf8'),
    distDir: join(WEB, 'dist'),
    ortDir: join(WEB, 'ort'),
    page: join(WEB, 'ttft.html'),
    // --quick: one tiny model, zero-copy only, no warm-up (on SwiftShader most of its time is ORT compiling shaders).
    ...(quick ? { cases: ['gpt2-tiny'], routes: ['zero-copy'] as const, warmup: false } : { repeat: 3 }),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  write(report);
  return report.results.some((r) => r.error) ? 1 : 0;
}

process.exit(await main(process.argv.slice(2)));
