// The browser snippets of README.md and docs/*.md (info string `ts browser`), each run as written in its
// own tab of headless Chromium. The page resolves imports the way a bundler or an import map in a user's
// page would: `webgpu-weight-init` is the built package (dist/, and docs/ for the example model), the
// engines are node_modules' ESM bundles, everything served from 127.0.0.1 under /node_modules/.
// Node, bash and python snippets: test/docs/snippets.test.ts.

import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allSnippets, ROOT } from '../helpers/snippets.js';
import { closeServer, fileIn, launchChromium, MIME, type Route, serve, watchPage } from './chromium.js';

const snippets = allSnippets().filter((s) => s.runtime === 'browser' && s.noRun === undefined);
const PACKAGE = '/node_modules/webgpu-weight-init/';

const IMPORTS = {
  'webgpu-weight-init': `${PACKAGE}dist/index.js`,
  'webgpu-weight-init/cpu': `${PACKAGE}dist/cpu.js`,
  '@tensorflow/tfjs-core': '/node_modules/@tensorflow/tfjs-core/dist/tf-core.fesm.js',
  '@tensorflow/tfjs-backend-webgpu': '/node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.fesm.js',
  'onnxruntime-web/webgpu': '/node_modules/onnxruntime-web/dist/ort.webgpu.mjs',
  'onnxruntime-web': '/node_modules/onnxruntime-web/dist/ort.mjs',
  '@huggingface/transformers': '/node_modules/@huggingface/transformers/dist/transformers.web.js',
};
/**
 * transformers.js's web build imports 'onnxruntime-web/webgpu' and 'onnxruntime-common': inside its folder both resolve
 * to its own onnxruntime-web (nested in its node_modules), the second to a module re-exporting that bundle's Tensor.
 */
const TRANSFORMERS_ORT = '/node_modules/@huggingface/transformers/node_modules/onnxruntime-web/dist/ort.webgpu.mjs';
const SCOPES = {
  '/node_modules/@huggingface/transformers/': { 'onnxruntime-web/webgpu': TRANSFORMERS_ORT, 'onnxruntime-common': '/transformers-ort-common.js' },
};

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>snippets</title>
<script type="importmap">${JSON.stringify({ imports: IMPORTS, scopes: SCOPES })}</script>
</head><body>
<script type="module">
window.runSnippet = async (url) => { await import(url); return true; };
window.ready = true;
</script>
</body></html>`;

function route(path: string): Route {
  if (path === '/') return { body: PAGE, type: MIME['.html']! };
  if (path === '/transformers-ort-common.js') return { body: `export { Tensor } from '${TRANSFORMERS_ORT}';\n`, type: MIME['.js']! };
  const snippet = /^\/snippets\/(\d+)\.js$/.exec(path);
  if (snippet) {
    const s = snippets[Number(snippet[1])];
    return s ? { body: transformSync(s.code, { loader: 'ts', format: 'esm', target: 'es2022' }).code, type: MIME['.js']! } : undefined;
  }
  // The package as installed: only what it ships and the pages need (dist/, docs/).
  if (path.startsWith(`${PACKAGE}dist/`) || path.startsWith(`${PACKAGE}docs/`)) return fileIn(resolve(ROOT), path.slice(PACKAGE.length - 1));
  if (path.startsWith('/node_modules/')) return fileIn(resolve(ROOT, 'node_modules'), path.slice('/node_modules'.length));
  return undefined;
}

let server: Server | undefined;
let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
let origin = '';

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is not built: run `npm run build` (npm test does)');
  server = await serve(route);
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  if (server) await closeServer(server);
});

describe('browser snippets of README.md and docs/', () => {
  it('are found in README.md and docs/engines.md', () => {
    expect(new Set(snippets.map((s) => s.file))).toEqual(new Set(['README.md', 'docs/engines.md']));
    expect(snippets.length).toBeGreaterThanOrEqual(7);
  });

  snippets.forEach((s, i) => {
    it(`${s.where} runs in Chromium`, async () => {
      const page = await chromium!.browser.newPage();
      const log: string[] = [];
      const printed: string[] = [];
      watchPage(page, log);
      page.on('console', (m) => {
        if (m.type() === 'log') printed.push(m.text());
      });
      try {
        await page.goto(`${origin}/`, { waitUntil: 'load' });
        await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, { timeout: 20_000 });
        const ok = await page
          .evaluate((url) => (window as unknown as { runSnippet(u: string): Promise<boolean> }).runSnippet(url), `/snippets/${i}.js`)
          .catch((e: unknown) => {
            throw new Error(`${s.where}: ${e instanceof Error ? e.message : String(e)}\n--- code\n${s.code}\n--- page log\n${log.join('\n')}`);
          });
        expect(ok).toBe(true);
        // ONNX Runtime logs warning-level lines through console.error ([W:onnxruntime:...]); those are not errors.
        const errors = log.filter((l) => !l.startsWith('console.warn') && !/\[W:onnxruntime:/.test(l));
        expect(errors, s.where).toEqual([]);
        // A snippet that prints what it made printed it: it ran to its end.
        if (/console\.log\(/.test(s.code)) {
          expect(printed.length, s.where).toBeGreaterThan(0);
          expect(printed.at(-1), s.where).not.toMatch(/^(false|undefined|0)$/);
        }
      } finally {
        await page.close();
      }
    });
  });
});
