/**
 * The bundled `generate` model streaming its tokens to real clients: an HTTP
 * server-sent-events reader (`/generate_stream`) and a gRPC stream
 * (`ModelStreamInfer`), both against the same server and the same greedy
 * tokens the decoder gives when driven directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFrontend } from '../../runtime/http/http-frontend.ts';
import { startGrpc, type RunningGrpc } from '../grpc/support/grpc-harness.ts';
import { referenceGreedy } from '../generate/support/generate-repository.ts';
import { memoryLogger } from '../server/support.ts';
import { BUNDLED_MODELS } from './support/e2e-server.ts';

const PROMPT = [3, 15, 27];
const TOKENS = 10;

let grpc: RunningGrpc;
let http: Awaited<ReturnType<typeof createHttpFrontend>>;
let baseUrl: string;
let expected: number[];

beforeAll(async () => {
  grpc = await startGrpc({ modelRepository: [BUNDLED_MODELS], modelControlMode: 'explicit', loadModels: ['generate', 'generate_decoder'] });
  http = await createHttpFrontend(grpc.server, { port: 0, host: '127.0.0.1', log: memoryLogger() });
  await http.listen();
  baseUrl = `http://127.0.0.1:${http.port}`;
  expected = await referenceGreedy(grpc.server, PROMPT, TOKENS, -1);
}, 60_000);
afterAll(async () => {
  await http?.close();
  await grpc?.close();
});

describe('streaming generate', () => {
  it('streams one SSE event per token over HTTP', async () => {
    const res = await fetch(`${baseUrl}/v2/models/generate/generate_stream`, {
      method: 'POST',
      body: JSON.stringify({ id: 'sse', input_ids: PROMPT, max_tokens: TOKENS, end_id: -1 }),
    });
    expect(res.status).toBe(200);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    const tokens = events.map((event) => (JSON.parse(event.replace(/^data: /, '')) as { output_ids: number }).output_ids);
    expect(tokens).toEqual(expected);
    expect(JSON.parse(events[0]!.replace(/^data: /, ''))).toMatchObject({ id: 'sse', model_name: 'generate', model_version: '1' });
  });

  it('streams one ModelStreamInfer response per token over gRPC, then an empty final response when asked for', async () => {
    const stream = grpc.clients.inference.ModelStreamInfer();
    const responses: { infer_response: { raw_output_contents: Buffer[]; parameters: Record<string, { bool_param?: boolean }> } }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (message: (typeof responses)[number] & { error_message: string }) => {
        if (message.error_message) reject(new Error(message.error_message));
        responses.push(message);
        if (message.infer_response.parameters.triton_final_response?.bool_param) resolve();
      });
      stream.on('error', reject);
    });
    stream.write({
      model_name: 'generate',
      id: 'grpc',
      parameters: {
        max_tokens: { int64_param: String(TOKENS) },
        end_id: { int64_param: '-1' },
        // The model ends its stream with a final flag and no response: ask for it, to know the stream is done.
        triton_enable_empty_final_response: { bool_param: true },
      },
      inputs: [{ name: 'input_ids', datatype: 'INT64', shape: [PROMPT.length] }],
      raw_input_contents: [Buffer.from(BigInt64Array.from(PROMPT, BigInt).buffer)],
    });
    await done;
    stream.end();
    const last = responses.pop()!;
    expect(last.infer_response.raw_output_contents).toEqual([]);
    const tokens = responses.map((r) => Number(r.infer_response.raw_output_contents[0]!.readBigInt64LE(0)));
    expect(tokens).toEqual(expected);
    expect(responses.every((r) => r.infer_response.parameters.triton_final_response?.bool_param === false)).toBe(true);
  });
});
