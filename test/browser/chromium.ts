// Shared set-up of the browser tests: launch headless Chromium with WebGPU, collect what a page reports,
// and (for the pages built with Vite: bench/, demo/) build into a temporary directory and serve it over
// HTTP from 127.0.0.1 (navigator.gpu needs a secure context, which about:blank and file: are not).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';

// Found by trying subsets on Chromium 156 (Debian, headless, no GPU, running as root): only the first two
// are needed.
export const CHROMIUM_ARGS = [
  // Chromium refuses to start as root (containers, CI) without it.
  '--no-sandbox',
  // Without it requestAdapter() resolves to null ("No available adapters." on the console): Chromium does
  // not enable WebGPU by default on Linux / on a software (SwiftShader) adapter.
  '--enable-unsafe-webgpu',
  // Not needed, but puppeteer's defaults lack it: keeps the component updater off the network at startup.
  '--disable-component-update',
  // Tried and dropped: --enable-features=Vulkan, --use-angle=swiftshader and --use-webgpu-adapter=swiftshader
  // change nothing here (with no GPU, Dawn's only adapter is SwiftShader's Vulkan; on a machine with a GPU
  // the tests then run on that GPU, which must give the same bits). --disable-background-networking,
  // --disable-sync, --no-first-run and --disable-dev-shm-usage are in puppeteer's default args already.
  // headless: true is --headless=new; headless: 'shell' (plain --headless) gives the same adapter, as the
  // chromium binary has had only the new headless mode since Chrome 132.
];

export const MIME: Record<string, string> = {
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
 * What a route answers: a file to send (checked to lie inside `root`), a body, or nothing (404); with
 * extra response headers if given.
 */
export type Route =
  | { file: string; root: string; headers?: Record<string, string> }
  | { body: Uint8Array | string; type: string; headers?: Record<string, string> }
  | undefined;

/** The file `path` names under `root`, for a Route. */
export const fileIn = (root: string, path: string): Route => ({ file: resolve(root, `.${path}`), root });

/**
 * An HTTP server on a free port of 127.0.0.1; `route` maps each decoded request path to what to send.
 * Files outside their root get 403, missing ones 404; nothing is cached.
 */
export function serve(route: (path: string) => Route): Promise<Server> {
  const s = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let r: Route;
    try {
      r = route(path);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
      return;
    }
    if (r && 'file' in r) {
      if (r.file !== r.root && !r.file.startsWith(r.root + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        r = { body: readFileSync(r.file), type: MIME[extname(r.file)] ?? 'application/octet-stream', ...(r.headers ? { headers: r.headers } : {}) };
      } catch {
        r = undefined;
      }
    }
    if (!r) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': r.type, 'cache-control': 'no-store', ...r.headers });
    res.end(r.body);
  });
  return new Promise((ok, fail) => {
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => ok(s));
  });
}

/** Closes a server and every connection it still holds. */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

/** Records console errors and warnings, page errors, failed requests and HTTP errors into `log`. */
export function watchPage(page: Page, log: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') log.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`pageerror: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  page.on('requestfailed', (r) => log.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) log.push(`HTTP ${r.status()}: ${r.url()}`);
  });
}

/** Headless Chromium with a fresh profile; close() ends it (killing it if it hangs) and removes the profile. */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install chromium\` (Debian), or set CHROMIUM_PATH`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'webgpu-weight-init-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // CHROMIUM_EXTRA_ARGS: more flags, space-separated (e.g. what a GPU machine's Chromium needs for WebGPU).
    args: [...CHROMIUM_ARGS, ...(process.env['CHROMIUM_EXTRA_ARGS'] ?? '').split(' ').filter(Boolean), `--user-data-dir=${profile}`],
    timeout: 60_000,
    protocolTimeout: 170_000,
  });
  return {
    browser,
    close: async () => {
      try {
        const proc = browser.process();
        await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000))]).catch(() => undefined);
        if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      } finally {
        rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}

export interface BuiltPage {
  readonly page: Page;
  /** What the page reported (see watchPage). */
  readonly log: string[];
  /** The log, formatted to append to failure messages. */
  diagnostics(): string;
  close(): Promise<void>;
}

/**
 * Builds the Vite project `configFile` into a temporary directory, serves it, opens `path` in headless
 * Chromium and waits until `window[readyFlag] === true`.
 */
export async function openBuiltPage(configFile: string, path: string, readyFlag: string): Promise<BuiltPage> {
  const log: string[] = [];
  const diagnostics = () => (log.length ? `\npage log:\n  ${log.join('\n  ')}` : '\npage log: (empty)');
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const chromium = await launchChromium();
    cleanups.push(chromium.close);
    const outDir = mkdtempSync(join(tmpdir(), 'webgpu-weight-init-page-'));
    cleanups.push(() => rmSync(outDir, { recursive: true, force: true, maxRetries: 3 }));
    // Imported here, not at the top: the device bundle's time-to-first-token part uses this file's launcher and
    // server, and must not load Vite (its native bundler binding is not in the bundle).
    const { build } = await import('vite');
    await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false } });
    const server = await serve((path) => fileIn(outDir, path));
    cleanups.push(() => closeServer(server));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const page = await chromium.browser.newPage();
    watchPage(page, log);
    await page.goto(`${origin}${path}`, { waitUntil: 'load' });
    await page
      .waitForFunction((flag) => (window as unknown as Record<string, unknown>)[flag] === true, { timeout: 30_000 }, readyFlag)
      .catch((e: unknown) => {
        throw new Error(`${path} never became ready: ${String(e)}${diagnostics()}`);
      });
    return { page, log, diagnostics, close };
  } catch (e) {
    await close();
    throw e;
  }
}
