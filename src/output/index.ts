// The output layer: a model's plans executed into GPU buffers (initModel, shards), safetensors files and Hugging Face
// checkpoint folders, and the hand-off to inference engines. Node's file helpers are exported by src/node.ts.

export type {
  CheckpointFolder,
  CheckpointProgress,
  DirectoryHandleLike,
  FolderClaim,
  PreparedCheckpoint,
  WriteCheckpointOptions,
  WriteCheckpointResult,
} from './checkpoint.js';
export { CHECKPOINT_CONFIG_FILE, directoryHandleFolder, prepareCheckpoint, writeCheckpoint } from './checkpoint.js';
export type {
  EngineRange,
  OrtGpuDataType,
  OrtTensorFactory,
  ShareDeviceWithTfjsOptions,
  TfjsBackendRegistry,
  TfjsTensorFactory,
  TfjsWebGPUBackendClass,
  ToTfTensorOptions,
} from './engines.js';
export {
  ENGINE_DEVICE_FEATURES,
  ENGINE_DEVICE_LIMITS,
  engineDeviceDescriptor,
  ORT_BUFFER_USAGE,
  ORT_DATA_TYPE,
  ortWebGpuExecutionProvider,
  shareDeviceWithTfjs,
  TFJS_BUFFER_USAGE,
  tfjsDevice,
  toOrtTensor,
  toTfTensor,
} from './engines.js';
export type { InitializedFlaxParam } from './flax.js';
export { initFlax, initFlaxCpu } from './flax.js';
export type { InitializedModel, InitializedTensor, InitModelOptions, ModelProgress } from './init-model.js';
export { initModel } from './init-model.js';
export { weightFileMetadata } from './metadata.js';
export type { DecoderWeight } from './onnx/decoder-graph.js';
export { DECODER_OPSET, decoderWeights, pastKeyName, pastValueName, presentKeyName, presentValueName } from './onnx/decoder-graph.js';
export type { DecoderOnnx, DecoderOnnxOptions } from './onnx/decoder-model.js';
export { decoderOnnx } from './onnx/decoder-model.js';
export type { ExternalDataEntry, ExternalDataLayout } from './onnx/external-data.js';
export {
  EXTERNAL_DATA_ALIGN_THRESHOLD,
  EXTERNAL_DATA_LARGE_ALIGNMENT,
  EXTERNAL_DATA_SMALL_ALIGNMENT,
  externalDataFileName,
  planExternalData,
} from './onnx/external-data.js';
export type { GreedyDecodeOptions, GreedyOrt, GreedySession, GreedyTensor } from './onnx/greedy.js';
export { greedyDecode } from './onnx/greedy.js';
export { decoderWeightFeeds } from './onnx/ort-feeds.js';
export type { MemoryOnnxPack, OnnxPackFile, OnnxPackFolders, OnnxPackPlan, OnnxPackProgress, WriteOnnxPackOptions, WriteOnnxPackResult } from './onnx/pack.js';
export { memoryOnnxPack, onnxPackCache, onnxPackModelFile, planOnnxPack, writeOnnxPack } from './onnx/pack.js';
export type { ByteLevelTokenizer, ByteLevelTokenizerOptions } from './onnx/tokenizer.js';
export { byteLevelTokenizer, byteToUnicode } from './onnx/tokenizer.js';
export type { SafetensorsDType, SafetensorsEntry, SafetensorsProblem, SafetensorsWriteDType } from './safetensors/format.js';
export {
  SAFETENSORS_DTYPE_BITS,
  SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_MAX_TENSORS,
  SafetensorsFormatError,
} from './safetensors/format.js';
export type { ParsedSafetensorsHeader, ParsedSafetensorsTensor } from './safetensors/parser.js';
export { parseSafetensorsHeader, readSafetensorsHeaderFromBlob } from './safetensors/parser.js';
export type { BlobSink, SafetensorsSink } from './safetensors/sinks.js';
export { blobSink, writableStreamSink } from './safetensors/sinks.js';
export type { SafetensorsTensor, WriteSafetensorsOptions, WriteSafetensorsResult } from './safetensors/writer.js';
export { writeSafetensors } from './safetensors/writer.js';
export { initShard } from './shard.js';
