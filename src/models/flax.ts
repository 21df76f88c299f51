// Flax linen models as parameter lists: the parameters model.init(jax.random.key(seed), x) creates for stacks of
// nn.Dense, nn.Conv, nn.Embed, nn.LayerNorm and nn.MultiHeadDotProductAttention (flax 0.12), each with its key as
// Flax derives it and its jax.nn.initializers initializer, planned into JAX initializer plans. Pure description
// and planning: src/output/flax.ts executes the plans on a GPU or on the CPU.
//
// Flax's key for a parameter (flax/core/scope.py, LazyRng and _fold_in_static): the root key with the module path
// folded in, fold_in(key, u32(first 4 bytes, big-endian, of SHA-1(path))), where the path is the names of the
// modules from the root (strings as UTF-8) followed by the scope's make_rng counter (1 for a module's first
// parameter, 2 for its second: as the minimal big-endian bytes of the integer). flax_fix_rng_separator (off by
// default) puts a zero byte before each part.

import type { FloatDType } from '../contract/dtypes.js';
import { checkJaxKey, foldInJaxKey, type JaxKey } from '../contract/jax-key.js';
import { sha1 } from '../contract/sha1.js';
import { checkFloatDType, checkPositiveInteger, isRecord } from '../contract/validate.js';
import { InvalidParameterError } from '../errors.js';
import { type JaxInitializePlan, type JaxInitializerSpec, planJaxInitializer } from '../init/jax-initializers.js';

/** flax.linen.Dense: kernel (in, features) with lecun_normal, bias (features,) with zeros. */
export interface FlaxDense {
  readonly type: 'Dense';
  readonly features: number;
  readonly useBias?: boolean;
  readonly name?: string;
  readonly kernelInit?: JaxInitializerSpec;
  readonly biasInit?: JaxInitializerSpec;
  readonly paramDtype?: FloatDType;
}

/** flax.linen.Conv: kernel kernelSize + (in / featureGroupCount, features) with lecun_normal, bias (features,). */
export interface FlaxConv {
  readonly type: 'Conv';
  readonly features: number;
  readonly kernelSize: readonly number[];
  readonly featureGroupCount?: number;
  readonly useBias?: boolean;
  readonly name?: string;
  readonly kernelInit?: JaxInitializerSpec;
  readonly biasInit?: JaxInitializerSpec;
  readonly paramDtype?: FloatDType;
}

/** flax.linen.Embed: embedding (numEmbeddings, features), variance_scaling(1, 'fan_in', 'normal', out_axis=0). */
export interface FlaxEmbed {
  readonly type: 'Embed';
  readonly numEmbeddings: number;
  readonly features: number;
  readonly name?: string;
  readonly embeddingInit?: JaxInitializerSpec;
  readonly paramDtype?: FloatDType;
}

/** flax.linen.LayerNorm over the last axis: scale (ones) then bias (zeros). */
export interface FlaxLayerNorm {
  readonly type: 'LayerNorm';
  readonly useScale?: boolean;
  readonly useBias?: boolean;
  readonly name?: string;
  readonly scaleInit?: JaxInitializerSpec;
  readonly biasInit?: JaxInitializerSpec;
  readonly paramDtype?: FloatDType;
}

/**
 * flax.linen.MultiHeadDotProductAttention: DenseGeneral submodules query, key and value (kernel (in, heads, headDim))
 * and out (kernel (heads, headDim, outFeatures)), whose kernels are drawn as their 2-D flattening.
 */
export interface FlaxMultiHeadDotProductAttention {
  readonly type: 'MultiHeadDotProductAttention';
  readonly numHeads: number;
  /** Default: the input features. */
  readonly qkvFeatures?: number;
  /** Default: the input features. */
  readonly outFeatures?: number;
  readonly useBias?: boolean;
  readonly name?: string;
  readonly kernelInit?: JaxInitializerSpec;
  readonly biasInit?: JaxInitializerSpec;
  readonly paramDtype?: FloatDType;
}

/**
 * A module of the user's whose compact __call__ calls `layers` in this order, each on the previous one's output
 * (residual additions keep the features, so they need no entry). Flax names it `${className}_${i}` in its
 * parent unless `name` is given.
 */
export interface FlaxModule {
  readonly type: 'Module';
  readonly className: string;
  readonly layers: readonly FlaxLayer[];
  readonly name?: string;
}

export type FlaxLayer = FlaxDense | FlaxConv | FlaxEmbed | FlaxLayerNorm | FlaxMultiHeadDotProductAttention | FlaxModule;

/** A parameter of a Flax model: where it is, its shape, its initializer and the data folded into the root key. */
export interface FlaxParam {
  /** The flattened path, 'Block_0/Dense_0/kernel' (flax.traverse_util.flatten_dict with sep='/'). */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
  readonly init: JaxInitializerSpec;
  /** The shape the initializer draws (DenseGeneral draws its kernel 2-D and reshapes it). */
  readonly drawShape: readonly number[];
  /** The rng path: module names, then the make_rng counter. */
  readonly rngPath: readonly (string | number)[];
}

const LECUN_NORMAL: JaxInitializerSpec = { kind: 'lecunNormal' };
const ZEROS: JaxInitializerSpec = { kind: 'zeros' };
const ONES: JaxInitializerSpec = { kind: 'ones' };
const EMBED_INIT: JaxInitializerSpec = { kind: 'varianceScaling', scale: 1, mode: 'fan_in', distribution: 'normal', outAxis: 0 };

/** Builds the parameters of one scope: its modules' names (auto-named per class) and its make_rng counter. */
class Scope {
  private readonly classCounts = new Map<string, number>();
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(
    readonly path: readonly string[],
    readonly out: FlaxParam[],
  ) {}

  child(className: string, name: string | undefined): Scope {
    const i = this.classCounts.get(className) ?? 0;
    this.classCounts.set(className, i + 1);
    const n = name ?? `${className}_${i}`;
    if (this.names.has(n)) throw new InvalidParameterError('layers', n, `module names that are unique in their parent (${n} twice)`);
    this.names.add(n);
    return new Scope([...this.path, n], this.out);
  }

  param(name: string, shape: number[], init: JaxInitializerSpec, dtype: FloatDType, drawShape: number[] = shape): void {
    this.counter++;
    this.out.push({ name: [...this.path, name].join('/'), shape, dtype, init, drawShape, rngPath: [...this.path, this.counter] });
  }
}

/** Adds the parameters of `layer` (input features `inFeatures`) to `scope`; returns its output features. */
function build(layer: FlaxLayer, scope: Scope, inFeatures: number, dtype: FloatDType, path: string): number {
  if (!isRecord(layer)) throw new InvalidParameterError(path, layer, "a Flax layer such as { type: 'Dense', features: 8 }");
  const d = layer.type === 'Module' ? dtype : checkFloatDType(`${path}.paramDtype`, layer.paramDtype ?? dtype);
  switch (layer.type) {
    case 'Dense': {
      const features = checkPositiveInteger(`${path}.features`, layer.features);
      const s = scope.child('Dense', layer.name);
      s.param('kernel', [inFeatures, features], layer.kernelInit ?? LECUN_NORMAL, d);
      if (layer.useBias ?? true) s.param('bias', [features], layer.biasInit ?? ZEROS, d);
      return features;
    }
    case 'Conv': {
      const features = checkPositiveInteger(`${path}.features`, layer.features);
      const groups = checkPositiveInteger(`${path}.featureGroupCount`, layer.featureGroupCount ?? 1);
      if (inFeatures % groups !== 0) throw new InvalidParameterError(`${path}.featureGroupCount`, groups, `a divisor of the input features (${inFeatures})`);
      if (!Array.isArray(layer.kernelSize) || layer.kernelSize.length === 0)
        throw new InvalidParameterError(`${path}.kernelSize`, layer.kernelSize, 'an array of sizes');
      const kernel = layer.kernelSize.map((k, i) => checkPositiveInteger(`${path}.kernelSize[${i}]`, k));
      const s = scope.child('Conv', layer.name);
      s.param('kernel', [...kernel, inFeatures / groups, features], layer.kernelInit ?? LECUN_NORMAL, d);
      if (layer.useBias ?? true) s.param('bias', [features], layer.biasInit ?? ZEROS, d);
      return features;
    }
    case 'Embed': {
      const n = checkPositiveInteger(`${path}.numEmbeddings`, layer.numEmbeddings);
      const features = checkPositiveInteger(`${path}.features`, layer.features);
      scope.child('Embed', layer.name).param('embedding', [n, features], layer.embeddingInit ?? EMBED_INIT, d);
      return features;
    }
    case 'LayerNorm': {
      const s = scope.child('LayerNorm', layer.name);
      if (layer.useScale ?? true) s.param('scale', [inFeatures], layer.scaleInit ?? ONES, d);
      if (layer.useBias ?? true) s.param('bias', [inFeatures], layer.biasInit ?? ZEROS, d);
      return inFeatures;
    }
    case 'MultiHeadDotProductAttention': {
      const heads = checkPositiveInteger(`${path}.numHeads`, layer.numHeads);
      const qkv = checkPositiveInteger(`${path}.qkvFeatures`, layer.qkvFeatures ?? inFeatures);
      const out = checkPositiveInteger(`${path}.outFeatures`, layer.outFeatures ?? inFeatures);
      if (qkv % heads !== 0) throw new InvalidParameterError(`${path}.numHeads`, heads, `a divisor of qkvFeatures (${qkv})`);
      const headDim = qkv / heads;
      const s = scope.child('MultiHeadDotProductAttention', layer.name);
      const kernelInit = layer.kernelInit ?? LECUN_NORMAL;
      const biasInit = layer.biasInit ?? ZEROS;
      for (const name of ['query', 'key', 'value']) {
        const dense = s.child('DenseGeneral', name);
        dense.param('kernel', [inFeatures, heads, headDim], kernelInit, d, [inFeatures, heads * headDim]);
        if (layer.useBias ?? true) dense.param('bias', [heads, headDim], biasInit, d, [heads * headDim]);
      }
      const o = s.child('DenseGeneral', 'out');
      o.param('kernel', [heads, headDim, out], kernelInit, d, [heads * headDim, out]);
      if (layer.useBias ?? true) o.param('bias', [out], biasInit, d);
      return out;
    }
    case 'Module': {
      if (typeof layer.className !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(layer.className)) {
        throw new InvalidParameterError(`${path}.className`, layer.className, 'a Python class name');
      }
      if (!Array.isArray(layer.layers)) throw new InvalidParameterError(`${path}.layers`, layer.layers, 'an array of layers');
      const s = scope.child(layer.className, layer.name);
      return layer.layers.reduce((f, l, i) => build(l, s, f, dtype, `${path}.layers[${i}]`), inFeatures);
    }
    default:
      throw new InvalidParameterError(
        `${path}.type`,
        (layer as { type?: unknown }).type,
        "'Dense', 'Conv', 'Embed', 'LayerNorm', 'MultiHeadDotProductAttention' or 'Module'",
      );
  }
}

/** A Flax model: the root module's compact __call__ calls `layers` in order. */
export interface FlaxModel {
  readonly layers: readonly FlaxLayer[];
  /** The last dimension of the input x of model.init(key, x) (for an Embed first: anything, say 1). */
  readonly inputFeatures: number;
  /** Default param_dtype of every layer ('f32'). */
  readonly paramDtype?: FloatDType;
}

/** The parameters model.init creates, in the order Flax creates them. */
export function flaxParams(model: FlaxModel): FlaxParam[] {
  if (!isRecord(model) || !Array.isArray(model.layers)) throw new InvalidParameterError('model', model, '{ layers, inputFeatures, paramDtype? }');
  const dtype = checkFloatDType('model.paramDtype', model.paramDtype ?? 'f32');
  const out: FlaxParam[] = [];
  const root = new Scope([], out);
  model.layers.reduce((f, l, i) => build(l, root, f, dtype, `model.layers[${i}]`), checkPositiveInteger('model.inputFeatures', model.inputFeatures));
  return out;
}

/** The u32 Flax folds into the root key for an rng path (the first 4 bytes of its SHA-1, big-endian). */
export function flaxFoldInData(rngPath: readonly (string | number)[], fixRngSeparator = false): number {
  const utf8 = new TextEncoder();
  const parts = rngPath.flatMap((p) => {
    const bytes = typeof p === 'string' ? utf8.encode(p) : new Uint8Array(bigEndianBytes(p));
    return fixRngSeparator ? [new Uint8Array([0]), bytes] : [bytes];
  });
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  const digest = sha1(data);
  return new DataView(digest.buffer).getUint32(0);
}

/** Python's n.to_bytes((n.bit_length() + 7) // 8, 'big') for a non-negative integer. */
function bigEndianBytes(n: number): number[] {
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return out;
}

export interface FlaxInitOptions {
  model: FlaxModel;
  /** The key of model.init(key, x). */
  key: JaxKey;
  /** flax's flax_fix_rng_separator configuration flag (default false, as in flax). */
  fixRngSeparator?: boolean;
}

/** One parameter of a planned Flax init: its description, its key and its initializer plan. */
export interface FlaxPlannedParam extends FlaxParam {
  readonly key: JaxKey;
  readonly plan: JaxInitializePlan;
}

/** model.init(key, x)['params'] planned: every parameter with its key and its JAX initializer plan. */
export function planFlaxInit(options: FlaxInitOptions): FlaxPlannedParam[] {
  if (!isRecord(options)) throw new InvalidParameterError('options', options, '{ model, key, fixRngSeparator? }');
  const root = checkJaxKey(options.key);
  return flaxParams(options.model).map((p) => {
    const key = foldInJaxKey(root, flaxFoldInData(p.rngPath, options.fixRngSeparator ?? false));
    const plan = planJaxInitializer({ init: p.init, key, shape: p.drawShape, dtype: p.dtype });
    return Object.freeze({ ...p, key, plan });
  });
}

/** A stack of nn.Dense layers (the last without bias when `outputBias` is false): a Flax MLP. */
export function flaxMlp(inputFeatures: number, features: readonly number[], options: { outputBias?: boolean; paramDtype?: FloatDType } = {}): FlaxModel {
  const layers = features.map(
    (f, i): FlaxDense => ({ type: 'Dense', features: f, ...(i === features.length - 1 && options.outputBias === false ? { useBias: false } : {}) }),
  );
  return { layers, inputFeatures, ...(options.paramDtype ? { paramDtype: options.paramDtype } : {}) };
}

/**
 * A pre-norm transformer block as a Flax user module `className` (default 'Block'): LayerNorm,
 * MultiHeadDotProductAttention, LayerNorm, Dense(mlpFeatures), Dense(features).
 */
export function flaxTransformerBlock(options: {
  features: number;
  numHeads: number;
  mlpFeatures: number;
  qkvFeatures?: number;
  className?: string;
}): FlaxModule {
  return {
    type: 'Module',
    className: options.className ?? 'Block',
    layers: [
      { type: 'LayerNorm' },
      { type: 'MultiHeadDotProductAttention', numHeads: options.numHeads, ...(options.qkvFeatures ? { qkvFeatures: options.qkvFeatures } : {}) },
      { type: 'LayerNorm' },
      { type: 'Dense', features: options.mlpFeatures },
      { type: 'Dense', features: options.features },
    ],
  };
}
