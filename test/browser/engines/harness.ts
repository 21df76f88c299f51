// Test harness for the inference-engine pages: one HTTP server on 127.0.0.1 and one headless Chromium, as in
// test/browser/browser.test.ts (same flags, same reasons), serving
//   /                      dist/ (index.js, cpu.js and their chunks), as the browser test does
//   /engines.js            the engine helpers (src/models/engines.ts) from the built dist/index.js
//   /pages/*.html          the pages in this folder
//   /vendor/tfjs-core/     node_modules/@tensorflow/tfjs-core/dist/
//   /vendor/tfjs-backend-webgpu/  node_modules/@tensorflow/tfjs-backend-webgpu/dist/
//   /vendor/ort/           node_modules/onnxruntime-web/dist/ (the .mjs bundles and the .wasm files they load)
//   /models/NAME.onnx      models registered by the test (encoded in test/browser/engines/onnx.ts)
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { launchChromium, watchPage } from '../chromium.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const PAGES = resolve(fileURLToPath(new URL('./', import.meta.url)));
export { CHROMIUM } from '../chromium.js';


const STATIC: Record<string, string> = {
  '/vendor/tfjs-core/': join(ROOT, 'node_modules', '@tensorflow', 'tfjs-core', 'dist'),
  '/vendor/tfjs-backend-webgpu/': join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-webgpu', 'dist'),
  '/vendor/ort/': join(ROOT, 'node_modules', 'onnxruntime-web', 'dist'),
  '/pages/': PAGES,
  '/': DIST,
};

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  // Needed for WebAssembly.instantiateStreaming, which ONNX Runtime Web uses.
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

/**
 * /engines.js: the engine helpers of src/models/engines.ts as built into dist/ (they are part of the main
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
  const server = await serve(models);
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
      await page.waitForFunction((name) => typeof (window as unknown as Record<string, unknown>)[name] === 'function', { timeout: 20_000 }, ready).catch((e: unknown) => {
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

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

function serve(models: ReadonlyMap<string, Uint8Array>): Promise<Server> {
  const s = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const send = (body: Buffer | Uint8Array | string, type: string) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/engines.js') {
      try {
        send(enginesModule(), MIME['.js']!);
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
      }
      return;
    }
    const model = /^\/models\/([\w-]+)\.onnx$/.exec(path);
    if (model) {
      const bytes = models.get(model[1]!);
      if (bytes) send(bytes, MIME['.onnx']!);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end(`no model ${model[1]}`);
      return;
    }
    const prefix = Object.keys(STATIC).find((p) => path.startsWith(p))!;
    const dir = STATIC[prefix]!;
    const file = resolve(dir, `./${path.slice(prefix.length)}`);
    if (!file.startsWith(dir + sep) || (prefix === '/pages/' && extname(file) !== '.html')) {
      res.writeHead(403).end();
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    send(body, MIME[extname(file)] ?? 'application/octet-stream');
  });
  return new Promise((ok, fail) => {
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => ok(s));
  });
}
