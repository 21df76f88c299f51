// Real models in real engines, in headless Chromium on the WebGPU adapter (SwiftShader here), nothing downloaded:
// the GPT-2 and Llama (grouped-query attention) graphs of decoderOnnx on weights the library makes in the page,
// run by ONNX Runtime Web's native WebGPU EP with the weights as GPU-buffer inputs (zero-copy, no weight byte read
// back) and as external data from a pack written in memory, and by transformers.js (greedy generate) on the same
// pack. Logits and greedy tokens are compared with PyTorch transformers' (test/output/onnx/fixtures, from
// scripts/onnx/reference.py). Page: test/browser/engines/onnx.html.
import type { HTTPRequest, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterSummary } from '../../src/index.js';
import { type FixtureName, loadFixture, maxLogitsDiff, type OnnxFixture } from '../helpers/onnx-fixtures.js';
import { type Harness, startHarness } from './engines/harness.js';

/**
 * Bound for f32 logits against PyTorch's (measured differences are printed), a tenth of the 1e-3: measured
 * 3.2e-6 (GPT-2) and 5.8e-6 (Llama) on SwiftShader. The Llama graphs were 1.07e-2 off while their rotary tables came
 * from the graph's Sin/Cos, which SwiftShader computes up to 1.9e-4 off at any angle; they are constant tables now
 * (decoder-graph.ts, docs/engines.md).
 */
const LOGITS_TOLERANCE = 1e-4;
/**
 * Zero-copy runs both models; external data and transformers.js run the Llama with grouped-query attention only (each
 * case costs 10-30 s on SwiftShader; GPT-2's pack is checked in onnxruntime-node and transformers.js in Node, and by
 * the docs snippets here).
 */
const CASES: readonly FixtureName[] = ['gpt2-tiny', 'llama-tiny-gqa'];
const PACK_CASES: readonly FixtureName[] = ['llama-tiny-gqa'];

let harness: Harness | undefined;
const tabs = new Map<string, Promise<{ page: Page; log: string[] }>>();

beforeAll(async () => {
  harness = await startHarness(new Map());
});
afterAll(async () => {
  await harness?.close();
});

function tab(key: string): Promise<{ page: Page; log: string[] }> {
  let t = tabs.get(key);
  if (!t) {
    if (!harness) throw new Error('the harness did not start');
    t = harness.open('/pages/onnx.html', 'zeroCopy');
    tabs.set(key, t);
  }
  return t;
}

async function call<T>(t: { page: Page; log: string[] }, fn: string, arg: unknown): Promise<T> {
  try {
    return (await t.page.evaluate((name, a) => (window as unknown as Record<string, (x: unknown) => Promise<unknown>>)[name]!(a), fn, arg)) as T;
  } catch (e) {
    throw new Error(`${fn}: ${e instanceof Error ? e.message : String(e)}\npage log:\n  ${t.log.join('\n  ') || '(empty)'}`, { cause: e });
  }
}

/**
 * Greedy tokens compared in the browser: the first GREEDY of the fixture's (each step on SwiftShader costs 0.3-0.6 s;
 * the Node tests compare all of them).
 */
const GREEDY = 4;
const args = (f: OnnxFixture) => ({ config: f.config, seed: f.seed, batch: f.batch, prompt: f.greedy.prompt, count: GREEDY, text: f.tokenizer.text });
const greedyTokens = (f: OnnxFixture) => f.greedy.tokens.slice(0, GREEDY);

/** Console errors that are not ONNX Runtime's warnings. */
const errors = (log: readonly string[]) => log.filter((l) => !l.startsWith('console.warn') && !/\[W:onnxruntime:/.test(l));

describe.each(CASES)('%s in ONNX Runtime Web 1.30 (native WebGPU EP) on weights made in the page', (name) => {
  const f = loadFixture(name);
  const vocab = f.logits.shape[2];

  it("zero-copy: initModel's buffers are the graph's inputs; logits equal PyTorch's, greedy tokens agree, no weight byte read back", async () => {
    const t = await tab('ort');
    const r = await call<{
      adapter: AdapterSummary;
      logits: number[];
      tokens: number[];
      firstTokenMs: number;
      msPerToken: number;
      initMs: number;
      sessionMs: number;
      weightReads: string[];
      sameBuffers: boolean;
      feedLocations: string[];
      validationError: string | null;
    }>(t, 'zeroCopy', args(f));
    const diff = maxLogitsDiff(r.logits, f.logits.data, f.batch.attention_mask, vocab);
    console.log(
      `${name} zero-copy on ${r.adapter.description || r.adapter.architecture}: max |logits diff| vs PyTorch ${diff.toExponential(2)}; init ${r.initMs.toFixed(0)} ms, session ${r.sessionMs.toFixed(0)} ms, first token ${r.firstTokenMs.toFixed(0)} ms, ${r.msPerToken.toFixed(0)} ms/token`,
    );
    expect(diff).toBeLessThanOrEqual(LOGITS_TOLERANCE);
    expect(r.tokens).toEqual(greedyTokens(f));
    expect(r.sameBuffers, 'every weight feed is the initialized GPUBuffer itself').toBe(true);
    expect(r.feedLocations).toEqual(['gpu-buffer']);
    expect(r.weightReads, 'no weight buffer was copied out or mapped').toEqual([]);
    expect(r.validationError).toBeNull();
    expect(errors(t.log)).toEqual([]);
  });
});

describe.each(PACK_CASES)('%s from a pack written in memory, in ONNX Runtime Web 1.30 (native WebGPU EP)', (name) => {
  const f = loadFixture(name);
  const vocab = f.logits.shape[2];

  it('external data: the pack written in memory by writeOnnxPack, model.onnx_data through externalData; logits and tokens as PyTorch', async () => {
    const t = await tab('ort');
    const r = await call<{ logits: number[]; tokens: number[]; digest: string; files: string[] }>(t, 'externalData', args(f));
    const diff = maxLogitsDiff(r.logits, f.logits.data, f.batch.attention_mask, vocab);
    console.log(`${name} external data: max |logits diff| vs PyTorch ${diff.toExponential(2)}`);
    expect(r.digest, "the page's model.onnx_data is the reference pack's").toBe(f.onnx_data_sha256);
    expect(r.files).toEqual(['config.json', 'generation_config.json', 'onnx/model.onnx', 'onnx/model.onnx_data', 'tokenizer.json', 'tokenizer_config.json']);
    expect(diff).toBeLessThanOrEqual(LOGITS_TOLERANCE);
    expect(r.tokens).toEqual(greedyTokens(f));
    expect(errors(t.log)).toEqual([]);
  });
});

describe('transformers.js 4.3 in headless Chromium on a pack made in the page, offline', () => {
  it.each(PACK_CASES)('%s: greedy generate on WebGPU gives PyTorch’s tokens; no request for a model file, none off this server', async (name) => {
    const f = loadFixture(name);
    const t = await tab('transformers.js');
    const requests: string[] = [];
    const onRequest = (r: HTTPRequest) => requests.push(r.url());
    t.page.on('request', onRequest);
    let r: { tokens: number[]; encoded: number[]; device: string | null };
    try {
      r = await call(t, 'transformersJs', args(f));
    } finally {
      t.page.off('request', onRequest);
    }
    const origin = harness!.origin;
    // blob: URLs are the page's own memory (ORT's wasm glue loaded from a Blob), not requests to anywhere.
    expect(requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith(`blob:${origin}/`))).toEqual([]);
    expect(requests.filter((u) => /\/models\/|\.onnx|config\.json|tokenizer/.test(u))).toEqual([]);
    // What it did fetch: transformers.js, its onnxruntime-web and that runtime's wasm, from this server.
    expect(
      requests.filter((u) => u.startsWith(`${origin}/`) && !u.startsWith(`${origin}/vendor/`) && !/^[^/]*\/[\w-]+\.js$/.test(u.slice(origin.length))),
    ).toEqual([]);
    console.log(`${name} transformers.js: requests during the call: ${requests.map((u) => u.replace(origin, '')).join(', ') || 'none'}`);
    expect(r.tokens).toEqual(greedyTokens(f));
    expect(r.encoded).toEqual(f.tokenizer.input_ids);
    expect(errors(t.log)).toEqual([]);
  });
});
