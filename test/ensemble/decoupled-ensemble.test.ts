/**
 * Ensembles with a decoupled step: a model.ts step that streams N responses,
 * followed by the ONNX `simple` step, through createServer on a temporary
 * repository. The decoupled step fires `simple` once per response; each
 * completed branch is one response of the ensemble, then the final flag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { ModelState } from '../../runtime/server/server-api.ts';
import type { InferRequest, InferStreamItem } from '../../sdk/inference.ts';
import { createTempRepository, removeTempRepository } from '../support/onnx-fixtures.ts';
import { errorOf } from '../support/rejection.ts';
import { memoryLogger } from '../server/support.ts';
import { writeScriptModel } from '../script/support.ts';
import { CHAIN, ensembleConfig, int32, values, writeEnsemble, writeOnnxSteps } from './support.ts';

/**
 * INT32 [16] INPUT0 in; for k = 1..`count` (parameter, default 3), 5 ms
 * apart, one response with OUTPUT0 = INPUT0 + k and OUTPUT1 = INPUT0, or an
 * error response at k = `fail_at`; stops (with the final flag) when cancelled.
 */
const BURST = `
  import { InferenceResponse, NereidError, Tensor, type InferenceRequest } from 'nereid/model';
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  globalThis.sent = 0;
  async function stream(request: InferenceRequest) {
    const sender = request.getResponseSender();
    const input = request.requireInput('INPUT0');
    const count = Number(request.parameters.count ?? 3);
    const failAt = Number(request.parameters.fail_at ?? -1);
    for (let k = 1; k <= count; k++) {
      await sleep(5);
      if (request.isCancelled()) break;
      if (k === failAt) { sender.send(new InferenceResponse({ error: new NereidError('INVALID_ARG', 'no ' + k + ' today') })); continue; }
      const plus = (input.data as Int32Array).map((v) => v + k);
      sender.send(new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'INT32', input.shape, plus), new Tensor('OUTPUT1', 'INT32', input.shape, (input.data as Int32Array).slice())] }));
    }
    sender.send(undefined, { final: true });
  }
  export function execute(requests: InferenceRequest[]) {
    for (const request of requests) void stream(request);
  }`;

const BURST_CONFIG = [
  'name: "burst"',
  'backend: "typescript"',
  'max_batch_size: 8',
  'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] } ]',
  'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]',
  'instance_group [ { count: 1 kind: KIND_CPU } ]',
  'model_transaction_policy { decoupled: true }',
].join('\n');

/** burst(INPUT0) -> (a, b); simple(a, b) -> SUM = 2 x INPUT0 + k, DIFF = k. Not declared decoupled: that follows from `burst`. */
const BURST_SIMPLE = ensembleConfig(
  'burst_simple',
  [{ name: 'INPUT0' }],
  [{ name: 'SUM' }, { name: 'DIFF' }],
  [
    { model: 'burst', inputs: { INPUT0: 'INPUT0' }, outputs: { OUTPUT0: 'a', OUTPUT1: 'b' } },
    { model: 'simple', inputs: { INPUT0: 'a', INPUT1: 'b' }, outputs: { OUTPUT0: 'SUM', OUTPUT1: 'DIFF' } },
  ],
);

/** `simple` reads a tensor of burst's stream and an ensemble input: as Triton, refused. */
const MIXED = ensembleConfig(
  'mixed',
  [{ name: 'INPUT0' }],
  [{ name: 'SUM' }],
  [
    { model: 'burst', inputs: { INPUT0: 'INPUT0' }, outputs: { OUTPUT0: 'a' } },
    { model: 'simple', inputs: { INPUT0: 'a', INPUT1: 'INPUT0' }, outputs: { OUTPUT0: 'SUM' } },
  ],
);

/** An ensemble whose step is the decoupled ensemble: decoupled in turn. */
const OUTER = ensembleConfig(
  'outer',
  [{ name: 'X' }],
  [{ name: 'Y' }],
  [
    { model: 'burst_simple', inputs: { INPUT0: 'X' }, outputs: { SUM: 's' } },
    { model: 'identity', inputs: { INPUT0: 's' }, outputs: { OUTPUT0: 'Y' } },
  ],
);

/**
 * INT32 [16] INPUT0 in; after 30 ms, START and END: when its execute began
 * and ended (the server's clock, which every isolate reads). Four instances,
 * so nothing but the ensemble's own limit keeps requests from overlapping.
 */
const PROBE = `
  import { InferenceResponse, Tensor, type InferenceRequest } from 'nereid/model';
  export async function execute(requests: InferenceRequest[]) {
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const end = performance.now();
    return requests.map(() => new InferenceResponse({ outputs: [
      new Tensor('START', 'FP64', [1, 1], Float64Array.of(start)),
      new Tensor('END', 'FP64', [1, 1], Float64Array.of(end)),
    ] }));
  }`;

const PROBE_CONFIG = [
  'name: "probe"',
  'backend: "typescript"',
  'max_batch_size: 8',
  'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] } ]',
  'output [ { name: "START" data_type: TYPE_FP64 dims: [ 1 ] }, { name: "END" data_type: TYPE_FP64 dims: [ 1 ] } ]',
  'instance_group [ { count: 4 kind: KIND_CPU } ]',
].join('\n');

/** burst(INPUT0) -> a; probe(a) -> START, END: once per response of burst. */
const burstProbe = (name: string, maxInflight?: number): string =>
  ensembleConfig(name, [{ name: 'INPUT0' }], [{ name: 'START', type: 'TYPE_FP64', dims: [1] }, { name: 'END', type: 'TYPE_FP64', dims: [1] }], [
    { model: 'burst', inputs: { INPUT0: 'INPUT0' }, outputs: { OUTPUT0: 'a' } },
    { model: 'probe', inputs: { INPUT0: 'a' }, outputs: { START: 'START', END: 'END' } },
  ]).replace('ensemble_scheduling {', maxInflight === undefined ? 'ensemble_scheduling {' : `ensemble_scheduling { max_inflight_requests: ${maxInflight}`);

let repo: string;
let server: Server;

beforeAll(async () => {
  repo = await createTempRepository('nereid-decoupled-ensemble-');
  await writeOnnxSteps(repo);
  await writeScriptModel(repo, 'burst', { source: BURST, config: BURST_CONFIG });
  await writeEnsemble(repo, 'burst_simple', BURST_SIMPLE);
  await writeEnsemble(repo, 'mixed', MIXED);
  await writeEnsemble(repo, 'outer', OUTER);
  await writeEnsemble(repo, 'chain', CHAIN);
  await writeScriptModel(repo, 'probe', { source: PROBE, config: PROBE_CONFIG });
  await writeEnsemble(repo, 'burst_probe', burstProbe('burst_probe'));
  await writeEnsemble(repo, 'burst_probe_1', burstProbe('burst_probe_1', 1));
  await writeEnsemble(repo, 'burst_probe_2', burstProbe('burst_probe_2', 2));
  server = await createServer({ modelRepository: repo, log: memoryLogger() });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await removeTempRepository(repo);
});

const request = (model: string, input: string, parameters: InferRequest['parameters'] = {}): InferRequest => ({
  model,
  id: 'r1',
  inputs: [int32(input, [10])],
  parameters,
});

/** Each item as text: `k` (from DIFF, or the first element of the first output less 20), `error: ...`, `final`. */
async function collect(stream: AsyncIterable<InferStreamItem>, output = 'DIFF', offset = 0): Promise<(number | string)[]> {
  const seen: (number | string)[] = [];
  for await (const item of stream) {
    if (item.error) seen.push(`error: ${item.error.message}`);
    else if (item.response) seen.push(values(item.response.outputs.find((t) => t.name === output))[0]! - offset);
    if (item.final) seen.push('final');
  }
  return seen;
}

const sorted = (items: (number | string)[]): (number | string)[] => [...items.slice(0, -1)].sort().concat(items.slice(-1));

describe('ensemble with a decoupled step', () => {
  it('is decoupled itself, as Triton makes it, without declaring so', () => {
    expect(server.isModelReady('burst_simple')).toBe(true);
    expect(server.modelConfig('burst_simple')).toMatchObject({ model_transaction_policy: { decoupled: true } });
    expect(server.modelConfig('outer')).toMatchObject({ model_transaction_policy: { decoupled: true } });
    expect((server.modelConfig('chain').model_transaction_policy as { decoupled?: boolean } | undefined)?.decoupled ?? false).toBe(false);
  });

  it('fires the next step once per response of the decoupled step, then ends with the final flag', async () => {
    const responses: InferStreamItem[] = [];
    for await (const item of server.inferStream(request('burst_simple', 'INPUT0', { count: 4 }))) responses.push(item);
    expect(responses.map((item) => item.final)).toEqual([false, false, false, false, true]);
    expect(responses.at(-1)!.response).toBeUndefined();
    const got = responses.slice(0, -1).map((item) => {
      const sum = values(item.response!.outputs.find((t) => t.name === 'SUM'));
      const diff = values(item.response!.outputs.find((t) => t.name === 'DIFF'));
      expect(item.response).toMatchObject({ model: 'burst_simple', id: 'r1' });
      expect(sum[0]).toBe(20 + diff[0]!);
      return diff[0];
    });
    // One `simple` instance: the branches complete in the order burst sent them.
    expect(got).toEqual([1, 2, 3, 4]);
    // No response from the decoupled step: just the final flag.
    expect(await collect(server.inferStream(request('burst_simple', 'INPUT0', { count: 0 })))).toEqual(['final']);
    // Nested: the outer ensemble streams its decoupled step's responses in turn.
    expect(sorted(await collect(server.inferStream(request('outer', 'X', { count: 3 })), 'Y', 20))).toEqual([1, 2, 3, 'final']);
    // Concurrent requests each get their own branches.
    const [a, b] = await Promise.all([
      collect(server.inferStream(request('burst_simple', 'INPUT0', { count: 2 }))),
      collect(server.inferStream(request('burst_simple', 'INPUT0', { count: 3 }))),
    ]);
    expect([sorted(a), sorted(b)]).toEqual([[1, 2, 'final'], [1, 2, 3, 'final']]);
  });

  it('max_inflight_requests caps the requests of a step in flight for one ensemble request', async () => {
    /** The most `probe` requests of one ensemble request that ran at the same time. */
    const mostAtOnce = async (model: string): Promise<number> => {
      const spans: [number, number][] = [];
      for await (const item of server.inferStream(request(model, 'INPUT0', { count: 6 }))) {
        if (item.error) throw item.error;
        if (!item.response) continue;
        const at = (name: string) => (item.response!.outputs.find((t) => t.name === name)!.data as Float64Array)[0]!;
        spans.push([at('START'), at('END')]);
      }
      expect(spans).toHaveLength(6);
      return Math.max(...spans.map(([start]) => spans.filter(([s, e]) => s <= start && start < e).length));
    };
    // burst sends a response every 5 ms, probe takes 30 ms on any of 4 instances.
    expect(await mostAtOnce('burst_probe')).toBeGreaterThan(2);
    expect(await mostAtOnce('burst_probe_1')).toBe(1);
    expect(await mostAtOnce('burst_probe_2')).toBe(2);
  });

  it('is refused by infer(), as any decoupled model', async () => {
    const error = await errorOf(server.infer(request('burst_simple', 'INPUT0')));
    expect(error).toMatchObject({ code: 'UNSUPPORTED' });
    expect(error.message).toContain('is decoupled');
  });

  it('fails only the branch of an error response, and the stream goes on', async () => {
    const seen = await collect(server.inferStream(request('burst_simple', 'INPUT0', { count: 4, fail_at: 2 })));
    expect(sorted(seen)).toEqual([1, 3, 4, "error: in ensemble 'burst_simple', step 0 (model 'burst') failed: no 2 today", 'final']);
  });

  it('stops the steps when the consumer stops', async () => {
    const before = server.modelStatistics('simple').model_stats[0]!.inference_count;
    let seen = 0;
    for await (const item of server.inferStream(request('burst_simple', 'INPUT0', { count: 50 }))) {
      if (item.response) seen++;
      if (seen === 2) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const ran = server.modelStatistics('simple').model_stats[0]!.inference_count - before;
    expect(ran).toBeGreaterThanOrEqual(2);
    // `simple` batches for up to 20 ms, so a few responses may be on their way already: far fewer than 50.
    expect(ran).toBeLessThan(10);
    // And a request cancelled through its signal ends with CANCELLED.
    const abort = new AbortController();
    const items: InferStreamItem[] = [];
    for await (const item of server.inferStream({ ...request('burst_simple', 'INPUT0', { count: 50 }), signal: abort.signal })) {
      items.push(item);
      if (items.length === 1) abort.abort();
    }
    expect(items.at(-1)).toMatchObject({ final: true, error: { code: 'CANCELLED' } });
    expect(items.length).toBeLessThan(10);
  });

  it('refuses, as Triton, a step reading tensors of different decoupled lineages', async () => {
    const entry = (await server.repositoryIndex()).find((e) => e.name === 'mixed');
    expect(entry).toMatchObject({ state: ModelState.Unavailable });
    expect(entry!.reason).toContain("in ensemble mixed, step of model 'simple' receives inputs originated from different decoupled models");
  });

  it('leaves a non-decoupled ensemble working through infer() and inferStream()', async () => {
    const inputs = [int32('INPUT0', [3]), int32('INPUT1', [1])];
    const response = await server.infer({ model: 'chain', inputs });
    expect(values(response.outputs.find((t) => t.name === 'OUT_SUM'))[0]).toBe(4);
    const items: InferStreamItem[] = [];
    for await (const item of server.inferStream({ model: 'chain', inputs: [int32('INPUT0', [3]), int32('INPUT1', [1])] })) items.push(item);
    expect(items).toHaveLength(1);
    expect(items[0]!.final).toBe(true);
    expect(values(items[0]!.response!.outputs.find((t) => t.name === 'DIFF'))[0]).toBe(2);
  });
});
