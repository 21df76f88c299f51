// Test harness for the inference-engine pages: one HTTP server on 127.0.0.1 and one headless Chromium, as in
// test/browser/browser.test.ts (same flags, same reasons), serving
//   /                      dist/ (index.js, cpu.js and their chunks), as the browser test does
//   /engines.js            the engine helpers (src/output/engines.ts) from the built dist/index.js
//   /pages/*.html          the pages in this folder
//   /vendor/tfjs-core/     node_modules/@tensorflow/tfjs-core/dist/
//   /vendor/tfjs-backend-webgpu/  node_modules/@tensorflow/tfjs-backend-webgpu/dist/
//   /vendor/ort/           node_modules/onnxruntime-web/dist/ (the .mjs bundles and the .wasm files they load)
//   /vendor/transformers/  node_modules/@huggingface/transformers/dist/
//   /vendor/ort-tjs/       the onnxruntime-web transformers.js depends on (its own version, nested in its node_modules)
//   /vendor/ort-tjs-common.js  'onnxruntime-common' for transformers.js: that bundle's Tensor (one Tensor class)
//   /models/NAME.onnx      models registered by the test (encoded in test/browser/engines/onnx.ts)
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { closeServer, launchChromium, MIME, type Route, serve, watchPage } from '../chromium.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const PAGES = resolve(fileURLToPath(new URL('./', import.meta.url)));

export { CHROMIUM } from '../chromium.js';

const STATIC: Record<string, string> = {
  '/vendor/tfjs-core/': join(ROOT, 'node_modules', '@tensorflow', 'tfjs-core', 'dist'),
  '/vendor/tfjs-backend-webgpu/': join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-webgpu', 'dist'),
  '/vendor/ort/': join(ROOT, 'node_modules', 'onnxruntime-web', 'dist'),
  '/vendor/transformers/': join(ROOT, 'node_modules', '@huggingface', 'transformers', 'dist'),
  '/vendor/ort-tjs/': join(ROOT, 'node_modules', '@huggingface', 'transformers', 'node_modules', 'onnxruntime-web', 'dist'),
  '/pages/': PAGES,
  '/': DIST,
};

/**
 * /engines.js: the engine helpers of src/output/engines.ts as built into dist/ (they are part of the main
 * entry), so the pages exercise the published bundle.
 */
export function enginesModule(): string {
  return "export * from '/index.js';\n";
}

export interface Harness {
  readonly origin: string;
  /** A new tab on `path` (e.g. '/pages/tfjs.html'), its console errors and failures collected in `log`. */
  open(path: string, ready: string): Promise<{ page: Page; log: string[] }>;
  close(): Promise<void>;
}

/** Checks that what the pages need exists, then starts the server and Chromium. */
export async function startHarness(models: ReadonlyMap<string, Uint8Array>): Promise<Harness> {
  for (const f of ['index.js', 'cpu.js']) {
    if (!existsSync(join(DIST, f))) throw new Error(`${DIST} has no ${f}: run \`npm run build\` first (npm test does)`);
  }
  for (const [prefix, dir] of Object.entries(STATIC)) {
    if (!existsSync(dir)) throw new Error(`${dir} (served at ${prefix}) is missing: run \`npm ci\``);
  }
  const server = await serve(routes(models));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  try {
    chromium = await launchChromium();
  } catch (e) {
    await closeServer(server);
    throw e;
  }
  return {
    origin,
    async open(path, ready) {
      const page = await chromium.browser.newPage();
      const log: string[] = [];
      watchPage(page, log);
      await page.goto(`${origin}${path}`, { waitUntil: 'load' });
      await page
        .waitForFunction((name) => typeof (window as unknown as Record<string, unknown>)[name] === 'function', { timeout: 20_000 }, ready)
        .catch((e: unknown) => {
          throw new Error(`${path} never defined ${ready}: ${String(e)}\npage log:\n  ${log.join('\n  ')}`);
        });
      return { page, log };
    },
    async close() {
      try {
        await chromium.close();
      } finally {
        await closeServer(server);
      }
    },
  };
}

function routes(models: ReadonlyMap<string, Uint8Array>): (path: string) => Route {
  return (path) => {
    if (path === '/engines.js') return { body: enginesModule(), type: MIME['.js']! };
    if (path === '/vendor/ort-tjs-common.js') return { body: "export { Tensor } from '/vendor/ort-tjs/ort.webgpu.mjs';\n", type: MIME['.js']! };
    const model = /^\/models\/([\w-]+)\.onnx$/.exec(path);
    if (model) {
      const bytes = models.get(model[1]!);
      return bytes ? { body: bytes, type: MIME['.onnx']! } : undefined;
    }
    const prefix = Object.keys(STATIC).find((p) => path.startsWith(p))!;
    const root = STATIC[prefix]!;
    const file = resolve(root, `./${path.slice(prefix.length)}`);
    // Only pages are served from this folder, not the test sources next to them.
    if (prefix === '/pages/' && extname(file) !== '.html') return undefined;
    return { file, root };
  };
}
