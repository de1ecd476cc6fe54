/**
 * A small builder for ONNX graphs and models over onnx-proto's messages.
 *
 * Determinism is the point: nodes, inputs, outputs and initializers are kept
 * in the order they were added, attributes are sorted by name, generated
 * names come from counters, and nothing reads the clock. The same calls give
 * the same bytes on every run, so committed `.onnx` files only change when
 * the code that builds them does.
 *
 * @example
 * ```ts
 * const g = new GraphBuilder('simple');
 * const a = g.input('INPUT0', 'INT32', ['batch', 16]);
 * const b = g.input('INPUT1', 'INT32', ['batch', 16]);
 * g.op('Add', [a, b], { outputs: ['OUTPUT0'] });
 * g.output('OUTPUT0', 'INT32', ['batch', 16]);
 * const bytes: Uint8Array = g.toModelBytes();
 * ```
 */
import type { DataArray, DataType } from '../../sdk/datatypes.ts';
import { attributeProtos, type AttributeValue } from './attributes.ts';
import { DEFAULT_OPSET, IR_VERSION, onnx, PRODUCER_NAME, type OnnxTypes } from './proto.ts';
import { ONNX_ELEM_TYPE, tensorProto } from './tensor-proto.ts';

/**
 * One dimension of a declared shape: a fixed size, a symbolic name shared by
 * every tensor that uses it (`'batch'`), or null for an anonymous dynamic dim.
 */
export type Dim = number | string | null;

export interface NodeOptions {
  attributes?: Readonly<Record<string, AttributeValue>>;
  /** Output names; default one generated name (`<op>_<n>_out0`). */
  outputs?: readonly string[];
  /** Node name; default `<op>_<n>`. */
  name?: string;
  /** Operator domain; default '' (the standard ai.onnx ops). */
  domain?: string;
}

export interface ModelOptions {
  /** ai.onnx opset version; default 17. */
  opset?: number;
  docString?: string;
  /** Extra key/value pairs stored in the model's metadata_props, in the order given. */
  metadata?: readonly (readonly [string, string])[];
}

/** A ValueInfoProto describing a tensor of `datatype` with shape `dims`. */
export function tensorValueInfo(name: string, datatype: DataType, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  const dim = dims.map((d): OnnxTypes.TensorShapeProto.IDimension => {
    if (typeof d === 'number') {
      // -1 is Triton's spelling of "dynamic"; ONNX spells it with a symbolic or empty dim.
      if (!Number.isInteger(d) || d < 0) throw new Error(`'${name}': fixed dims must be non-negative integers, got ${d}`);
      return { dimValue: d };
    }
    return typeof d === 'string' ? { dimParam: d } : {};
  });
  return { name, type: { tensorType: { elemType: ONNX_ELEM_TYPE[datatype], shape: { dim } } } };
}

export class GraphBuilder {
  readonly name: string;
  #inputs: OnnxTypes.IValueInfoProto[] = [];
  #outputs: OnnxTypes.IValueInfoProto[] = [];
  #initializers: OnnxTypes.ITensorProto[] = [];
  #nodes: OnnxTypes.INodeProto[] = [];
  #names = new Set<string>();
  #nodeCount = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Declares a graph input and returns its name, for use as a node input. */
  input(name: string, datatype: DataType, dims: readonly Dim[]): string {
    this.#claim(name);
    this.#inputs.push(tensorValueInfo(name, datatype, dims));
    return name;
  }

  /**
   * Declares an existing value (a node output or a graph input) as a graph output.
   * Returns the name for chaining.
   */
  output(name: string, datatype: DataType, dims: readonly Dim[]): string {
    if (!this.#names.has(name)) throw new Error(`graph '${this.name}': output '${name}' is not produced by anything`);
    this.#outputs.push(tensorValueInfo(name, datatype, dims));
    return name;
  }

  /** Adds a constant tensor (stored as raw little-endian data) and returns its name. */
  initializer<D extends DataType>(name: string, datatype: D, dims: readonly number[], data: DataArray<D>): string {
    this.#claim(name);
    this.#initializers.push(tensorProto(name, datatype, dims, data));
    return name;
  }

  /** Adds a prebuilt TensorProto (e.g. from `int64Tensor`) as an initializer. */
  initializerProto(tensor: OnnxTypes.ITensorProto): string {
    const name = tensor.name ?? '';
    this.#claim(name);
    this.#initializers.push(tensor);
    return name;
  }

  /**
   * Adds a node and returns all of its output names. Inputs may be '' for an
   * omitted optional input, as ONNX allows.
   */
  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    const index = this.#nodeCount++;
    const name = options.name ?? `${opType}_${index}`;
    const outputs = options.outputs ? [...options.outputs] : [`${name}_out0`];
    for (const input of inputs) {
      if (input !== '' && !this.#names.has(input)) {
        throw new Error(`graph '${this.name}': node '${name}' reads '${input}' before anything produces it`);
      }
    }
    for (const output of outputs) this.#claim(output);
    this.#nodes.push({
      name,
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: outputs,
      attribute: attributeProtos(options.attributes),
    });
    return outputs;
  }

  /** `node()` for the common single-output case: returns the one output name. */
  op(opType: string, inputs: readonly string[], options: NodeOptions = {}): string {
    const outputs = this.node(opType, inputs, options);
    if (outputs.length !== 1) throw new Error(`op('${opType}') wants one output; use node() for ${outputs.length}`);
    return outputs[0];
  }

  /** The GraphProto as built so far (also usable as a Loop/If body via `attr.graph`). */
  toGraph(): OnnxTypes.IGraphProto {
    if (this.#outputs.length === 0) throw new Error(`graph '${this.name}' declares no outputs`);
    return {
      name: this.name,
      node: this.#nodes,
      initializer: this.#initializers,
      input: this.#inputs,
      output: this.#outputs,
    };
  }

  /** A ModelProto with this graph as its main graph. */
  toModel(options: ModelOptions = {}): OnnxTypes.IModelProto {
    const model: OnnxTypes.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: options.opset ?? DEFAULT_OPSET }],
      producerName: PRODUCER_NAME,
      graph: this.toGraph(),
    };
    if (options.docString) model.docString = options.docString;
    if (options.metadata) model.metadataProps = options.metadata.map(([key, value]) => ({ key, value }));
    return model;
  }

  /** The serialized model, ready to write to `model.onnx` or hand to an InferenceSession. */
  toModelBytes(options: ModelOptions = {}): Uint8Array {
    return encodeModel(this.toModel(options));
  }

  #claim(name: string): void {
    if (name === '') throw new Error(`graph '${this.name}': value names must not be empty`);
    if (this.#names.has(name)) throw new Error(`graph '${this.name}': '${name}' is defined twice`);
    this.#names.add(name);
  }
}

/**
 * Serializes a ModelProto. protobufjs writes fields in field-number order and
 * repeated fields in array order, so equal models give equal bytes.
 */
export function encodeModel(model: OnnxTypes.IModelProto): Uint8Array {
  const problem = onnx.ModelProto.verify(model);
  if (problem) throw new Error(`invalid ModelProto: ${problem}`);
  // Copy out of protobufjs's Buffer so callers get a plain Uint8Array they own.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}
