/**
 * The graphs behind the bundled models and the test fixtures, each returned
 * with its signature in Triton terms so a matching config.pbtxt can be written
 * next to it.
 *
 * Shape convention: `dims` are Triton's (without the batch dimension, -1 for
 * "any size"); when `batch` is true the ONNX graph gets a leading symbolic
 * 'batch' dim, as Triton expects of a model with max_batch_size > 0.
 *
 * @example
 * ```ts
 * const simple = addSubModel({ datatype: 'INT32', dims: [16], batch: true });
 * await ort.InferenceSession.create(simple.onnx);
 * ```
 */
import type { DataType } from '../../sdk/datatypes.ts';
import { attr } from './attributes.ts';
import { GraphBuilder, type Dim } from './graph-builder.ts';
import { Rng } from './prng.ts';
import { int64Tensor } from './tensor-proto.ts';

/** One input or output as Triton's config sees it. */
export interface TensorSignature {
  name: string;
  datatype: DataType;
  /** Without the batch dim; -1 where any size is accepted. */
  dims: number[];
}

/** A serialized model plus what a config.pbtxt needs to describe it. */
export interface BuiltModel {
  onnx: Uint8Array;
  /** True when the ONNX graph has a leading 'batch' dim that Triton's max_batch_size governs. */
  batch: boolean;
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

/**
 * Triton dims -> ONNX dims. Every -1 becomes a symbolic dim ('n', or 'n0',
 * 'n1'... when there are several) shared by all tensors of the model, which
 * tells ORT that inputs and outputs agree on those sizes.
 */
export function onnxDims(dims: readonly number[], batch: boolean): Dim[] {
  const dynamicCount = dims.filter((d) => d === -1).length;
  let seen = 0;
  const named = dims.map((d): Dim => {
    if (d !== -1) return d;
    return dynamicCount === 1 ? 'n' : `n${seen++}`;
  });
  return batch ? ['batch', ...named] : named;
}

function assertOrtCanHold(datatype: DataType, model: string): void {
  // onnxruntime-node refuses to load a model with a bfloat16 graph input or
  // output ("Unsupported data type: 16"): its JS tensor has no bf16 type.
  if (datatype === 'BF16') throw new Error(`${model}: onnxruntime-node cannot load models with BF16 inputs or outputs`);
}

export interface IdentityOptions {
  datatype: DataType;
  dims: number[];
  batch: boolean;
  inputName?: string;
  outputName?: string;
}

/** OUTPUT0 = INPUT0, for any datatype onnxruntime-node can pass in and out (all but BF16). */
export function identityModel(options: IdentityOptions): BuiltModel {
  const { datatype, dims, batch, inputName = 'INPUT0', outputName = 'OUTPUT0' } = options;
  assertOrtCanHold(datatype, 'identityModel');
  const shape = onnxDims(dims, batch);
  const g = new GraphBuilder(`identity_${datatype.toLowerCase()}`);
  const x = g.input(inputName, datatype, shape);
  g.output(g.op('Identity', [x], { outputs: [outputName] }), datatype, shape);
  return {
    onnx: g.toModelBytes(),
    batch,
    inputs: [{ name: inputName, datatype, dims: [...dims] }],
    outputs: [{ name: outputName, datatype, dims: [...dims] }],
  };
}

export interface AddSubOptions {
  datatype: DataType;
  dims: number[];
  batch: boolean;
}

/**
 * Triton's `simple` model generalised: OUTPUT0 = INPUT0 + INPUT1,
 * OUTPUT1 = INPUT0 - INPUT1. onnxruntime 1.30 implements Add and Sub for
 * every numeric type (integers wrap on overflow), but not BOOL or STRING.
 */
export function addSubModel(options: AddSubOptions): BuiltModel {
  const { datatype, dims, batch } = options;
  assertOrtCanHold(datatype, 'addSubModel');
  if (datatype === 'BOOL' || datatype === 'BYTES') throw new Error(`addSubModel: ONNX Add/Sub do not accept ${datatype}`);
  const shape = onnxDims(dims, batch);
  const g = new GraphBuilder(`add_sub_${datatype.toLowerCase()}`);
  const a = g.input('INPUT0', datatype, shape);
  const b = g.input('INPUT1', datatype, shape);
  g.output(g.op('Add', [a, b], { outputs: ['OUTPUT0'] }), datatype, shape);
  g.output(g.op('Sub', [a, b], { outputs: ['OUTPUT1'] }), datatype, shape);
  const signature = (name: string): TensorSignature => ({ name, datatype, dims: [...dims] });
  return {
    onnx: g.toModelBytes(),
    batch,
    inputs: [signature('INPUT0'), signature('INPUT1')],
    outputs: [signature('OUTPUT0'), signature('OUTPUT1')],
  };
}

export interface MlpOptions {
  inputSize?: number;
  hiddenSize?: number;
  classes?: number;
  seed?: number;
}

/**
 * A two-layer classifier: input [batch, 64] -> Gemm -> Relu -> Gemm -> Softmax
 * -> probabilities [batch, 10], with Glorot weights from a seeded PRNG.
 * It computes nothing meaningful; it exists to exercise real FP32 math and
 * batching with outputs that are easy to check (each row sums to 1).
 */
export function mlpModel(options: MlpOptions = {}): BuiltModel {
  const { inputSize = 64, hiddenSize = 128, classes = 10, seed = 0x6e657265 } = options;
  const rng = new Rng(seed);
  const g = new GraphBuilder('mlp');
  const x = g.input('input', 'FP32', ['batch', inputSize]);
  const w1 = g.initializer('fc1.weight', 'FP32', [inputSize, hiddenSize], rng.glorotFloat32(inputSize, hiddenSize));
  const b1 = g.initializer('fc1.bias', 'FP32', [hiddenSize], rng.uniformFloat32(hiddenSize, -0.1, 0.1));
  const w2 = g.initializer('fc2.weight', 'FP32', [hiddenSize, classes], rng.glorotFloat32(hiddenSize, classes));
  const b2 = g.initializer('fc2.bias', 'FP32', [classes], rng.uniformFloat32(classes, -0.1, 0.1));
  const hidden = g.op('Relu', [g.op('Gemm', [x, w1, b1], { name: 'fc1' })], { name: 'relu1' });
  const logits = g.op('Gemm', [hidden, w2, b2], { name: 'fc2' });
  g.op('Softmax', [logits], { name: 'softmax', outputs: ['probabilities'], attributes: { axis: attr.int(-1) } });
  g.output('probabilities', 'FP32', ['batch', classes]);
  return {
    onnx: g.toModelBytes({ docString: 'nereid example MLP: deterministic random weights, not a trained model' }),
    batch: true,
    inputs: [{ name: 'input', datatype: 'FP32', dims: [inputSize] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', dims: [classes] }],
  };
}

export interface SlowOptions {
  /** MatMul+Tanh layers applied in sequence; the run time grows linearly with it. */
  layers: number;
  /** Feature width of INPUT0 and OUTPUT0; default 256. */
  width?: number;
  seed?: number;
}

/**
 * A deliberately heavy model for concurrency and batching tests:
 * INPUT0 FP32 [batch, width] -> `layers` x (MatMul W, Tanh) -> OUTPUT0.
 * All layers share one weight matrix, so the file stays small (width^2 floats)
 * however heavy the model is made. Tanh keeps values in (-1, 1), so deep
 * stacks neither overflow nor decay into denormals (which would change the
 * cost per layer).
 */
export function slowModel(options: SlowOptions): BuiltModel {
  const { layers, width = 256, seed = 7 } = options;
  if (!Number.isInteger(layers) || layers < 1) throw new Error(`slowModel: layers must be a positive integer, got ${layers}`);
  const rng = new Rng(seed);
  const g = new GraphBuilder(`slow_${layers}`);
  let value = g.input('INPUT0', 'FP32', ['batch', width]);
  // Glorot scaling keeps each layer's output spread close to its input's, away from Tanh's flat tails.
  const w = g.initializer('W', 'FP32', [width, width], rng.glorotFloat32(width, width));
  for (let layer = 0; layer < layers; layer++) {
    const last = layer === layers - 1;
    const product = g.op('MatMul', [value, w], { name: `matmul_${layer}` });
    value = g.op('Tanh', [product], { name: `tanh_${layer}`, outputs: last ? ['OUTPUT0'] : undefined });
  }
  g.output('OUTPUT0', 'FP32', ['batch', width]);
  return {
    onnx: g.toModelBytes(),
    batch: true,
    inputs: [{ name: 'INPUT0', datatype: 'FP32', dims: [width] }],
    outputs: [{ name: 'OUTPUT0', datatype: 'FP32', dims: [width] }],
  };
}

/**
 * A model with no batch dimension and fixed shapes (max_batch_size 0 in
 * Triton): INPUT0 FP32 [2, 3]; OUTPUT0 = its transpose [3, 2];
 * OUTPUT1 = it flattened to [6]. Output shapes differ from the input's on
 * purpose, so shape handling is tested too.
 */
export function fixedShapeModel(): BuiltModel {
  const g = new GraphBuilder('fixed_shape');
  const x = g.input('INPUT0', 'FP32', [2, 3]);
  g.output(g.op('Transpose', [x], { outputs: ['OUTPUT0'], attributes: { perm: attr.ints([1, 0]) } }), 'FP32', [3, 2]);
  const flat = g.initializerProto(int64Tensor('flat_shape', [6]));
  g.output(g.op('Reshape', [x, flat], { outputs: ['OUTPUT1'] }), 'FP32', [6]);
  return {
    onnx: g.toModelBytes(),
    batch: false,
    inputs: [{ name: 'INPUT0', datatype: 'FP32', dims: [2, 3] }],
    outputs: [
      { name: 'OUTPUT0', datatype: 'FP32', dims: [3, 2] },
      { name: 'OUTPUT1', datatype: 'FP32', dims: [6] },
    ],
  };
}
