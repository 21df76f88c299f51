// "Time to first token, nothing downloaded": a decoder preset (GPT-2, Llama) initialized by this library and run by
// ONNX Runtime Web's native WebGPU EP in a page, three ways, beside the bytes a download of the same pack would move:
//   zero-copy      initModel → decoderOnnx (weights as inputs) → session on our device → first token; the weights
//                  are GPU-buffer feeds, and every copy out of or map of a weight buffer is counted (0 expected);
//   external-data  writeOnnxPack into memory (generated, read back) → session with externalData → first token;
//   from-disk      the same pack read back from the Origin Private File System (written there beforehand, not
//                  timed) → session with externalData → first token: what loading a downloaded pack costs.
// Then `newTokens` more greedy tokens give tokens/s. Runs in the page (bench/ttft.html via bench/ttft.ts, and the
// device bundle); the library and ONNX Runtime are passed in, so this file has no runtime import.

import type { createContext } from '../gpu/context.js';
import type * as Models from '../models/index.js';
import type * as Output from '../output/index.js';

export type TtftRoute = 'zero-copy' | 'external-data' | 'from-disk';
export const TTFT_ROUTES: readonly TtftRoute[] = ['zero-copy', 'external-data', 'from-disk'];

export interface TtftCase {
  readonly id: string;
  readonly label: string;
  /** A Hugging Face config.json (model_type gpt2 or llama; missing fields: the preset's defaults). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly dtype: 'f32' | 'f16';
  readonly promptTokens: number;
  readonly newTokens: number;
}

/** The cases: the real shapes (for GPUs) and tiny ones (software adapters, tests). */
export const TTFT_CASES: readonly TtftCase[] = [
  { id: 'gpt2-small-f32', label: 'GPT-2 small (124M), f32', config: { model_type: 'gpt2' }, dtype: 'f32', promptTokens: 8, newTokens: 16 },
  { id: 'gpt2-small-f16', label: 'GPT-2 small (124M), f16', config: { model_type: 'gpt2' }, dtype: 'f16', promptTokens: 8, newTokens: 16 },
  { id: 'llama-2-7b-f16', label: 'Llama-2-7B shapes (6.7B), f16', config: { model_type: 'llama' }, dtype: 'f16', promptTokens: 8, newTokens: 8 },
  {
    id: 'gpt2-tiny',
    label: 'GPT-2, 2 layers × 64',
    config: { model_type: 'gpt2', vocab_size: 1000, n_positions: 128, n_embd: 64, n_layer: 2, n_head: 4 },
    dtype: 'f32',
    promptTokens: 8,
    newTokens: 8,
  },
  {
    id: 'llama-tiny',
    label: 'Llama, 2 layers × 64, GQA 4/2',
    config: {
      model_type: 'llama',
      vocab_size: 1000,
      hidden_size: 64,
      intermediate_size: 172,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    },
    dtype: 'f32',
    promptTokens: 8,
    newTokens: 8,
  },
];

export interface TtftRow {
  readonly case: string;
  readonly route: TtftRoute;
  readonly dtype: 'f32' | 'f16';
  readonly parameters: number;
  /** Bytes of the weights, and of the whole pack a download would move (graph, data with padding, JSON files). */
  readonly weightBytes: number;
  readonly downloadBytes: number;
  /** initModel (zero-copy), writeOnnxPack into memory (external-data) or reading the files back (from-disk). */
  readonly weightsMs?: number;
  readonly sessionMs?: number;
  /** The prompt's run and its argmax. */
  readonly firstTokenMs?: number;
  /** From the start to the first token. */
  readonly totalMs?: number;
  readonly tokensPerSecond?: number;
  readonly tokens?: readonly number[];
  /** Copies out of / maps of weight buffers seen during the session and the runs (zero-copy only). */
  readonly weightReads?: number;
  readonly error?: string;
}

/** The parts of onnxruntime-web used here. */
export interface OrtModule {
  Tensor: new (type: string, data: BigInt64Array | Float32Array | Uint16Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
}
interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly location?: string;
  dispose(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** The library's entry (webgpu-weight-init), as far as used here. */
export type TtftLibrary = typeof Output & typeof Models & { createContext: typeof createContext };
type Lib = TtftLibrary;

const now = () => performance.now();

/** Watches copies out of and maps of `buffers` (a read back to the host needs one of them). */
function watchReads(buffers: readonly GPUBuffer[]): { count(): number; stop(): void } {
  const watched = new Set(buffers);
  let seen = 0;
  const copy = GPUCommandEncoder.prototype.copyBufferToBuffer;
  const map = GPUBuffer.prototype.mapAsync;
  GPUCommandEncoder.prototype.copyBufferToBuffer = function (this: GPUCommandEncoder, src: GPUBuffer, ...rest: unknown[]) {
    if (watched.has(src)) seen++;
    return (copy as (...a: unknown[]) => void).call(this, src, ...rest);
  } as typeof copy;
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, ...args: Parameters<GPUBuffer['mapAsync']>) {
    if (watched.has(this)) seen++;
    return map.apply(this, args);
  };
  return {
    count: () => seen,
    stop() {
      GPUCommandEncoder.prototype.copyBufferToBuffer = copy;
      GPUBuffer.prototype.mapAsync = map;
    },
  };
}

/** Greedy tokens with the cache (the library's greedyDecode); times of the first and the rest. */
async function generate(
  lib: Lib,
  ort: OrtModule,
  session: OrtSession,
  arch: Models.DecoderArchitecture,
  cacheType: 'float32' | 'float16',
  prompt: readonly number[],
  count: number,
  feeds: Record<string, OrtTensor>,
): Promise<{ tokens: number[]; firstMs: number; restMs: number }> {
  let firstMs = 0;
  const t0 = now();
  const tokens = await lib.greedyDecode(ort, session, arch, prompt, count, {
    feeds,
    cacheType,
    onToken: (_token, step) => {
      if (step === 0) firstMs = now() - t0;
    },
  });
  return { tokens, firstMs, restMs: now() - t0 - firstMs };
}

/** A fixed prompt of token ids inside the vocabulary. */
export const ttftPrompt = (c: TtftCase, vocab: number): number[] => Array.from({ length: c.promptTokens }, (_, i) => (i * 7919 + 13) % vocab);

/** The OPFS folders a case's pack is kept in for the from-disk route. */
async function opfsFolders(lib: Lib, c: TtftCase, create: boolean) {
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle(`webgpu-weight-init-ttft-${c.id}`, { create });
  const onnx = await dir.getDirectoryHandle('onnx', { create });
  return { dir, onnx, folders: { root: lib.directoryHandleFolder(dir as never), onnx: lib.directoryHandleFolder(onnx as never) } };
}

/**
 * Writes the case's pack to OPFS for the from-disk route (untimed); returns false where the page has no OPFS.
 */
export async function prepareFromDisk(lib: Lib, device: GPUDevice, c: TtftCase, seed: bigint): Promise<boolean> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return false;
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(`webgpu-weight-init-ttft-${c.id}`, { recursive: true }).catch(() => undefined);
  const { folders } = await opfsFolders(lib, c, true);
  const ctx = await lib.createContext({ device });
  try {
    const tensors = lib.resolveModel(
      c.config['model_type'] === 'gpt2' ? lib.gpt2({ ...c.config }, { dtype: c.dtype }) : lib.llama({ ...c.config }, { dtype: c.dtype }),
    );
    await lib.writeOnnxPack(ctx, tensors, folders, { seed, config: c.config });
  } finally {
    ctx.destroy();
  }
  return true;
}

/**
 * One route of one case on `device` (a device made with engineDeviceDescriptor, so f16 gets 'shader-f16' where the
 * adapter has it). A failure is a row with `error`, not a throw.
 */
export async function measureTtft(lib: Lib, ort: OrtModule, device: GPUDevice, c: TtftCase, route: TtftRoute, seed: bigint): Promise<TtftRow> {
  const tensors = lib.resolveModel(
    c.config['model_type'] === 'gpt2' ? lib.gpt2({ ...c.config }, { dtype: c.dtype }) : lib.llama({ ...c.config }, { dtype: c.dtype }),
  );
  const plan = lib.planOnnxPack(c.config, tensors);
  const base = {
    case: c.id,
    route,
    dtype: c.dtype,
    parameters: tensors.reduce((n, t) => n + t.numel, 0),
    weightBytes: plan.weightBytes,
    downloadBytes: plan.files.reduce((n, f) => n + f.bytes, 0),
  };
  const arch = plan.onnx.architecture;
  const kvType = c.dtype === 'f16' ? 'float16' : 'float32';
  const prompt = ttftPrompt(c, arch.vocabSize);
  const ep = lib.ortWebGpuExecutionProvider(device);
  const ctx = await lib.createContext({ device });
  let session: OrtSession | undefined;
  let model: Output.InitializedModel | undefined;
  let watch: { count(): number; stop(): void } | undefined;
  try {
    const t0 = now();
    let extra: Record<string, OrtTensor> = {};
    let options: Record<string, unknown> = { executionProviders: [ep] };
    let modelBytes: Uint8Array;
    if (route === 'zero-copy') {
      model = await lib.initModel(ctx, tensors, { seed });
      await device.queue.onSubmittedWorkDone();
      watch = watchReads(model.tensors.map((t) => t.buffer));
      const onnx = lib.decoderOnnx(c.config, { dtype: c.dtype, weights: 'inputs' });
      extra = lib.decoderWeightFeeds(ort as never, onnx, model) as Record<string, OrtTensor>;
      modelBytes = onnx.bytes;
    } else {
      let files: Map<string, Blob>;
      if (route === 'external-data') {
        const pack = lib.memoryOnnxPack();
        await lib.writeOnnxPack(ctx, tensors, pack, { seed, config: c.config });
        files = pack.files();
      } else {
        const { dir, onnx } = await opfsFolders(lib, c, false);
        files = new Map<string, Blob>();
        for (const f of plan.files)
          files.set(f.folder ? `${f.folder}/${f.name}` : f.name, await (await (f.folder ? onnx : dir).getFileHandle(f.name)).getFile());
      }
      const graph = plan.files.find((f) => f.folder === 'onnx' && f.name.endsWith('.onnx'))!.name;
      const data = plan.onnx.externalData!.location;
      modelBytes = new Uint8Array(await files.get(`onnx/${graph}`)!.arrayBuffer());
      options = { ...options, externalData: [{ path: data, data: new Uint8Array(await files.get(`onnx/${data}`)!.arrayBuffer()) }] };
    }
    const weightsMs = now() - t0;
    const t1 = now();
    session = await ort.InferenceSession.create(modelBytes, options);
    const sessionMs = now() - t1;
    const g = await generate(lib, ort, session, arch, kvType, prompt, 1 + c.newTokens, extra);
    return {
      ...base,
      weightsMs,
      sessionMs,
      firstTokenMs: g.firstMs,
      totalMs: weightsMs + sessionMs + g.firstMs,
      tokensPerSecond: c.newTokens / (g.restMs / 1000),
      tokens: g.tokens,
      ...(watch ? { weightReads: watch.count() } : {}),
    };
  } catch (e) {
    return { ...base, error: e instanceof Error ? e.message : String(e) };
  } finally {
    watch?.stop();
    await session?.release().catch(() => undefined);
    model?.destroy();
    ctx.destroy();
  }
}
