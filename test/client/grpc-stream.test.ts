/**
 * `GrpcClient.openStream()`: one ModelStreamInfer stream carrying many
 * requests, against a real server (bundled models, ONNX sessions in worker
 * threads, model.ts isolates) behind the real gRPC frontend on a free port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcFrontend, type GrpcFrontend } from '../../runtime/grpc/grpc-frontend.ts';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { GrpcClient, Tensor } from '../../sdk/client/index.ts';
import { BUNDLED_MODELS } from '../e2e/support/e2e-server.ts';
import { memoryLogger } from '../server/support.ts';
import { collect } from '../support/collect.ts';
import { errorOf } from '../support/rejection.ts';

let server: Server;
let grpc: GrpcFrontend;
let client: GrpcClient;

beforeAll(async () => {
  server = await createServer({
    modelRepository: BUNDLED_MODELS,
    modelControlMode: 'explicit',
    loadModels: ['simple', 'accumulate', 'generate', 'generate_decoder'],
    log: memoryLogger(),
  });
  grpc = createGrpcFrontend(server, { port: 0, host: '127.0.0.1', log: memoryLogger() });
  client = new GrpcClient(`127.0.0.1:${(await grpc.listen()).port}`);
}, 60_000);

afterAll(async () => {
  client?.close();
  await grpc?.close();
  await server?.close();
});

const simpleInputs = (base: number) => [
  new Tensor('INPUT0', 'INT32', [1, 16], Int32Array.from({ length: 16 }, (_, i) => base + i)),
  new Tensor('INPUT1', 'INT32', [1, 16], new Int32Array(16).fill(1)),
];
const prompt = () => new Tensor('input_ids', 'INT64', [3], BigInt64Array.of(3n, 15n, 27n));

describe('GrpcClient.openStream', () => {
  it('carries many requests on one stream; each response has its request id, and the loop ends after end()', async () => {
    const stream = client.openStream();
    for (let i = 0; i < 20; i++) stream.send({ model: 'simple', id: `r${i}`, inputs: simpleInputs(i * 100) });
    stream.end();
    const items = await collect(stream);
    expect(items).toHaveLength(20);
    const sums = new Map<string, number>();
    for (const item of items) {
      if (!item.ok) throw item.error;
      expect(item.final).toBe(true);
      expect(item.response.parameters).toBeUndefined(); // the final flag is the item's, not a parameter
      sums.set(item.response.id!, (item.response.outputs[0]!.data as Int32Array)[0]!);
    }
    expect([...sums.keys()].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`).sort());
    for (const [id, sum] of sums) expect(sum).toBe(Number(id.slice(1)) * 100 + 1);
  });

  it('streams a sequence: every request sent before any answer, answered in order with the state carried', async () => {
    const stream = client.openStream();
    const values = [5, 1, 10, 4];
    values.forEach((value, i) =>
      stream.send({
        model: 'accumulate',
        id: String(i),
        inputs: [new Tensor('INPUT', 'INT32', [1, 1], Int32Array.of(value))],
        parameters: { sequence_id: 'stream-sum', sequence_start: i === 0, sequence_end: i === values.length - 1 },
      }),
    );
    stream.end();
    const answers = (await collect(stream)).map((item) => (item.ok ? [item.response.id, (item.response.outputs[0]!.data as Int32Array)[0]] : item.error.message));
    expect(answers).toEqual([
      ['0', 5],
      ['1', 6],
      ['2', 16],
      ['3', 20],
    ]);
  });

  it('answers a failed request in the stream with its model and id, and goes on', async () => {
    const stream = client.openStream();
    stream.send({ model: 'simple', id: 'before', inputs: simpleInputs(0) });
    stream.send({ model: 'simple', id: 'broken', inputs: [new Tensor('INPUT0', 'INT32', [1, 3], Int32Array.of(1, 2, 3))] });
    stream.send({ model: 'no_such_model', id: 'lost', inputs: simpleInputs(0) });
    stream.send({ model: 'simple', id: 'after', inputs: simpleInputs(7) });
    stream.end();
    const items = await collect(stream);
    const failed = items.filter((item) => !item.ok);
    expect(failed.map((item) => [item.model, item.id, item.error.code])).toEqual([
      ['simple', 'broken', 'UNKNOWN'],
      ['no_such_model', 'lost', 'UNKNOWN'],
    ]);
    expect(failed[0]!.ok === false && failed[0]!.error.message).toContain("unexpected shape for input 'INPUT0' for model 'simple'");
    expect(items.filter((item) => item.ok).map((item) => item.ok && item.response.id).sort()).toEqual(['after', 'before']);
  });

  it('marks the last response of a decoupled request final, with an empty final response when asked', async () => {
    const stream = client.openStream();
    stream.send({ model: 'generate', id: 'plain', inputs: [prompt()], parameters: { max_tokens: 3, end_id: -1 } });
    stream.send({ model: 'generate', id: 'marked', inputs: [prompt()], parameters: { max_tokens: 3, end_id: -1 } }, { emptyFinalResponse: true });
    stream.end();
    const byId = new Map<string, { outputs: number; final: boolean }[]>();
    for (const item of await collect(stream)) {
      if (!item.ok) throw item.error;
      const id = item.response.id!;
      byId.set(id, [...(byId.get(id) ?? []), { outputs: item.response.outputs.length, final: item.final }]);
    }
    // generate sends its last token without the final flag and then finishes: that flag alone travels only when asked for.
    expect(byId.get('plain')).toEqual([1, 2, 3].map(() => ({ outputs: 1, final: false })));
    const marked = byId.get('marked')!;
    expect(marked.at(-1)).toEqual({ outputs: 0, final: true });
    expect(marked.slice(0, -1).every((r) => r.outputs === 1 && !r.final)).toBe(true);
  });

  it('refuses to send after end(), and reads in one loop only', async () => {
    const stream = client.openStream();
    stream.end();
    const error = await errorOf((async () => stream.send({ model: 'simple', inputs: simpleInputs(0) }))());
    expect(error.code).toBe('INVALID_ARG');
    expect(error.message).toBe("cannot send a request for model 'simple': the stream was ended with end()");
    expect(await collect(stream)).toEqual([]);
    const second = await errorOf(collect(stream));
    expect(second.message).toBe('a stream can be read by one loop only');
  });

  it('cancels the stream and its requests on the server when its AbortSignal fires', async () => {
    const decoderSteps = () => server.modelStatistics('generate_decoder').model_stats[0]!.inference_count;
    const before = decoderSteps();
    const controller = new AbortController();
    const stream = client.openStream({ signal: controller.signal });
    stream.send({ model: 'generate', inputs: [prompt()], parameters: { max_tokens: 120, end_id: -1 } });
    let received = 0;
    const error = await errorOf(
      (async () => {
        for await (const _item of stream) {
          received++;
          controller.abort();
        }
      })(),
    );
    expect(error.code).toBe('CANCELLED');
    expect(received).toBeGreaterThanOrEqual(1);
    const late = await errorOf((async () => stream.send({ model: 'simple', inputs: simpleInputs(0) }))());
    expect(late.code).toBe('CANCELLED');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(decoderSteps() - before).toBeLessThan(96);
  });

  it('cancels the stream when the loop is left before the stream ends', async () => {
    const decoderSteps = () => server.modelStatistics('generate_decoder').model_stats[0]!.inference_count;
    const before = decoderSteps();
    const stream = client.openStream();
    stream.send({ model: 'generate', inputs: [prompt()], parameters: { max_tokens: 120, end_id: -1 } });
    for await (const _item of stream) break;
    const late = await errorOf((async () => stream.send({ model: 'simple', inputs: simpleInputs(0) }))());
    expect(late.code).toBe('CANCELLED');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(decoderSteps() - before).toBeLessThan(96);
    expect(await client.isModelReady('generate')).toBe(true);
  });
});
