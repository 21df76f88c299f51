// The zero-copy hand-off of a decoder's weights to ONNX Runtime Web: each buffer initModel made becomes an
// `ort.Tensor.fromGpuBuffer` feed of the graph built with weights as inputs (decoderOnnx(config, { weights: 'inputs' })).
import { InvalidParameterError, UnsupportedError } from '../../errors.js';
import { type OrtTensorFactory, toOrtTensor } from '../engines.js';
import type { InitializedModel } from '../init-model.js';
import type { DecoderOnnx } from './decoder-model.js';

/**
 * The weight feeds of `onnx` (built with weights 'inputs') from the tensors of `model` (initModel of the same preset
 * and config, placement 'tensor': ORT reads a tensor from byte 0 of its buffer), by name: no byte is copied or read
 * back. bf16 models are refused (ONNX Runtime Web has no bfloat16 GPU-buffer tensors); so is a model whose tensors
 * differ from the graph's weights in name, shape or dtype. Add input_ids, attention_mask, position_ids and the
 * past_key_values.* tensors, and run on a session whose execution provider runs on the model's device
 * (ortWebGpuExecutionProvider(ctx.device)).
 */
export function decoderWeightFeeds<T>(ort: OrtTensorFactory<T>, onnx: DecoderOnnx, model: InitializedModel): Record<string, T> {
  if (onnx.externalData !== null) throw new InvalidParameterError('onnx', 'external-data graph', "a graph built with weights: 'inputs'");
  const feeds: Record<string, T> = {};
  for (const w of onnx.weights) {
    const t = model.get(w.name);
    if (!t) throw new InvalidParameterError('model', `no tensor ${w.name}`, "initModel's tensors of the graph's preset and config");
    if (t.dtype === 'bf16') throw new UnsupportedError("dtype bf16: ONNX Runtime Web has no bfloat16 GPU-buffer tensors; initialize with dtype 'f16' or 'f32'");
    const type = t.dtype === 'f16' ? 'float16' : 'float32';
    if (type !== w.type || t.shape.join(',') !== w.shape.join(',')) {
      throw new InvalidParameterError(`model.${w.name}`, `${t.dtype} [${t.shape.join(', ')}]`, `${w.type} [${w.shape.join(', ')}] as the graph reads it`);
    }
    feeds[w.name] = toOrtTensor(ort, t, w.shape);
  }
  return feeds;
}
