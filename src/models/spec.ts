// The model description: named tensors with shapes, initialized by their own spec or by name rules, each on the
// Philox stream derived from its name. Pure data and validation; no GPU. See docs/models.md.

import { DTYPE_BYTES } from '../contract/dtypes.js';
import type { U64Input } from '../contract/u64.js';
import { checkFloatDType, isRecord } from '../contract/validate.js';
import { InvalidParameterError } from '../errors.js';
import { type FanLayout, numel as numelOf, validateLayout, validateShape } from '../init/fans.js';
import type { FloatDType } from '../init/plan-initialize.js';
import { INITIALIZER_KINDS, type InitializerKind, type InitializerSpec, type ResolvedInitializer, resolveInitializer } from '../init/resolve-initializer.js';
import { compileGlob, type Glob, type InitRule } from './rules.js';
import { isWellFormedUnicode, tensorStream } from './stream.js';

export type { InitRule } from './rules.js';

/** One tensor to initialize (a ResolvedTensor has these fields): what the plans and the executors take. */
export interface ModelTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: FloatDType;
  readonly init: InitializerSpec;
  readonly layout: FanLayout;
  /** Its stream (by default the FNV-1a 64 hash of the name). */
  readonly stream: bigint;
}

/** One tensor of a model. */
export interface TensorSpec {
  /** Unique within the model, non-empty, at most 1024 UTF-16 code units, well-formed Unicode. */
  name: string;
  /** Non-negative integer dims (zero-size and rank-0 tensors allowed), at most 2^53 elements, rank ≤ 32. */
  shape: readonly number[];
  /** Stored type; default: the rule's, else the model's, else 'f32'. */
  dtype?: FloatDType;
  /** Own initializer; wins over every rule. */
  init?: InitializerSpec;
  /** How to read fans from the shape; default: the rule's, else the model's, else 'torch'. */
  layout?: FanLayout;
  /** Stream override (u64: bigint, safe-integer number or decimal string); default fnv1a64(name). */
  stream?: U64Input;
}

/** A model: tensors plus optional rules, defaults for dtype and layout, and a name for humans. */
export interface ModelSpec {
  name?: string;
  /** Default dtype of every tensor ('f32' if absent). */
  dtype?: FloatDType;
  /** Default layout of every tensor ('torch' if absent). */
  layout?: FanLayout;
  tensors: readonly TensorSpec[];
  /** Tried in order; a tensor without its own `init` takes the first rule whose `match` covers its name. */
  rules?: readonly InitRule[];
}

/** A tensor with everything decided: what resolveModel returns, in the spec's order. */
export interface ResolvedTensor {
  name: string;
  shape: number[];
  dtype: FloatDType;
  init: InitializerSpec;
  layout: FanLayout;
  /** Philox stream: the override, else fnv1a64(name). */
  stream: bigint;
  numel: number;
  /** numel × 4 (f32) or × 2 (f16, bf16). */
  byteLength: number;
  /** 'explicit' when the tensor has its own init, else the `match` of the rule that initialized it. */
  rule: string;
  /** Index of that rule in `rules`; null for 'explicit'. */
  ruleIndex: number | null;
  /** The initializer resolved for this shape and layout (distribution and its parameters, constant, …). */
  resolved: ResolvedInitializer;
}

/** Bounds on what a model spec may contain (so untrusted JSON cannot ask for unbounded work). */
export const MODEL_LIMITS = {
  maxTensors: 100_000,
  maxRules: 10_000,
  /** Tensor names, model names and rule patterns, in UTF-16 code units. */
  maxNameLength: 1024,
  maxRank: 32,
  /**
   * Steps of glob matching (characters compared; see Glob.test) resolveModel may spend on a whole spec. A rule tried
   * on a name costs at most (|pattern| + 1) · (|name| + 2) steps, and much less when its literal prefix or suffix
   * rules the name out; past this budget the spec is refused, so matching stops within maxMatchSteps steps plus one
   * pair's worst case (about 2^20) — under a second on one core.
   */
  maxMatchSteps: 2 ** 26,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

function quote(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
}

function checkDType(v: unknown, path: string): FloatDType | undefined {
  return v === undefined ? undefined : checkFloatDType(path, v);
}

function checkLayout(v: unknown, path: string): FanLayout | undefined {
  if (v === undefined) return undefined;
  return validateLayout(v, path);
}

/** A tensor name as resolveModel requires it: non-empty, at most maxNameLength UTF-16 code units, well-formed Unicode. */
export function checkTensorName(v: unknown, path: string): string {
  return checkName(v, path, 'tensor name');
}

function checkName(v: unknown, path: string, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MODEL_LIMITS.maxNameLength || !isWellFormedUnicode(v)) {
    throw new InvalidParameterError(path, v, `a non-empty ${what} of at most ${MODEL_LIMITS.maxNameLength} UTF-16 code units, well-formed Unicode`);
  }
  return v;
}

function checkInitObject(v: unknown, path: string): InitializerSpec {
  if (!isRecord(v)) throw new InvalidParameterError(path, v, "an initializer object such as { kind: 'normal', std: 0.02 }");
  const kind = v['kind'];
  if (typeof kind !== 'string' || !(INITIALIZER_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidParameterError(`${path}.kind`, kind, `one of ${INITIALIZER_KINDS.map((k) => `'${k}'`).join(', ')}`);
  }
  return v as unknown as InitializerSpec;
}

/**
 * Re-throws an InvalidParameterError from resolveInitializer under the model's paths: `shape…` becomes
 * `tensors[i].shape…`, `layout…` the path the layout came from; the init's own fields already carry their prefix.
 */
function rethrowInModel(e: unknown, tensorPath: string, layoutPath: string, context: string): never {
  if (!(e instanceof InvalidParameterError)) throw e;
  const p = e.parameter;
  let mapped = p;
  if (p === 'shape' || p.startsWith('shape[') || p.startsWith('shape.')) mapped = `${tensorPath}.${p}`;
  else if (p === 'layout' || p.startsWith('layout.') || p.startsWith('layout[')) mapped = layoutPath + p.slice('layout'.length);
  const rest = e.message.startsWith(p) ? e.message.slice(p.length) : `: ${e.message}`;
  const err = new InvalidParameterError(mapped, undefined, '');
  err.message = `${mapped}${rest} (${context})`;
  throw err;
}

interface CompiledRule {
  readonly glob: Glob;
  readonly rule: InitRule;
}

function compileRules(rules: unknown): CompiledRule[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules) || rules.length > MODEL_LIMITS.maxRules) {
    throw new InvalidParameterError('rules', rules, `an array of at most ${MODEL_LIMITS.maxRules} rules`);
  }
  return rules.map((r: unknown, j) => {
    const path = `rules[${j}]`;
    if (!isRecord(r)) throw new InvalidParameterError(path, r, '{ match, init, layout?, dtype? }');
    const match = checkName(r['match'], `${path}.match`, 'glob pattern');
    checkInitObject(r['init'], `${path}.init`);
    checkLayout(r['layout'], `${path}.layout`);
    checkDType(r['dtype'], `${path}.dtype`);
    return { glob: compileGlob(match), rule: r as unknown as InitRule };
  });
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Resolves every tensor of `spec`: its initializer (own `init`, else the first matching rule, else an error naming
 * the tensor), layout, dtype, stream (override, else fnv1a64(name)), element count and byte length. Validates
 * everything and throws InvalidParameterError naming the path (`tensors[3].shape[1]`, `rules[0].match`, …); every
 * initializer is resolved for its tensor's shape and layout, so a combination that cannot be generated fails here.
 * Names must be unique and so must streams (two tensors on one stream would get the same random bits).
 */
export function resolveModel(spec: ModelSpec): ResolvedTensor[] {
  if (!isRecord(spec)) throw new InvalidParameterError('spec', spec, '{ tensors, rules?, dtype?, layout?, name? }');
  if (spec.name !== undefined) checkName(spec.name, 'name', 'model name');
  const modelDType = checkDType(spec.dtype, 'dtype') ?? 'f32';
  const modelLayout = checkLayout(spec.layout, 'layout') ?? 'torch';
  const rules = compileRules(spec.rules);
  const tensors: unknown = spec.tensors;
  if (!Array.isArray(tensors) || tensors.length > MODEL_LIMITS.maxTensors) {
    throw new InvalidParameterError('tensors', tensors, `an array of at most ${MODEL_LIMITS.maxTensors} tensors`);
  }

  const names = new Map<string, number>();
  const streams = new Map<bigint, number>();
  const budget = { remaining: MODEL_LIMITS.maxMatchSteps, limit: MODEL_LIMITS.maxMatchSteps };
  const cache = new Map<string, ResolvedInitializer>();
  const out: ResolvedTensor[] = [];
  tensors.forEach((t: unknown, i) => {
    const path = `tensors[${i}]`;
    if (!isRecord(t)) throw new InvalidParameterError(path, t, '{ name, shape, init?, dtype?, layout?, stream? }');
    const name = checkName(t['name'], `${path}.name`, 'tensor name');
    const previous = names.get(name);
    if (previous !== undefined) {
      throw new InvalidParameterError(`${path}.name`, name, `a name not already used (tensors[${previous}] has it)`);
    }
    names.set(name, i);
    const shape = validateShape(t['shape'], `${path}.shape`);
    if (shape.length > MODEL_LIMITS.maxRank) {
      throw new InvalidParameterError(`${path}.shape`, t['shape'], `at most ${MODEL_LIMITS.maxRank} dims`);
    }
    const ownDType = checkDType(t['dtype'], `${path}.dtype`);
    const ownLayout = checkLayout(t['layout'], `${path}.layout`);

    let init: InitializerSpec;
    let initPath: string;
    let ruleIndex: number | null = null;
    let rule: InitRule | null = null;
    if (t['init'] !== undefined) {
      init = checkInitObject(t['init'], `${path}.init`);
      initPath = `${path}.init`;
    } else {
      const j = rules.findIndex((r) => r.glob.test(name, budget));
      if (j < 0) {
        throw new InvalidParameterError(
          `${path}.init`,
          undefined,
          `an initializer: no initializer for tensor ${quote(name)}: add init or a rule whose match covers the name`,
        );
      }
      ruleIndex = j;
      rule = rules[j]!.rule;
      init = rule.init;
      initPath = `rules[${j}].init`;
    }

    let layout: FanLayout;
    let layoutPath: string;
    if (ownLayout !== undefined) [layout, layoutPath] = [ownLayout, `${path}.layout`];
    else if (rule?.layout !== undefined) [layout, layoutPath] = [rule.layout, `rules[${ruleIndex}].layout`];
    else [layout, layoutPath] = [modelLayout, 'layout'];
    const dtype = ownDType ?? rule?.dtype ?? modelDType;

    const streamOverride = t['stream'];
    if (streamOverride !== undefined && !['bigint', 'number', 'string'].includes(typeof streamOverride)) {
      throw new InvalidParameterError(`${path}.stream`, streamOverride, 'an unsigned 64-bit integer (bigint, number or decimal string)');
    }
    const stream = tensorStream(name, streamOverride as U64Input | undefined, `${path}.stream`);
    const sameStream = streams.get(stream);
    if (sameStream !== undefined) {
      throw new InvalidParameterError(
        `${path}.stream`,
        stream,
        `a stream no other tensor uses (tensors[${sameStream}] ${quote(out[sameStream]!.name)} has ${stream}; ` +
          'the same stream would give both the same random bits' +
          (streamOverride === undefined ? '; the names collide under FNV-1a 64, so give one an explicit stream)' : ')'),
      );
    }
    streams.set(stream, i);

    // Tensors initialized by the same rule with the same shape and layout (a transformer's layers) share one
    // resolution: resolveInitializer is a pure function of (init, shape, layout).
    const layoutKey = typeof layout === 'string' ? layout : JSON.stringify(layout);
    const key = ruleIndex === null ? null : `${ruleIndex}|${layoutKey}|${shape.join(',')}`;
    let resolved = key === null ? undefined : cache.get(key);
    if (resolved === undefined) {
      try {
        resolved = resolveInitializer(init, shape, layout, initPath);
      } catch (e) {
        const via = ruleIndex === null ? '' : ` via rules[${ruleIndex}] ${quote(rules[ruleIndex]!.glob.pattern)}`;
        rethrowInModel(e, path, layoutPath, `tensor ${quote(name)} = ${path}${via}`);
      }
      if (key !== null) cache.set(key, resolved);
    }
    const n = numelOf(shape);
    out.push({
      name,
      shape,
      dtype,
      init,
      layout,
      stream,
      numel: n,
      byteLength: n * DTYPE_BYTES[dtype],
      rule: ruleIndex === null ? 'explicit' : rules[ruleIndex]!.glob.pattern,
      ruleIndex,
      resolved,
    });
  });
  return out;
}

/**
 * Whether a tensor is a BatchNorm running statistic (`*.running_mean`, `*.running_var`): a buffer of PyTorch's
 * state_dict, not a trainable parameter, so not counted by `sum(p.numel() for p in model.parameters())` (the count
 * torchvision publishes, 11,689,512 for ResNet-18).
 */
export function isRunningStatistic(name: string): boolean {
  return name.endsWith('.running_mean') || name.endsWith('.running_var');
}

/**
 * Totals over resolved tensors: `numel` counts every element written; `parameters` the trainable ones, as PyTorch
 * counts them (BatchNorm running statistics left out); `runningStats` the elements of those.
 */
export function modelTotals(tensors: readonly Pick<ResolvedTensor, 'name' | 'numel' | 'byteLength'>[]): {
  tensors: number;
  numel: number;
  parameters: number;
  runningStats: number;
  byteLength: number;
} {
  let numel = 0;
  let runningStats = 0;
  let byteLength = 0;
  for (const t of tensors) {
    numel += t.numel;
    if (isRunningStatistic(t.name)) runningStats += t.numel;
    byteLength += t.byteLength;
  }
  return { tensors: tensors.length, numel, parameters: numel - runningStats, runningStats, byteLength };
}

// ---------------------------------------------------------------------------------------------------------------
// Untrusted JSON.

/** The fields each initializer kind takes besides `kind` (the InitializerSpec union in src/init/resolve-initializer.ts). */
const INIT_FIELDS: Record<InitializerKind, readonly string[]> = {
  zeros: [],
  ones: [],
  constant: ['value'],
  uniform: ['low', 'high'],
  normal: ['mean', 'std'],
  truncatedNormal: ['mean', 'std', 'a', 'b', 'bounds'],
  varianceScaling: ['scale', 'mode', 'distribution', 'truncationCorrection'],
  glorotUniform: [],
  glorotNormal: [],
  heUniform: [],
  heNormal: [],
  lecunUniform: [],
  lecunNormal: [],
  xavierUniform: ['gain'],
  xavierNormal: ['gain'],
  kaimingUniform: ['a', 'mode', 'nonlinearity'],
  kaimingNormal: ['a', 'mode', 'nonlinearity'],
  eye: ['gain'],
  identity: ['gain'],
  dirac: ['groups'],
  orthogonal: ['gain', 'flatten'],
};

function rejectUnknownKeys(v: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(v)) {
    if (!allowed.includes(key)) {
      throw new InvalidParameterError(`${path}.${key}`, v[key], `no such field (allowed: ${allowed.join(', ')})`);
    }
  }
}

function copyInit(v: unknown, path: string): InitializerSpec {
  const spec = checkInitObject(v, path) as unknown as Record<string, unknown>;
  const kind = spec['kind'] as InitializerKind;
  const fields = INIT_FIELDS[kind];
  rejectUnknownKeys(spec, ['kind', ...fields], path);
  const copy: Record<string, unknown> = { kind };
  for (const f of fields) {
    const x = spec[f];
    if (x === undefined) continue;
    if (typeof x !== 'number' && typeof x !== 'string' && typeof x !== 'boolean') {
      throw new InvalidParameterError(`${path}.${f}`, x, 'a number, string or boolean');
    }
    copy[f] = x;
  }
  return copy as unknown as InitializerSpec;
}

function copyAxes(v: unknown, path: string): number | number[] {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length <= MODEL_LIMITS.maxRank && v.every((a) => typeof a === 'number')) return [...(v as number[])];
  throw new InvalidParameterError(path, v, `an integer axis or an array of at most ${MODEL_LIMITS.maxRank} axes`);
}

function copyLayout(v: unknown, path: string): FanLayout | undefined {
  if (v === undefined) return undefined;
  if (isRecord(v)) {
    rejectUnknownKeys(v, ['inAxis', 'outAxis', 'batchAxis'], path);
    const layout: { inAxis: number | number[]; outAxis: number | number[]; batchAxis?: number | number[] } = {
      inAxis: copyAxes(v['inAxis'], `${path}.inAxis`),
      outAxis: copyAxes(v['outAxis'], `${path}.outAxis`),
    };
    if (v['batchAxis'] !== undefined) layout.batchAxis = copyAxes(v['batchAxis'], `${path}.batchAxis`);
    return layout;
  }
  return validateLayout(v, path);
}

function copyShape(v: unknown, path: string): number[] {
  if (!Array.isArray(v) || v.length > MODEL_LIMITS.maxRank) {
    throw new InvalidParameterError(path, v, `an array of at most ${MODEL_LIMITS.maxRank} non-negative integers`);
  }
  return validateShape(v, path);
}

/**
 * Validates an untrusted model description (a parsed JSON value, or a JSON string) and returns a fresh ModelSpec.
 * Stricter than resolveModel: every object's keys are checked (unknown keys are errors, at the top level, in tensors,
 * rules, layouts and initializers, so a misspelt field cannot be silently ignored), every field's type, and the sizes
 * (MODEL_LIMITS). Then the whole model is resolved, so a spec this returns always resolves.
 */
export function parseModelSpec(json: unknown): ModelSpec {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json) as unknown;
    } catch (e) {
      throw new InvalidParameterError('json', json, `valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (!isRecord(value)) throw new InvalidParameterError('spec', value, 'an object { tensors, rules?, dtype?, layout?, name? }');
  rejectUnknownKeys(value, ['name', 'dtype', 'layout', 'tensors', 'rules'], 'spec');

  const out: { name?: string; dtype?: FloatDType; layout?: FanLayout; tensors: TensorSpec[]; rules?: InitRule[] } = { tensors: [] };
  if (value['name'] !== undefined) out.name = checkName(value['name'], 'name', 'model name');
  const dtype = checkDType(value['dtype'], 'dtype');
  if (dtype !== undefined) out.dtype = dtype;
  const layout = copyLayout(value['layout'], 'layout');
  if (layout !== undefined) out.layout = layout;

  const rules = value['rules'];
  if (rules !== undefined) {
    if (!Array.isArray(rules) || rules.length > MODEL_LIMITS.maxRules) {
      throw new InvalidParameterError('rules', rules, `an array of at most ${MODEL_LIMITS.maxRules} rules`);
    }
    out.rules = rules.map((r: unknown, j): InitRule => {
      const path = `rules[${j}]`;
      if (!isRecord(r)) throw new InvalidParameterError(path, r, '{ match, init, layout?, dtype? }');
      rejectUnknownKeys(r, ['match', 'init', 'layout', 'dtype'], path);
      const rule: InitRule = { match: checkName(r['match'], `${path}.match`, 'glob pattern'), init: copyInit(r['init'], `${path}.init`) };
      const l = copyLayout(r['layout'], `${path}.layout`);
      if (l !== undefined) rule.layout = l;
      const d = checkDType(r['dtype'], `${path}.dtype`);
      if (d !== undefined) rule.dtype = d;
      return rule;
    });
  }

  const tensors = value['tensors'];
  if (!Array.isArray(tensors) || tensors.length > MODEL_LIMITS.maxTensors) {
    throw new InvalidParameterError('tensors', tensors, `an array of at most ${MODEL_LIMITS.maxTensors} tensors`);
  }
  out.tensors = tensors.map((t: unknown, i): TensorSpec => {
    const path = `tensors[${i}]`;
    if (!isRecord(t)) throw new InvalidParameterError(path, t, '{ name, shape, init?, dtype?, layout?, stream? }');
    rejectUnknownKeys(t, ['name', 'shape', 'dtype', 'init', 'layout', 'stream'], path);
    const tensor: TensorSpec = { name: checkName(t['name'], `${path}.name`, 'tensor name'), shape: copyShape(t['shape'], `${path}.shape`) };
    const d = checkDType(t['dtype'], `${path}.dtype`);
    if (d !== undefined) tensor.dtype = d;
    if (t['init'] !== undefined) tensor.init = copyInit(t['init'], `${path}.init`);
    const l = copyLayout(t['layout'], `${path}.layout`);
    if (l !== undefined) tensor.layout = l;
    const s = t['stream'];
    if (s !== undefined) {
      if (typeof s !== 'string' && typeof s !== 'number' && typeof s !== 'bigint') {
        throw new InvalidParameterError(`${path}.stream`, s, 'an unsigned 64-bit integer (decimal string or safe-integer number)');
      }
      tensor.stream = s;
    }
    return tensor;
  });

  resolveModel(out);
  return out;
}
