// `npm run device:bundle`: builds .device/, a folder that runs the GPU test subset, the benchmark and the
// PyTorch CUDA peer on an offline x86-64 Linux machine with nothing but a driver, bash, glibc and xz (or
// python3). Contents:
//   run.sh              the entry point (scripts/device/run.sh)
//   node.xz             this machine's Node binary, xz-compressed
//   dawn.node.xz        the linux-x64 dawn.node of the `webgpu` package, xz-compressed
//   app/                device.mjs (the driver), gpu-tests.mjs, bench.mjs, ttft.mjs (+ chunks/), pytorch_peer.py,
//                       node_modules/webgpu/{index.js,package.json},
//                       ttft-web/ (the time-to-first-token page: ttft.html, ttft.js, the library's dist/, and
//                       onnxruntime-web's WebGPU bundle in ort/, its .wasm xz-compressed as ort.wasm.xz)
//   debs/               the Debian (amd64) packages of the Vulkan loader and of what the NVIDIA ICD loads
//   lib/                their shared libraries, extracted (run.sh uses those the system lacks)
//   MANIFEST.json, BUNDLE_ID
// The compressed Node and the packages are reused from an earlier build when their sources are unchanged.
// DEVICE_BUNDLE_XZ_LEVEL (0-9, default 6) sets xz's preset: the test of the bundle builds it with 0 (Node: 2.5 s and
// 29 MiB instead of 28 s and 23 MiB on the 2-core build machine).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { build } from 'vite';
import { wgslReflectPlugin } from '../wgsl-reflect-plugin.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HERE = join(ROOT, 'scripts', 'device');
export const DEVICE_DIR = join(ROOT, '.device');
/** The bundle must fit this (issue 13). */
export const MAX_BUNDLE_BYTES = 60 * 2 ** 20;

/**
 * Debian packages (amd64): the Vulkan loader Dawn opens (libvulkan.so.1), and what NVIDIA's Vulkan ICD
 * (libGLX_nvidia.so.0) links against besides the driver's own libraries: libGLdispatch (libglvnd0),
 * libX11 and libXext, with their dependencies.
 */
export const DEBIAN_PACKAGES = ['libvulkan1', 'libglvnd0', 'libx11-6', 'libxext6', 'libxcb1', 'libxau6', 'libxdmcp6', 'libbsd0', 'libmd0'] as const;

const log = (line: string) => process.stderr.write(`device:bundle: ${line}\n`);

function sh(command: string, args: string[], options: { cwd?: string } = {}): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** xz's preset: DEVICE_BUNDLE_XZ_LEVEL, 0 to 9, default 6. */
function xzLevel(): number {
  const given = process.env['DEVICE_BUNDLE_XZ_LEVEL'];
  if (given === undefined || given === '') return 6;
  if (!/^[0-9]$/.test(given)) throw new Error(`DEVICE_BUNDLE_XZ_LEVEL must be one digit, 0 to 9 (got '${given}')`);
  return Number(given);
}

/** xz-compresses `source` into `target` unless `target` was made from the same source (size, mtime) at the same level. */
function compressOnce(source: string, target: string): void {
  const s = statSync(source);
  const level = xzLevel();
  const stamp = level === 6 ? `${source} ${s.size} ${s.mtimeMs}` : `${source} ${s.size} ${s.mtimeMs} -${level}`;
  const stampPath = join(dirname(target), `.${relative(DEVICE_DIR, target).replace(/\//g, '_')}.source`);
  if (existsSync(target) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    log(`${relative(ROOT, target)}: up to date`);
    return;
  }
  log(`compressing ${source} (${(s.size / 2 ** 20).toFixed(1)} MiB) → ${relative(ROOT, target)}`);
  const partial = `${target}.partial`;
  execFileSync('sh', ['-c', `xz -T0 -${level} -c "$1" > "$2"`, 'sh', source, partial], { stdio: 'inherit' });
  rmSync(target, { force: true });
  execFileSync('mv', [partial, target]);
  writeFileSync(stampPath, stamp);
}

async function bundleApp(app: string): Promise<void> {
  const external = ['webgpu', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    plugins: [
      wgslReflectPlugin(),
      // The test files export nothing and the package says "sideEffects": false: without this, the
      // bundler would drop them as unused.
      {
        name: 'device-test-files-have-side-effects',
        transform: (code: string, id: string) => (id.startsWith(join(ROOT, 'test')) ? { code, moduleSideEffects: true } : undefined),
      },
    ],
    // ws (puppeteer-core's CDP transport, in ttft.mjs): its Node entry, not the browser stub the bundler would pick.
    resolve: { alias: { vitest: join(HERE, 'test-runner.ts'), ws: join(ROOT, 'node_modules', 'ws', 'index.js') } },
    build: {
      outDir: app,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      reportCompressedSize: false,
      lib: {
        entry: { device: join(HERE, 'main.ts'), 'gpu-tests': join(HERE, 'gpu-tests.ts'), bench: join(HERE, 'bench.ts'), ttft: join(HERE, 'ttft.ts') },
        formats: ['es'],
      },
      rollupOptions: {
        external,
        output: {
          entryFileNames: '[name].mjs',
          chunkFileNames: 'chunks/[name]-[hash].mjs',
          // Bundled CommonJS (TF.js's Node platform code) may call require().
          banner: "import { createRequire as __deviceCreateRequire } from 'node:module'; const require = __deviceCreateRequire(import.meta.url);",
        },
      },
    },
  });
}

/** Downloads the packages (kept from an earlier build when present) and extracts their shared libraries. */
function vulkanPackages(debs: string, lib: string): string[] {
  mkdirSync(debs, { recursive: true });
  const have = () => readdirSync(debs).filter((f) => f.endsWith('.deb'));
  const missing = DEBIAN_PACKAGES.filter((p) => !have().some((f) => f.startsWith(`${p}_`)));
  if (missing.length > 0) {
    log(`apt-get download ${missing.join(' ')}`);
    sh('apt-get', ['download', ...missing.map((p) => `${p}:amd64`)], { cwd: debs });
  }
  rmSync(lib, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  const staging = mkdtempSync(join(tmpdir(), 'wwi-debs-'));
  try {
    for (const deb of have()) sh('dpkg-deb', ['-x', join(debs, deb), staging]);
    const dir = join(staging, 'usr', 'lib', 'x86_64-linux-gnu');
    for (const name of readdirSync(dir)) {
      const from = join(dir, name);
      if (!/\.so(\.\d+)*$/.test(name) || !/\.so\.\d/.test(name)) continue;
      const st = lstatSync(from);
      if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), join(lib, name));
      else if (st.isFile()) copyFileSync(from, join(lib, name));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return have().sort();
}

/** ORT Web's files the time-to-first-token page loads ('onnxruntime-web/webgpu': the native WebGPU EP). */
export const ORT_WEB_FILES = ['ort.webgpu.mjs', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'] as const;

/** The time-to-first-token page and what it loads: the built library (dist/, from npm run build) and ORT Web. */
function ttftWeb(web: string): void {
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'index.js'))) throw new Error('dist/index.js is missing: run npm run build before npm run device:bundle');
  rmSync(web, { recursive: true, force: true });
  mkdirSync(join(web, 'dist'), { recursive: true });
  mkdirSync(join(web, 'ort'), { recursive: true });
  // The library's browser entry and its chunks (dist/*.js; the CLI and Node entries are not loaded by the page).
  for (const f of readdirSync(dist)) if (f.endsWith('.js') && f !== 'cli.js' && f !== 'node.js') copyFileSync(join(dist, f), join(web, 'dist', f));
  const ort = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
  for (const f of ORT_WEB_FILES) {
    if (f.endsWith('.wasm')) execFileSync('sh', ['-c', `xz -T0 -${xzLevel()} -c "$1" > "$2"`, 'sh', join(ort, f), join(web, 'ort', `${f}.xz`)]);
    else copyFileSync(join(ort, f), join(web, 'ort', f));
  }
  copyFileSync(join(ROOT, 'bench', 'ttft.html'), join(web, 'ttft.html'));
  const source = readFileSync(join(ROOT, 'src', 'bench', 'ttft.ts'), 'utf8');
  writeFileSync(join(web, 'ttft.js'), transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' }).code);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

export async function bundleDevice(): Promise<{ dir: string; bytes: number }> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`the device bundle is built on x86-64 Linux (this is ${process.platform}-${process.arch})`);
  const dawn = join(ROOT, 'node_modules', 'webgpu');
  const dawnNode = join(dawn, 'dist', 'linux-x64', 'dawn.node');
  if (!existsSync(dawnNode)) throw new Error(`no ${relative(ROOT, dawnNode)}: run npm install`);
  mkdirSync(DEVICE_DIR, { recursive: true });
  const app = join(DEVICE_DIR, 'app');
  log('bundling app/ (vite)');
  await bundleApp(app);
  const webgpu = join(app, 'node_modules', 'webgpu');
  mkdirSync(webgpu, { recursive: true });
  for (const f of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(dawn, f), join(webgpu, f));
  copyFileSync(join(HERE, 'pytorch_peer.py'), join(app, 'pytorch_peer.py'));
  ttftWeb(join(app, 'ttft-web'));
  copyFileSync(join(HERE, 'run.sh'), join(DEVICE_DIR, 'run.sh'));
  chmodSync(join(DEVICE_DIR, 'run.sh'), 0o755);
  compressOnce(process.execPath, join(DEVICE_DIR, 'node.xz'));
  compressOnce(dawnNode, join(DEVICE_DIR, 'dawn.node.xz'));
  const debs = vulkanPackages(join(DEVICE_DIR, 'debs'), join(DEVICE_DIR, 'lib'));

  const files = filesUnder(DEVICE_DIR).filter((f) => !relative(DEVICE_DIR, f).startsWith('out/') && !/\/\.[^/]*\.source$/.test(f) && !f.endsWith('BUNDLE_ID'));
  const hash = createHash('sha256');
  for (const f of files.sort()) hash.update(relative(DEVICE_DIR, f)).update(readFileSync(f));
  const id = hash.digest('hex').slice(0, 16);
  writeFileSync(join(DEVICE_DIR, 'BUNDLE_ID'), `${id}\n`);
  let commit = 'unknown';
  try {
    commit = sh('git', ['rev-parse', 'HEAD'], { cwd: ROOT }).trim();
  } catch {
    // not a git checkout
  }
  const pkg = (p: string) => (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
  writeFileSync(
    join(DEVICE_DIR, 'MANIFEST.json'),
    `${JSON.stringify({ id, built: new Date().toISOString(), commit, node: process.version, webgpu: pkg(join(dawn, 'package.json')), debs }, null, 2)}\n`,
  );
  const bytes = filesUnder(DEVICE_DIR)
    .filter((f) => !relative(DEVICE_DIR, f).startsWith('out/'))
    .reduce((n, f) => n + statSync(f).size, 0);
  if (bytes > MAX_BUNDLE_BYTES) throw new Error(`.device/ is ${(bytes / 2 ** 20).toFixed(1)} MiB, above the ${MAX_BUNDLE_BYTES / 2 ** 20} MiB limit`);
  log(`.device/ ready: ${(bytes / 2 ** 20).toFixed(1)} MiB, id ${id}; run: bash .device/run.sh [--quick]`);
  return { dir: DEVICE_DIR, bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await bundleDevice();
  } catch (e) {
    log(`failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
