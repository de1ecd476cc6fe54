/**
 * Node attributes, typed explicitly.
 *
 * Why explicit constructors instead of plain JS values: ONNX tells INT from
 * FLOAT, and `1` would be ambiguous (Gemm's `alpha` is a float, Concat's
 * `axis` an int); onnxruntime rejects an attribute of the wrong kind.
 *
 * @example
 * ```ts
 * g.op('Gemm', [x, w, b], { attributes: { transB: attr.int(1), alpha: attr.float(1) } });
 * g.op('Cast', [x], { attributes: { to: attr.elemType('FP32') } });
 * ```
 */
import type { DataType } from '../../sdk/datatypes.ts';
import { onnx, type OnnxTypes } from './proto.ts';
import { ONNX_ELEM_TYPE } from './tensor-proto.ts';

const A = onnx.AttributeProto.AttributeType;

/** An attribute value with its ONNX kind attached; the name is the key it is stored under. */
export type AttributeValue = Omit<OnnxTypes.IAttributeProto, 'name'> & { type: number };

const utf8 = new TextEncoder();

export const attr = {
  int: (value: number | bigint): AttributeValue => ({ type: A.INT, i: Number(value) }),
  ints: (values: readonly (number | bigint)[]): AttributeValue => ({ type: A.INTS, ints: values.map(Number) }),
  float: (value: number): AttributeValue => ({ type: A.FLOAT, f: value }),
  floats: (values: readonly number[]): AttributeValue => ({ type: A.FLOATS, floats: [...values] }),
  string: (value: string): AttributeValue => ({ type: A.STRING, s: utf8.encode(value) }),
  strings: (values: readonly string[]): AttributeValue => ({
    type: A.STRINGS,
    strings: values.map((value) => utf8.encode(value)),
  }),
  tensor: (value: OnnxTypes.ITensorProto): AttributeValue => ({ type: A.TENSOR, t: value }),
  graph: (value: OnnxTypes.IGraphProto): AttributeValue => ({ type: A.GRAPH, g: value }),
  /** An ONNX element type number, as Cast's `to` wants it. */
  elemType: (datatype: DataType): AttributeValue => ({ type: A.INT, i: ONNX_ELEM_TYPE[datatype] }),
} as const;

/**
 * Attribute protos sorted by name, so the encoded bytes do not depend on the
 * order a caller happened to write the keys in.
 */
export function attributeProtos(attributes: Readonly<Record<string, AttributeValue>> | undefined): OnnxTypes.IAttributeProto[] {
  if (!attributes) return [];
  return Object.keys(attributes)
    .sort()
    .map((name) => ({ name, ...attributes[name] }));
}
