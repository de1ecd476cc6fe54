/**
 * Sequences over the real HTTP frontend, as Triton clients send them: the
 * `sequence_id` / `sequence_start` / `sequence_end` request parameters in
 * the JSON body, on the bundled `accumulate` model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODELS, expectError, postJson, startE2e, type E2eServer } from './support/e2e-server.ts';

let e2e: E2eServer;

beforeAll(async () => {
  e2e = await startE2e({ modelRepository: [BUNDLED_MODELS], modelControlMode: 'explicit', loadModels: ['accumulate'] });
});
afterAll(async () => {
  await e2e?.close();
});

/** The JSON body of one step; `id` is written as given (so a uint64 beyond 2^53 keeps its digits). */
function body(id: string, value: number, flags: string): string {
  return `{"parameters":{"sequence_id":${id}${flags}},"inputs":[{"name":"INPUT","datatype":"INT32","shape":[1,1],"data":[${value}]}]}`;
}

async function step(id: string, value: number, flags = ''): Promise<number> {
  const res = await postJson(`${e2e.baseUrl}/v2/models/accumulate/infer`, body(id, value, flags));
  expect(res.status).toBe(200);
  const json = (await res.json()) as { outputs: { name: string; data: number[] }[] };
  expect(json.outputs.map((o) => o.name)).toEqual(['OUTPUT']);
  return json.outputs[0]!.data[0]!;
}

describe('sequences over HTTP', () => {
  it('runs a sequence named by the largest uint64 and one named by a string, side by side', async () => {
    const big = '18446744073709551615';
    expect(await step(big, 4, ',"sequence_start":true')).toBe(4);
    expect(await step('"session-1"', 10, ',"sequence_start":true')).toBe(10);
    // 2^64 - 1 and its neighbour 2^64 - 2 would be the same double: ids must stay exact.
    const neighbour = await postJson(`${e2e.baseUrl}/v2/models/accumulate/infer`, body('18446744073709551614', 1, ''));
    await expectError(neighbour, 400, 'inference request for sequence 18446744073709551614', 'must specify the START flag');
    expect(await step(big, 5)).toBe(9);
    expect(await step('"session-1"', 1, ',"sequence_end":true')).toBe(11);
    expect(await step(big, 1, ',"sequence_end":true')).toBe(10);
  });

  it('answers 400 with Triton\'s message for a request without a correlation id', async () => {
    const res = await postJson(`${e2e.baseUrl}/v2/models/accumulate/infer`, {
      inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1], data: [1] }],
    });
    await expectError(res, 400, "inference request to model 'accumulate' must specify a non-zero or non-empty correlation ID");
  });
});
