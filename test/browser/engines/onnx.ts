// A minimal ONNX model encoder (protobuf wire format) for the engine tests: there is no Python or onnx
// package here, and the models are tiny graphs of standard ops, so the bytes are written by hand.
//
// Field numbers are those of onnx/onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto):
//   ModelProto          ir_version = 1 (int64), producer_name = 2, graph = 7, opset_import = 8
//   OperatorSetIdProto  domain = 1 (string), version = 2 (int64)
//   GraphProto          node = 1, name = 2, input = 11, output = 12
//   NodeProto           input = 1, output = 2, name = 3, op_type = 4, attribute = 5
//   AttributeProto      name = 1, i = 3 (int64), type = 20 (AttributeType: INT = 2)
//   ValueInfoProto      name = 1, type = 2
//   TypeProto           tensor_type = 1
//   TypeProto.Tensor    elem_type = 1 (int32, a TensorProto.DataType), shape = 2
//   TensorShapeProto    dim = 1
//   Dimension           dim_value = 1 (int64), dim_param = 2 (string)
//   TensorProto.DataType FLOAT = 1, FLOAT16 = 10
// Wire types: 0 = varint, 2 = length-delimited. Every message here is a sequence of (tag, value) pairs
// with tag = field << 3 | wireType; nested messages are length-delimited byte strings.

export const ONNX_FLOAT = 1;
export const ONNX_FLOAT16 = 10;

export type ElemType = typeof ONNX_FLOAT | typeof ONNX_FLOAT16;

export interface ValueInfo {
  name: string;
  elemType: ElemType;
  /** Fixed sizes, or a string for a symbolic dimension. */
  dims: readonly (number | string)[];
}

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  /** Integer attributes (e.g. Cast's `to`). */
  intAttributes?: Readonly<Record<string, number>>;
}

export interface ModelSpec {
  nodes: readonly NodeSpec[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  /** Default 8 (ONNX 1.10+), read by every ONNX Runtime since 1.10. */
  irVersion?: number;
  /** Default-domain opset; default 17. */
  opset?: number;
  graphName?: string;
}

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n; // int64 fields: two's complement, 10 bytes
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? byte : byte | 0x80);
  } while (v !== 0n);
  return out;
}

const tag = (field: number, wireType: 0 | 2): number[] => varint((field << 3) | wireType);
const intField = (field: number, value: number | bigint): number[] => [...tag(field, 0), ...varint(value)];
const bytesField = (field: number, bytes: readonly number[]): number[] => [...tag(field, 2), ...varint(bytes.length), ...bytes];
const stringField = (field: number, s: string): number[] => bytesField(field, [...new TextEncoder().encode(s)]);

function valueInfo(v: ValueInfo): number[] {
  const dims = v.dims.flatMap((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : stringField(2, d)));
  const tensorType = [...intField(1, v.elemType), ...bytesField(2, dims)];
  return [...stringField(1, v.name), ...bytesField(2, bytesField(1, tensorType))];
}

function node(n: NodeSpec, index: number): number[] {
  const attributes = Object.entries(n.intAttributes ?? {}).flatMap(([name, i]) =>
    bytesField(5, [...stringField(1, name), ...intField(3, i), ...intField(20, 2)]),
  );
  return [
    ...n.inputs.flatMap((s) => stringField(1, s)),
    ...n.outputs.flatMap((s) => stringField(2, s)),
    ...stringField(3, n.name ?? `${n.opType}_${index}`),
    ...stringField(4, n.opType),
    ...attributes,
  ];
}

/** The serialized ModelProto. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const graph = [
    ...spec.nodes.flatMap((n, i) => bytesField(1, node(n, i))),
    ...stringField(2, spec.graphName ?? 'webgpu-weight-init-test'),
    ...spec.inputs.flatMap((v) => bytesField(11, valueInfo(v))),
    ...spec.outputs.flatMap((v) => bytesField(12, valueInfo(v))),
  ];
  return new Uint8Array([
    ...intField(1, spec.irVersion ?? 8),
    ...stringField(2, 'webgpu-weight-init tests'),
    ...bytesField(7, graph),
    ...bytesField(8, [...stringField(1, ''), ...intField(2, spec.opset ?? 17)]),
  ]);
}

/** Y = X · W + B with X [m, k], W [k, n], B [n] (broadcast over rows). */
export function matMulAddModel(m: number, k: number, n: number, elemType: ElemType = ONNX_FLOAT): Uint8Array {
  return encodeModel({
    nodes: [
      { opType: 'MatMul', inputs: ['X', 'W'], outputs: ['XW'] },
      { opType: 'Add', inputs: ['XW', 'B'], outputs: ['Y'] },
    ],
    inputs: [
      { name: 'X', elemType, dims: [m, k] },
      { name: 'W', elemType, dims: [k, n] },
      { name: 'B', elemType, dims: [n] },
    ],
    outputs: [{ name: 'Y', elemType, dims: [m, n] }],
  });
}

/** Y = Cast<float>(X16) · Cast<float>(W16): f16 inputs, f32 math and output. */
export function castMatMulModel(m: number, k: number, n: number): Uint8Array {
  return encodeModel({
    nodes: [
      { opType: 'Cast', inputs: ['X16'], outputs: ['X'], intAttributes: { to: ONNX_FLOAT } },
      { opType: 'Cast', inputs: ['W16'], outputs: ['W'], intAttributes: { to: ONNX_FLOAT } },
      { opType: 'MatMul', inputs: ['X', 'W'], outputs: ['Y'] },
    ],
    inputs: [
      { name: 'X16', elemType: ONNX_FLOAT16, dims: [m, k] },
      { name: 'W16', elemType: ONNX_FLOAT16, dims: [k, n] },
    ],
    outputs: [{ name: 'Y', elemType: ONNX_FLOAT, dims: [m, n] }],
  });
}
