// A decoder preset's ONNX model from its Hugging Face config.json: the graph's bytes with the weights as graph
// inputs (zero-copy) or in an external-data file, and the layout of that file.

import { DTYPE_BYTES, type FloatDType } from '../../contract/dtypes.js';
import { checkFloatDType, isRecord } from '../../contract/validate.js';
import { InvalidParameterError } from '../../errors.js';
import { type DecoderArchitecture, decoderArchitecture } from '../../models/decoder.js';
import type { HfModelType } from '../../models/presets.js';
import { buildDecoderGraph, type DecoderWeight, decoderWeights } from './decoder-graph.js';
import { type ExternalDataLayout, externalDataFileName, planExternalData } from './external-data.js';

export interface DecoderOnnxOptions {
  /** The weights' dtype (default 'f32'); 'bf16' is refused (UnsupportedError). */
  dtype?: FloatDType;
  /** 'inputs' (default): weights are graph inputs, for GPU buffers; 'external': initializers in `<onnxFile>_data`. */
  weights?: 'inputs' | 'external';
  /** The .onnx file's name, which names the external-data file (default 'model.onnx' → 'model.onnx_data'). */
  onnxFile?: string;
  /** The preset, when the config has no model_type. */
  modelType?: HfModelType;
}

export interface DecoderOnnx {
  /** The .onnx file. */
  readonly bytes: Uint8Array;
  readonly architecture: DecoderArchitecture;
  /** The graph inputs that are not weights and the outputs, in order, and its node count. */
  readonly graph: { readonly inputNames: readonly string[]; readonly outputNames: readonly string[]; readonly nodes: number };
  /** The weights in graph (and file) order: Hugging Face names, shapes, element types. */
  readonly weights: readonly DecoderWeight[];
  /** With weights 'external': where each weight is in the external-data file. */
  readonly externalData: ExternalDataLayout | null;
}

/**
 * The ONNX model of a GPT-2 or Llama config.json (see buildDecoderGraph for its inputs and outputs). Everything is
 * validated here, before any device exists.
 */
export function decoderOnnx(config: Readonly<Record<string, unknown>>, options: DecoderOnnxOptions = {}): DecoderOnnx {
  if (!isRecord(options as unknown)) throw new InvalidParameterError('options', options, '{ dtype?, weights?, onnxFile?, modelType? }');
  const dtype = checkFloatDType('options.dtype', options.dtype ?? 'f32');
  const mode = options.weights ?? 'inputs';
  if (mode !== 'inputs' && mode !== 'external') throw new InvalidParameterError('options.weights', mode, "'inputs' or 'external'");
  const onnxFile = options.onnxFile ?? 'model.onnx';
  const architecture = decoderArchitecture(config, options.modelType);
  const weights = decoderWeights(architecture, dtype);
  const externalData =
    mode === 'external'
      ? planExternalData(
          externalDataFileName(onnxFile),
          weights.map((w) => ({ name: w.name, bytes: w.shape.reduce((n, d) => n * d, 1) * DTYPE_BYTES[dtype] })),
        )
      : null;
  const graph = buildDecoderGraph(architecture, {
    dtype,
    weights: externalData
      ? (w) => {
          const e = externalData.byName.get(w.name)!;
          return { location: externalData.location, offset: e.offset, length: e.length };
        }
      : 'inputs',
  });
  return {
    bytes: graph.bytes,
    architecture,
    graph: { inputNames: graph.inputNames, outputNames: graph.outputNames, nodes: graph.nodes },
    weights: graph.weights,
    externalData,
  };
}
