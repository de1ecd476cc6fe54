/**
 * The models we build from TypeScript load and compute correctly in a real
 * onnxruntime-node session, and the bundled repository is reproducible.
 *
 * Sessions run on the main thread here: these tests exercise the models, not
 * the server, and each run takes microseconds.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATATYPES, type DataArray, type DataType } from '../sdk/datatypes.ts';
import { buildModelRepository, bundledModelFiles } from '../scripts/build-models.ts';
import { GraphBuilder } from '../scripts/onnx/graph-builder.ts';
import {
  ADD_SUB_DATATYPES,
  addSubModel,
  createTempRepository,
  fixedShapeModel,
  halfBits,
  identityModel,
  ORT_DATATYPES,
  removeTempRepository,
  sampleData,
  slowModel,
} from './support/onnx-fixtures.ts';

const MODELS_DIR = fileURLToPath(new URL('../models/', import.meta.url));
const utf8 = new TextDecoder();

/** A sdk storage array as an ORT tensor (BYTES become JS strings, the only form ORT takes). */
function ortTensor(datatype: DataType, data: DataArray, dims: number[]): ort.Tensor {
  const type = DATATYPES[datatype].ortType as ort.Tensor.Type;
  if (datatype === 'BYTES') return new ort.Tensor('string', (data as Uint8Array[]).map((b) => utf8.decode(b)), dims);
  return new ort.Tensor(type, data as ort.Tensor.DataType, dims);
}

/** Element values in a comparable form: strings stay strings, bigints stay bigints. */
function values(data: unknown): unknown[] {
  if (Array.isArray(data)) return data;
  return Array.from(data as ArrayLike<unknown>);
}

async function run(onnxBytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  const session = await ort.InferenceSession.create(onnxBytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('bundled model repository', () => {
  let dirs: string[] = [];
  beforeAll(async () => {
    dirs = [await createTempRepository(), await createTempRepository()];
  });
  afterAll(async () => {
    for (const dir of dirs) await removeTempRepository(dir);
  });

  it('builds byte-identical files on every run', async () => {
    const first = await buildModelRepository(dirs[0]);
    const second = await buildModelRepository(dirs[1]);
    expect(first.files.map((f) => f.path)).toEqual(second.files.map((f) => f.path));
    for (const file of first.files) {
      const a = await readFile(path.join(dirs[0], file.path));
      const b = await readFile(path.join(dirs[1], file.path));
      expect(a.equals(b), file.path).toBe(true);
    }
    // A rebuild over an existing repository rewrites nothing.
    const again = await buildModelRepository(dirs[0]);
    expect(again.files.every((f) => !f.written)).toBe(true);
  });

  it('matches the committed models/ (run `npm run build:models` if not)', async () => {
    for (const file of bundledModelFiles()) {
      const committed = await readFile(path.join(MODELS_DIR, file.path));
      expect(committed.equals(file.contents), `models/${file.path} is stale`).toBe(true);
    }
  });

  it('simple adds and subtracts INT32[16] rows', async () => {
    const onnxBytes = await readFile(path.join(MODELS_DIR, 'simple/1/model.onnx'));
    for (const batch of [1, 3]) {
      const a = Int32Array.from({ length: batch * 16 }, (_, i) => i);
      const b = Int32Array.from({ length: batch * 16 }, (_, i) => 1 - i * 3);
      const out = await run(onnxBytes, {
        INPUT0: new ort.Tensor('int32', a, [batch, 16]),
        INPUT1: new ort.Tensor('int32', b, [batch, 16]),
      });
      expect(out.OUTPUT0.dims).toEqual([batch, 16]);
      expect(Array.from(out.OUTPUT0.data as Int32Array)).toEqual(Array.from(a, (x, i) => x + b[i]));
      expect(Array.from(out.OUTPUT1.data as Int32Array)).toEqual(Array.from(a, (x, i) => x - b[i]));
    }
  });

  it('identity_fp32 returns its input for any length', async () => {
    const onnxBytes = await readFile(path.join(MODELS_DIR, 'identity_fp32/1/model.onnx'));
    const data = Float32Array.from({ length: 10 }, (_, i) => i / 3 - 1);
    const out = await run(onnxBytes, { INPUT0: new ort.Tensor('float32', data, [2, 5]) });
    expect(out.OUTPUT0.dims).toEqual([2, 5]);
    expect(out.OUTPUT0.data).toEqual(data);
  });

  it.each([1, 5])('mlp gives a [%i, 10] probability distribution per row', async (batch) => {
    const onnxBytes = await readFile(path.join(MODELS_DIR, 'mlp/1/model.onnx'));
    const input = Float32Array.from({ length: batch * 64 }, (_, i) => Math.sin(i));
    const out = await run(onnxBytes, { input: new ort.Tensor('float32', input, [batch, 64]) });
    const probabilities = out.probabilities;
    expect(probabilities.dims).toEqual([batch, 10]);
    const data = probabilities.data as Float32Array;
    for (let row = 0; row < batch; row++) {
      const slice = data.subarray(row * 10, row * 10 + 10);
      expect(slice.every((p) => p > 0 && p < 1)).toBe(true);
      expect(slice.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);
    }
    // Different inputs give different rows: the weights are not degenerate.
    if (batch > 1) expect(Array.from(data.subarray(0, 10))).not.toEqual(Array.from(data.subarray(10, 20)));
  });
});

describe('identity round trips for every datatype onnxruntime-node supports', () => {
  it.each(ORT_DATATYPES.map((d) => [d]))('%s', async (datatype) => {
    for (const options of [
      { batch: true, dims: [-1] },
      { batch: false, dims: [2, 3] },
    ]) {
      const model = identityModel(datatype, options);
      const data = sampleData(datatype, 6, 3);
      const out = await run(model.onnx, { INPUT0: ortTensor(datatype, data, [2, 3]) });
      expect(out.OUTPUT0.dims).toEqual([2, 3]);
      expect(out.OUTPUT0.type).toBe(DATATYPES[datatype].ortType);
      const expected = datatype === 'BYTES' ? (data as Uint8Array[]).map((b) => utf8.decode(b)) : values(data);
      expect(values(out.OUTPUT0.data)).toEqual(expected);
    }
  });

  it('BF16 models cannot be loaded (onnxruntime-node has no bf16 tensor)', async () => {
    expect(() => identityModel('BF16', { batch: true, dims: [4] })).toThrow(/BF16/);
    const g = new GraphBuilder('bf16');
    g.output(g.op('Identity', [g.input('X', 'BF16', [4])], { outputs: ['Y'] }), 'BF16', [4]);
    await expect(ort.InferenceSession.create(g.toModelBytes())).rejects.toThrow(/Unsupported data type/);
  });

  it('string tensors are cut at the first NUL byte by onnxruntime-node', async () => {
    const model = identityModel('BYTES', { batch: false, dims: [2] });
    const out = await run(model.onnx, { INPUT0: new ort.Tensor('string', ['a\0b', 'c'], [2]) });
    expect(out.OUTPUT0.data).toEqual(['a', 'c']);
  });
});

describe('add/sub for every datatype with ORT Add and Sub kernels', () => {
  it.each(ADD_SUB_DATATYPES.map((d) => [d]))('%s', async (datatype) => {
    const model = addSubModel(datatype, { batch: true, dims: [4] });
    const a = sampleData(datatype, 8, 11);
    const b = sampleData(datatype, 8, 12);
    const out = await run(model.onnx, {
      INPUT0: ortTensor(datatype, a, [2, 4]),
      INPUT1: ortTensor(datatype, b, [2, 4]),
    });
    expect(out.OUTPUT0.dims).toEqual([2, 4]);
    // Writing the exact results through the same TypedArray type gives the
    // wrap-around an unsigned difference gets; FP16 results are re-encoded.
    const Typed = DATATYPES[datatype].arrayType as unknown as { from(v: unknown[]): ArrayLike<unknown> };
    const av = values(a) as (number | bigint)[];
    const bv = values(b) as (number | bigint)[];
    const combine = (op: (x: number, y: number) => number) => {
      if (datatype === 'FP16') return av.map((x, i) => halfBits(op(halfValue(x as number), halfValue(bv[i] as number))));
      if (typeof av[0] === 'bigint') return values(Typed.from(av.map((x, i) => BigInt(op(Number(x), Number(bv[i]))))));
      return values(Typed.from(av.map((x, i) => op(x as number, bv[i] as number))));
    };
    expect(values(out.OUTPUT0.data)).toEqual(combine((x, y) => x + y));
    expect(values(out.OUTPUT1.data)).toEqual(combine((x, y) => x - y));
  });

  it('refuses BOOL and BYTES, which ONNX Add does not accept', () => {
    expect(() => addSubModel('BOOL', { batch: true, dims: [4] })).toThrow(/BOOL/);
    expect(() => addSubModel('BYTES', { batch: true, dims: [4] })).toThrow(/BYTES/);
  });
});

/** The integer a non-negative half-float bit pattern from halfBits() stands for. */
function halfValue(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  if (exponent === 0) return 0;
  return (1 + (bits & 0x3ff) / 1024) * 2 ** (exponent - 15) * (bits & 0x8000 ? -1 : 1);
}

describe('test-only models', () => {
  it('fixedShapeModel transposes and flattens a [2, 3] input', async () => {
    const model = fixedShapeModel();
    expect(model.batch).toBe(false);
    const out = await run(model.onnx, { INPUT0: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]) });
    expect(out.OUTPUT0.dims).toEqual([3, 2]);
    expect(Array.from(out.OUTPUT0.data as Float32Array)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(out.OUTPUT1.dims).toEqual([6]);
    expect(Array.from(out.OUTPUT1.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('slowModel is bounded, deterministic, and heavier with more layers', async () => {
    expect(slowModel({ layers: 3 }).onnx).toEqual(slowModel({ layers: 3 }).onnx);
    const input = new ort.Tensor('float32', Float32Array.from({ length: 4 * 256 }, (_, i) => Math.cos(i)), [4, 256]);
    const timings: string[] = [];
    for (const layers of [1, 1000]) {
      const session = await ort.InferenceSession.create(slowModel({ layers }).onnx, { intraOpNumThreads: 1 });
      const out = await session.run({ INPUT0: input });
      expect(out.OUTPUT0.dims).toEqual([4, 256]);
      const data = out.OUTPUT0.data as Float32Array;
      expect(data.every((x) => x > -1 && x < 1)).toBe(true);
      expect(data.some((x) => Math.abs(x) > 0.01)).toBe(true);
      const runs = 10;
      const start = performance.now();
      for (let i = 0; i < runs; i++) await session.run({ INPUT0: input });
      timings.push(`${layers} layer(s): ${((performance.now() - start) / runs).toFixed(3)} ms/run at batch 4`);
      await session.release();
    }
    console.log(`slowModel, one intra-op thread: ${timings.join('; ')}`);
  });
});
