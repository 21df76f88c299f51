// The output layer: a model's plans executed into GPU buffers (initModel, shards), safetensors files and Hugging Face
// checkpoint folders, and the hand-off to inference engines. Node's file helpers are exported by src/node.ts.
export { initModel } from './init-model.js';
export type { ModelProgress, InitModelOptions, InitializedTensor, InitializedModel } from './init-model.js';
export { writeCheckpoint, prepareCheckpoint, directoryHandleFolder, CHECKPOINT_CONFIG_FILE } from './checkpoint.js';
export type {
  CheckpointFolder,
  CheckpointProgress,
  FolderClaim,
  PreparedCheckpoint,
  WriteCheckpointOptions,
  WriteCheckpointResult,
  DirectoryHandleLike,
} from './checkpoint.js';
export { initShard } from './shard.js';
export { initFlax, initFlaxCpu } from './flax.js';
export type { InitializedFlaxParam } from './flax.js';
export {
  SAFETENSORS_DTYPE_BITS,
  SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_MAX_TENSORS,
  SafetensorsFormatError,
} from './safetensors/format.js';
export { parseSafetensorsHeader, readSafetensorsHeaderFromBlob } from './safetensors/parser.js';
export { blobSink, writableStreamSink } from './safetensors/sinks.js';
export { writeSafetensors } from './safetensors/writer.js';
export { weightFileMetadata } from './metadata.js';
export type { SafetensorsDType, SafetensorsWriteDType, SafetensorsProblem, SafetensorsEntry } from './safetensors/format.js';
export type { ParsedSafetensorsTensor, ParsedSafetensorsHeader } from './safetensors/parser.js';
export type { SafetensorsSink, BlobSink } from './safetensors/sinks.js';
export type { SafetensorsTensor, WriteSafetensorsOptions, WriteSafetensorsResult } from './safetensors/writer.js';
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
export { decoderOnnx } from './onnx/decoder-model.js';
export type { DecoderOnnx, DecoderOnnxOptions } from './onnx/decoder-model.js';
export { DECODER_OPSET, decoderWeights, pastKeyName, pastValueName, presentKeyName, presentValueName } from './onnx/decoder-graph.js';
export type { DecoderWeight } from './onnx/decoder-graph.js';
export { decoderWeightFeeds } from './onnx/ort-feeds.js';
export {
  planExternalData,
  externalDataFileName,
  EXTERNAL_DATA_ALIGN_THRESHOLD,
  EXTERNAL_DATA_LARGE_ALIGNMENT,
  EXTERNAL_DATA_SMALL_ALIGNMENT,
} from './onnx/external-data.js';
export type { ExternalDataLayout, ExternalDataEntry } from './onnx/external-data.js';
export { writeOnnxPack, planOnnxPack, memoryOnnxPack, onnxPackCache, onnxPackModelFile } from './onnx/pack.js';
export type { OnnxPackFolders, OnnxPackFile, OnnxPackPlan, OnnxPackProgress, WriteOnnxPackOptions, WriteOnnxPackResult, MemoryOnnxPack } from './onnx/pack.js';
export { byteLevelTokenizer, byteToUnicode } from './onnx/tokenizer.js';
export type { ByteLevelTokenizer, ByteLevelTokenizerOptions } from './onnx/tokenizer.js';
