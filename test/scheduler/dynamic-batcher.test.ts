/**
 * The dynamic batcher on real models: ONNX models (requests concatenated
 * into one run) and a model.ts that reports the batches it receives and can
 * be told to take its time, so queueing is observable without relying on
 * how fast the machine runs a model.
 */
import { describe, expect, it } from 'vitest';
import type { Server } from '../../runtime/server/create-server.ts';
import type { InferRequest, InferResponse } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { fp32Config, writeScriptModel } from '../script/support.ts';
import { addSubInputs } from '../server/support.ts';
import { addSubModel, writeFixture } from '../support/onnx-fixtures.ts';
import { errorOf } from '../support/rejection.ts';
import { useTempServer } from '../support/temp-server.ts';

const fixture = useTempServer();
const start = (...models: string[]): Promise<Server> => fixture.start({ modelControlMode: 'explicit', loadModels: models });

/**
 * A model.ts answering INPUT0 with itself, plus response parameters: `batch`
 * (how many requests its execute got), `shapes` and `rows` (distinct
 * non-batch shapes and rows in that batch) and `order` (executes so far). A
 * request's `hold_ms` parameter makes the execute wait that long first.
 */
const BATCH_REPORTER = `
  import { InferenceResponse, type InferenceRequest } from 'nereid/model';
  let executes = 0;
  export async function execute(requests: InferenceRequest[]) {
    const order = ++executes;
    const hold = Math.max(0, ...requests.map((request) => Number(request.parameters.hold_ms ?? 0)));
    if (hold > 0) await new Promise((resolve) => setTimeout(resolve, hold));
    // What the batch held: its distinct non-batch shapes and its rows.
    const shapes = new Set(requests.map((request) => request.requireInput('INPUT0').shape.slice(1).join('x'))).size;
    const rows = requests.reduce((sum, request) => sum + request.requireInput('INPUT0').shape[0]!, 0);
    return requests.map((request) => new InferenceResponse({
      outputs: [request.requireInput('INPUT0').rename('OUTPUT0')],
      parameters: { batch: requests.length, order, shapes, rows },
    }));
  }`;

async function reporter(name: string, scheduling: string, instances = 1): Promise<void> {
  await writeScriptModel(fixture.repo, name, { config: fp32Config(name, scheduling).replace('count: 1', `count: ${instances}`), source: BATCH_REPORTER });
}

const value = (v: number, parameters: InferRequest['parameters'] = {}): InferRequest => ({
  model: 'reporter',
  inputs: [new Tensor('INPUT0', 'FP32', [1, 1], new Float32Array([v]))],
  parameters,
});
const first = (response: InferResponse) => (response.outputs[0]!.data as Float32Array)[0];

describe('dynamic batcher', () => {
  it('joins queued ONNX requests into one run and splits the answers back per request', async () => {
    await writeFixture(fixture.repo, 'simple', addSubModel('INT32', { batch: true, dims: [16] }), { extra: 'dynamic_batching { }' });
    const s = await start('simple');
    const requests = Array.from({ length: 24 }, (_, i) => {
      const [a, b] = addSubInputs(1 + (i % 3));
      (a!.data as Int32Array).fill(i);
      return s.infer({ model: 'simple', inputs: [a!, b!] });
    });
    const responses = await Promise.all(requests);
    responses.forEach((response, i) => {
      expect(response.outputs[0]!.shape).toEqual([1 + (i % 3), 16]);
      expect(Array.from(response.outputs[0]!.data as Int32Array).every((v) => v === i + 1)).toBe(true);
    });
    // 48 rows in 24 requests, at most 8 rows per run: joined into fewer runs than requests.
    const stats = s.modelStatistics('simple').model_stats[0]!;
    expect(stats.inference_count).toBe(48);
    expect(stats.execution_count).toBeLessThan(24);
    expect(stats.execution_count).toBeGreaterThanOrEqual(6);
  });

  it('never joins requests whose non-batch shapes differ, and never exceeds max_batch_size rows', async () => {
    await writeScriptModel(fixture.repo, 'reporter', { config: fp32Config('reporter', 'dynamic_batching { }').replace('max_batch_size: 8', 'max_batch_size: 4'), source: BATCH_REPORTER });
    const s = await start('reporter');
    const busy = s.infer(value(0, { hold_ms: 150 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Queued behind the busy instance: rows of width 2 and 3, mixed, some of batch size 3 and 4.
    const shapes = [[1, 2], [1, 3], [3, 2], [2, 2], [1, 3], [4, 3], [1, 2], [1, 2]];
    const responses = await Promise.all(
      shapes.map((shape, i) => s.infer({ model: 'reporter', inputs: [new Tensor('INPUT0', 'FP32', shape, new Float32Array(shape[0]! * shape[1]!).fill(i))] })),
    );
    await busy;
    responses.forEach((response, i) => {
      expect(response.outputs[0]!.shape).toEqual(shapes[i]);
      expect(Array.from(response.outputs[0]!.data as Float32Array).every((v) => v === i)).toBe(true);
      expect(response.parameters).toMatchObject({ shapes: 1 });
      expect(response.parameters!.rows).toBeLessThanOrEqual(4);
    });
    // Batching did happen (else the checks above would hold trivially).
    expect(Math.max(...responses.map((response) => Number(response.parameters!.batch)))).toBeGreaterThan(1);
  });

  it('hands a model.ts the queued requests as one execute, a batch of up to max_batch_size', async () => {
    await reporter('reporter', 'dynamic_batching { }');
    const s = await start('reporter');
    const busy = s.infer(value(0, { hold_ms: 150 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const queued = await Promise.all(Array.from({ length: 10 }, (_, i) => s.infer(value(i + 1))));
    expect((await busy).parameters).toMatchObject({ batch: 1 });
    // Ten requests queued behind the busy instance: one batch of 8 (max_batch_size), then the other 2.
    expect(queued.map((r) => r.parameters?.batch)).toEqual([8, 8, 8, 8, 8, 8, 8, 8, 2, 2]);
    expect(queued.map(first)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('waits up to max_queue_delay_microseconds for a batch to fill, and no longer once a preferred size is reached', async () => {
    await reporter('reporter', 'dynamic_batching { preferred_batch_size: [ 3 ] max_queue_delay_microseconds: 300000 }');
    const s = await start('reporter');
    let started = performance.now();
    const alone = await s.infer(value(1));
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(alone.parameters).toMatchObject({ batch: 1 });
    started = performance.now();
    const three = await Promise.all([1, 2, 3].map((v) => s.infer(value(v))));
    expect(performance.now() - started).toBeLessThan(250);
    expect(three.map((r) => r.parameters?.batch)).toEqual([3, 3, 3]);
  });

  it('serves higher priority levels first', async () => {
    await reporter('reporter', 'dynamic_batching { preferred_batch_size: [ 1 ] priority_levels: 3 default_priority_level: 2 }');
    const s = await start('reporter');
    const busy = s.infer(value(0, { hold_ms: 150 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const done: number[] = [];
    const track = (v: number, priority?: number) => s.infer(value(v, priority === undefined ? {} : { priority })).then((r) => done.push(first(r)!));
    await Promise.all([track(30, 3), track(20), track(10, 1), track(31, 3), track(11, 1), track(21, 0)]);
    await busy;
    expect(done).toEqual([10, 11, 20, 21, 30, 31]);
  });

  it('refuses a request over max_queue_size at once, and drops requests whose queue timeout passes (REJECT)', async () => {
    await reporter(
      'reporter',
      'dynamic_batching { preferred_batch_size: [ 1 ] default_queue_policy { max_queue_size: 2 default_timeout_microseconds: 100000 } }',
    );
    const s = await start('reporter');
    const busy = s.infer(value(0, { hold_ms: 400 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const queued = [s.infer(value(1)), s.infer(value(2))];
    const full = await errorOf(s.infer(value(3)));
    expect(full.code).toBe('UNAVAILABLE');
    expect(full.message).toBe("model 'reporter' version 1: Exceeds maximum queue size");
    const started = performance.now();
    const expired = await Promise.all(queued.map((q) => errorOf(q)));
    expect(expired.map((e) => e.message)).toEqual(["model 'reporter' version 1: Request timeout expired", "model 'reporter' version 1: Request timeout expired"]);
    expect(performance.now() - started).toBeLessThan(300); // at the timeout, not when the instance frees up
    expect(first(await busy)).toBe(0);
    expect(first(await s.infer(value(4)))).toBe(4);
    const stats = s.modelStatistics('reporter').model_stats[0]!;
    expect(stats.inference_stats.fail.count).toBe(3);
  });

  it("lets a request shorten its queue timeout where the policy allows, and DELAY keeps expired requests, behind the others", async () => {
    await reporter(
      'reporter',
      'dynamic_batching { preferred_batch_size: [ 1 ] default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 10000000 allow_timeout_override: true } }',
    );
    const s = await start('reporter');
    const busy = s.infer(value(0, { hold_ms: 200 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const done: number[] = [];
    const track = (v: number, parameters = {}) => s.infer(value(v, parameters)).then((r) => done.push(first(r)!));
    const all = [track(1, { timeout: 20_000 }), track(2), track(3)];
    await Promise.all([...all, busy]);
    // Request 1 timed out while queued: DELAY moved it behind 2 and 3 instead of failing it.
    expect(done).toEqual([2, 3, 1]);
  });

  it('releases responses in arrival order with preserve_ordering, across instances', async () => {
    await reporter('reporter', 'dynamic_batching { preferred_batch_size: [ 1 ] preserve_ordering: true }', 2);
    const s = await start('reporter');
    const done: number[] = [];
    const track = (v: number, hold: number) => s.infer(value(v, { hold_ms: hold })).then((r) => done.push(first(r)!));
    await Promise.all([track(1, 200), track(2, 10), track(3, 10)]);
    expect(done).toEqual([1, 2, 3]);
  });

  it('drains queued requests when the model unloads: every accepted request is answered', async () => {
    await reporter('reporter', 'dynamic_batching { preferred_batch_size: [ 1 ] }');
    const s = await start('reporter');
    const accepted = [s.infer(value(1, { hold_ms: 100 })), s.infer(value(2)), s.infer(value(3))];
    await new Promise((resolve) => setTimeout(resolve, 20));
    const unloading = s.unloadModel('reporter');
    expect((await Promise.all(accepted)).map(first)).toEqual([1, 2, 3]);
    await unloading;
    expect((await errorOf(s.infer(value(4)))).code).toBe('UNAVAILABLE');
  });

  it('counts executions and inferences in the statistics: batches are fewer than requests', async () => {
    await reporter('reporter', 'dynamic_batching { }');
    const s = await start('reporter');
    const busy = s.infer(value(0, { hold_ms: 100 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([busy, ...Array.from({ length: 6 }, (_, i) => s.infer(value(i)))]);
    const stats = s.modelStatistics('reporter').model_stats[0]!;
    expect(stats.inference_count).toBe(7);
    expect(stats.execution_count).toBe(2);
    expect(stats.inference_stats.success.count).toBe(7);
    expect(stats.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([[1, 1], [6, 1]]);
    expect(stats.inference_stats.queue.ns).toBeGreaterThan(0);
  });

  it('refuses a non-integer priority or timeout parameter, naming it', async () => {
    await reporter('reporter', 'dynamic_batching { }');
    const s = await start('reporter');
    const error = await errorOf(s.infer(value(1, { priority: -1 })));
    expect(error.message).toBe("parameter 'priority' of a request to model 'reporter' must be a non-negative integer, got -1");
    expect((await errorOf(s.infer(value(1, { timeout: 'soon' })))).message).toMatch(/parameter 'timeout' .* got "soon"/);
  });
});
