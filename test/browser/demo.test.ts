// The model demo page (demo/index.html + demo/main.ts) in headless Chromium: built with Vite from
// demo/vite.config.ts into a temporary directory, served over HTTP from 127.0.0.1 (navigator.gpu needs a
// secure context), driven through window.demo. Initializes a tiny GPT-2 in f32 and bf16 and a ResNet-18
// with few classes, and checks that the values the page reads back from its GPU equal the CPU twin run
// here in Node bit for bit (every tensor, at the start, the middle and the end), that the progress bar
// reached 100%, that the histograms are drawn (density curve, point mass), that cancelling works, and that
// the .safetensors download has the right header and bytes. Needs Debian's `chromium` (or CHROMIUM_PATH).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoConfig, DemoSummary, SafetensorsSummary } from '../../demo/main.js';
import { isSoftwareAdapter } from '../../src/gpu/context.js';
import { gpt2, type ResolvedTensor, resnet18, resolveModel } from '../../src/models/index.js';
import { decoderOnnx } from '../../src/output/onnx/decoder-model.js';
import { parseSafetensorsHeader } from '../../src/output/safetensors/parser.js';
import { initialize } from '../../src/twin/initialize.js';
import { greedy, twinWeights } from '../helpers/onnx-fixtures.js';
import { type BuiltPage, openBuiltPage } from './chromium.js';
import { fullPageScreenshot, layoutProblems, WINDOW, wrapProblems } from './layout.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG = join(ROOT, 'demo', 'vite.config.ts');

const SEED = '42';
/** The page's default GPT-2 config, small enough for SwiftShader: 28 tensors, ~0.5M parameters. */
const GPT2_TINY = { n_layer: 2, n_embd: 128, n_head: 4, vocab_size: 1000, n_positions: 128 };
const RESNET_CLASSES = 10;

let opened: BuiltPage | undefined;
let page: Page | undefined;
const diagnostics = () => opened?.diagnostics() ?? '\npage log: (the page did not open)';

function livePage(): Page {
  if (!page) throw new Error(`the browser did not start${diagnostics()}`);
  return page;
}

/** Runs window.demo.init(config) in the page; failures carry the page's log. */
async function init(config: DemoConfig): Promise<DemoSummary> {
  return livePage()
    .evaluate((c) => window.demo.init(c), config)
    .catch((e: unknown) => {
      throw new Error(`demo.init(${JSON.stringify(config)}) failed: ${String(e)}${diagnostics()}`);
    });
}

interface Range {
  name: string;
  start: number;
  count: number;
}

/** The start, an odd-offset middle and the end of a tensor (fewer when it is small). */
function rangesOf(t: ResolvedTensor, size: number): Range[] {
  const n = t.numel;
  const k = Math.min(n, size);
  const mid = Math.min(n - Math.min(n, 257), Math.floor(n / 2) + 1);
  return [
    { name: t.name, start: 0, count: k },
    { name: t.name, start: mid, count: Math.min(n, 257) },
    { name: t.name, start: n - Math.min(n, 333), count: Math.min(n, 333) },
  ];
}

/** The CPU twin's bit patterns (u32 for f32, u16 for f16/bf16) of a range. */
function twinBits(t: ResolvedTensor, r: Range): number[] {
  const out = initialize({ init: t.init, shape: t.shape, layout: t.layout, seed: SEED, stream: t.stream, dtype: t.dtype, start: r.start, count: r.count });
  return Array.from(out instanceof Float32Array ? new Uint32Array(out.buffer, out.byteOffset, out.length) : out);
}

/** Reads every range from the page's GPU buffers in one round trip and compares with the CPU twin. */
async function expectBitExact(tensors: readonly ResolvedTensor[], ranges: readonly Range[]): Promise<void> {
  const got = await livePage()
    .evaluate(async (rs) => Promise.all(rs.map((r) => window.demo.sample(r.name, r.start, r.count))), ranges)
    .catch((e: unknown) => {
      throw new Error(`demo.sample failed: ${String(e)}${diagnostics()}`);
    });
  const byName = new Map(tensors.map((t) => [t.name, t]));
  ranges.forEach((r, i) => {
    const want = twinBits(byName.get(r.name)!, r);
    expect(got[i], `${r.name} [${r.start}, ${r.start + r.count}): GPU in the page vs CPU twin in Node`).toEqual(want);
  });
}

async function expectProgressComplete(summary: DemoSummary): Promise<void> {
  const p = summary.progress;
  expect(p.tensorsDone).toBe(summary.tensorsTotal);
  expect(p.bytesDone).toBe(summary.bytesTotal);
  expect(p.fraction).toBe(1);
  const bar = await livePage().evaluate(() => {
    const el = document.getElementById('progress') as HTMLProgressElement;
    return { value: el.value, max: el.max, percent: el.dataset['percent'], text: document.getElementById('progress-text')!.textContent };
  });
  expect(bar.value).toBe(bar.max);
  expect(bar.percent).toBe('100.0');
  expect(bar.text).toContain(`${summary.tensorsTotal} / ${summary.tensorsTotal} tensors`);
}

async function safetensorsOf(summary: DemoSummary, tensors: readonly ResolvedTensor[], dtypeName: string): Promise<SafetensorsSummary> {
  const file = await livePage()
    .evaluate(() => window.demo.safetensors())
    .catch((e: unknown) => {
      throw new Error(`demo.safetensors failed: ${String(e)}${diagnostics()}`);
    });
  const header = parseSafetensorsHeader(Uint8Array.from(file.headerBytes), { fileSize: file.byteLength });
  expect(header.dataOffset).toBe(file.headerBytes.length);
  expect(header.dataOffset + header.dataBytes).toBe(file.byteLength);
  expect(header.dataBytes).toBe(summary.bytesTotal);
  expect(new Map(header.tensors.map((t) => [t.name, { dtype: t.dtype, shape: [...t.shape] }]))).toEqual(
    new Map(tensors.map((t) => [t.name, { dtype: dtypeName, shape: t.shape }])),
  );
  // The command line's keys (weightFileMetadata), which the README's Python example reads.
  expect(header.metadata['webgpu-weight-init.seed']).toBe(SEED);
  expect(header.metadata['format']).toBe('pt');
  const initializers = JSON.parse(header.metadata['webgpu-weight-init.initializers'] ?? 'null') as Record<string, { init: unknown; stream: string }>;
  expect(Object.fromEntries(Object.entries(initializers).map(([name, r]) => [name, [r.init, r.stream]]))).toEqual(
    Object.fromEntries(tensors.map((t) => [t.name, [t.init, String(t.stream)]])),
  );
  expect(file.filename).toMatch(/\.safetensors$/);
  const link = await livePage().evaluate(() => {
    const a = document.getElementById('download') as HTMLAnchorElement;
    return { hidden: a.hidden, href: a.href, download: a.download };
  });
  expect(link).toEqual({ hidden: false, href: file.href, download: file.filename });
  return file;
}

/** Bytes [begin, end) of the downloaded file, fetched from the link's object URL inside the page. */
async function fileBytes(href: string, slices: readonly (readonly [number, number])[]): Promise<{ size: number; slices: number[][] }> {
  return livePage().evaluate(
    async (url, ss) => {
      const buf = new Uint8Array(await (await fetch(url)).arrayBuffer());
      return { size: buf.length, slices: ss.map(([a, b]) => Array.from(buf.subarray(a, b))) };
    },
    href,
    slices,
  );
}

function littleEndian(bits: readonly number[], bytesPer: number): number[] {
  const out: number[] = [];
  for (const b of bits) for (let k = 0; k < bytesPer; k++) out.push((b >>> (8 * k)) & 0xff);
  return out;
}

beforeAll(async () => {
  opened = await openBuiltPage(CONFIG, '/index.html', 'demoReady');
  page = opened.page;
  await page.setViewport(WINDOW);
});

afterAll(async () => {
  await opened?.close();
});

describe('model demo page (headless Chromium)', () => {
  it('finds a WebGPU adapter and shows it', async () => {
    const shown = await livePage().evaluate(() => ({
      adapter: window.demo.adapter,
      text: document.getElementById('adapter')!.textContent ?? '',
      status: document.getElementById('status')!.textContent ?? '',
      plan: document.getElementById('plan')!.textContent ?? '',
    }));
    expect(shown.adapter, `no adapter: ${shown.status}${diagnostics()}`).toBeDefined();
    console.log(`demo page: adapter ${shown.adapter!.vendor}/${shown.adapter!.architecture} ${shown.adapter!.description}`);
    expect(shown.text).toMatch(/^adapter: /);
    expect(shown.text).toContain('maxBufferSize');
    expect(shown.text).toMatch(isSoftwareAdapter(shown.adapter!) ? /strategy: upload/ : /strategy: kernel/);
    // The default preset's plan: the tiny GPT-2.
    const tiny = resolveModel(gpt2(GPT2_TINY));
    expect(shown.plan).toContain(`${tiny.length} tensors`);
  });

  it('cancels a running initialization', async () => {
    const outcome = await livePage().evaluate(async (gpt2Config) => {
      const p = window.demo.init({ preset: 'gpt2', gpt2: gpt2Config, dtype: 'f32', seed: '42' });
      window.demo.cancel();
      try {
        await p;
        return 'resolved';
      } catch (e) {
        return e instanceof Error ? e.name : String(e);
      }
    }, GPT2_TINY);
    expect(outcome).toBe('AbortedError');
    const state = await livePage().evaluate(() => ({
      status: document.getElementById('status')!.textContent ?? '',
      run: (document.getElementById('run') as HTMLButtonElement).disabled,
      cancel: (document.getElementById('cancel') as HTMLButtonElement).disabled,
    }));
    expect(state).toEqual({ status: expect.stringContaining('cancelled') as unknown as string, run: false, cancel: true });
    // Nothing is left to sample.
    await expect(livePage().evaluate(() => window.demo.sample('wte.weight', 0, 4))).rejects.toThrow(/no model/);
  });

  describe.each([
    { dtype: 'f32', placement: 'tensor', st: 'F32', bytesPer: 4 },
    { dtype: 'bf16', placement: 'arena', st: 'BF16', bytesPer: 2 },
  ] as const)('tiny GPT-2 in $dtype ($placement placement)', ({ dtype, placement, st, bytesPer }) => {
    const tensors = resolveModel(gpt2(GPT2_TINY, { dtype }));
    let summary: DemoSummary;

    it('initializes with a complete progress bar and the expected table', async () => {
      summary = await init({ preset: 'gpt2', gpt2: GPT2_TINY, dtype, seed: SEED, placement });
      console.log(`demo page: gpt2 tiny ${dtype}: ${summary.tensorsTotal} tensors, ${summary.bytesTotal} bytes in ${summary.initMs.toFixed(0)} ms`);
      expect(summary.seed).toBe(SEED);
      // The demo uses createContext()'s default: the upload strategy on a software adapter.
      expect(summary.strategy).toBe(isSoftwareAdapter({ ...summary.adapter, device: '' }) ? 'upload' : 'kernel');
      expect(summary.dtype).toBe(dtype);
      expect(summary.placement).toBe(placement);
      expect(summary.tensors.map((t) => [t.name, t.shape, t.dtype])).toEqual(tensors.map((t) => [t.name, t.shape, dtype]));
      expect(summary.tensors.map((t) => t.stream)).toEqual(tensors.map((t) => t.stream.toString()));
      await expectProgressComplete(summary);
      const rows = await livePage().evaluate(() => document.querySelectorAll('#tensors tbody tr[data-name]').length);
      expect(rows).toBe(tensors.length);
      for (const [i, t] of tensors.entries()) {
        const s = summary.tensors[i]!;
        expect(s.init, t.name).toEqual(t.init);
        expect(s.measured.n, t.name).toBe(Math.min(t.numel, 1 << 16));
        if (t.resolved.kind === 'distribution') {
          expect(s.expectedStd, t.name).toBe(t.resolved.expectedStd);
          // A loose sanity check of the table's measured column (the bit-exact check is below).
          expect(Math.abs(s.measured.std / t.resolved.expectedStd - 1), t.name).toBeLessThan(0.1);
        } else if (t.resolved.kind === 'constant') {
          expect(s.measured).toMatchObject({ mean: t.resolved.value, std: 0 });
        }
      }
    });

    it(
      placement === 'tensor'
        ? "Run it: ONNX Runtime Web generates on the buffers just made (zero-copy), tokens/s shown; the tokens are onnxruntime-node's on the twin's weights"
        : 'Run it is refused for bf16 in an arena, with the reason',
      async () => {
        expect(summary, 'the init above failed').toBeDefined();
        const count = 6;
        const r = await livePage()
          .evaluate(
            (n) =>
              window.demo.generate(n).then(
                (x) => ({ ok: true as const, ...x }),
                (e: unknown) => ({ ok: false as const, error: String(e) }),
              ),
            count,
          )
          .catch((e: unknown) => {
            throw new Error(`demo.generate failed: ${String(e)}${diagnostics()}`);
          });
        const shown = await livePage().evaluate(() => ({
          status: document.getElementById('run-it-status')!.textContent ?? '',
          disabled: (document.getElementById('run-it') as HTMLButtonElement).disabled,
        }));
        if (placement !== 'tensor') {
          expect(r.ok).toBe(false);
          expect(shown.disabled).toBe(true);
          return;
        }
        if (!r.ok) throw new Error(`${r.error}${diagnostics()}`);
        console.log(`demo Run it: ${shown.status}`);
        expect(r.zeroCopy).toBe(true);
        expect(shown.status).toMatch(/tokens\/s/);
        expect(r.tokensPerSecond).toBeGreaterThan(0);
        // The same greedy tokens from onnxruntime-node (CPU EP) on the CPU twin's weights of the same seed.
        const ort = await import('onnxruntime-node');
        const config = { model_type: 'gpt2', ...GPT2_TINY };
        const onnx = decoderOnnx(config);
        const weights = twinWeights(resolveModel(gpt2(GPT2_TINY)), BigInt(SEED));
        const session = await ort.InferenceSession.create(onnx.bytes);
        try {
          const feeds = Object.fromEntries(onnx.weights.map((w) => [w.name, new ort.Tensor('float32', weights.get(w.name)!, w.shape)]));
          expect(await greedy(ort, session, onnx.architecture, r.prompt, count, feeds)).toEqual(r.tokens);
        } finally {
          await session.release();
        }
      },
    );

    it("every tensor's GPU values equal the CPU twin in Node, bit for bit", async () => {
      expect(summary, 'the init above failed').toBeDefined();
      await expectBitExact(
        tensors,
        tensors.flatMap((t) => rangesOf(t, 1024)),
      );
    });

    it('draws histograms: a density curve for a distribution, a spike for a constant', async () => {
      const p = livePage();
      // After init the page shows the first random tensor.
      const first = await p.evaluate(() => {
        const svg = document.querySelector('#histogram svg') as SVGSVGElement | null;
        return svg && { tensor: svg.dataset['tensor'], bars: svg.querySelectorAll('rect.bar').length, density: svg.querySelectorAll('path.density').length };
      });
      expect(first).toEqual({ tensor: 'wte.weight', bars: expect.any(Number) as unknown as number, density: 1 });
      expect(first!.bars).toBeGreaterThan(20);
      // Clicking a row draws that tensor.
      for (const [name, selector] of [
        ['h.1.mlp.c_proj.weight', 'path.density'],
        ['ln_f.weight', 'line.spike'],
      ] as const) {
        await p.click(`#tensors tbody tr[data-name="${name}"]`);
        await p
          .waitForFunction((n) => (document.querySelector('#histogram svg') as SVGSVGElement | null)?.dataset['tensor'] === n, { timeout: 10_000 }, name)
          .catch((e: unknown) => {
            throw new Error(`no histogram for ${name}: ${String(e)}${diagnostics()}`);
          });
        const drawn = await p.evaluate(
          (sel) => ({
            marks: document.querySelectorAll(`#histogram svg ${sel}`).length,
            selected: document.querySelector('#tensors tbody tr.selected')?.getAttribute('data-name'),
          }),
          selector,
        );
        expect(drawn, name).toEqual({ marks: expect.any(Number) as unknown as number, selected: name });
        expect(drawn.marks, name).toBeGreaterThan(0);
      }
    });

    it('downloads a .safetensors file with the right header and bytes', async () => {
      expect(summary, 'the init above failed').toBeDefined();
      const file = await safetensorsOf(summary, tensors, st);
      const header = parseSafetensorsHeader(Uint8Array.from(file.headerBytes), { fileSize: file.byteLength });
      const picks = ['wte.weight', 'h.1.attn.c_proj.weight', 'h.0.ln_1.weight'];
      const slices: [number, number][] = [];
      const want: number[][] = [];
      for (const name of picks) {
        const t = tensors.find((x) => x.name === name)!;
        const entry = header.tensors.find((x) => x.name === name)!;
        const range = { name, start: t.numel - 100, count: 100 };
        const begin = header.dataOffset + entry.dataOffsets[0] + range.start * bytesPer;
        slices.push([begin, begin + range.count * bytesPer]);
        want.push(littleEndian(twinBits(t, range), bytesPer));
      }
      const got = await fileBytes(file.href, slices);
      expect(got.size).toBe(file.byteLength);
      for (const [i, s] of got.slices.entries()) expect(s, `${picks[i]}: bytes of the downloaded file vs CPU twin`).toEqual(want[i]);
    });
    it('the download equals `init --out FILE` of the command line for the same model and seed, byte for byte', async () => {
      expect(summary, 'the init above failed').toBeDefined();
      const file = await safetensorsOf(summary, tensors, st);
      const digest = await livePage().evaluate(async (href) => {
        const bytes = await (await fetch(href)).arrayBuffer();
        return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
      }, file.href);
      const dir = mkdtempSync(join(tmpdir(), 'wwi-demo-cli-'));
      try {
        const out = join(dir, 'cli.safetensors');
        const args = ['init', '--preset', 'gpt2', '--config', JSON.stringify(GPT2_TINY), '--dtype', dtype, '--seed', SEED, '--placement', placement, '--quiet'];
        await promisify(execFile)(process.execPath, [join(ROOT, 'bin/webgpu-weight-init.js'), ...args, '--out', out]);
        const cli = readFileSync(out);
        expect(cli.length).toBe(file.byteLength);
        expect(digest, 'SHA-256 of the demo download vs the CLI file').toBe(createHash('sha256').update(cli).digest('hex'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('saves a checkpoint folder (a File System Access directory handle, here the origin private file system)', async () => {
      expect(summary, 'the init above failed').toBeDefined();
      const file = await safetensorsOf(summary, tensors, st);
      const read = async (maxShardSize?: string) =>
        livePage()
          .evaluate(
            async (href, size) => {
              const files = await window.demo.checkpoint(size === null ? {} : { maxShardSize: size });
              const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('checkpoint');
              const text = async (name: string) => (await (await dir.getFileHandle(name)).getFile()).text();
              const names: string[] = [];
              for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
              let sameAsDownload = false;
              if (names.includes('model.safetensors')) {
                const a = new Uint8Array(await (await (await dir.getFileHandle('model.safetensors')).getFile()).arrayBuffer());
                const b = new Uint8Array(await (await fetch(href)).arrayBuffer());
                sameAsDownload = a.length === b.length && a.every((x, i) => x === b[i]);
              }
              const index = names.includes('model.safetensors.index.json') ? JSON.parse(await text('model.safetensors.index.json')) : null;
              return { files, names: names.sort(), sameAsDownload, config: JSON.parse(await text('config.json')), index };
            },
            file.href,
            maxShardSize ?? null,
          )
          .catch((e: unknown) => {
            throw new Error(`demo.checkpoint failed: ${String(e)}${diagnostics()}`);
          });
      const single = await read();
      expect(single.files.map((f) => f.name)).toEqual(['model.safetensors', 'config.json']);
      expect(single.names).toEqual(['config.json', 'model.safetensors']);
      expect(single.sameAsDownload, 'model.safetensors equals the downloaded .safetensors byte for byte').toBe(true);
      expect(single.config).toMatchObject({ ...GPT2_TINY, model_type: 'gpt2', initializer_range: 0.02 });
      const sharded = await read('200KB');
      const shards = sharded.files.map((f) => f.name).filter((n) => n.startsWith('model-'));
      expect(shards.length).toBeGreaterThan(1);
      for (const [i, n] of shards.entries()) expect(n).toBe(`model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`);
      expect(sharded.names).toEqual([...shards, 'config.json', 'model.safetensors.index.json'].sort());
      expect(sharded.index.metadata.total_size).toBe(summary.bytesTotal);
      expect(Object.keys(sharded.index.weight_map).sort()).toEqual(tensors.map((t) => t.name).sort());
    });
  });

  it(`initializes ResNet-18 (${RESNET_CLASSES} classes) in bf16, bit-exact on a sample of tensors`, async () => {
    const tensors = resolveModel(resnet18({ numClasses: RESNET_CLASSES, dtype: 'bf16' }));
    const summary = await init({ preset: 'resnet18', resnet18: { numClasses: RESNET_CLASSES }, dtype: 'bf16', seed: SEED, placement: 'tensor' });
    console.log(`demo page: resnet18 bf16: ${summary.tensorsTotal} tensors, ${summary.bytesTotal} bytes in ${summary.initMs.toFixed(0)} ms`);
    expect(summary.tensors.map((t) => [t.name, t.shape])).toEqual(tensors.map((t) => [t.name, t.shape]));
    await expectProgressComplete(summary);
    const names = ['conv1.weight', 'bn1.weight', 'bn1.running_var', 'layer2.0.downsample.0.weight', 'layer4.1.conv2.weight', 'fc.weight', 'fc.bias'];
    const picked = tensors.filter((t) => names.includes(t.name));
    expect(picked.map((t) => t.name).sort()).toEqual([...names].sort());
    await expectBitExact(
      tensors,
      picked.flatMap((t) => rangesOf(t, 512)),
    );
    await safetensorsOf(summary, tensors, 'BF16');
    expect(
      (opened?.log ?? []).filter((l) => !l.startsWith('console.warn')),
      'the page reported errors',
    ).toEqual([]);
  });

  it(`ResNet-18's table and a bf16 histogram fit a ${WINDOW.width} px window, the caption says why bf16 bars step (screenshot)`, async () => {
    const p = livePage();
    // The ResNet-18 model of the test above is still shown; pick a bf16 conv weight.
    const name = 'layer4.1.conv2.weight';
    await p.click(`#tensors tbody tr[data-name="${name}"]`);
    await p.waitForFunction((n) => (document.querySelector('#histogram svg') as SVGSVGElement | null)?.dataset['tensor'] === n, { timeout: 10_000 }, name);
    const caption = await p.evaluate(() => document.getElementById('histogram-caption')!.textContent ?? '');
    expect(caption).toMatch(/Stepped bars: bf16 keeps 8 significant bits/);
    const shot = await fullPageScreenshot(p);
    expect(shot.width, 'a full-page screenshot is as wide as the page').toBe(WINDOW.width);
    expect(await layoutProblems(p)).toEqual([]);
    // Every column of the table is on screen: the last header cell ends inside the window.
    const lastHeader = await p.evaluate(() => document.querySelector('#tensors thead th:last-child')!.getBoundingClientRect().right);
    expect(lastHeader).toBeLessThanOrEqual(WINDOW.width);
  });

  it('switching model and cancelling leaves no stale histogram heading; the Llama table wraps names only between words', async () => {
    const p = livePage();
    // The ResNet-18 model above is shown, with a histogram of one of its tensors.
    expect(await p.evaluate(() => document.getElementById('histogram-title')!.textContent)).toMatch(/^Histogram: layer/);
    const outcome = await p.evaluate(async () => {
      const run = window.demo.init({ preset: 'llama', dtype: 'f32', seed: '7' });
      window.demo.cancel();
      return run.then(
        () => 'resolved',
        (e: unknown) => (e instanceof Error ? e.name : String(e)),
      );
    });
    expect(outcome).toBe('AbortedError');
    const after = await p.evaluate(() => ({
      title: document.getElementById('histogram-title')!.textContent,
      histogram: document.getElementById('histogram')!.textContent,
      caption: document.getElementById('histogram-caption')!.textContent,
    }));
    expect(after).toEqual({ title: 'Histogram', histogram: 'Cancelled.', caption: '' });
    // The Llama's table (rendered before the cancel; then initialized for real) in the window.
    await init({ preset: 'llama', dtype: 'f32', seed: '7' });
    expect(await p.evaluate(() => document.querySelector('#tensors tbody tr[data-name="model.norm.weight"]')?.textContent)).toContain('*norm.weight');
    expect(await wrapProblems(p, '#tensors')).toEqual([]);
    expect(await layoutProblems(p)).toEqual([]);
  });

  it('a cancelled folder picker is a quiet no-op: no error, the page as it was', async () => {
    const p = livePage();
    const before = await p.evaluate(() => document.getElementById('status')!.textContent);
    const after = await p.evaluate(async () => {
      // What Chromium's showDirectoryPicker does when the user closes the dialog.
      (window as unknown as { showDirectoryPicker: () => Promise<never> }).showDirectoryPicker = () =>
        Promise.reject(new DOMException("Failed to execute 'showDirectoryPicker' on 'Window': The user aborted a request.", 'AbortError'));
      document.getElementById('save-folder')!.click();
      await new Promise((r) => setTimeout(r, 100));
      const status = document.getElementById('status')!;
      return {
        status: status.textContent,
        error: status.classList.contains('error'),
        saveFolder: (document.getElementById('save-folder') as HTMLButtonElement).disabled,
      };
    });
    expect(after).toEqual({ status: before, error: false, saveFolder: false });
  });
});
