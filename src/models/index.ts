// What describes a model, with no GPU import: specs, name rules, per-tensor streams, presets, the model plan and the
// checkpoint plan. What runs them and writes them is the output layer (src/output/).

export type { CheckpointLayout, CheckpointPart, PartFromEnvironment, PartIndex } from './checkpoint-parts.js';
export {
  CHECKPOINT_LAYOUT_KEY,
  decodeCheckpointLayout,
  encodeCheckpointLayout,
  MAX_PARTS,
  PART_COUNT_VARIABLE,
  PART_RUNNERS,
  parsePart,
  partFromEnvironment,
  partOfFiles,
  planParts,
} from './checkpoint-parts.js';
export type { CheckpointEntry, CheckpointFile, CheckpointPlan } from './checkpoint-plan.js';
export { CHECKPOINT_INDEX_FILE, CHECKPOINT_SINGLE_FILE, DEFAULT_MAX_SHARD_SIZE, planCheckpoint } from './checkpoint-plan.js';
export type { DecoderActivation, DecoderArchitecture } from './decoder.js';
export { DECODER_ACTIVATIONS, decoderArchitecture } from './decoder.js';
export type {
  FlaxConv,
  FlaxDense,
  FlaxEmbed,
  FlaxInitOptions,
  FlaxLayer,
  FlaxLayerNorm,
  FlaxModel,
  FlaxModule,
  FlaxMultiHeadDotProductAttention,
  FlaxParam,
  FlaxPlannedParam,
} from './flax.js';
export { flaxFoldInData, flaxMlp, flaxParams, flaxTransformerBlock, planFlaxInit } from './flax.js';
export type { ModelPlan, ModelPlanOptions, PlannedTensor } from './model-plan.js';
export { planModel } from './model-plan.js';
export type {
  FromSafetensorsOptions,
  Gpt2Config,
  HfModelType,
  LlamaConfig,
  PresetOptions,
  RawSafetensorsHeader,
  RawSafetensorsTensorInfo,
  ResNet18Options,
  ResolvedGpt2Config,
  ResolvedLlamaConfig,
} from './presets.js';
export {
  fromSafetensorsHeader,
  GPT2_DEFAULTS,
  gpt2,
  gpt2Rules,
  HF_MODEL_TYPES,
  hfConfig,
  hfModelType,
  hfSpecialTokenIds,
  LLAMA_DEFAULTS,
  llama,
  llamaRules,
  presetFromHfConfig,
  resnet18,
  resnet18Rules,
  resolveGpt2Config,
  resolveLlamaConfig,
} from './presets.js';
export type { Glob, InitRule } from './rules.js';
export { compileGlob, firstMatchingRule, globMatch } from './rules.js';
export type { Segment, Shard, ShardLayout } from './shard-layout.js';
export { shardLayout } from './shard-layout.js';
export type { ModelSpec, ModelTensor, ResolvedTensor, TensorSpec } from './spec.js';
export { MODEL_LIMITS, modelTotals, parseModelSpec, resolveModel } from './spec.js';
export { FNV1A64_OFFSET_BASIS, FNV1A64_PRIME, fnv1a64, fnv1a64Bytes, tensorStream } from './stream.js';
