/**
 * The gRPC frontend over a real socket, with a real grpc-js client built
 * from the same .proto files (test/grpc/support/grpc-harness.ts): every RPC
 * of inference.GRPCInferenceService and grpc.health.v1.Health, inference
 * with raw and typed contents for several datatypes (BYTES and INT64
 * included), parameters, stream inference with an error in the middle,
 * status codes, metadata, config and statistics.
 */
import { Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBytesElements } from '../../sdk/codec/bytes-elements.ts';
import { DATATYPES, type DataType } from '../../sdk/datatypes.ts';
import { BUNDLED_MODELS } from '../e2e/support/e2e-server.ts';
import { simpleExpected, simpleInputs } from '../e2e/support/simple-model.ts';
import { createTempRepository, identityModel, removeTempRepository, sampleData, writeFixture } from '../support/onnx-fixtures.ts';
import { callUnary, startGrpc, type RunningGrpc } from './support/grpc-harness.ts';
import { fp32Config, writeScriptModel } from '../script/support.ts';

interface OutputTensor {
  name: string;
  datatype: string;
  shape: string[];
}
interface InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, Record<string, unknown>>;
  outputs: OutputTensor[];
  raw_output_contents: Buffer[];
}

const IDENTITY_TYPES: DataType[] = ['BOOL', 'INT8', 'UINT16', 'INT32', 'INT64', 'UINT64', 'FP16', 'FP32', 'FP64', 'BYTES'];
const identityName = (datatype: DataType) => `id_${datatype.toLowerCase()}`;

let repo: string;
let h: RunningGrpc;

beforeAll(async () => {
  repo = await createTempRepository();
  for (const datatype of IDENTITY_TYPES) await writeFixture(repo, identityName(datatype), identityModel(datatype, { batch: true, dims: [-1] }));
  // A decoupled model.ts: answers each request twice, the second time final.
  await writeScriptModel(repo, 'decoupled_identity', {
    config: fp32Config('decoupled_identity', 'model_transaction_policy { decoupled: true }'),
    source: `import { InferenceResponse, type InferenceRequest } from 'nereid/model';
      export function execute(requests: InferenceRequest[]) {
        for (const request of requests) {
          const sender = request.getResponseSender();
          const output = request.requireInput('INPUT0').rename('OUTPUT0');
          sender.send(new InferenceResponse({ outputs: [output] }));
          sender.send(new InferenceResponse({ outputs: [output] }), { final: true });
        }
      }`,
  });
  h = await startGrpc({ modelRepository: [BUNDLED_MODELS, repo], modelControlMode: 'explicit', loadModels: ['*'] });
}, 60_000);
afterAll(async () => {
  await h?.close();
  if (repo) await removeTempRepository(repo);
});

/** A raw_input_contents request for `simple`. */
function simpleRequest(seed: number, extra: Record<string, unknown> = {}) {
  const { a, b } = simpleInputs(seed);
  return {
    model_name: 'simple',
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
    ],
    raw_input_contents: [Buffer.from(a.buffer), Buffer.from(b.buffer)],
    ...extra,
  };
}

function int32s(bytes: Buffer): number[] {
  return Array.from(new Int32Array(new Uint8Array(bytes).buffer));
}

function expectSimple(response: InferResponse, seed: number): void {
  const { sum, difference } = simpleExpected(seed);
  expect(response.model_name).toBe('simple');
  expect(response.model_version).toBe('1');
  expect(response.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
    ['OUTPUT0', 'INT32', ['1', '16']],
    ['OUTPUT1', 'INT32', ['1', '16']],
  ]);
  expect(int32s(response.raw_output_contents[0]!)).toEqual(sum);
  expect(int32s(response.raw_output_contents[1]!)).toEqual(difference);
}

describe('health, metadata and config', () => {
  it('ServerLive, ServerReady, ModelReady, and grpc.health.v1 Check', async () => {
    expect(await h.call('ServerLive', {})).toEqual({ live: true });
    expect(await h.call('ServerReady', {})).toEqual({ ready: true });
    expect(await h.call('ModelReady', { name: 'simple' })).toEqual({ ready: true });
    expect(await h.call('ModelReady', { name: 'simple', version: '1' })).toEqual({ ready: true });
    expect(await h.call('ModelReady', { name: 'simple', version: '7' })).toEqual({ ready: false });
    expect(await h.call('ModelReady', { name: 'no_such_model' })).toEqual({ ready: false });
    const check = (service: string) => callUnary(h.clients.health, 'Check', { service });
    expect(await check('')).toEqual({ status: 'SERVING' });
    expect(await check('inference.GRPCInferenceService')).toEqual({ status: 'SERVING' });
    await expect(check('nope')).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('ServerMetadata and ModelMetadata', async () => {
    expect(await h.call('ServerMetadata', {})).toEqual(h.server.metadata());
    expect(await h.call('ModelMetadata', { name: 'simple' })).toEqual({
      name: 'simple',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: ['-1', '16'] },
        { name: 'INPUT1', datatype: 'INT32', shape: ['-1', '16'] },
      ],
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: ['-1', '16'] },
        { name: 'OUTPUT1', datatype: 'INT32', shape: ['-1', '16'] },
      ],
    });
    expect(await h.error('ModelMetadata', { name: 'no_such_model' })).toMatchObject({ code: status.NOT_FOUND });
  });

  it('ModelConfig carries the full config message, equal to the /config JSON', async () => {
    for (const name of ['simple', 'accumulate', 'add_sub_bls', 'generate', 'mlp']) {
      const { config } = await h.call<{ config: Record<string, unknown> }>('ModelConfig', { name });
      const json = h.server.modelConfig(name);
      expect(config.name).toBe(name);
      expect(config.max_batch_size).toBe(json.max_batch_size);
      expect(config.backend).toBe(json.backend);
      // Every input, with enum names and 64-bit dims as the JSON has them.
      const inputs = (config.input as Record<string, unknown>[]).map((i) => [i.name, i.data_type, (i.dims as string[]).map(Number)]);
      expect(inputs).toEqual((json.input as Record<string, unknown>[]).map((i) => [i.name, i.data_type, i.dims]));
      expect(JSON.stringify(config.instance_group)).toContain('KIND_');
    }
    const { config } = await h.call<{ config: Record<string, unknown> }>('ModelConfig', { name: 'accumulate' });
    expect(config.scheduling_choice).toBe('sequence_batching');
    expect(await h.error('ModelConfig', { name: 'no_such_model' })).toMatchObject({ code: status.NOT_FOUND });
  });
});

describe('ModelInfer', () => {
  it('raw_input_contents in, raw_output_contents out, request id echoed', async () => {
    const response = await h.call<InferResponse>('ModelInfer', simpleRequest(2, { id: 'req-7' }));
    expectSimple(response, 2);
    expect(response.id).toBe('req-7');
  });

  it('only the requested outputs', async () => {
    const response = await h.call<InferResponse>('ModelInfer', simpleRequest(5, { outputs: [{ name: 'OUTPUT1' }] }));
    expect(response.outputs.map((o) => o.name)).toEqual(['OUTPUT1']);
    expect(int32s(response.raw_output_contents[0]!)).toEqual(simpleExpected(5).difference);
  });

  it('typed contents (int_contents) in, raw out', async () => {
    const { a, b } = simpleInputs(4);
    const response = await h.call<InferResponse>('ModelInfer', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], contents: { int_contents: Array.from(a) } },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], contents: { int_contents: Array.from(b) } },
      ],
    });
    expectSimple(response, 4);
  });

  for (const datatype of IDENTITY_TYPES) {
    it(`${datatype} round trip, raw${datatype === 'FP16' ? '' : ' and typed'}`, async () => {
      const data = sampleData(datatype, 5, 7);
      const raw = datatype === 'BYTES' ? encodeBytesElements(data as Uint8Array[]) : new Uint8Array((data as Uint8Array).buffer.slice(0));
      const request = (input: Record<string, unknown>, rawContents?: Uint8Array) => ({
        model_name: identityName(datatype),
        inputs: [{ name: 'INPUT0', datatype, shape: [1, 5], ...input }],
        ...(rawContents ? { raw_input_contents: [Buffer.from(rawContents)] } : {}),
      });
      const fromRaw = await h.call<InferResponse>('ModelInfer', request({}, raw));
      expect(fromRaw.outputs).toEqual([expect.objectContaining({ name: 'OUTPUT0', datatype, shape: ['1', '5'] })]);
      expect(new Uint8Array(fromRaw.raw_output_contents[0]!)).toEqual(raw);
      if (datatype === 'FP16') return;
      const field = {
        BOOL: 'bool_contents', INT8: 'int_contents', UINT16: 'uint_contents', INT32: 'int_contents', INT64: 'int64_contents',
        UINT64: 'uint64_contents', FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
      }[datatype as string]!;
      const values =
        datatype === 'BYTES' ? (data as Uint8Array[]).map((e) => Buffer.from(e))
        : datatype === 'BOOL' ? Array.from(data as Uint8Array, Boolean)
        : DATATYPES[datatype].json === 'bigint' ? Array.from(data as BigInt64Array, String)
        : Array.from(data as Float64Array);
      const fromTyped = await h.call<InferResponse>('ModelInfer', request({ contents: { [field]: values } }));
      expect(new Uint8Array(fromTyped.raw_output_contents[0]!)).toEqual(raw);
    });
  }

  it('INT64 keeps values beyond 2^53 exact, typed and raw', async () => {
    const values = [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n];
    const response = await h.call<InferResponse>('ModelInfer', {
      model_name: identityName('INT64'),
      inputs: [{ name: 'INPUT0', datatype: 'INT64', shape: [1, 3], contents: { int64_contents: values.map(String) } }],
    });
    expect(Array.from(new BigInt64Array(new Uint8Array(response.raw_output_contents[0]!).buffer))).toEqual(values);
  });

  it('request parameters: reserved keys are checked, others reach the model, 64-bit sequence ids stay exact', async () => {
    // A custom parameter of every kind is accepted (the ONNX model ignores it).
    const response = await h.call<InferResponse>('ModelInfer', simpleRequest(1, {
      parameters: { flag: { bool_param: true }, n: { int64_param: '9007199254740993' }, s: { string_param: 'x' }, d: { double_param: 0.5 }, priority: { uint64_param: '0' }, timeout: { int64_param: '0' } },
    }));
    expectSimple(response, 1);
    // Sequence ids, as Triton's clients send them, reach the sequence batcher.
    const seq = (id: Record<string, unknown>, value: number, start: boolean, end: boolean) => h.call<InferResponse>('ModelInfer', {
      model_name: 'accumulate',
      parameters: { sequence_id: id, sequence_start: { bool_param: start }, sequence_end: { bool_param: end } },
      inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1] }],
      raw_input_contents: [Buffer.from(new Int32Array([value]).buffer)],
    });
    // -1 as int64 stands for the uint64 2^64 - 1, as Triton reads it.
    await seq({ int64_param: '-1' }, 5, true, false);
    const second = await seq({ int64_param: '-1' }, 6, false, true);
    expect(int32s(second.raw_output_contents[0]!)).toEqual([11]);
    await seq({ string_param: 'text-id' }, 2, true, false);
    expect(int32s((await seq({ string_param: 'text-id' }, 3, false, true)).raw_output_contents[0]!)).toEqual([5]);

    for (const [parameters, message] of [
      [{ triton_x: { bool_param: true } }, "parameter keys starting with 'triton_' are reserved"],
      [{ sequence_id: { bool_param: true } }, "invalid value type for 'sequence_id' parameter, expected int64_param or string_param."],
      [{ sequence_start: { int64_param: 1 } }, "invalid value type for 'sequence_start' parameter, expected bool_param."],
      [{ priority: { string_param: 'high' } }, "invalid value type for 'priority' parameter, expected int64_param or uint64_param."],
      [{ timeout: { double_param: 1 } }, "invalid value type for 'timeout' parameter, expected int64_param."],
      [{ custom: { uint64_param: '1' } }, 'uint64_param is not supported for custom parameters'],
    ] as const) {
      const error = await h.error('ModelInfer', simpleRequest(1, { parameters }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toContain(message);
    }
  });

  it('status codes: NOT_FOUND, INVALID_ARGUMENT, UNIMPLEMENTED', async () => {
    expect(await h.error('ModelInfer', { ...simpleRequest(1), model_name: 'no_such_model' })).toMatchObject({ code: status.NOT_FOUND });
    const cases: [Record<string, unknown>, string][] = [
      [{ raw_input_contents: [Buffer.alloc(64)] }, "'raw_input_contents' must hold one entry per input"],
      [{ raw_input_contents: [Buffer.alloc(64), Buffer.alloc(60)] }, 'needs 64 bytes of raw content, got 60'],
      [{ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] }] }, 'INPUT0'],
      [{ inputs: [{ name: 'INPUT0', datatype: 'INT33', shape: [1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] }] }, "invalid datatype 'INT33'"],
      [{ raw_input_contents: [], inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], contents: { int_contents: [1] } }] }, "needs 16 elements in 'contents.int_contents', got 1"],
      [{ outputs: [{ name: 'NOPE' }] }, "unexpected inference output 'NOPE'"],
    ];
    for (const [change, message] of cases) {
      const error = await h.error('ModelInfer', simpleRequest(1, change));
      expect(error, message).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect(error.details).toContain(message);
    }
    const mixed = simpleRequest(1);
    (mixed.inputs[0] as Record<string, unknown>).contents = { int_contents: Array(16).fill(0) };
    expect(await h.error('ModelInfer', mixed)).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining("'contents' must not be set") });
    const decoupled = await h.error('ModelInfer', {
      model_name: 'decoupled_identity',
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [1] } }],
    });
    expect(decoupled).toEqual({ code: status.UNIMPLEMENTED, details: "ModelInfer RPC doesn't support models with decoupled transaction policy" });
  });
});

describe('ModelStreamInfer', () => {
  function collect(stream: ClientDuplexStream<unknown, unknown>, count: number): Promise<Record<string, unknown>[]> {
    const received: Record<string, unknown>[] = [];
    return new Promise((resolve, reject) => {
      stream.on('data', (message: Record<string, unknown>) => {
        received.push(message);
        if (received.length === count) resolve(received);
      });
      stream.on('error', reject);
    });
  }

  it('answers each request; an error in the middle comes in-stream and the stream stays open', async () => {
    const stream = h.clients.inference.ModelStreamInfer();
    const answers = collect(stream, 6);
    stream.write(simpleRequest(1, { id: 'a' }));
    stream.write({ ...simpleRequest(2, { id: 'b' }), model_name: 'no_such_model' });
    stream.write(simpleRequest(3, { id: 'c', raw_input_contents: [Buffer.alloc(3)] }));
    stream.write({ model_name: 'decoupled_identity', id: 'd', inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [1] } }] });
    stream.write(simpleRequest(4, { id: 'e' }));
    const all = await answers;
    const byId = Object.fromEntries(all.map((m) => [(m.infer_response as InferResponse).id, m]));
    expect(byId.a!.error_message).toBe('');
    expectSimple(byId.a!.infer_response as InferResponse, 1);
    expect(byId.b!.error_message).toMatch(/no_such_model/);
    expect(byId.b!.infer_response).toMatchObject({ model_name: 'no_such_model', id: 'b' });
    expect(byId.c!.error_message).toContain("'raw_input_contents' must hold one entry per input");
    // The decoupled model streams two responses for its one request, the second one final.
    const finals = all.filter((m) => (m.infer_response as InferResponse).id === 'd').map((m) => (m.infer_response as InferResponse).parameters?.triton_final_response?.bool_param);
    expect(finals).toEqual([false, true]);
    expect(byId.e!.error_message).toBe('');
    expectSimple(byId.e!.infer_response as InferResponse, 4);
    // Still open: one more round trip, then a clean end.
    const more = collect(stream, 1);
    stream.write(simpleRequest(6, { id: 'f', parameters: { triton_enable_empty_final_response: { bool_param: true } } }));
    expectSimple((await more)[0]!.infer_response as InferResponse, 6);
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.end();
    await ended;
  });

  it('with the header triton_grpc_error: true, the first error ends the stream with its gRPC status and cancels the rest', async () => {
    const decoderSteps = () => Number(h.server.modelStatistics('generate_decoder').model_stats[0]!.inference_count);
    const metadata = new Metadata();
    metadata.set('triton_grpc_error', 'true');
    const stream = h.clients.inference.ModelStreamInfer(metadata);
    const first = collect(stream, 2);
    stream.write(simpleRequest(1, { id: 'a' }));
    // A long generation, still running when the error comes.
    const stepsBefore = decoderSteps();
    stream.write({
      model_name: 'generate',
      id: 'long',
      parameters: { max_tokens: { int64_param: '120' }, end_id: { int64_param: '-1' } },
      inputs: [{ name: 'input_ids', datatype: 'INT64', shape: [3] }],
      raw_input_contents: [Buffer.from(BigInt64Array.of(3n, 15n, 27n).buffer)],
    });
    const answered = await first;
    expectSimple(answered.find((m) => (m.infer_response as InferResponse).id === 'a')!.infer_response as InferResponse, 1);
    const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    stream.write({ ...simpleRequest(2, { id: 'b' }), model_name: 'no_such_model' });
    const error = await ended;
    expect(error.code).toBe(status.NOT_FOUND); // as ModelInfer answers it
    expect(error.details).toMatch(/no_such_model/);
    // The generation stopped with the stream: far fewer decoder steps than the 120 tokens asked for.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(decoderSteps() - stepsBefore).toBeLessThan(96);
  });

  it('keeps the order of a sequence sent on one stream', async () => {
    const stream = h.clients.inference.ModelStreamInfer();
    const answers = collect(stream, 4);
    [1, 2, 3, 4].forEach((value, i) =>
      stream.write({
        model_name: 'accumulate',
        id: String(i),
        parameters: { sequence_id: { int64_param: '77' }, sequence_start: { bool_param: i === 0 }, sequence_end: { bool_param: i === 3 } },
        inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1] }],
        raw_input_contents: [Buffer.from(new Int32Array([value]).buffer)],
      }),
    );
    const sums = (await answers).map((m) => [(m.infer_response as InferResponse).id, int32s((m.infer_response as InferResponse).raw_output_contents[0]!)[0]]);
    expect(Object.fromEntries(sums)).toEqual({ 0: 1, 1: 3, 2: 6, 3: 10 });
    stream.end();
  });
});

describe('statistics, repository and unsupported RPCs', () => {
  it('ModelStatistics counts the inferences', async () => {
    const before = await h.call<{ model_stats: Record<string, unknown>[] }>('ModelStatistics', { name: 'mlp' });
    const input = Buffer.from(new Float32Array(64).fill(0.5).buffer);
    for (let i = 0; i < 3; i++) {
      await h.call('ModelInfer', { model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [input] });
    }
    const after = await h.call<{ model_stats: Record<string, any>[] }>('ModelStatistics', { name: 'mlp', version: '1' });
    expect(after.model_stats).toHaveLength(1);
    const stats = after.model_stats[0]!;
    expect(stats).toMatchObject({ name: 'mlp', version: '1' });
    expect(Number(stats.inference_count) - Number(before.model_stats[0]!.inference_count)).toBe(3);
    expect(Number(stats.inference_stats.success.count)).toBeGreaterThanOrEqual(3);
    expect(Number(stats.inference_stats.compute_infer.ns)).toBeGreaterThan(0);
    expect(Number(stats.last_inference)).toBeGreaterThan(Date.now() - 60_000);
    const all = await h.call<{ model_stats: { name: string }[] }>('ModelStatistics', {});
    expect(all.model_stats.map((s) => s.name)).toContain('simple');
    expect(await h.error('ModelStatistics', { name: 'no_such_model' })).toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('RepositoryIndex, RepositoryModelUnload and RepositoryModelLoad', async () => {
    const index = await h.call<{ models: { name: string; state: string; version: string }[] }>('RepositoryIndex', { ready: true });
    expect(index.models.find((m) => m.name === 'id_fp32')).toMatchObject({ state: 'READY', version: '1' });
    await h.call('RepositoryModelUnload', { model_name: 'id_int8', parameters: { unload_dependents: { bool_param: false } } });
    expect(await h.call('ModelReady', { name: 'id_int8' })).toEqual({ ready: false });
    const all = await h.call<{ models: { name: string; state: string }[] }>('RepositoryIndex', {});
    expect(all.models.find((m) => m.name === 'id_int8')?.state).toBe('UNAVAILABLE');
    await h.call('RepositoryModelLoad', { model_name: 'id_int8' });
    expect(await h.call('ModelReady', { name: 'id_int8' })).toEqual({ ready: true });
    expect(await h.error('RepositoryModelLoad', { model_name: 'no_such_model' })).toMatchObject({ code: expect.any(Number) });
    expect(await h.error('RepositoryIndex', { repository_name: 'other' })).toEqual({ code: status.UNIMPLEMENTED, details: "'repository_name' specification is not supported" });
    expect((await h.error('RepositoryModelLoad', { model_name: 'id_int8', parameters: { 'file:1/model.onnx': { bytes_param: Buffer.alloc(1) } } })).details).toContain("need a 'config' parameter");
  });

  it('shared memory answers UNIMPLEMENTED', async () => {
    for (const rpc of ['SystemSharedMemoryStatus', 'SystemSharedMemoryRegister', 'SystemSharedMemoryUnregister', 'CudaSharedMemoryStatus', 'CudaSharedMemoryRegister', 'CudaSharedMemoryUnregister']) {
      const error = await h.error(rpc, {});
      expect(error.code, rpc).toBe(status.UNIMPLEMENTED);
      expect(error.details).toMatch(/shared memory is not supported by this server/);
    }
  });

  it('TraceSetting reads and changes the global and per-model trace settings; a setting with no values is cleared', async () => {
    type Settings = { settings: Record<string, { value: string[] }> };
    const values = (answer: Settings) => Object.fromEntries(Object.entries(answer.settings).map(([name, setting]) => [name, setting.value]));
    expect(values(await h.call<Settings>('TraceSetting', {}))).toEqual({ trace_level: ['OFF'], trace_rate: ['1000'], trace_count: ['-1'], trace_file: [''], log_frequency: ['0'] });
    const model = 'simple';
    try {
      expect(values(await h.call<Settings>('TraceSetting', { model_name: model, settings: { trace_rate: { value: ['7'] } } }))).toMatchObject({ trace_rate: ['7'] });
      expect(values(await h.call<Settings>('TraceSetting', { model_name: model }))).toMatchObject({ trace_rate: ['7'] });
      expect(values(await h.call<Settings>('TraceSetting', {}))).toMatchObject({ trace_rate: ['1000'] });
      expect(values(await h.call<Settings>('TraceSetting', { model_name: model, settings: { trace_rate: { value: [] } } }))).toMatchObject({ trace_rate: ['1000'] });
      expect(await h.error('TraceSetting', { settings: { trace_level: { value: ['TIMESTAMPS'] } } })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('needs a trace_file') });
      expect(await h.error('TraceSetting', { model_name: 'no_such_model' })).toMatchObject({ code: status.NOT_FOUND });
    } finally {
      await h.call('TraceSetting', { model_name: model, settings: { trace_rate: { value: [] } } });
    }
  });

  it('LogSettings reports the log settings, changes the ones named, and refuses bad ones with INVALID_ARGUMENT', async () => {
    type Settings = { settings: Record<string, Record<string, unknown>> };
    const { settings } = await h.call<Settings>('LogSettings', {});
    expect(settings.log_verbose_level).toMatchObject({ uint32_param: 0, parameter_choice: 'uint32_param' });
    expect(settings.log_info).toMatchObject({ bool_param: true, parameter_choice: 'bool_param' });
    expect(settings.log_format).toMatchObject({ string_param: 'default', parameter_choice: 'string_param' });
    // A failed load writes an error line to the server's log...
    const errorsOfFailedLoad = async (): Promise<string[]> => {
      const before = h.logLines.length;
      await h.server.loadModel('no_such_model').catch(() => {});
      return h.logLines.slice(before).filter((line) => line.startsWith('E '));
    };
    expect(await errorsOfFailedLoad()).toHaveLength(1);
    try {
      const changed = await h.call<Settings>('LogSettings', { settings: { log_verbose_level: { uint32_param: 2 }, log_error: { bool_param: false } } });
      expect(changed.settings.log_verbose_level).toMatchObject({ uint32_param: 2 });
      expect(changed.settings.log_error).toMatchObject({ bool_param: false });
      expect(changed.settings.log_warning).toMatchObject({ bool_param: true });
      // ...and none once LogSettings has turned errors off.
      expect(await errorsOfFailedLoad()).toEqual([]);

      expect(await h.error('LogSettings', { settings: { log_format: { string_param: 'xml' } } })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining("'log_format' must be one of") });
      expect(await h.error('LogSettings', { settings: { log_info: { uint32_param: 1 } } })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining("'log_info' must be a boolean") });
      expect(await h.error('LogSettings', { settings: { bogus: { bool_param: true } } })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining("unknown log setting 'bogus'") });
      // A refused request changes nothing, not even its valid settings.
      await h.error('LogSettings', { settings: { log_verbose_level: { uint32_param: 5 }, log_file: { string_param: '/tmp/nereid.log' } } });
      expect((await h.call<Settings>('LogSettings', {})).settings.log_verbose_level).toMatchObject({ uint32_param: 2 });
    } finally {
      await h.call('LogSettings', { settings: { log_verbose_level: { uint32_param: 0 }, log_error: { bool_param: true } } });
    }
  });
});
