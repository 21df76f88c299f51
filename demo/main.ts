// The model demo page: pick a preset (GPT-2, Llama, ResNet-18), initialize it on this browser's GPU with
// initModel (progress bar, cancel), look at each tensor's values read back from the GPU as a histogram
// against the theoretical density, and download the model as a .safetensors file. Plain DOM and inline
// SVG, no framework. Built and served by Vite with demo/vite.config.ts:
//
//   npx vite --config demo/vite.config.ts          # dev server on 127.0.0.1
//   npx vite build --config demo/vite.config.ts    # static build in demo/dist/
//
// For tests (test/browser/demo.test.ts) the page exposes window.demo: init(config) → summary,
// sample(name, start, count) → bit patterns, safetensors() → the file's size and header bytes,
// select(name), cancel().

import { bitsOf, DTYPE_BYTES } from '../src/contract/dtypes.js';
import type { Strategy } from '../src/contract/strategy.js';
import { parseU64 } from '../src/contract/u64.js';
import { AbortedError } from '../src/errors.js';
import { createContext, type FloatDType, type WeightInitContext } from '../src/gpu/context.js';
import type { AdapterSummary } from '../src/gpu/device.js';
import { type InitializerSpec, type ResolvedInitializer, truncatedNormalMoments } from '../src/init/resolve-initializer.js';
import { diracProgressions, eyeProgressions } from '../src/init/structured.js';
import {
  DEFAULT_MAX_SHARD_SIZE,
  encodeCheckpointLayout,
  gpt2,
  hfConfig,
  llama,
  type ModelSpec,
  modelTotals,
  planCheckpoint,
  type ResolvedTensor,
  resnet18,
  resolveModel,
} from '../src/models/index.js';
import {
  blobSink,
  byteLevelTokenizer,
  byteToUnicode,
  type DirectoryHandleLike,
  decoderOnnx,
  decoderWeightFeeds,
  directoryHandleFolder,
  greedyDecode,
  type InitializedModel,
  type InitializedTensor,
  initModel,
  type ModelProgress,
  ortWebGpuExecutionProvider,
  weightFileMetadata,
  writeCheckpoint,
  writeSafetensors,
} from '../src/output/index.js';
import { storedToNumber } from '../src/twin/pack.js';

// ---------------------------------------------------------------------------------------------------
// configuration

export type PresetName = 'gpt2' | 'gpt2-small' | 'llama' | 'resnet18';
export type Placement = 'tensor' | 'arena';

export interface Gpt2Fields {
  n_layer: number;
  n_embd: number;
  n_head: number;
  vocab_size: number;
  n_positions: number;
}

export interface LlamaFields {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  vocab_size: number;
  tie_word_embeddings: boolean;
}

/** What window.demo.init takes: every field optional; missing ones keep the form's current value. */
export interface DemoConfig {
  /** Choosing a preset first resets its fields to the preset's defaults (then `gpt2` / `llama` apply). */
  preset?: PresetName;
  gpt2?: Partial<Gpt2Fields>;
  llama?: Partial<LlamaFields>;
  resnet18?: { numClasses?: number };
  dtype?: FloatDType;
  seed?: string | number;
  placement?: Placement;
}

interface Settings {
  preset: PresetName;
  gpt2: Gpt2Fields;
  llama: LlamaFields;
  numClasses: number;
  dtype: FloatDType;
  seed: string;
  placement: Placement;
}

/** Small enough for a software adapter (SwiftShader): about 0.5M parameters. */
const GPT2_TINY: Gpt2Fields = { n_layer: 2, n_embd: 128, n_head: 4, vocab_size: 1000, n_positions: 128 };
/** GPT2Config's defaults: GPT-2 small, 124,439,808 parameters. */
const GPT2_SMALL: Gpt2Fields = { n_layer: 12, n_embd: 768, n_head: 12, vocab_size: 50257, n_positions: 1024 };
/** A Llama with grouped-query attention, about 0.5M parameters. */
const LLAMA_TINY: LlamaFields = {
  hidden_size: 128,
  intermediate_size: 344,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 1000,
  tie_word_embeddings: false,
};
const RESNET_CLASSES = 1000;

const GPT2_KEYS = Object.keys(GPT2_TINY) as (keyof Gpt2Fields)[];
const LLAMA_NUMBER_KEYS = Object.keys(LLAMA_TINY).filter((k) => k !== 'tie_word_embeddings') as Exclude<keyof LlamaFields, 'tie_word_embeddings'>[];

// ---------------------------------------------------------------------------------------------------
// results

export interface TensorStats {
  /** Elements read back: the first min(numel, 2^16). */
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface TensorSummary {
  name: string;
  shape: number[];
  dtype: FloatDType;
  numel: number;
  /** The Philox stream, decimal. */
  stream: string;
  init: InitializerSpec;
  /** The rule that supplied the initializer ('explicit' for a tensor's own). */
  rule: string;
  /** ResolvedInitializer.kind: distribution, constant, eye, dirac, orthogonal. */
  kind: ResolvedInitializer['kind'];
  /** What the table shows, e.g. "normal(0, σ=0.02)". */
  initializer: string;
  expectedMean: number | null;
  expectedStd: number | null;
  measured: TensorStats;
}

export interface DemoSummary {
  preset: PresetName;
  model: string;
  dtype: FloatDType;
  seed: string;
  placement: Placement;
  tensorsTotal: number;
  numel: number;
  bytesTotal: number;
  /** Wall time of initModel, in milliseconds. */
  initMs: number;
  progress: ModelProgress & { fraction: number };
  adapter: Pick<AdapterSummary, 'vendor' | 'architecture' | 'description' | 'isFallbackAdapter'>;
  /** How the context generated: WGSL kernels, or the SIMD CPU generator in workers + writeBuffer. */
  strategy: Strategy;
  tensors: TensorSummary[];
}

export interface SafetensorsSummary {
  filename: string;
  byteLength: number;
  /** The file's first 8 + N bytes: the length prefix and the JSON header. */
  headerBytes: number[];
  /** The object URL of the download link. */
  href: string;
}

export interface DemoApi {
  /** The adapter the page runs on, once the context exists. */
  adapter: AdapterSummary | undefined;
  init(config?: DemoConfig): Promise<DemoSummary>;
  /** Bit patterns of elements [start, start + count) read back from the GPU: u32 for f32, u16 for f16/bf16. */
  sample(name: string, start: number, count: number): Promise<number[]>;
  safetensors(): Promise<SafetensorsSummary>;
  /**
   * Writes the current model as a Hugging Face checkpoint folder (config.json, model.safetensors or shards + index)
   * into `dir`, or by default into a fresh `checkpoint` folder of the origin private file system; returns the files.
   */
  checkpoint(options?: { maxShardSize?: string; dir?: DirectoryHandleLike }): Promise<{ name: string; bytes: number }[]>;
  /** Selects a tensor and draws its histogram. */
  select(name: string): Promise<TensorStats>;
  /** Aborts a running init (it then rejects with AbortedError). */
  cancel(): void;
  /** Run it: greedy tokens from ONNX Runtime Web on the current model's buffers (GPT-2 / Llama, f32, 'tensor'). */
  generate(count?: number): Promise<RunItSummary>;
}

export interface RunItSummary {
  prompt: number[];
  tokens: number[];
  /** The tokens decoded by the pack's stand-in byte-level tokenizer (not the model family's). */
  text: string;
  sessionMs: number;
  firstTokenMs: number;
  tokensPerSecond: number;
  /** True when every weight feed is the initialized GPUBuffer itself. */
  zeroCopy: boolean;
}

declare global {
  interface Window {
    demo: DemoApi;
    demoReady?: boolean;
  }
}

// ---------------------------------------------------------------------------------------------------
// DOM helpers

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo/index.html has no #${id}`);
  return el as T;
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function status(text: string, error = false): void {
  const el = $('status');
  el.textContent = text;
  el.className = error ? 'error' : '';
}

/** 3-4 significant digits, without trailing zeros; exact zeros and integers stay short. */
function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  const s = a >= 1e-3 && a < 1e5 ? v.toPrecision(4) : v.toExponential(3);
  return s.replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

// ---------------------------------------------------------------------------------------------------
// the form

function numberInput(id: string, label: string, value: number): string {
  return `<label>${escapeHtml(label)}<input type="number" id="${id}" name="${id}" min="1" step="1" value="${value}"></label>`;
}

function buildFields(): void {
  $('fields-gpt2').insertAdjacentHTML('beforeend', GPT2_KEYS.map((k) => numberInput(`gpt2-${k}`, k, GPT2_TINY[k])).join(''));
  $('fields-llama').insertAdjacentHTML(
    'beforeend',
    LLAMA_NUMBER_KEYS.map((k) => numberInput(`llama-${k}`, k, LLAMA_TINY[k])).join('') +
      `<label class="inline"><input type="checkbox" id="llama-tie_word_embeddings" name="llama-tie_word_embeddings"> tie_word_embeddings</label>`,
  );
  $('fields-resnet18').insertAdjacentHTML('beforeend', numberInput('resnet18-numClasses', 'num classes', RESNET_CLASSES));
}

function setNumber(id: string, v: number): void {
  $<HTMLInputElement>(id).value = String(v);
}

function getNumber(id: string): number {
  const el = $<HTMLInputElement>(id);
  return el.value.trim() === '' ? Number.NaN : Number(el.value);
}

function showPresetFields(preset: PresetName): void {
  const family = preset === 'gpt2-small' ? 'gpt2' : preset;
  for (const f of ['gpt2', 'llama', 'resnet18']) $(`fields-${f}`).hidden = f !== family;
}

/** Puts a preset's default config into its fields and shows them. */
function choosePreset(preset: PresetName): void {
  $<HTMLSelectElement>('preset').value = preset;
  if (preset === 'gpt2' || preset === 'gpt2-small') {
    const d = preset === 'gpt2' ? GPT2_TINY : GPT2_SMALL;
    for (const k of GPT2_KEYS) setNumber(`gpt2-${k}`, d[k]);
  } else if (preset === 'llama') {
    for (const k of LLAMA_NUMBER_KEYS) setNumber(`llama-${k}`, LLAMA_TINY[k]);
    $<HTMLInputElement>('llama-tie_word_embeddings').checked = LLAMA_TINY.tie_word_embeddings;
  } else {
    setNumber('resnet18-numClasses', RESNET_CLASSES);
  }
  showPresetFields(preset);
}

const PRESETS: readonly PresetName[] = ['gpt2', 'gpt2-small', 'llama', 'resnet18'];

function applyConfig(c: DemoConfig): void {
  if (c === null || typeof c !== 'object') throw new TypeError('demo.init: config must be an object');
  if (c.preset !== undefined) {
    if (!PRESETS.includes(c.preset)) throw new TypeError(`demo.init: preset ${JSON.stringify(c.preset)} is not one of ${PRESETS.join(', ')}`);
    choosePreset(c.preset);
  }
  for (const [k, v] of Object.entries(c.gpt2 ?? {})) {
    if (!(GPT2_KEYS as string[]).includes(k)) throw new TypeError(`demo.init: unknown GPT-2 field ${k}`);
    setNumber(`gpt2-${k}`, Number(v));
  }
  for (const [k, v] of Object.entries(c.llama ?? {})) {
    if (k === 'tie_word_embeddings') $<HTMLInputElement>('llama-tie_word_embeddings').checked = v === true;
    else if ((LLAMA_NUMBER_KEYS as string[]).includes(k)) setNumber(`llama-${k}`, Number(v));
    else throw new TypeError(`demo.init: unknown Llama field ${k}`);
  }
  if (c.resnet18?.numClasses !== undefined) setNumber('resnet18-numClasses', c.resnet18.numClasses);
  if (c.dtype !== undefined) $<HTMLSelectElement>('dtype').value = c.dtype;
  if (c.seed !== undefined) $<HTMLInputElement>('seed').value = String(c.seed);
  if (c.placement !== undefined) $<HTMLSelectElement>('placement').value = c.placement;
  // A select silently keeps no option for an unknown value: check it took.
  if (c.dtype !== undefined && $<HTMLSelectElement>('dtype').value !== c.dtype)
    throw new TypeError(`demo.init: dtype ${String(c.dtype)} is not f32, f16 or bf16`);
  if (c.placement !== undefined && $<HTMLSelectElement>('placement').value !== c.placement)
    throw new TypeError(`demo.init: placement ${String(c.placement)} is not tensor or arena`);
}

function readSettings(): Settings {
  const gpt2Fields = {} as Gpt2Fields;
  for (const k of GPT2_KEYS) gpt2Fields[k] = getNumber(`gpt2-${k}`);
  const llamaFields = { tie_word_embeddings: $<HTMLInputElement>('llama-tie_word_embeddings').checked } as LlamaFields;
  for (const k of LLAMA_NUMBER_KEYS) llamaFields[k] = getNumber(`llama-${k}`);
  return {
    preset: $<HTMLSelectElement>('preset').value as PresetName,
    gpt2: gpt2Fields,
    llama: llamaFields,
    numClasses: getNumber('resnet18-numClasses'),
    dtype: $<HTMLSelectElement>('dtype').value as FloatDType,
    seed: $<HTMLInputElement>('seed').value.trim(),
    placement: $<HTMLSelectElement>('placement').value as Placement,
  };
}

/** The preset's config, for a checkpoint folder's config.json. */
function configOf(s: Settings): Record<string, unknown> {
  switch (s.preset) {
    case 'gpt2':
    case 'gpt2-small':
      return { model_type: 'gpt2', ...s.gpt2 };
    case 'llama':
      return { model_type: 'llama', ...s.llama };
    case 'resnet18':
      return { numClasses: s.numClasses };
  }
}

function buildSpec(s: Settings): ModelSpec {
  switch (s.preset) {
    case 'gpt2':
    case 'gpt2-small':
      return gpt2({ ...s.gpt2 }, { dtype: s.dtype, name: s.preset === 'gpt2' ? 'gpt2-tiny' : 'gpt2-small' });
    case 'llama':
      return llama({ ...s.llama }, { dtype: s.dtype, name: 'llama-tiny' });
    case 'resnet18':
      return resnet18({ numClasses: s.numClasses, dtype: s.dtype });
  }
}

// ---------------------------------------------------------------------------------------------------
// state

let ctx: WeightInitContext | undefined;
let contextError: string | undefined;

interface Current {
  settings: Settings;
  seed: bigint;
  spec: ModelSpec;
  tensors: ResolvedTensor[];
  model: InitializedModel;
  stats: Map<string, TensorStats>;
  file?: { blob: Blob; href: string; filename: string; headerBytes: Uint8Array };
}

let current: Current | undefined;
let running: AbortController | undefined;
/** The .safetensors file being written (reads the model's buffers: no new init meanwhile). */
let writing: Promise<NonNullable<Current['file']>> | undefined;
/** Makes a later histogram request win over an earlier one still reading. */
let selectToken = 0;

const MAX_SAMPLE = 1 << 16;

function setBusy(busy: boolean): void {
  $<HTMLButtonElement>('run').disabled = busy || !ctx;
  $<HTMLButtonElement>('cancel').disabled = !busy;
  $<HTMLButtonElement>('save').disabled = busy || !current;
  $<HTMLButtonElement>('save-folder').disabled = busy || !current;
  $<HTMLButtonElement>('run-it').disabled = busy || runItBlocker() !== undefined;
}

// ---------------------------------------------------------------------------------------------------
// Run it: the decoder's ONNX graph (src/output/onnx/) in ONNX Runtime Web's WebGPU EP, fed the buffers just made

/** Why the current model cannot be run, or undefined when it can. */
function runItBlocker(): string | undefined {
  if (!current || !ctx) return 'initialize a model first';
  const s = current.settings;
  if (s.preset === 'resnet18') return 'Run it takes GPT-2 or Llama';
  if (s.dtype !== 'f32') return `f32 only here (f16 kernels need a device with 'shader-f16'; ORT Web has no bf16)`;
  if (s.placement !== 'tensor') return "one buffer per tensor only: ORT reads a tensor from byte 0 of its buffer, so an arena's tensors cannot be fed";
  return undefined;
}

async function generateTokens(count = 16): Promise<RunItSummary> {
  const blocker = runItBlocker();
  if (blocker) throw new Error(`Run it: ${blocker}`);
  const cur = current!;
  const c = ctx!;
  const show = (text: string, error = false) => {
    const el = $('run-it-status');
    el.textContent = text;
    el.classList.toggle('warn', error);
  };
  setBusy(true);
  $<HTMLButtonElement>('run').disabled = true;
  try {
    show('loading ONNX Runtime Web…');
    const ort = await import('onnxruntime-web/webgpu');
    ort.env.wasm.numThreads = 1;
    // ORT prints warnings (e.g. which nodes it put on the CPU) through console.error: keep the console for errors.
    ort.env.logLevel = 'error';
    const config = configOf(cur.settings);
    const onnx = decoderOnnx(config, { weights: 'inputs' });
    const arch = onnx.architecture;
    const feeds = decoderWeightFeeds(ort, onnx, cur.model);
    const zeroCopy = onnx.weights.every((w) => feeds[w.name]!.gpuBuffer === cur.model.get(w.name)!.buffer);
    show('creating the session (ONNX Runtime compiles its WebGPU kernels on first use)…');
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(onnx.bytes, { executionProviders: [ortWebGpuExecutionProvider(c.device)], logSeverityLevel: 3 });
    const sessionMs = performance.now() - t0;
    // The stand-in tokenizer of the ONNX pack: byte tokens, so the prompt is the bytes of a text.
    const tok = byteLevelTokenizer({ vocabSize: arch.vocabSize, bosTokenId: arch.bosTokenId, eosTokenId: arch.eosTokenId, maxLength: 1 << 20 });
    const chars = byteToUnicode();
    const prompt = Array.from(new TextEncoder().encode('Hello'), (b) => tok.vocab.get(chars[b]!)!);
    let firstTokenMs = 0;
    const t1 = performance.now();
    let tokens: number[];
    try {
      tokens = await greedyDecode(ort, session, arch, prompt, count, {
        feeds,
        onToken: (_token, step) => {
          if (step === 0) firstTokenMs = performance.now() - t1;
          show(`generated ${step + 1} / ${count} tokens…`);
        },
      });
    } finally {
      await session.release();
    }
    const restMs = performance.now() - t1 - firstTokenMs;
    const tokensPerSecond = count > 1 ? (count - 1) / (restMs / 1000) : 0;
    // Decode: token strings back to bytes through the byte table (merged tokens are several bytes).
    const byChar = new Map(chars.map((ch, b) => [ch, b]));
    const strings = new Map([...tok.vocab].map(([s, id]) => [id, s]));
    const bytesOut = tokens.flatMap((t) => [...(strings.get(t) ?? '')].flatMap((ch) => (byChar.has(ch) ? [byChar.get(ch)!] : [])));
    const text = new TextDecoder().decode(new Uint8Array(bytesOut));
    show(
      `${count} tokens: session ${(sessionMs / 1000).toFixed(2)} s, first token after ${firstTokenMs.toFixed(0)} ms, then ${tokensPerSecond.toFixed(1)} tokens/s (random weights: the text is noise; the tokenizer is the pack's byte-level stand-in)`,
    );
    const pre = $('run-it-text');
    pre.hidden = false;
    pre.textContent = `ids ${tokens.join(' ')}\ntext ${JSON.stringify(text)}`;
    return { prompt, tokens, text, sessionMs, firstTokenMs, tokensPerSecond, zeroCopy };
  } catch (e) {
    show(messageOf(e), true);
    throw e;
  } finally {
    setBusy(false);
  }
}

async function getContext(): Promise<WeightInitContext> {
  if (ctx && !ctx.isLost) return ctx;
  if (ctx?.isLost) {
    // A lost device cannot be revived: start over on a new one.
    current = undefined;
    ctx = undefined;
  }
  ctx = await createContext();
  window.demo.adapter = ctx.adapter;
  showAdapter(ctx);
  void ctx.lost.then((e) => {
    status(`the GPU device was lost (${e.message}); the next Initialize asks for a new one`, true);
    setBusy(false);
  });
  return ctx;
}

function showAdapter(c: WeightInitContext): void {
  const a = c.adapter;
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' / ') || '(no adapter info)';
  const lines = [
    `adapter: ${name}${a.description ? ` (${a.description})` : ''}${a.isFallbackAdapter ? ' [fallback / software adapter]' : ''}`,
    `limits: maxBufferSize ${bytes(a.limits.maxBufferSize)}, maxStorageBufferBindingSize ${bytes(a.limits.maxStorageBufferBindingSize)}, ` +
      `maxComputeWorkgroupsPerDimension ${count(a.limits.maxComputeWorkgroupsPerDimension)}`,
    `features: ${a.features.length ? a.features.join(', ') : '(none)'}`,
    `strategy: ${c.strategy === 'upload' ? 'upload (SIMD CPU generator in Web Workers + writeBuffer: faster on a software adapter)' : 'kernel (WGSL compute shaders)'}`,
  ];
  $('adapter').textContent = lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// plan preview

function updatePlan(): void {
  const el = $('plan');
  try {
    const s = readSettings();
    parseU64(s.seed, 'seed');
    const tensors = resolveModel(buildSpec(s));
    const totals = modelTotals(tensors);
    let text = `${count(totals.tensors)} tensors, ${count(totals.numel)} parameters, ${bytes(totals.byteLength)} in ${s.dtype}`;
    const limits = ctx?.adapter.limits;
    if (limits) {
      const biggest = tensors.reduce((m, t) => Math.max(m, t.byteLength), 0);
      if (biggest > limits.maxBufferSize) text += ` — a tensor of ${bytes(biggest)} exceeds this adapter's maxBufferSize`;
      else if (s.placement === 'arena' && totals.byteLength > limits.maxBufferSize)
        text += ` — too large for one arena here (maxBufferSize ${bytes(limits.maxBufferSize)}): use one buffer per tensor`;
    }
    el.textContent = text;
    el.className = '';
  } catch (e) {
    el.textContent = messageOf(e);
    el.className = 'error';
  }
}

// ---------------------------------------------------------------------------------------------------
// progress

function fractionOf(p: ModelProgress): number {
  return p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : p.tensorsTotal > 0 ? p.tensorsDone / p.tensorsTotal : 1;
}

function showProgress(p: ModelProgress, startedAt: number): void {
  const fraction = fractionOf(p);
  const bar = $<HTMLProgressElement>('progress');
  bar.value = fraction;
  bar.dataset['percent'] = (100 * fraction).toFixed(1);
  const seconds = (performance.now() - startedAt) / 1000;
  const rate = seconds > 0 ? p.bytesDone / seconds : 0;
  $('progress-text').textContent =
    `${(100 * fraction).toFixed(0)}% · ${count(p.tensorsDone)} / ${count(p.tensorsTotal)} tensors · ` +
    `${bytes(p.bytesDone)} / ${bytes(p.bytesTotal)} · ${bytes(rate)}/s · ${seconds.toFixed(1)} s`;
}

function resetProgress(): void {
  const bar = $<HTMLProgressElement>('progress');
  bar.value = 0;
  bar.dataset['percent'] = '0';
  $('progress-text').textContent = '';
}

// ---------------------------------------------------------------------------------------------------
// values

/** Expected mean and std of the whole tensor; `approx` when only an approximation is cheap. */
function expectedMoments(t: ResolvedTensor): { mean: number; std: number; approx: boolean } | null {
  const r = t.resolved;
  switch (r.kind) {
    case 'distribution':
      return { mean: r.expectedMean, std: r.expectedStd, approx: false };
    case 'constant':
      return { mean: r.value, std: 0, approx: false };
    case 'eye':
    case 'dirac': {
      if (t.numel === 0) return null;
      const ones = (r.kind === 'eye' ? eyeProgressions(r.rows, r.cols) : diracProgressions(r.shape, r.groups)).reduce((n, p) => n + p.n, 0);
      const v = r.kind === 'eye' ? r.value : 1;
      const p = ones / t.numel;
      return { mean: v * p, std: Math.abs(v) * Math.sqrt(p * (1 - p)), approx: false };
    }
    case 'orthogonal': {
      // Semi-orthogonal rows x cols times gain: the squares sum to gain² · min(rows, cols). Mean ≈ 0.
      if (t.numel === 0) return null;
      return { mean: 0, std: r.gain * Math.sqrt(Math.min(r.rows, r.cols) / (r.rows * r.cols)), approx: true };
    }
  }
}

function describeInitializer(t: ResolvedTensor): string {
  const r = t.resolved;
  let what: string;
  let kind: string;
  switch (r.kind) {
    case 'distribution': {
      const d = r.dist;
      kind = d.kind;
      if (d.kind === 'uniform') what = `uniform(${num(d.low)}, ${num(d.high)})`;
      else if (d.kind === 'normal') what = `normal(${num(d.mean)}, σ=${num(d.std)})`;
      else {
        const unit = (d.bounds ?? 'std') === 'std' ? 'σ' : '';
        what = `truncNormal(${num(d.mean)}, σ=${num(d.std)}, [${num(d.a)}${unit}, ${num(d.b)}${unit}])`;
      }
      break;
    }
    case 'constant':
      kind = 'constant';
      what = `constant ${num(r.value)}`;
      break;
    case 'eye':
      kind = 'eye';
      what = r.value === 1 ? 'eye' : `eye × ${num(r.value)}`;
      break;
    case 'dirac':
      kind = 'dirac';
      what = r.groups === 1 ? 'dirac' : `dirac (groups ${r.groups})`;
      break;
    case 'orthogonal':
      kind = 'orthogonal';
      what = `orthogonal (gain ${num(r.gain)})`;
      break;
  }
  if (t.init.kind === 'zeros' || t.init.kind === 'ones') return t.init.kind;
  return t.init.kind === kind ? what : `${t.init.kind} → ${what}`;
}

function tensorOf(name: string): { resolved: ResolvedTensor; gpu: InitializedTensor } {
  if (!current) throw new Error('no model: call demo.init() (or press Initialize) first');
  const gpu = current.model.get(name);
  const resolved = current.tensors.find((t) => t.name === name);
  if (!gpu || !resolved) throw new Error(`the model has no tensor ${JSON.stringify(name)}`);
  return { resolved, gpu };
}

/** Bit patterns of elements [start, start + n) straight from the tensor's GPU buffer. */
async function readBits(t: InitializedTensor, start: number, n: number): Promise<Uint32Array | Uint16Array> {
  const c = await getContext();
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(n) || start < 0 || n < 0 || start + n > numel) {
    throw new RangeError(`${t.name}: elements [${start}, ${start + n}) are not inside [0, ${numel})`);
  }
  const raw = await c.read(t.buffer, { offset: t.offset + start * DTYPE_BYTES[t.dtype], count: n, dtype: t.dtype });
  return bitsOf(raw);
}

function decode(bits: Uint32Array | Uint16Array, dtype: FloatDType): Float64Array {
  if (dtype === 'f32') return Float64Array.from(new Float32Array(bits.buffer, bits.byteOffset, bits.length));
  const f = storedToNumber(dtype);
  const out = new Float64Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f(bits[i]!);
  return out;
}

function statsOf(values: Float64Array): TensorStats {
  const n = values.length;
  if (n === 0) return { n: 0, mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { n, mean, std: Math.sqrt(ss / n), min, max };
}

async function sampleValues(name: string): Promise<{ t: ResolvedTensor; values: Float64Array }> {
  const { resolved, gpu } = tensorOf(name);
  const n = Math.min(resolved.numel, MAX_SAMPLE);
  return { t: resolved, values: decode(await readBits(gpu, 0, n), resolved.dtype) };
}

// ---------------------------------------------------------------------------------------------------
// table

/** Escaped text that may wrap after a '.', '_' or '/' (a tensor name, a glob) but never inside a word. */
function wrappable(s: string): string {
  return escapeHtml(s).replace(/([._/])/g, '$1<wbr>');
}

function renderTable(tensors: readonly ResolvedTensor[]): void {
  const head = ['#', 'name', 'shape', 'dtype', 'initializer', 'rule', 'expected mean', 'expected std', 'measured mean', 'measured std', 'n'];
  $('tensors').querySelector('thead')!.innerHTML = `<tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = tensors
    .map((t, i) => {
      const m = expectedMoments(t);
      const approx = m?.approx ? '≈' : '';
      return (
        `<tr data-name="${escapeHtml(t.name)}" tabindex="0">` +
        `<td class="right">${i}</td><td class="wrap">${wrappable(t.name)}</td><td>[${t.shape.join(', ')}]</td><td>${t.dtype}</td>` +
        `<td class="wrap">${escapeHtml(describeInitializer(t))}</td><td class="wrap">${wrappable(t.rule)}</td>` +
        `<td class="right">${m ? approx + num(m.mean) : ''}</td><td class="right">${m ? approx + num(m.std) : ''}</td>` +
        `<td class="right measured-mean"></td><td class="right measured-std"></td><td class="right measured-n"></td></tr>`
      );
    })
    .join('');
  $('tensors').querySelector('tbody')!.innerHTML = body;
}

function rowOf(name: string): HTMLTableRowElement | undefined {
  return Array.from($('tensors').querySelectorAll<HTMLTableRowElement>('tbody tr')).find((tr) => tr.dataset['name'] === name);
}

function showStats(name: string, s: TensorStats): void {
  const tr = rowOf(name);
  if (!tr) return;
  tr.querySelector('.measured-mean')!.textContent = num(s.mean);
  tr.querySelector('.measured-std')!.textContent = num(s.std);
  tr.querySelector('.measured-n')!.textContent = count(s.n);
}

// ---------------------------------------------------------------------------------------------------
// histogram

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** The theoretical law of a tensor's values: a density on an interval, a point mass, or none. */
type Theory =
  | {
      kind: 'pdf';
      label: string;
      /** The support [lo, hi] (bounded) or the part of it worth drawing (mean ± 4σ). */
      lo: number;
      hi: number;
      /** True when the density drops to 0 at lo and hi: the bins then start and end there. */
      bounded: boolean;
      points(lo: number, hi: number): [number, number][];
    }
  | { kind: 'spike'; label: string; at: number }
  | null;

function theoryOf(r: ResolvedInitializer): Theory {
  if (r.kind === 'constant') return { kind: 'spike', label: `point mass at ${num(r.value)}`, at: r.value };
  if (r.kind !== 'distribution') return null;
  const d = r.dist;
  if (d.kind === 'uniform') {
    const h = 1 / (d.high - d.low);
    return {
      kind: 'pdf',
      label: `uniform(${num(d.low)}, ${num(d.high)}) density`,
      lo: d.low,
      hi: d.high,
      bounded: true,
      points: (lo, hi) => [
        [lo, 0],
        [d.low, 0],
        [d.low, h],
        [d.high, h],
        [d.high, 0],
        [hi, 0],
      ],
    };
  }
  const { mean, std } = d;
  const phi = (x: number) => Math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * SQRT_2PI);
  if (d.kind === 'normal') {
    return {
      kind: 'pdf',
      label: `normal(${num(mean)}, σ=${num(std)}) density`,
      lo: mean - 4 * std,
      hi: mean + 4 * std,
      bounded: false,
      points: (lo, hi) => Array.from({ length: 241 }, (_, i) => lo + ((hi - lo) * i) / 240).map((x) => [x, phi(x)] as [number, number]),
    };
  }
  const stdUnits = (d.bounds ?? 'std') === 'std';
  const a = stdUnits ? mean + d.a * std : d.a;
  const b = stdUnits ? mean + d.b * std : d.b;
  const mass = truncatedNormalMoments((a - mean) / std, (b - mean) / std).mass;
  return {
    kind: 'pdf',
    label: `normal(${num(mean)}, σ=${num(std)}) truncated to [${num(a)}, ${num(b)}] density`,
    lo: a,
    hi: b,
    bounded: true,
    points: (lo, hi) => {
      const inside = Array.from({ length: 241 }, (_, i) => a + ((b - a) * i) / 240).map((x) => [x, phi(x) / mass] as [number, number]);
      return [[lo, 0], [a, 0], ...inside, [b, 0], [hi, 0]];
    },
  };
}

/** Round tick positions (steps of 1, 2 or 5 times a power of ten) inside [lo, hi]. */
function niceTicks(lo: number, hi: number, target: number): number[] {
  const raw = (hi - lo) / target;
  if (!(raw > 0) || !Number.isFinite(raw)) return [lo];
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/**
 * Why 16-bit histograms look stepped: the values sit on the format's grid, so a bin holds a whole number of
 * representable values and neighbouring bins can differ by one grid point's share.
 */
const GRID_NOTE: Partial<Record<FloatDType, string>> = {
  bf16:
    'Stepped bars: bf16 keeps 8 significant bits, so between 2^k and 2^(k+1) there are only 128 values, 2^(k-7) apart; ' +
    "each bin holds a whole number of them. The steps are the format's grid (the same values as the f32 ones, rounded), not the generator.",
  f16:
    'f16 keeps 11 significant bits: 1024 values between 2^k and 2^(k+1), 2^(k-10) apart; where that spacing nears the bin width the bars step. ' +
    "The steps are the format's grid, not the generator.",
};

function histogramSvg(name: string, values: Float64Array, t: ResolvedTensor): string {
  const n = values.length;
  const theory = theoryOf(t.resolved);
  const s = statsOf(values);
  // f16 / bf16 values sit on a coarse grid: fewer, wider bins keep that grid from striping the bars. Odd
  // counts put a constant's value (the middle of its symmetric range) in the middle of a bin.
  const bins = t.dtype === 'f32' ? 63 : 47;
  let lo = s.min;
  let hi = s.max;
  if (theory?.kind === 'pdf' && theory.bounded) {
    // Bin edges on the support's ends (no bin straddles a jump of the density), one empty bin each side.
    const w = (theory.hi - theory.lo) / (bins - 2);
    lo = theory.lo - w;
    hi = theory.hi + w;
  } else {
    if (theory?.kind === 'pdf') {
      lo = Math.min(lo, theory.lo);
      hi = Math.max(hi, theory.hi);
    }
    if (!(hi > lo)) {
      const w = lo !== 0 ? Math.abs(lo) * 0.5 : 0.5;
      lo -= w;
      hi += w;
    }
    const pad = 0.04 * (hi - lo);
    lo -= pad;
    hi += pad;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const k = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
    counts[k]!++;
  }
  // Expected counts per bin = n · width · density.
  const curve = theory?.kind === 'pdf' ? theory.points(lo, hi).map(([x, p]) => [x, n * width * p] as const) : [];
  const yMax = Math.max(1, ...counts, ...curve.map(([, y]) => y)) * 1.08;

  const W = 640;
  const H = 300;
  const L = 56;
  const R = 28;
  const T = 34;
  const B = 36;
  const px = (x: number) => L + ((x - lo) / (hi - lo)) * (W - L - R);
  const py = (y: number) => H - B - (y / yMax) * (H - T - B);
  const parts: string[] = [];
  // Axes and ticks.
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/>`, `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`);
  for (const x of niceTicks(lo, hi, 6)) {
    parts.push(
      `<line x1="${px(x)}" y1="${H - B}" x2="${px(x)}" y2="${H - B + 4}" stroke="#444"/>`,
      `<text x="${px(x)}" y="${H - B + 16}" text-anchor="middle">${num(x)}</text>`,
    );
  }
  for (const y of niceTicks(0, yMax, 4)) {
    parts.push(
      `<line x1="${L - 4}" y1="${py(y)}" x2="${L}" y2="${py(y)}" stroke="#444"/>`,
      `<text x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${num(y)}</text>`,
    );
  }
  parts.push(
    `<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle">value</text>`,
    `<text x="12" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(T + H - B) / 2})">count per bin</text>`,
  );
  // Bars.
  counts.forEach((c, k) => {
    if (c === 0) return;
    const x0 = px(lo + k * width);
    const x1 = px(lo + (k + 1) * width);
    parts.push(
      `<rect class="bar" x="${x0.toFixed(2)}" y="${py(c).toFixed(2)}" width="${Math.max(0.5, x1 - x0 - 0.5).toFixed(2)}" height="${(H - B - py(c)).toFixed(2)}" fill="#8fb8de"><title>[${num(lo + k * width)}, ${num(lo + (k + 1) * width)}): ${c}</title></rect>`,
    );
  });
  // Theory.
  let legend = '';
  if (theory?.kind === 'pdf') {
    const d = curve.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(2)},${py(y).toFixed(2)}`).join('');
    parts.push(`<path class="density" d="${d}" fill="none" stroke="#d62728" stroke-width="1.6"/>`);
    legend = theory.label;
  } else if (theory?.kind === 'spike') {
    const x = px(theory.at);
    parts.push(
      `<line class="spike" x1="${x}" y1="${H - B}" x2="${x}" y2="${py(n)}" stroke="#d62728" stroke-width="2"/>`,
      `<circle class="spike" cx="${x}" cy="${py(n)}" r="3.5" fill="#d62728"/>`,
    );
    legend = `${theory.label} (all ${count(n)} values)`;
  }
  const title = `${name}: ${count(n)} of ${count(t.numel)} values, ${t.dtype}`;
  parts.push(`<text x="${L}" y="14" font-weight="600">${escapeHtml(title)}</text>`);
  parts.push(`<rect x="${L}" y="20" width="10" height="8" fill="#8fb8de"/><text x="${L + 14}" y="28">histogram</text>`);
  if (legend)
    parts.push(
      `<line x1="${L + 90}" y1="24" x2="${L + 104}" y2="24" stroke="#d62728" stroke-width="2"/><text x="${L + 108}" y="28">${escapeHtml(legend)}</text>`,
    );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" data-tensor="${escapeHtml(name)}" data-count="${n}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg>`;
}

async function selectTensor(name: string): Promise<TensorStats> {
  const token = ++selectToken;
  const { t, values } = await sampleValues(name);
  const s = statsOf(values);
  if (token !== selectToken) return s;
  for (const tr of Array.from($('tensors').querySelectorAll('tbody tr.selected'))) tr.classList.remove('selected');
  rowOf(name)?.classList.add('selected');
  $('histogram-title').textContent = `Histogram: ${name}`;
  if (values.length === 0) {
    $('histogram').innerHTML = `<p>${escapeHtml(name)} has no elements (shape [${t.shape.join(', ')}]).</p>`;
    $('histogram-caption').textContent = '';
    return s;
  }
  $('histogram').innerHTML = histogramSvg(name, values, t);
  const m = expectedMoments(t);
  const whole = values.length === t.numel ? 'all' : `the first ${count(values.length)} of ${count(t.numel)}`;
  $('histogram-caption').textContent =
    `${describeInitializer(t)} — ${whole} values read back from the GPU.\n` +
    `measured mean ${num(s.mean)}, std ${num(s.std)}, min ${num(s.min)}, max ${num(s.max)}` +
    (m ? `; expected mean ${m.approx ? '≈' : ''}${num(m.mean)}, std ${m.approx ? '≈' : ''}${num(m.std)} (whole tensor)` : '') +
    (theoryOf(t.resolved) === null ? '\n(no closed-form density for this initializer: histogram only)' : '') +
    (GRID_NOTE[t.dtype] ? `\n${GRID_NOTE[t.dtype]}` : '');
  return s;
}

// ---------------------------------------------------------------------------------------------------
// initialize

async function run(settings: Settings): Promise<DemoSummary> {
  if (running) throw new Error('an initialization is already running');
  if (writing) throw new Error('the .safetensors file is being written; initialize again when it is done');
  const controller = new AbortController();
  running = controller;
  setBusy(true);
  try {
    const seed = parseU64(settings.seed, 'seed');
    const spec = buildSpec(settings);
    const tensors = resolveModel(spec);
    const totals = modelTotals(tensors);
    const c = await getContext();
    // Free the previous model (and its download) before allocating the next one.
    if (current) {
      current.model.destroy();
      if (current.file) URL.revokeObjectURL(current.file.href);
      current = undefined;
    }
    const link = $<HTMLAnchorElement>('download');
    link.hidden = true;
    link.removeAttribute('href');
    // The previous model's histogram goes with it (a pending selection of one of its tensors too).
    selectToken++;
    $('histogram-title').textContent = 'Histogram';
    $('histogram').innerHTML = '<p>Initializing…</p>';
    $('histogram-caption').textContent = '';
    renderTable(tensors);
    resetProgress();
    status(`initializing ${spec.name ?? 'model'}: ${count(totals.tensors)} tensors, ${bytes(totals.byteLength)}…`);
    const startedAt = performance.now();
    let last: ModelProgress = { tensorsDone: 0, tensorsTotal: totals.tensors, bytesDone: 0, bytesTotal: totals.byteLength, name: '' };
    showProgress(last, startedAt);
    // Several submissions even for a small model, so that the bar moves.
    const batchBytes = Math.min(64 << 20, Math.max(256 << 10, Math.ceil(totals.byteLength / 64)));
    const model = await initModel(c, tensors, {
      seed,
      placement: settings.placement,
      signal: controller.signal,
      batchBytes,
      onProgress: (p) => {
        last = p;
        showProgress(p, startedAt);
      },
    });
    const initMs = performance.now() - startedAt;
    $<HTMLButtonElement>('cancel').disabled = true;
    // Measured statistics of every tensor, from its first 2^16 values on the GPU.
    const stats = new Map<string, TensorStats>();
    current = { settings, seed, spec, tensors, model, stats };
    for (const [i, t] of tensors.entries()) {
      status(`initialized in ${(initMs / 1000).toFixed(2)} s; reading statistics ${i + 1} / ${tensors.length}…`);
      const s = statsOf((await sampleValues(t.name)).values);
      stats.set(t.name, s);
      showStats(t.name, s);
    }
    const a = c.adapter;
    const summary: DemoSummary = {
      preset: settings.preset,
      model: spec.name ?? settings.preset,
      dtype: settings.dtype,
      seed: seed.toString(),
      placement: settings.placement,
      tensorsTotal: totals.tensors,
      numel: totals.numel,
      bytesTotal: totals.byteLength,
      initMs,
      progress: { ...last, fraction: fractionOf(last) },
      adapter: { vendor: a.vendor, architecture: a.architecture, description: a.description, isFallbackAdapter: a.isFallbackAdapter },
      strategy: c.strategy,
      tensors: tensors.map((t) => {
        const m = expectedMoments(t);
        return {
          name: t.name,
          shape: [...t.shape],
          dtype: t.dtype,
          numel: t.numel,
          stream: t.stream.toString(),
          init: t.init,
          rule: t.rule,
          kind: t.resolved.kind,
          initializer: describeInitializer(t),
          expectedMean: m ? m.mean : null,
          expectedStd: m ? m.std : null,
          measured: stats.get(t.name)!,
        };
      }),
    };
    const rate = initMs > 0 ? totals.byteLength / (initMs / 1000) : 0;
    status(
      `initialized ${count(totals.tensors)} tensors (${count(totals.numel)} parameters, ${bytes(totals.byteLength)}) in ${(initMs / 1000).toFixed(2)} s (${bytes(rate)}/s). Pick a tensor for its histogram.`,
    );
    const first = tensors.find((t) => t.resolved.kind === 'distribution' && t.numel > 0) ?? tensors[0];
    if (first) await selectTensor(first.name);
    return summary;
  } catch (e) {
    if (e instanceof AbortedError) {
      status('cancelled: the tensors created so far were destroyed', true);
      $('histogram').innerHTML = '<p>Cancelled.</p>';
    } else {
      status(messageOf(e), true);
    }
    throw e;
  } finally {
    running = undefined;
    setBusy(false);
  }
}

// ---------------------------------------------------------------------------------------------------
// safetensors

/**
 * Writes the current model as a Hugging Face checkpoint folder into `dir`: the weights are generated again from the
 * seed, window by window, and streamed to the files (writeCheckpoint), so the folder can be far larger than memory.
 */
async function writeFolder(dir: DirectoryHandleLike, maxShardSize?: string): Promise<{ name: string; bytes: number }[]> {
  const cur = current;
  if (!cur) throw new Error('no model: call demo.init() (or press Initialize) first');
  const c = await getContext();
  const settings = configOf(cur.settings);
  const type = settings['model_type'];
  // The shards carry the checkpoint's layout, as the command line's do (what `verify DIR/` reads).
  const plan = planCheckpoint(cur.tensors, maxShardSize ?? DEFAULT_MAX_SHARD_SIZE);
  const layout = plan.index !== null ? encodeCheckpointLayout(plan) : undefined;
  const result = await writeCheckpoint(c, cur.tensors, directoryHandleFolder(dir), {
    seed: cur.seed,
    ...(maxShardSize === undefined ? {} : { maxShardSize }),
    ...(type === 'gpt2' || type === 'llama' ? { config: hfConfig(type, settings) } : {}),
    metadata: (tensors) => weightFileMetadata(tensors, cur.seed, layout),
    onProgress: (p) => status(`writing ${p.file}: ${bytes(p.bytesDone)} / ${bytes(p.bytesTotal)}`),
  });
  status(`wrote a checkpoint folder: ${result.files.map((f) => f.name).join(', ')} (${bytes(result.bytesWritten)})`);
  return result.files.map((f) => ({ name: f.name, bytes: f.bytes }));
}

/** Writes the current model's file once (later calls get the same file), one writer at a time. */
function buildFile(): Promise<NonNullable<Current['file']>> {
  writing ??= writeFile().finally(() => {
    writing = undefined;
  });
  return writing;
}

async function writeFile(): Promise<NonNullable<Current['file']>> {
  const cur = current;
  if (!cur) throw new Error('no model: call demo.init() (or press Initialize) first');
  if (cur.file) return cur.file;
  const c = await getContext();
  // The same metadata as the command line's files: a download is byte for byte `init --out FILE` of the same model.
  const metadata = weightFileMetadata(cur.tensors, cur.seed);
  const sink = blobSink();
  const result = await writeSafetensors(
    c.device,
    cur.model.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], buffer: t.buffer, offset: t.offset, byteLength: t.byteLength })),
    sink,
    { metadata, onProgress: (done, total) => status(`writing .safetensors: ${bytes(done)} / ${bytes(total)}`) },
  );
  const blob = sink.blob();
  const headerBytes = new Uint8Array(await blob.slice(0, result.headerBytes).arrayBuffer());
  if (current !== cur) throw new Error('the model changed while its file was written');
  const filename = `${cur.spec.name ?? cur.settings.preset}-seed${cur.seed}-${cur.settings.dtype}.safetensors`;
  const href = URL.createObjectURL(blob);
  cur.file = { blob, href, filename, headerBytes };
  const link = $<HTMLAnchorElement>('download');
  link.href = href;
  link.download = filename;
  link.textContent = `${filename} (${bytes(blob.size)})`;
  link.hidden = false;
  status(`wrote ${filename}: ${bytes(blob.size)}, ${count(cur.tensors.length)} tensors, header ${bytes(result.headerBytes)}`);
  return cur.file;
}

// ---------------------------------------------------------------------------------------------------
// wiring

window.demo = {
  adapter: undefined,
  init(config: DemoConfig = {}) {
    try {
      if (running) throw new Error('an initialization is already running');
      if (writing) throw new Error('the .safetensors file is being written; initialize again when it is done');
      applyConfig(config);
      updatePlan();
      return run(readSettings());
    } catch (e) {
      return Promise.reject(e);
    }
  },
  async sample(name: string, start: number, n: number) {
    const { gpu } = tensorOf(name);
    return Array.from(await readBits(gpu, start, n));
  },
  async safetensors() {
    if (running) throw new Error('an initialization is running');
    const f = await buildFile();
    return { filename: f.filename, byteLength: f.blob.size, headerBytes: Array.from(f.headerBytes), href: f.href };
  },
  async checkpoint(options = {}) {
    if (running) throw new Error('an initialization is running');
    let dir = options.dir;
    if (!dir) {
      const root = await navigator.storage.getDirectory();
      await root.removeEntry('checkpoint', { recursive: true }).catch(() => undefined);
      dir = (await root.getDirectoryHandle('checkpoint', { create: true })) as unknown as DirectoryHandleLike;
    }
    return writeFolder(dir, options.maxShardSize);
  },
  select: (name: string) => selectTensor(name),
  cancel() {
    running?.abort(new Error('cancelled'));
  },
  generate: (count?: number) => generateTokens(count),
};

buildFields();
choosePreset('gpt2');

$<HTMLSelectElement>('preset').addEventListener('change', (e) => {
  choosePreset((e.target as HTMLSelectElement).value as PresetName);
  updatePlan();
});
$('controls').addEventListener('input', (e) => {
  if ((e.target as HTMLElement).id !== 'preset') updatePlan();
});
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  run(readSettings()).catch(() => undefined);
});
$('cancel').addEventListener('click', () => window.demo.cancel());
$('run-it').addEventListener('click', () => {
  generateTokens().catch(() => undefined);
});
$('save-folder').addEventListener('click', () => {
  const picker = (window as unknown as { showDirectoryPicker?: (o: { mode: 'readwrite' }) => Promise<DirectoryHandleLike> }).showDirectoryPicker;
  if (!picker) {
    status('this browser has no folder picker (File System Access API): use Download .safetensors', true);
    return;
  }
  setBusy(true);
  picker({ mode: 'readwrite' })
    .then(
      (dir) => writeFolder(dir),
      (err: unknown) => {
        // The user closed the dialog (the browser's AbortError): nothing to do, nothing to report.
        if (err instanceof DOMException && err.name === 'AbortError') return undefined;
        throw err;
      },
    )
    .catch((err: unknown) => status(messageOf(err), true))
    .finally(() => setBusy(false));
});
$('save').addEventListener('click', () => {
  setBusy(true);
  buildFile()
    .then((f) => {
      const a = document.createElement('a');
      a.href = f.href;
      a.download = f.filename;
      a.click();
    })
    .catch((err: unknown) => status(messageOf(err), true))
    .finally(() => setBusy(false));
});
const tbody = $('tensors').querySelector('tbody')!;
const pick = (target: EventTarget | null) => {
  const tr = (target as HTMLElement | null)?.closest('tr');
  const name = tr?.dataset['name'];
  if (name) selectTensor(name).catch((err: unknown) => status(messageOf(err), true));
};
tbody.addEventListener('click', (e) => pick(e.target));
tbody.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    pick(e.target);
  }
});

if (!navigator.gpu) {
  contextError =
    'navigator.gpu is missing: this browser has no WebGPU here (Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu on Linux; the page must be served from https or localhost)';
}
(contextError ? Promise.reject(new Error(contextError)) : getContext())
  .then(() => {
    updatePlan();
    status('ready: pick a model and press Initialize');
  })
  .catch((e: unknown) => {
    contextError = messageOf(e);
    $('adapter').textContent = `no WebGPU device: ${contextError}`;
    status(contextError, true);
  })
  .finally(() => {
    setBusy(false);
    window.demoReady = true;
  });
updatePlan();
