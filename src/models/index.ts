// What describes a model, with no GPU import: specs, name rules, per-tensor streams, presets, the model plan and the
// checkpoint plan. What runs them and writes them is the output layer (src/output/).
export { fnv1a64, fnv1a64Bytes, tensorStream, FNV1A64_OFFSET_BASIS, FNV1A64_PRIME } from './stream.js';
export { compileGlob, globMatch, firstMatchingRule } from './rules.js';
export type { InitRule, Glob } from './rules.js';
export { resolveModel, parseModelSpec, modelTotals, MODEL_LIMITS } from './spec.js';
export type { TensorSpec, ModelSpec, ResolvedTensor, ModelTensor } from './spec.js';
export {
  gpt2,
  gpt2Rules,
  resolveGpt2Config,
  GPT2_DEFAULTS,
  llama,
  llamaRules,
  resolveLlamaConfig,
  LLAMA_DEFAULTS,
  resnet18,
  resnet18Rules,
  fromSafetensorsHeader,
  HF_MODEL_TYPES,
  hfModelType,
  hfConfig,
  presetFromHfConfig,
  hfSpecialTokenIds,
} from './presets.js';
export { decoderArchitecture, DECODER_ACTIVATIONS } from './decoder.js';
export type { DecoderArchitecture, DecoderActivation } from './decoder.js';
export type {
  PresetOptions,
  Gpt2Config,
  ResolvedGpt2Config,
  LlamaConfig,
  ResolvedLlamaConfig,
  ResNet18Options,
  RawSafetensorsTensorInfo,
  RawSafetensorsHeader,
  FromSafetensorsOptions,
  HfModelType,
} from './presets.js';
export { planModel } from './model-plan.js';
export type { ModelPlan, ModelPlanOptions, PlannedTensor } from './model-plan.js';
export { DEFAULT_MAX_SHARD_SIZE, CHECKPOINT_INDEX_FILE, CHECKPOINT_SINGLE_FILE, planCheckpoint } from './checkpoint-plan.js';
export type { CheckpointEntry, CheckpointFile, CheckpointPlan } from './checkpoint-plan.js';
export {
  MAX_PARTS,
  PART_COUNT_VARIABLE,
  PART_RUNNERS,
  parsePart,
  partFromEnvironment,
  planParts,
  partOfFiles,
  CHECKPOINT_LAYOUT_KEY,
  encodeCheckpointLayout,
  decodeCheckpointLayout,
} from './checkpoint-parts.js';
export type { CheckpointPart, CheckpointLayout, PartFromEnvironment, PartIndex } from './checkpoint-parts.js';
export { shardLayout } from './shard-layout.js';
export type { Shard, Segment, ShardLayout } from './shard-layout.js';
export { flaxParams, planFlaxInit, flaxFoldInData, flaxMlp, flaxTransformerBlock } from './flax.js';
export type {
  FlaxModel,
  FlaxLayer,
  FlaxDense,
  FlaxConv,
  FlaxEmbed,
  FlaxLayerNorm,
  FlaxMultiHeadDotProductAttention,
  FlaxModule,
  FlaxParam,
  FlaxPlannedParam,
  FlaxInitOptions,
} from './flax.js';
