/**
 * The client SDK's contract: the same tests against `HttpClient` and
 * `GrpcClient`, over real sockets to one real server (bundled models, ONNX
 * sessions in worker threads) that runs both frontends. Each client must give
 * the same answers in the same shapes: typed tensors, NereidError codes,
 * streaming, cancellation, repository control and statistics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcFrontend, type GrpcFrontend } from '../../runtime/grpc/grpc-frontend.ts';
import { GrpcClient, HttpClient, NereidError, Tensor, type InferenceClient, type InferResponse } from '../../sdk/client/index.ts';
import { BUNDLED_MODELS, startE2e, type E2eServer } from '../e2e/support/e2e-server.ts';
import { referenceGreedy } from '../generate/support/generate-repository.ts';

const PROMPT = [3, 15, 27];
const TOKENS = 10;

let e2e: E2eServer;
let grpc: GrpcFrontend;
let expectedTokens: number[];
const clients: Record<'http' | 'grpc', InferenceClient> = {} as never;

beforeAll(async () => {
  e2e = await startE2e({
    modelRepository: [BUNDLED_MODELS],
    modelControlMode: 'explicit',
    loadModels: ['simple', 'identity_fp32', 'mlp', 'mlp_classifier', 'generate', 'generate_decoder'],
  });
  // The server's own log, as `nereid serve` shares it: both clients read and change the same log settings.
  grpc = createGrpcFrontend(e2e.server, { port: 0, host: '127.0.0.1', log: e2e.log });
  const { port } = await grpc.listen();
  clients.http = new HttpClient(e2e.baseUrl);
  clients.grpc = new GrpcClient(`127.0.0.1:${port}`);
  expectedTokens = await referenceGreedy(e2e.server, PROMPT, TOKENS, -1);
}, 120_000);

afterAll(async () => {
  clients.http?.close();
  clients.grpc?.close();
  await grpc?.close();
  await e2e?.close();
});

const iota = (n: number, from = 0) => Int32Array.from({ length: n }, (_, i) => i + from);

function simpleInputs(): Tensor[] {
  return [new Tensor('INPUT0', 'INT32', [1, 16], iota(16)), new Tensor('INPUT1', 'INT32', [1, 16], new Int32Array(16).fill(3))];
}

async function rejection(promise: Promise<unknown>): Promise<NereidError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(NereidError);
    return error as NereidError;
  }
  throw new Error('expected the call to fail');
}

async function collect(stream: AsyncIterable<InferResponse>): Promise<InferResponse[]> {
  const responses: InferResponse[] = [];
  for await (const response of stream) responses.push(response);
  return responses;
}

const promptTensor = () => new Tensor('input_ids', 'INT64', [PROMPT.length], BigInt64Array.from(PROMPT, BigInt));

describe.each(['http', 'grpc'] as const)('%s client', (kind) => {
  const client = () => clients[kind];

  it('reports health and model readiness', async () => {
    expect(await client().isServerLive()).toBe(true);
    expect(await client().isServerReady()).toBe(true);
    expect(await client().isModelReady('simple')).toBe(true);
    expect(await client().isModelReady('simple', { version: '1' })).toBe(true);
    expect(await client().isModelReady('no_such_model')).toBe(false);
  });

  it('reads server and model metadata', async () => {
    const server = await client().serverMetadata();
    expect(server).toEqual({ name: expect.any(String), version: expect.any(String), extensions: expect.arrayContaining(['model_repository', 'statistics']) });
    const metadata = await client().modelMetadata('simple');
    expect(metadata).toMatchObject({ name: 'simple', versions: ['1'], platform: 'onnxruntime_onnx' });
    expect(metadata.inputs).toEqual([
      { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] },
      { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] },
    ]);
    expect(metadata.outputs.map((output) => output.name)).toEqual(['OUTPUT0', 'OUTPUT1']);
  });

  it('reads and changes the log settings (the logging extension), refusing a bad value with INVALID_ARG', async () => {
    const defaults = { log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default' };
    expect(await client().logSettings()).toEqual(defaults);
    try {
      expect(await client().updateLogSettings({ log_verbose_level: 2, log_info: false })).toEqual({ ...defaults, log_verbose_level: 2, log_info: false });
      expect(await client().logSettings()).toMatchObject({ log_verbose_level: 2, log_info: false });
      const error = await rejection(client().updateLogSettings({ log_format: 'xml' }));
      expect(error.code).toBe('INVALID_ARG');
      expect(error.message).toContain(`log setting 'log_format' must be one of "default", "ISO8601", got "xml"`);
    } finally {
      await client().updateLogSettings({ log_verbose_level: 0, log_info: true });
    }
  });

  it('reads and changes the global and per-model trace settings (the trace extension)', async () => {
    const defaults = { trace_level: ['OFF'], trace_rate: '1000', trace_count: '-1', trace_file: '', log_frequency: '0' };
    expect(await client().traceSettings()).toEqual(defaults);
    try {
      expect(await client().updateTraceSettings({ trace_rate: '3', trace_count: '10' }, 'simple')).toEqual({ ...defaults, trace_rate: '3', trace_count: '10' });
      expect(await client().traceSettings('simple')).toMatchObject({ trace_rate: '3' });
      expect(await client().traceSettings()).toEqual(defaults);
      expect(await client().updateTraceSettings({ trace_rate: null }, 'simple')).toMatchObject({ trace_rate: '1000', trace_count: '10' });
      // An update naming no setting clears the model's own, on both protocols.
      expect(await client().updateTraceSettings({}, 'simple')).toEqual(defaults);
      const error = await rejection(client().updateTraceSettings({ trace_level: ['TENSORS'] }));
      expect(error.code).toBe('INVALID_ARG');
      expect(error.message).toContain('TENSORS is not supported');
    } finally {
      await client().updateTraceSettings({}, 'simple');
    }
  });

  it('reads the completed model config', async () => {
    const config = await client().modelConfig('simple');
    expect(config).toMatchObject({ name: 'simple', platform: 'onnxruntime_onnx', max_batch_size: 8 });
    expect(config.input?.map((input) => [input.name, input.data_type, input.dims])).toEqual([
      ['INPUT0', 'TYPE_INT32', [16]],
      ['INPUT1', 'TYPE_INT32', [16]],
    ]);
    expect(config.instance_group?.[0]).toMatchObject({ kind: 'KIND_CPU', count: 1 });
    const generate = await client().modelConfig('generate');
    expect(generate.model_transaction_policy).toEqual({ decoupled: true });
  });

  it('infers on simple with typed INT32 tensors', async () => {
    const response = await client().infer({ model: 'simple', id: 'add-sub', inputs: simpleInputs() });
    expect(response).toMatchObject({ model: 'simple', version: '1', id: 'add-sub' });
    const [sum, difference] = response.outputs;
    expect(sum!.name).toBe('OUTPUT0');
    expect(sum!.shape).toEqual([1, 16]);
    expect(sum!.data).toEqual(iota(16, 3));
    expect(difference!.data).toEqual(iota(16, -3));
  });

  it('returns only the requested outputs, in JSON or binary', async () => {
    for (const binary of [true, false]) {
      const response = await client().infer({ model: 'simple', inputs: simpleInputs(), outputs: [{ name: 'OUTPUT1' }] }, { binary });
      expect(response.outputs.map((output) => output.name)).toEqual(['OUTPUT1']);
      expect(response.outputs[0]!.data).toEqual(iota(16, -3));
    }
  });

  it('round-trips FP32 data as Float32Array, binary and JSON', async () => {
    const values = Float32Array.from([0.5, -1.25, 3.1415927, 1e-7, 65504]);
    for (const binary of [true, false]) {
      const response = await client().infer({ model: 'identity_fp32', inputs: [new Tensor('INPUT0', 'FP32', [1, 5], values.slice())] }, { binary });
      const output = response.outputs[0]!;
      expect(output.datatype).toBe('FP32');
      expect(output.data).toBeInstanceOf(Float32Array);
      expect(output.data).toEqual(values);
    }
  });

  it('sends and receives BYTES tensors as strings', async () => {
    const response = await client().infer({
      model: 'mlp_classifier',
      inputs: [Tensor.fromStrings('text', [2, 1], ['0.1, 0.5, 0.9, 0.2', '[1, 1, 0, 0, 1]'])],
      parameters: { top_k: 2 },
    });
    const byName = new Map(response.outputs.map((output) => [output.name, output]));
    const labels = byName.get('labels')!;
    expect(labels.datatype).toBe('BYTES');
    expect(labels.shape).toEqual([2, 2]);
    expect(labels.strings()).toHaveLength(4);
    expect(labels.strings().every((label) => typeof label === 'string' && label.length > 0)).toBe(true);
    expect(byName.get('scores')!.data).toBeInstanceOf(Float32Array);
    expect(byName.get('class_ids')!.data).toBeInstanceOf(Int32Array);
  });

  it('fails with the server code and message: unknown model NOT_FOUND, wrong shape INVALID_ARG', async () => {
    const unknown = await rejection(client().infer({ model: 'no_such_model', inputs: simpleInputs() }));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toContain("'no_such_model'");
    const metadata = await rejection(client().modelMetadata('no_such_model'));
    expect(metadata.code).toBe('NOT_FOUND');
    const shape = await rejection(
      client().infer({ model: 'simple', inputs: [new Tensor('INPUT0', 'INT32', [1, 8], iota(8)), new Tensor('INPUT1', 'INT32', [1, 8], iota(8))] }),
    );
    expect(shape.code).toBe('INVALID_ARG');
    expect(shape.message).toContain('INPUT0');
    const stats = await rejection(client().modelStatistics('no_such_model'));
    expect(stats.code).toBe('INVALID_ARG');
  });

  it('streams one INT64 token per response from the decoupled generate model', async () => {
    const responses = await collect(
      client().inferStream({ model: 'generate', id: `stream-${kind}`, inputs: [promptTensor()], parameters: { max_tokens: TOKENS, end_id: -1 } }),
    );
    expect(responses.length).toBe(TOKENS);
    for (const response of responses) {
      expect(response).toMatchObject({ model: 'generate', version: '1', id: `stream-${kind}` });
      expect(response.outputs[0]!.name).toBe('output_ids');
      expect(response.outputs[0]!.data).toBeInstanceOf(BigInt64Array);
      expect(response.outputs[0]!.shape).toEqual([1]);
    }
    expect(responses.map((response) => Number(response.outputs[0]!.data[0]))).toEqual(expectedTokens);
  });

  it('streams a non-decoupled model as one response', async () => {
    const responses = await collect(client().inferStream({ model: 'identity_fp32', inputs: [new Tensor('INPUT0', 'FP32', [1, 3], Float32Array.from([1, 2, 3]))] }));
    expect(responses).toHaveLength(1);
    expect(Array.from(responses[0]!.outputs[0]!.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('cancels a streaming generate of 120 tokens with an AbortSignal after the first response', async () => {
    const decoderSteps = () => e2e.server.modelStatistics('generate_decoder').model_stats[0]!.inference_count;
    const stepsBefore = decoderSteps();
    const controller = new AbortController();
    const received: InferResponse[] = [];
    const error = await rejection(
      (async () => {
        for await (const response of client().inferStream(
          // As long as the context allows: a decoder step takes ~0.1 ms, and the cancel must reach the server before the end.
          { model: 'generate', inputs: [promptTensor()], parameters: { max_tokens: 120, end_id: -1 } },
          { signal: controller.signal },
        )) {
          received.push(response);
          controller.abort();
        }
      })(),
    );
    expect(error.code).toBe('CANCELLED');
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received.length).toBeLessThan(120);
    // The server stopped generating too: far fewer decoder steps than the 120 tokens asked for.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(decoderSteps() - stepsBefore).toBeLessThan(96);
    // The server is still fine, and so is the client's connection.
    expect((await client().infer({ model: 'simple', inputs: simpleInputs() })).outputs[0]!.data).toEqual(iota(16, 3));
  });

  it('stops a stream when the caller leaves the loop early', async () => {
    let count = 0;
    for await (const _response of client().inferStream({ model: 'generate', inputs: [promptTensor()], parameters: { max_tokens: 64, end_id: -1 } })) {
      if (++count === 2) break;
    }
    expect(count).toBe(2);
    expect(await client().isModelReady('generate')).toBe(true);
  });

  it('refuses a call whose signal is already aborted with CANCELLED', async () => {
    const error = await rejection(client().infer({ model: 'simple', inputs: simpleInputs() }, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('CANCELLED');
  });

  it('lists, unloads and loads models through the repository API', async () => {
    const index = await client().repositoryIndex();
    expect(index).toContainEqual({ name: 'simple', version: '1', state: 'READY' });
    expect(index.map((entry) => entry.name)).toContain('accumulate'); // in the repository, not loaded
    await client().unloadModel('identity_fp32');
    expect(await client().isModelReady('identity_fp32')).toBe(false);
    const afterUnload = await client().repositoryIndex();
    expect(afterUnload.find((entry) => entry.name === 'identity_fp32')?.state).toBe('UNAVAILABLE');
    expect((await client().repositoryIndex({ ready: true })).map((entry) => entry.name)).not.toContain('identity_fp32');
    await client().loadModel('identity_fp32');
    expect(await client().isModelReady('identity_fp32')).toBe(true);
    const failed = await rejection(client().loadModel('no_such_model'));
    expect(['INVALID_ARG', 'NOT_FOUND', 'INTERNAL']).toContain(failed.code);
  });

  it('reports statistics that count the inferences made', async () => {
    const before = (await client().modelStatistics('simple')).model_stats[0]!;
    for (let i = 0; i < 3; i++) await client().infer({ model: 'simple', inputs: simpleInputs() });
    const { model_stats } = await client().modelStatistics('simple', { version: '1' });
    expect(model_stats).toHaveLength(1);
    const after = model_stats[0]!;
    expect(after).toMatchObject({ name: 'simple', version: '1' });
    expect(after.inference_stats.success.count).toBe(before.inference_stats.success.count + 3);
    expect(after.inference_count).toBe(before.inference_count + 3);
    expect(after.inference_stats.compute_infer.ns).toBeGreaterThan(0);
    expect(after.last_inference).toBeGreaterThan(0);
    const all = await client().modelStatistics();
    expect(all.model_stats.map((entry) => entry.name)).toEqual(expect.arrayContaining(['simple', 'generate']));
  });
});

describe('both clients', () => {
  it('give the same metadata, config and statistics shapes', async () => {
    expect(await clients.grpc.serverMetadata()).toEqual(await clients.http.serverMetadata());
    expect(await clients.grpc.modelMetadata('mlp_classifier')).toEqual(await clients.http.modelMetadata('mlp_classifier'));
    expect(await clients.grpc.modelConfig('simple')).toEqual(await clients.http.modelConfig('simple'));
    const [viaGrpc, viaHttp] = [(await clients.grpc.modelStatistics('simple')).model_stats[0]!, (await clients.http.modelStatistics('simple')).model_stats[0]!];
    expect(Object.keys(viaGrpc).sort()).toEqual(Object.keys(viaHttp).sort());
  });

  it('fail to connect with UNAVAILABLE', async () => {
    const http = new HttpClient('http://127.0.0.1:1');
    const grpcClient = new GrpcClient('127.0.0.1:1');
    try {
      expect((await rejection(http.isServerLive())).code).toBe('UNAVAILABLE');
      expect((await rejection(grpcClient.isServerLive())).code).toBe('UNAVAILABLE');
    } finally {
      http.close();
      grpcClient.close();
    }
  });
});
