/**
 * Real ONNX models for tests, built at test time into temporary repositories.
 *
 * The graphs come from scripts/onnx/reference-models.ts (the same code that
 * builds the bundled models/), so a test never depends on a binary blob whose
 * origin nobody remembers.
 *
 * @example
 * ```ts
 * const repo = await createTempRepository();
 * await writeFixture(repo, 'add_sub_fp16', addSubModel('FP16', { batch: true, dims: [4] }));
 * await writeModel(repo, 'no_config', { onnx: identityModel('INT8', { batch: false, dims: [3] }).onnx });
 * // ... start a server on `repo` ...
 * await removeTempRepository(repo);
 * ```
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DATATYPE_NAMES, DATATYPES, type DataArray, type DataType } from '../../sdk/datatypes.ts';
import { renderConfig, type ConfigTextOptions } from '../../scripts/onnx/config-pbtxt.ts';
import { Rng } from '../../scripts/onnx/prng.ts';
import * as reference from '../../scripts/onnx/reference-models.ts';
import type { BuiltModel } from '../../scripts/onnx/reference-models.ts';

export type { BuiltModel, TensorSignature } from '../../scripts/onnx/reference-models.ts';
export { renderConfig } from '../../scripts/onnx/config-pbtxt.ts';

/**
 * Datatypes onnxruntime-node 1.30 can feed into and read out of a model:
 * everything but BF16 (a model with a bf16 graph input or output fails to
 * load: "Unsupported data type: 16").
 */
export const ORT_DATATYPES: readonly DataType[] = DATATYPE_NAMES.filter((datatype) => datatype !== 'BF16');

/** Datatypes ORT implements Add and Sub for: every numeric one (not BOOL, BYTES or BF16). */
export const ADD_SUB_DATATYPES: readonly DataType[] = ORT_DATATYPES.filter(
  (datatype) => datatype !== 'BOOL' && datatype !== 'BYTES',
);

export interface ShapeOptions {
  /** True: leading 'batch' dim in the graph, max_batch_size > 0 in the config. */
  batch: boolean;
  /** Triton dims without the batch dim; -1 for any size. */
  dims: number[];
}

/** INPUT0 -> Identity -> OUTPUT0 for any of ORT_DATATYPES. */
export function identityModel(datatype: DataType, options: ShapeOptions): BuiltModel {
  return reference.identityModel({ datatype, ...options });
}

/** Triton's `simple`: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1, for any of ADD_SUB_DATATYPES. */
export function addSubModel(datatype: DataType, options: ShapeOptions): BuiltModel {
  return reference.addSubModel({ datatype, ...options });
}

/**
 * INPUT0 FP32 [batch, width] through `layers` MatMul+Tanh layers to OUTPUT0.
 * Each layer costs width^2 multiply-adds per batch row (65,536 at the default
 * width 256). Measured on the 2-core dev VM, one intra-op thread, width 256:
 * about 3 us per layer at batch 1 and 7 us at batch 8, so `layers: 1000`
 * makes a run of about 3 ms (7 ms at batch 8; batching pays) and a 370 KB
 * file that loads in about 80 ms.
 */
export function slowModel(options: reference.SlowOptions): BuiltModel {
  return reference.slowModel(options);
}

/** No batch dim: INPUT0 FP32 [2, 3] -> OUTPUT0 (transpose, [3, 2]) and OUTPUT1 (flattened, [6]). */
export function fixedShapeModel(): BuiltModel {
  return reference.fixedShapeModel();
}

/** The bundled mlp's graph: `input` FP32 [batch, 64] -> `probabilities` FP32 [batch, 10]. */
export function mlpModel(options: reference.MlpOptions = {}): BuiltModel {
  return reference.mlpModel(options);
}

/** A fresh empty directory to use as a model repository. */
export async function createTempRepository(prefix = 'nereid-repo-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function removeTempRepository(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface ModelFiles {
  onnx: Uint8Array;
  /** config.pbtxt text; omitted: no config file (for auto-complete tests). */
  config?: string;
  /** Version directories to create, each with the same model.onnx; default [1]. */
  versions?: number[];
}

/**
 * Writes `<repoDir>/<name>/config.pbtxt` and `<repoDir>/<name>/<v>/model.onnx`
 * for each version, and returns the model directory.
 */
export async function writeModel(repoDir: string, name: string, files: ModelFiles): Promise<string> {
  const modelDir = path.join(repoDir, name);
  await mkdir(modelDir, { recursive: true });
  if (files.config !== undefined) await writeFile(path.join(modelDir, 'config.pbtxt'), files.config);
  for (const version of files.versions ?? [1]) {
    await mkdir(path.join(modelDir, String(version)), { recursive: true });
    await writeFile(path.join(modelDir, String(version), 'model.onnx'), files.onnx);
  }
  return modelDir;
}

/**
 * Writes a built model with a config generated from its signature
 * (name = directory name, max_batch_size 8 when batched, unless overridden).
 */
export async function writeFixture(
  repoDir: string,
  name: string,
  model: BuiltModel,
  options: Omit<ConfigTextOptions, 'model'> & { versions?: number[] } = {},
): Promise<string> {
  const { versions, ...configOptions } = options;
  const config = renderConfig({ name, ...configOptions, model });
  return writeModel(repoDir, name, { onnx: model.onnx, config, versions });
}

const utf8 = new TextEncoder();

/**
 * `count` deterministic sample values of `datatype` in sdk storage form,
 * small enough that adding or subtracting two of them never overflows.
 * FP16 values are exact small integers written as raw half-float bits;
 * BYTES values avoid NUL bytes, which onnxruntime-node's string tensors cut at.
 */
export function sampleData<D extends DataType>(datatype: D, count: number, seed = 1): DataArray<D> {
  const rng = new Rng(seed);
  const ints = Array.from({ length: count }, () => rng.nextInt(0, 50));
  switch (datatype) {
    case 'BYTES':
      return ints.map((n, i) => utf8.encode(`s${i}:${'x'.repeat(n % 7)}é`)) as DataArray<D>;
    case 'BOOL':
      return Uint8Array.from(ints, (n) => n & 1) as DataArray<D>;
    case 'FP16':
    case 'BF16':
      return Uint16Array.from(ints, (n) => (datatype === 'FP16' ? halfBits(n) : bfloat16Bits(n))) as DataArray<D>;
    default: {
      const info = DATATYPES[datatype];
      if (info.json === 'bigint') {
        const Big = info.arrayType as unknown as BigInt64ArrayConstructor;
        return Big.from(ints, (n) => BigInt(n)) as unknown as DataArray<D>;
      }
      const Typed = info.arrayType as unknown as Float64ArrayConstructor;
      return Typed.from(ints, (n) => (info.name === 'FP32' || info.name === 'FP64' ? n + 0.25 : n)) as DataArray<D>;
    }
  }
}

/** IEEE half-precision bits of a small integer (exact for |n| <= 2048), for building FP16 test data. */
export function halfBits(n: number): number {
  if (!Number.isInteger(n) || Math.abs(n) > 2048) throw new Error(`halfBits: ${n} is not a small integer`);
  const sign = n < 0 || Object.is(n, -0) ? 0x8000 : 0;
  const magnitude = Math.abs(n);
  if (magnitude === 0) return sign;
  const exponent = 31 - Math.clz32(magnitude);
  const mantissa = ((magnitude - 2 ** exponent) * 1024) / 2 ** exponent;
  return sign | ((exponent + 15) << 10) | mantissa;
}

function bfloat16Bits(n: number): number {
  return new Uint32Array(new Float32Array([n]).buffer)[0] >>> 16;
}
