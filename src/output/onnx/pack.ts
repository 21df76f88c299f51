// An ONNX pack: the folder layout transformers.js and Optimum load as it is (config.json, generation_config.json,
// tokenizer.json, tokenizer_config.json, onnx/model.onnx + onnx/model.onnx_data), its weights generated and written
// window by window like the checkpoint writer's, so memory stays bounded whatever the model's size. Browser-safe: the
// folders are CheckpointFolders (Node files, a File System Access / OPFS directory, or memory).
//
// transformers.js 4.3 reads `config["transformers.js_config"]`: `use_external_data_format` { "model.onnx": 1 } makes
// it load `onnx/model.onnx_data` beside the graph, and `dtype` picks the file: 'fp32' → onnx/model.onnx, 'fp16' →
// onnx/model_fp16.onnx (getSession / getModelDataFiles / DEFAULT_DTYPE_SUFFIX_MAPPING in its dist).

import { roundDown4, roundUp4 } from '../../contract/align.js';
import { DTYPE_BYTES } from '../../contract/dtypes.js';
import type { U64Input } from '../../contract/u64.js';
import { isRecord } from '../../contract/validate.js';
import { AbortedError, InvalidParameterError } from '../../errors.js';
import type { WeightInitContext } from '../../gpu/context.js';
import type { InitializePlan } from '../../init/plan-initialize.js';
import { planModel } from '../../models/model-plan.js';
import { type HfModelType, hfConfig, hfModelType } from '../../models/presets.js';
import type { ModelTensor } from '../../models/spec.js';
import type { ByteExecutor } from '../../simd/host-executor.js';
import type { CheckpointFolder } from '../checkpoint.js';
import { type BlobSink, blobSink, type SafetensorsSink } from '../safetensors/sinks.js';
import { planWindows, WindowPipeline } from '../window-pipeline.js';
import { type DecoderOnnx, decoderOnnx } from './decoder-model.js';
import { byteLevelTokenizer } from './tokenizer.js';

/** Where a pack's files go: the folder itself, and its `onnx/` subfolder. */
export interface OnnxPackFolders {
  readonly root: CheckpointFolder;
  readonly onnx: CheckpointFolder;
}

/** One file of a pack: its folder ('' or 'onnx'), name and size. */
export interface OnnxPackFile {
  readonly folder: '' | 'onnx';
  readonly name: string;
  readonly bytes: number;
}

export interface OnnxPackPlan {
  readonly modelType: HfModelType;
  readonly dtype: 'f32' | 'f16';
  readonly onnx: DecoderOnnx;
  /** The files in the order they are written (the external data first). */
  readonly files: readonly OnnxPackFile[];
  /** Bytes of the weights (the external-data file without its alignment padding). */
  readonly weightBytes: number;
  /** config.json as written. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** The graph file's name for a dtype: transformers.js's suffixes ('' for fp32, '_fp16' for fp16). */
export const onnxPackModelFile = (dtype: 'f32' | 'f16'): string => (dtype === 'f16' ? 'model_fp16.onnx' : 'model.onnx');

const json = (o: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(o, null, 2)}\n`);

interface PlannedPackFile extends OnnxPackFile {
  readonly content: Uint8Array | null;
}

function planFiles(config: Readonly<Record<string, unknown>>, tensors: readonly ModelTensor[]): { plan: OnnxPackPlan; contents: PlannedPackFile[] } {
  if (!isRecord(config)) throw new InvalidParameterError('config', config, 'a Hugging Face config.json object with model_type gpt2 or llama');
  if (!Array.isArray(tensors) || tensors.length === 0) throw new InvalidParameterError('tensors', tensors, "the preset's resolved tensors");
  const modelType = hfModelType(config);
  const dtype = tensors[0]!.dtype;
  if (dtype !== 'f32' && dtype !== 'f16') {
    // decoderOnnx throws the typed bf16 error.
    decoderOnnx(config, { dtype, weights: 'external' });
  }
  const d = dtype as 'f32' | 'f16';
  const modelFile = onnxPackModelFile(d);
  const onnx = decoderOnnx(config, { dtype: d, weights: 'external', onnxFile: modelFile });
  // The tensors must be the graph's weights: same names, shapes and dtype, in the same order.
  const want = onnx.weights;
  tensors.forEach((t, i) => {
    const w = want[i];
    if (t.dtype !== dtype) throw new InvalidParameterError(`tensors[${i}].dtype`, t.dtype, `${dtype}, the dtype of every tensor of an ONNX pack`);
    if (!w || w.name !== t.name || w.shape.join(',') !== t.shape.join(',')) {
      throw new InvalidParameterError(
        `tensors[${i}]`,
        `${t.name} [${t.shape.join(', ')}]`,
        `${w ? `${w.name} [${w.shape.join(', ')}]` : 'no tensor'}: the preset's tensors of this config, in order`,
      );
    }
  });
  if (tensors.length !== want.length)
    throw new InvalidParameterError('tensors', `${tensors.length} tensors`, `the ${want.length} tensors of the preset's config`);
  const arch = onnx.architecture;
  const full: Record<string, unknown> = {
    ...hfConfig(modelType, config),
    ...arch.configFields,
    architectures: [modelType === 'gpt2' ? 'GPT2LMHeadModel' : 'LlamaForCausalLM'],
    torch_dtype: d === 'f16' ? 'float16' : 'float32',
    'transformers.js_config': { dtype: d === 'f16' ? 'fp16' : 'fp32', use_external_data_format: { [modelFile]: 1 } },
  };
  const maxLength = arch.positions.maxPositions;
  const tok = byteLevelTokenizer({ vocabSize: arch.vocabSize, bosTokenId: arch.bosTokenId, eosTokenId: arch.eosTokenId, maxLength });
  const generation = { _from_model_config: true, bos_token_id: arch.bosTokenId, eos_token_id: arch.eosTokenId };
  const data = onnx.externalData!;
  const contents: PlannedPackFile[] = [
    { folder: 'onnx', name: data.location, bytes: data.bytes, content: null },
    { folder: 'onnx', name: modelFile, bytes: onnx.bytes.length, content: onnx.bytes },
    ...(
      [
        ['config.json', full],
        ['generation_config.json', generation],
        ['tokenizer.json', tok.tokenizer],
        ['tokenizer_config.json', tok.tokenizerConfig],
      ] as const
    ).map(([name, o]) => {
      const content = json(o);
      return { folder: '' as const, name, bytes: content.length, content };
    }),
  ];
  const weightBytes = tensors.reduce((n: number, t: ModelTensor) => n + t.shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_BYTES[t.dtype], 0);
  return {
    plan: { modelType, dtype: d, onnx, files: contents.map(({ folder, name, bytes }) => ({ folder, name, bytes })), weightBytes, config: full },
    contents,
  };
}

/**
 * The pack's files for `config` and the preset's resolved `tensors` (e.g. resolveModel(gpt2(config, { dtype }))):
 * names, sizes, the graph and config.json, without generating anything (a dry run).
 */
export function planOnnxPack(config: Readonly<Record<string, unknown>>, tensors: readonly ModelTensor[]): OnnxPackPlan {
  return planFiles(config, tensors).plan;
}

export interface OnnxPackProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly file: string;
}

export interface WriteOnnxPackOptions {
  seed: U64Input;
  /** The Hugging Face config.json (model_type gpt2 or llama) the tensors come from. */
  config: Readonly<Record<string, unknown>>;
  /** Bytes generated per window (default 16 MiB), as writeCheckpoint's stagingBytes. */
  stagingBytes?: number;
  onProgress?: (progress: OnnxPackProgress) => void;
  /** Stops before the next window; files written are removed and the call rejects with an AbortedError. */
  signal?: AbortSignal;
}

export interface WriteOnnxPackResult extends OnnxPackPlan {
  /** Windows generated. */
  readonly windows: number;
  readonly bytesWritten: number;
}

const DEFAULT_STAGING_BYTES = 16 << 20;
const ZEROS = new Uint8Array(1 << 16);

/**
 * Writes the ONNX pack of `tensors` initialized under `options.seed` into `folders`: onnx/model.onnx_data (every
 * weight at the offset its initializer names, the same bytes initModel gives it), onnx/model.onnx (or
 * model_fp16.onnx), config.json, generation_config.json and a byte-level tokenizer (tokenizer.json,
 * tokenizer_config.json; see ./tokenizer.ts). The bytes come from `ctx`'s executor, or from a host executor
 * (createHostExecutor) with no device. Memory: the checkpoint writer's two windows of `stagingBytes`, whatever the
 * model's size. Everything is checked before any GPU work; a failure or an abort
 * removes the files completed before it.
 */
export async function writeOnnxPack(
  ctx: WeightInitContext,
  tensors: readonly ModelTensor[],
  folders: OnnxPackFolders,
  options: WriteOnnxPackOptions,
): Promise<WriteOnnxPackResult> {
  if (!isRecord(folders as unknown) || typeof folders.root?.create !== 'function' || typeof folders.onnx?.create !== 'function') {
    throw new InvalidParameterError('folders', folders, '{ root, onnx }: two CheckpointFolders (the pack folder and its onnx/ subfolder)');
  }
  if (!isRecord(options as unknown)) throw new InvalidParameterError('options', options, '{ seed, config, ... }');
  // The bytes are made by the context's executor (kernels and a readback, or the SIMD CPU path on a software adapter),
  // or by a host executor given as it is (createHostExecutor: no device at all).
  const executor: ByteExecutor | null = ctx !== null && typeof ctx === 'object' && 'executor' in ctx ? ctx.executor : (ctx as ByteExecutor | null);
  if (executor === null || typeof executor !== 'object' || typeof executor.windows !== 'function') {
    throw new InvalidParameterError('ctx', ctx, 'a WeightInitContext or a host executor (createHostExecutor)');
  }
  const stagingBytes = options.stagingBytes ?? DEFAULT_STAGING_BYTES;
  if (!Number.isSafeInteger(stagingBytes) || stagingBytes < 4 || stagingBytes > executor.maxWindowBytes) {
    throw new InvalidParameterError(
      'stagingBytes',
      stagingBytes,
      `an integer number of bytes in [4, ${executor.maxWindowBytes}] (the executor's largest window)`,
    );
  }
  const window = roundDown4(stagingBytes);
  const { plan, contents } = planFiles(options.config, tensors);
  const plans = new Map<string, InitializePlan>(planModel(tensors, { seed: options.seed }).tensors.map((p) => [p.name, p.plan]));
  const layout = plan.onnx.externalData!;
  const signal = options.signal;
  const abortIfNeeded = () => {
    if (signal?.aborted) throw new AbortedError(signal.reason);
  };
  abortIfNeeded();
  const bytesTotal = contents.reduce((n, f) => n + f.bytes, 0);
  let bytesDone = 0;
  let windows = 0;
  const completed: { folder: CheckpointFolder; name: string }[] = [];
  // No window is larger than the largest tensor: a small model written with a large stagingBytes holds chunks of its
  // own size, not of stagingBytes.
  const windowBytes = Math.min(window, roundUp4(layout.entries.reduce((n, e) => Math.max(n, e.length), 4)));
  const pipeline = new WindowPipeline(executor, windowBytes);
  try {
    for (const f of contents) {
      abortIfNeeded();
      const folder = f.folder === 'onnx' ? folders.onnx : folders.root;
      const sink: SafetensorsSink = await folder.create(f.name);
      const path = f.folder ? `${f.folder}/${f.name}` : f.name;
      const write = async (chunk: Uint8Array) => {
        await sink.write(chunk);
        bytesDone += chunk.length;
        options.onProgress?.({ bytesDone, bytesTotal, file: path });
      };
      try {
        if (f.content) {
          await write(f.content);
        } else {
          let at = 0;
          for (const e of layout.entries) {
            for (let gap = e.offset - at; gap > 0; gap -= ZEROS.length) await write(ZEROS.subarray(0, Math.min(gap, ZEROS.length)));
            // write() resolves once the sink took the chunk: a sink that borrows chunks is done with it then.
            windows += await pipeline.run(
              planWindows([plans.get(e.name)!], windowBytes),
              (chunk, taken) => write(chunk).finally(taken),
              sink.borrowsChunks === true,
              abortIfNeeded,
              signal,
            );
            at = e.offset + e.length;
          }
        }
        abortIfNeeded();
        await sink.close?.();
      } catch (e) {
        try {
          await sink.abort?.(e);
        } catch {
          // the first error is the one to report
        }
        throw e;
      }
      completed.push({ folder, name: f.name });
    }
  } catch (e) {
    for (const c of completed.reverse()) {
      try {
        await c.folder.remove?.(c.name);
      } catch {
        // keep removing the others
      }
    }
    throw e;
  } finally {
    pipeline.destroy();
  }
  return { ...plan, windows, bytesWritten: bytesDone };
}

/** An in-memory pack: its folders for writeOnnxPack, and its files by path ('config.json', 'onnx/model.onnx', ...). */
export interface MemoryOnnxPack extends OnnxPackFolders {
  /** The files written (closed) so far, by path. */
  files(): Map<string, Blob>;
}

/**
 * Folders that keep the pack in memory as Blobs (for ONNX Runtime Web's `externalData` option, or transformers.js
 * through onnxPackCache). Host memory grows to the size of the pack: for large models write to OPFS or disk.
 */
export function memoryOnnxPack(): MemoryOnnxPack {
  const files = new Map<string, Blob>();
  const folder = (prefix: string): CheckpointFolder => ({
    create(name) {
      const sink: BlobSink = blobSink();
      return {
        write: (chunk) => sink.write(chunk),
        close() {
          sink.close?.();
          files.set(prefix + name, sink.blob());
        },
        abort: (reason) => sink.abort?.(reason),
      };
    },
    remove(name) {
      files.delete(prefix + name);
    },
    list: () => [...files.keys()].filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map((k) => k.slice(prefix.length)),
  });
  return { root: folder(''), onnx: folder('onnx/'), files: () => new Map(files) };
}

/**
 * A Web Cache API stand-in (match only; put ignores) that answers transformers.js's requests for `model` from pack
 * files in memory, so `from_pretrained(model)` loads them with no request: set `env.allowRemoteModels = false`,
 * `env.useCustomCache = true` and `env.customCache = onnxPackCache(pack.files(), model)`. transformers.js looks a
 * file up under `${env.localModelPath}${model}/${file}` (localModelPath, default '/models/', must match `prefix`).
 */
export function onnxPackCache(
  files: ReadonlyMap<string, Blob>,
  model: string,
  prefix = '/models/',
): { match(request: string | { url: string }): Promise<Response | undefined>; put(): Promise<void> } {
  const base = `${prefix.replace(/\/*$/, '/')}${model.replace(/^\/+|\/+$/g, '')}/`;
  return {
    async match(request) {
      const url = typeof request === 'string' ? request : request.url;
      const path = url.startsWith(base) ? url.slice(base.length) : undefined;
      const blob = path === undefined ? undefined : files.get(path);
      return blob ? new Response(blob, { status: 200, headers: { 'content-length': String(blob.size) } }) : undefined;
    },
    async put() {},
  };
}
