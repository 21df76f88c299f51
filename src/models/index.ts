// Models: specs, name rules, per-tensor streams and presets (pure TypeScript), safetensors, and the GPU
// execution (initModel, shards). Node-only file helpers are in src/node.ts.
export { fnv1a64, fnv1a64Bytes, tensorStream, isWellFormedUnicode, FNV1A64_OFFSET_BASIS, FNV1A64_PRIME } from './stream.js';
export { compileGlob, globMatch, firstMatchingRule } from './rules.js';
export type { InitRule, Glob } from './rules.js';
export { resolveModel, parseModelSpec, modelTotals, MODEL_LIMITS } from './spec.js';
export { FLOAT_DTYPES } from '../contract/dtypes.js';
export type { TensorSpec, ModelSpec, ResolvedTensor } from './spec.js';
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
} from './presets.js';
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
export { initModel } from './init-model.js';
export { planModel, assertPlanFits } from './model-plan.js';
export type { ModelPlan, ModelPlanOptions, PlannedTensor, PlanLimits } from './model-plan.js';
export type { ModelTensor, ModelProgress, InitModelOptions, InitializedTensor, InitializedModel } from './init-model.js';
export {
  DEFAULT_MAX_SHARD_SIZE,
  CHECKPOINT_INDEX_FILE,
  CHECKPOINT_SINGLE_FILE,
  parseShardSize,
  planCheckpoint,
  shardFileName,
  isCheckpointFileName,
  encodeCheckpointIndex,
} from './checkpoint-plan.js';
export type { CheckpointEntry, CheckpointFile, CheckpointPlan } from './checkpoint-plan.js';
export { writeCheckpoint, directoryHandleFolder, refuseOccupiedFolder, CHECKPOINT_CONFIG_FILE } from './checkpoint.js';
export type { CheckpointFolder, CheckpointProgress, WriteCheckpointOptions, WriteCheckpointResult, DirectoryHandleLike } from './checkpoint.js';
export { initShard, initShardCpu, shardLayout } from './shard.js';
export type { Shard, Segment, ShardLayout } from './shard.js';
export {
  SAFETENSORS_DTYPE_BITS,
  SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_MAX_TENSORS,
  SafetensorsFormatError,
  weightDTypeOf,
  encodeHeader,
  safetensorsHeaderSize,
  parseSafetensorsHeader,
  headerToJson,
  readSafetensorsHeaderFromBlob,
  blobSink,
  writableStreamSink,
  writeSafetensors,
} from './safetensors.js';
export type {
  SafetensorsDType,
  SafetensorsWriteDType,
  SafetensorsProblem,
  SafetensorsEntry,
  ParsedSafetensorsTensor,
  ParsedSafetensorsHeader,
  SafetensorsSink,
  BlobSink,
  SafetensorsTensor,
  WriteSafetensorsOptions,
  WriteSafetensorsResult,
} from './safetensors.js';
export {
  TFJS_BUFFER_USAGE,
  ORT_BUFFER_USAGE,
  ENGINE_DEVICE_LIMITS,
  ENGINE_DEVICE_FEATURES,
  ORT_DATA_TYPE,
  engineDeviceDescriptor,
  shareDeviceWithTfjs,
  tfjsDevice,
  toTfTensor,
  toOrtTensor,
  ortWebGpuExecutionProvider,
} from './engines.js';
export type {
  EngineRange,
  TfjsTensorFactory,
  TfjsBackendRegistry,
  TfjsWebGPUBackendClass,
  ShareDeviceWithTfjsOptions,
  ToTfTensorOptions,
  OrtTensorFactory,
  OrtGpuDataType,
} from './engines.js';
