// A small ONNX graph builder on the generated protobuf classes (./proto/onnx_pb.ts, from ONNX's own onnx.proto by
// @bufbuild/protoc-gen-es): nodes, graph inputs and outputs with symbolic dimensions, small constants as
// initializers, and weights either as graph inputs or as initializers whose bytes live in an external-data file.
// Field meanings: onnx/onnx.proto (ONNX 1.23.1, vendored next to the generated code) and the onnx repository's IR.md
// (external data: the `location`, `offset` and `length` entries of TensorProto.external_data, with data_location =
// EXTERNAL). The protobuf types stay inside this module: the package's declarations need no protobuf package.

import type { MessageInitShape } from '@bufbuild/protobuf';
import { create, toBinary } from '@bufbuild/protobuf';
import { f32ToF16Bits } from '../../twin/pack.js';
import {
  AttributeProto_AttributeType,
  type AttributeProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  type TensorProto,
  TensorProto_DataLocation,
  TensorProto_DataType,
  TensorProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from './proto/onnx_pb.js';

/** Element types the graphs use, by ONNX Runtime's names. */
export type OnnxElemType = 'float32' | 'float16' | 'int64' | 'bool';

const DATA_TYPE: Readonly<Record<OnnxElemType, TensorProto_DataType>> = {
  float32: TensorProto_DataType.FLOAT,
  float16: TensorProto_DataType.FLOAT16,
  int64: TensorProto_DataType.INT64,
  bool: TensorProto_DataType.BOOL,
};

/** ONNX's TensorProto.DataType code of an element type (FLOAT = 1, FLOAT16 = 10, INT64 = 7, BOOL = 9). */
export const onnxDataType = (t: OnnxElemType): number => DATA_TYPE[t];

/** A dimension: a fixed size, or a name (dim_param) for a size known only at run time. */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxElemType;
  readonly dims: readonly OnnxDim[];
}

/** A float attribute (ONNX tells INT and FLOAT attributes apart; a bare number is an INT). */
export interface FloatAttribute {
  readonly float: number;
}

export type AttributeValue = number | readonly number[] | string | FloatAttribute;

/** Where an initializer's bytes are: `location` (a file next to the .onnx), from `offset`, `length` bytes. */
export interface ExternalDataRef {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

function valueInfo(v: OnnxValueInfo): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name: v.name,
    type: {
      value: {
        case: 'tensorType',
        value: {
          elemType: DATA_TYPE[v.type],
          shape: {
            dim: v.dims.map((d) => ({
              value: typeof d === 'number' ? { case: 'dimValue' as const, value: BigInt(d) } : { case: 'dimParam' as const, value: d },
            })),
          },
        },
      },
    },
  });
}

function attribute(name: string, v: AttributeValue): MessageInitShape<typeof AttributeProtoSchema> {
  if (typeof v === 'string') return { name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: AttributeProto_AttributeType.INT, i: BigInt(v) };
  if (Array.isArray(v)) return { name, type: AttributeProto_AttributeType.INTS, ints: (v as readonly number[]).map((x) => BigInt(x)) };
  return { name, type: AttributeProto_AttributeType.FLOAT, f: (v as FloatAttribute).float };
}

/** Little-endian bytes of constant values in an element type. */
function constantBytes(type: OnnxElemType, values: ArrayLike<number>): Uint8Array {
  switch (type) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'float16': {
      // A loop: Uint16Array.from with a map function is 25 times slower on V8 (the rotary tables have millions).
      const h = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) h[i] = f32ToF16Bits(Math.fround(values[i]!));
      return new Uint8Array(h.buffer);
    }
    case 'int64':
      return new Uint8Array(BigInt64Array.from(values, (x) => BigInt(x)).buffer);
    case 'bool':
      return Uint8Array.from(values, (x) => (x ? 1 : 0));
  }
}

/**
 * Collects a graph. Names of intermediate values are made unique with a counter; inputs, outputs and weights keep
 * the names given. Constants with the same type, shape and values are made once.
 */
export class OnnxGraph {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;
  private tables = 0;

  /** A graph input; returns its name. */
  input(v: OnnxValueInfo): string {
    this.inputs.push(valueInfo(v));
    return v.name;
  }

  /** Declares `v.name` (a value some node produces) a graph output. */
  output(v: OnnxValueInfo): void {
    this.outputs.push(valueInfo(v));
  }

  /** A weight whose bytes are in an external-data file; returns its name. */
  externalInitializer(v: OnnxValueInfo, data: ExternalDataRef): string {
    if (v.dims.some((d) => typeof d !== 'number')) throw new Error(`initializer ${v.name}: fixed dimensions only`);
    this.initializers.push(
      create(TensorProtoSchema, {
        name: v.name,
        dims: v.dims.map((d) => BigInt(d)),
        dataType: DATA_TYPE[v.type],
        dataLocation: TensorProto_DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: data.location },
          { key: 'offset', value: String(data.offset) },
          { key: 'length', value: String(data.length) },
        ],
      }),
    );
    return v.name;
  }

  /** A small constant stored in the graph (shapes, scalars, rotary frequencies: never a weight); returns its name. */
  constant(type: OnnxElemType, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${type}|${dims.join(',')}|${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = `const_${this.constants.size}`;
    this.initializers.push(
      create(TensorProtoSchema, { name, dims: dims.map((d) => BigInt(d)), dataType: DATA_TYPE[type], rawData: constantBytes(type, values) }),
    );
    this.constants.set(key, name);
    return name;
  }

  /**
   * A constant table stored in the graph from f32 values (rounded to f16 for 'float16'), made once per call (large
   * tables are not compared with the others); returns its name.
   */
  table(type: 'float32' | 'float16', values: Float32Array, dims: readonly number[]): string {
    const name = `table_${this.tables++}`;
    this.initializers.push(
      create(TensorProtoSchema, { name, dims: dims.map((d) => BigInt(d)), dataType: DATA_TYPE[type], rawData: constantBytes(type, values) }),
    );
    return name;
  }

  /** A node with one output (named `output`, or a fresh name); returns the output's name. */
  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, output?: string): string {
    return this.opN(opType, inputs, 1, attributes, output ? [output] : undefined)[0]!;
  }

  /** A node with `count` outputs; returns their names. */
  opN(
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes: Readonly<Record<string, AttributeValue>> = {},
    names?: readonly string[],
  ): string[] {
    const id = this.counter++;
    const outputs = names ? [...names] : Array.from({ length: count }, (_, k) => `${opType.toLowerCase()}_${id}${count > 1 ? `_${k}` : ''}`);
    this.nodes.push(
      create(NodeProtoSchema, {
        name: `${opType}_${id}`,
        opType,
        input: [...inputs],
        output: outputs,
        attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outputs;
  }

  /**
   * The serialized ModelProto (the bytes of a .onnx file): IR version 8, the default ONNX domain at `opset`. (The
   * protobuf types stay inside this module, so the package's declarations need no protobuf package.)
   */
  encode(options: { opset: number; graphName: string; producerName: string; producerVersion?: string; docString?: string }): Uint8Array {
    const model: ModelProto = create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: options.producerName,
      producerVersion: options.producerVersion ?? '',
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: BigInt(options.opset) }],
      graph: { name: options.graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return toBinary(ModelProtoSchema, model);
  }

  /** Nodes so far (for tests and summaries). */
  get nodeCount(): number {
    return this.nodes.length;
  }
}
