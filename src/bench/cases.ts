// The benchmark's case list and sizes, shared by the Node CLI (src/cli/bench.ts, bench/node.ts) and the
// browser page (bench/page.ts). Pure data and arithmetic: no WebGPU, no TF.js.

import type { Distribution } from '../contract/distributions.js';
import type { DType } from '../contract/dtypes.js';
import type { JaxImpl } from '../contract/jax-key.js';
import type { JaxDist } from '../contract/jax-plan.js';
import { STRATEGIES, type Strategy, type StrategyOption } from '../contract/strategy.js';
import { llama } from '../models/presets.js';
import type { ModelTensor } from '../models/spec.js';
import { resolveModel } from '../models/spec.js';

/**
 * Where a case's row goes: the bandwidth reference, this library, a kernel variant of ours (the sweep and
 * the store variants), a peer, a whole model (or many small tensors).
 */
export type CaseGroup = 'limit' | 'ours' | 'variant' | 'peer' | 'model';

/** TF.js initializers the peer runs (all generated on the CPU by tfjs-core, then uploaded). */
export type TfInit = 'uniform' | 'normal' | 'truncatedNormal' | 'glorotNormal';

export type CaseKind =
  | { readonly type: 'store'; readonly elementBytes: 4 | 2 }
  /**
   * ctx.generate with the context strategy given: the WGSL kernels, or SIMD workers + writeBuffer. A sweep
   * case names its own workgroup size and blocks per invocation (else the bench context's).
   */
  | {
      readonly type: 'generate';
      readonly dist: Distribution;
      readonly dtype: DType;
      readonly strategy: Strategy;
      readonly workgroupSize?: number;
      readonly blocksPerInvocation?: number;
    }
  /** src/bench/store-variants.wgsl: the same f32 bits as generate, stored with atomicStore, u32 or vec4 stores. */
  | { readonly type: 'store-variant'; readonly store: StoreVariant; readonly dist: Distribution }
  /** SMALL_TENSORS.count normal tensors of SMALL_TENSORS.elements into one buffer: per-call cost. */
  | { readonly type: 'small-tensors'; readonly strategy: Strategy; readonly batched: boolean }
  | { readonly type: 'cpu-twin'; readonly dist: Distribution; readonly dtype: DType }
  /** The SIMD CPU generator (WebAssembly) on the calling thread. */
  | { readonly type: 'cpu-simd'; readonly dist: Distribution; readonly dtype: DType }
  | { readonly type: 'upload' }
  | { readonly type: 'tfjs'; readonly init: TfInit }
  /** initModel; 'auto' is what createContext picks on this adapter. */
  | { readonly type: 'model-ours'; readonly strategy: Exclude<StrategyOption, 'upload'> }
  | { readonly type: 'model-tfjs' }
  /** initModel of Llama-2-7B in bf16, one buffer per tensor (13.5 GB; only with config.llama). */
  | { readonly type: 'model-llama' }
  /** computeOrthogonal of an n x n matrix (Q in a new buffer) on the adapter's default strategy. */
  | { readonly type: 'orthogonal'; readonly n: number }
  /** ctx.generateJaxRandom on the WGSL kernels: jax.random.<dist>(key(seed, impl), [n], dtype). */
  | { readonly type: 'jax'; readonly dist: JaxDist; readonly dtype: DType; readonly impl: JaxImpl };

/** How store-variants.wgsl stores a block's four words. */
export type StoreVariant = 'atomic' | 'u32' | 'vec4';

export interface BenchCase {
  readonly id: string;
  readonly label: string;
  readonly group: CaseGroup;
  readonly kind: CaseKind;
  /** Bytes each element occupies in GPU memory (what GB/s counts). */
  readonly elementBytes: 4 | 2;
  /** The TF.js case doing the same job: rows of this case get `speedupVsTfjs`. */
  readonly tfjsPeer?: string;
  /** For a peer: the case of ours it is compared with. */
  readonly oursCase?: string;
}

/** Distribution parameters shared by ours, the CPU twin and TF.js (TF.js's defaults). */
export const UNIFORM: Distribution = { kind: 'uniform', low: 0, high: 1 };
export const NORMAL: Distribution = { kind: 'normal', mean: 0, std: 1 };
/** ±2 standard deviations, TF.js's (and Keras's) truncation. */
export const TRUNCATED_NORMAL: Distribution = { kind: 'truncatedNormal', mean: 0, std: 1, a: -2, b: 2, bounds: 'std' };

/** The sweep's grid: workgroup sizes × Philox blocks per invocation (the library's default is 64 × 4). */
export const SWEEP_WORKGROUP_SIZES = [64, 128, 256] as const;
export const SWEEP_BLOCKS_PER_INVOCATION = [1, 2, 4, 8] as const;

/** The small-tensor cases: this many normal(0, 0.02) tensors of this many elements (GPT-2's 768). */
export const SMALL_TENSORS = { count: 1000, elements: 768 } as const;

const distName = (d: Distribution) => (d.kind === 'uniform' ? 'uniform' : 'normal');

const SWEEP_CASES: BenchCase[] = [UNIFORM, NORMAL].flatMap((dist) =>
  SWEEP_WORKGROUP_SIZES.flatMap((workgroupSize) =>
    SWEEP_BLOCKS_PER_INVOCATION.map(
      (blocksPerInvocation): BenchCase => ({
        id: `sweep-${distName(dist)}-f32-wg${workgroupSize}-b${blocksPerInvocation}`,
        label: `sweep ${distName(dist)} f32, workgroup ${workgroupSize}, ${blocksPerInvocation} block${blocksPerInvocation === 1 ? '' : 's'}/invocation`,
        group: 'variant',
        kind: { type: 'generate', dist, dtype: 'f32', strategy: 'kernel', workgroupSize, blocksPerInvocation },
        elementBytes: 4,
      }),
    ),
  ),
);

const STORE_VARIANT_CASES: BenchCase[] = [UNIFORM, NORMAL].flatMap((dist) =>
  (['atomic', 'u32', 'vec4'] as const).map(
    (store): BenchCase => ({
      id: `stores-${distName(dist)}-f32-${store}`,
      label: `${distName(dist)} f32 with ${store === 'atomic' ? 'atomicStore (as generate.wgsl)' : store === 'u32' ? 'plain u32 stores' : 'one vec4 store per block'}`,
      group: 'variant',
      kind: { type: 'store-variant', store, dist },
      elementBytes: 4,
    }),
  ),
);

const SMALL_TENSOR_CASES: BenchCase[] = STRATEGIES.flatMap((strategy) =>
  [false, true].map(
    (batched): BenchCase => ({
      id: `small-${strategy}${batched ? '-batch' : ''}`,
      label: `${SMALL_TENSORS.count} × ${SMALL_TENSORS.elements} normal, ${strategy === 'kernel' ? 'WGSL kernels' : 'SIMD workers + upload'}, ${batched ? 'one ctx.batch()' : 'one submission each'}`,
      group: 'model',
      kind: { type: 'small-tensors', strategy, batched },
      elementBytes: 4,
    }),
  ),
);

/** Sizes of the orthogonal-N cases (n x n); on a software adapter the model run measures up to 1024. */
export const ORTHOGONAL_SIZES = [256, 512, 1024, 2048, 4096] as const;
/** Largest orthogonal-N measured on a software adapter unless the case is asked for by id (bench/orthogonal.ts has them all). */
export const ORTHOGONAL_SOFTWARE_MAX = 1024;

const ORTHOGONAL_CASES: BenchCase[] = ORTHOGONAL_SIZES.map(
  (n): BenchCase => ({
    id: `orthogonal-${n}`,
    label: `orthogonal ${n}×${n}, ours (computeOrthogonal, the adapter's default strategy)`,
    group: 'model',
    kind: { type: 'orthogonal', n },
    elementBytes: 4,
  }),
);

/**
 * The JAX streams' kernels, threefry2x32 against philox4x32 on the same adapter (and against the library's own
 * Philox kernels): each threefry row's `oursSpeedup` is its time over the philox4x32 row of the same sampler,
 * each philox4x32 row's its time over the library's Philox row.
 */
const JAX_CASES: BenchCase[] = (
  [
    ['bits', 'u32', 'bits-u32'],
    ['uniform', 'f32', 'uniform-f32'],
    ['normal', 'f32', 'normal-f32'],
    ['truncatedNormal', 'f32', 'truncnormal-f32'],
    ['normal', 'bf16', 'normal-bf16'],
  ] as const
).flatMap(([dist, dtype, philoxCase]) => {
  const name = `${dist === 'truncatedNormal' ? 'truncnormal' : dist}-${dtype}`;
  return (['threefry2x32', 'philox4x32'] as const).map(
    (impl): BenchCase => ({
      id: `jax-${impl === 'threefry2x32' ? 'threefry' : 'philox'}-${name}`,
      label: `jax.random.${dist === 'truncatedNormal' ? 'truncated_normal' : dist} ${dtype}, ${impl} key (WGSL kernels)`,
      group: 'variant',
      kind: { type: 'jax', dist, dtype, impl },
      elementBytes: dtype === 'bf16' ? 2 : 4,
      oursCase: impl === 'threefry2x32' ? `jax-philox-${name}` : philoxCase,
    }),
  );
});

export const CASES: readonly BenchCase[] = [
  { id: 'store-32', label: 'store kernel, 4 B/elem (limit)', group: 'limit', kind: { type: 'store', elementBytes: 4 }, elementBytes: 4 },
  { id: 'store-16', label: 'store kernel, 2 B/elem (limit)', group: 'limit', kind: { type: 'store', elementBytes: 2 }, elementBytes: 2 },
  {
    id: 'bits-u32',
    label: 'ours bits u32',
    group: 'ours',
    kind: { type: 'generate', dist: { kind: 'bits' }, dtype: 'u32', strategy: 'kernel' },
    elementBytes: 4,
  },
  {
    id: 'uniform-f32',
    label: 'ours uniform f32',
    group: 'ours',
    kind: { type: 'generate', dist: UNIFORM, dtype: 'f32', strategy: 'kernel' },
    elementBytes: 4,
    tfjsPeer: 'tfjs-uniform',
  },
  {
    id: 'normal-f32',
    label: 'ours normal f32',
    group: 'ours',
    kind: { type: 'generate', dist: NORMAL, dtype: 'f32', strategy: 'kernel' },
    elementBytes: 4,
    tfjsPeer: 'tfjs-normal',
  },
  {
    id: 'truncnormal-f32',
    label: 'ours truncatedNormal f32',
    group: 'ours',
    kind: { type: 'generate', dist: TRUNCATED_NORMAL, dtype: 'f32', strategy: 'kernel' },
    elementBytes: 4,
    tfjsPeer: 'tfjs-truncnormal',
  },
  { id: 'normal-f16', label: 'ours normal f16', group: 'ours', kind: { type: 'generate', dist: NORMAL, dtype: 'f16', strategy: 'kernel' }, elementBytes: 2 },
  { id: 'normal-bf16', label: 'ours normal bf16', group: 'ours', kind: { type: 'generate', dist: NORMAL, dtype: 'bf16', strategy: 'kernel' }, elementBytes: 2 },
  {
    id: 'upload-uniform-f32',
    label: 'ours uniform f32, SIMD workers + upload',
    group: 'ours',
    kind: { type: 'generate', dist: UNIFORM, dtype: 'f32', strategy: 'upload' },
    elementBytes: 4,
    tfjsPeer: 'tfjs-uniform',
  },
  {
    id: 'upload-normal-f32',
    label: 'ours normal f32, SIMD workers + upload',
    group: 'ours',
    kind: { type: 'generate', dist: NORMAL, dtype: 'f32', strategy: 'upload' },
    elementBytes: 4,
    tfjsPeer: 'tfjs-normal',
  },
  {
    id: 'upload-truncnormal-f32',
    label: 'ours truncatedNormal f32, SIMD workers + upload',
    group: 'ours',
    kind: { type: 'generate', dist: TRUNCATED_NORMAL, dtype: 'f32', strategy: 'upload' },
    elementBytes: 4,
    tfjsPeer: 'tfjs-truncnormal',
  },
  {
    id: 'upload-normal-bf16',
    label: 'ours normal bf16, SIMD workers + upload',
    group: 'ours',
    kind: { type: 'generate', dist: NORMAL, dtype: 'bf16', strategy: 'upload' },
    elementBytes: 2,
  },
  {
    id: 'simd-uniform-f32',
    label: 'SIMD CPU generator uniform f32 (1 thread)',
    group: 'peer',
    kind: { type: 'cpu-simd', dist: UNIFORM, dtype: 'f32' },
    elementBytes: 4,
    oursCase: 'uniform-f32',
  },
  {
    id: 'simd-normal-f32',
    label: 'SIMD CPU generator normal f32 (1 thread)',
    group: 'peer',
    kind: { type: 'cpu-simd', dist: NORMAL, dtype: 'f32' },
    elementBytes: 4,
    oursCase: 'normal-f32',
  },
  {
    id: 'simd-truncnormal-f32',
    label: 'SIMD CPU generator truncatedNormal f32 (1 thread)',
    group: 'peer',
    kind: { type: 'cpu-simd', dist: TRUNCATED_NORMAL, dtype: 'f32' },
    elementBytes: 4,
    oursCase: 'truncnormal-f32',
  },
  {
    id: 'cpu-uniform-f32',
    label: 'CPU twin uniform f32 (1 thread)',
    group: 'peer',
    kind: { type: 'cpu-twin', dist: UNIFORM, dtype: 'f32' },
    elementBytes: 4,
    oursCase: 'uniform-f32',
  },
  {
    id: 'cpu-normal-f32',
    label: 'CPU twin normal f32 (1 thread)',
    group: 'peer',
    kind: { type: 'cpu-twin', dist: NORMAL, dtype: 'f32' },
    elementBytes: 4,
    oursCase: 'normal-f32',
  },
  { id: 'upload-f32', label: 'host fill + writeBuffer f32', group: 'peer', kind: { type: 'upload' }, elementBytes: 4, oursCase: 'uniform-f32' },
  { id: 'tfjs-uniform', label: 'TF.js randomUniform', group: 'peer', kind: { type: 'tfjs', init: 'uniform' }, elementBytes: 4, oursCase: 'uniform-f32' },
  { id: 'tfjs-normal', label: 'TF.js randomNormal', group: 'peer', kind: { type: 'tfjs', init: 'normal' }, elementBytes: 4, oursCase: 'normal-f32' },
  {
    id: 'tfjs-truncnormal',
    label: 'TF.js truncatedNormal',
    group: 'peer',
    kind: { type: 'tfjs', init: 'truncatedNormal' },
    elementBytes: 4,
    oursCase: 'truncnormal-f32',
  },
  {
    id: 'tfjs-glorotnormal',
    label: 'TF.js layers glorotNormal',
    group: 'peer',
    kind: { type: 'tfjs', init: 'glorotNormal' },
    elementBytes: 4,
    // tfjs-layers' glorotNormal is VarianceScaling(1, fanAvg, 'normal'), i.e. a truncated normal.
    oursCase: 'truncnormal-f32',
  },
  {
    id: 'gpt2-ours',
    label: "GPT-2 small init, ours (initModel, the adapter's default strategy)",
    group: 'model',
    kind: { type: 'model-ours', strategy: 'auto' },
    elementBytes: 4,
    tfjsPeer: 'gpt2-tfjs',
  },
  {
    id: 'gpt2-ours-kernel',
    label: 'GPT-2 small init, ours (initModel, WGSL kernels)',
    group: 'model',
    kind: { type: 'model-ours', strategy: 'kernel' },
    elementBytes: 4,
    tfjsPeer: 'gpt2-tfjs',
  },
  { id: 'gpt2-tfjs', label: 'GPT-2 small init, TF.js', group: 'model', kind: { type: 'model-tfjs' }, elementBytes: 4, oursCase: 'gpt2-ours' },
  {
    id: 'llama2-7b-bf16',
    label: "Llama-2-7B bf16 init, ours (initModel, per-tensor buffers, the adapter's default strategy)",
    group: 'model',
    kind: { type: 'model-llama' },
    elementBytes: 2,
  },
  ...SWEEP_CASES,
  ...STORE_VARIANT_CASES,
  ...SMALL_TENSOR_CASES,
  ...ORTHOGONAL_CASES,
  ...JAX_CASES,
];

/** A size: a number of elements, or 'max' (the largest one buffer of this adapter holds). */
export type SizeSpec = number | 'max';

export const DEFAULT_SIZES: readonly SizeSpec[] = [1 << 20, 16 << 20, 64 << 20, 'max'];
export const QUICK_SIZES: readonly SizeSpec[] = [1 << 20];

/** Parses '1M' (2^20), '64K' (2^10 multiples), '1G', a plain integer, or 'max'. */
export function parseSize(text: string): SizeSpec {
  const s = text.trim();
  if (s.toLowerCase() === 'max') return 'max';
  const m = /^(\d+)([kKmMgG]?)$/.exec(s);
  if (!m) throw new RangeError(`size '${text}': expected e.g. 1M, 16M, 64K, 1048576 or max`);
  const unit = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * unit;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`size '${text}': not a positive element count`);
  return n;
}

/** '1M', '64K', '1.5G' when that is exact (at most two decimals), else the plain count. */
export function sizeLabel(n: number): string {
  for (const [unit, suffix] of [
    [1 << 30, 'G'],
    [1 << 20, 'M'],
    [1 << 10, 'K'],
  ] as const) {
    if (n >= unit && Number.isInteger((n / unit) * 100)) return `${n / unit}${suffix}`;
  }
  return String(n);
}

/** Default cap of 'max': 4 GiB, above which adapters report sizes no real device can allocate at once. */
export const MAX_BYTES_CAP = 4 * 1024 ** 3;

/**
 * The element count 'max' stands for: the largest multiple of 1024 elements of 4 bytes that fits the
 * adapter's maxBufferSize (the library splits a buffer into maxStorageBufferBindingSize windows itself,
 * and so does the store kernel), capped at `maxBytes`.
 */
export function maxElements(limits: { maxBufferSize: number; maxStorageBufferBindingSize: number }, maxBytes = MAX_BYTES_CAP): number {
  const bytes = Math.min(limits.maxBufferSize, maxBytes);
  return Math.floor(bytes / 4 / 1024) * 1024;
}

/**
 * GPT-2 small as Hugging Face's GPT2Model stores it (124,439,808 parameters): wte [50257, 768],
 * wpe [1024, 768], 12 × {ln_1, attn.c_attn [768, 2304], attn.c_proj [768, 768], ln_2, mlp.c_fc [768, 3072],
 * mlp.c_proj [3072, 768]} (Conv1D weights are [in, out]: layout 'keras'), ln_f. HF's recipe
 * (GPT2PreTrainedModel._init_weights): weights normal(0, 0.02), the residual projections
 * (attn.c_proj, mlp.c_proj) normal(0, 0.02 / √(2·12)), biases 0, LayerNorm weights 1. Streams are the tensor's
 * index (the bench does not need the name hash of src/models/stream.ts).
 */
export interface Gpt2Tensor extends ModelTensor {
  /** What TF.js has to do for the same tensor. */
  readonly tf: { readonly kind: 'normal'; readonly std: number } | { readonly kind: 'zeros' } | { readonly kind: 'ones' };
}

export const GPT2_PARAMETERS = 124_439_808;

export function gpt2SmallTensors(dtype: 'f32' | 'f16' | 'bf16' = 'f32'): Gpt2Tensor[] {
  const vocab = 50257;
  const positions = 1024;
  const e = 768;
  const layers = 12;
  const std = 0.02;
  const residualStd = std / Math.sqrt(2 * layers);
  const out: Gpt2Tensor[] = [];
  const add = (name: string, shape: number[], init: Gpt2Tensor['tf'], layout: 'torch' | 'keras' = 'torch') => {
    out.push({
      name,
      shape,
      dtype,
      layout,
      stream: BigInt(out.length),
      init: init.kind === 'normal' ? { kind: 'normal', mean: 0, std: init.std } : { kind: init.kind },
      tf: init,
    });
  };
  const conv1d = (name: string, nx: number, nf: number, weightStd: number) => {
    add(`${name}.weight`, [nx, nf], { kind: 'normal', std: weightStd }, 'keras');
    add(`${name}.bias`, [nf], { kind: 'zeros' });
  };
  const layerNorm = (name: string) => {
    add(`${name}.weight`, [e], { kind: 'ones' });
    add(`${name}.bias`, [e], { kind: 'zeros' });
  };
  add('wte.weight', [vocab, e], { kind: 'normal', std });
  add('wpe.weight', [positions, e], { kind: 'normal', std });
  for (let i = 0; i < layers; i++) {
    layerNorm(`h.${i}.ln_1`);
    conv1d(`h.${i}.attn.c_attn`, e, 3 * e, std);
    conv1d(`h.${i}.attn.c_proj`, e, e, residualStd);
    layerNorm(`h.${i}.ln_2`);
    conv1d(`h.${i}.mlp.c_fc`, e, 4 * e, std);
    conv1d(`h.${i}.mlp.c_proj`, 4 * e, e, residualStd);
  }
  layerNorm('ln_f');
  return out;
}

/** Llama-2-7B (LlamaConfig's defaults) in bf16 with HF's recipe: 291 tensors, 6,738,415,616 parameters. */
export const LLAMA2_7B_PARAMETERS = 6_738_415_616;

export function llama2Bf16Tensors(): ModelTensor[] {
  return resolveModel(llama({}, { dtype: 'bf16' }));
}

export function parameterCount(tensors: readonly { shape: readonly number[] }[]): number {
  return tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}
