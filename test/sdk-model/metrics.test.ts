/**
 * The model side of custom metrics (`MetricFamily`, `Metric` from
 * nereid/model) against a fake host whose callbacks go to the real registry:
 * values reach the host, and the host's errors come back as NereidErrors with
 * their codes, failing the execute that caused them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceResponse, MetricFamily, NereidError, type InferenceRequest, type Metric } from '../../sdk/model/index.ts';
import { callEntry, FakeHost, serve } from './fake-host.ts';

const global = globalThis as Record<string, unknown>;
afterEach(() => {
  delete global.__nereidHost;
  delete global.__nereidModel;
});

const oneRequest = [{ id: '', inputs: [], requestedOutputs: [], parameters: {}, correlationId: 0, flags: 0 }];

/** Serves a model whose execute runs `body` and answers every request; returns the execute's settle result. */
async function executeWith(body: () => void, host = new FakeHost()) {
  const { entry } = serve(
    {
      execute(requests: InferenceRequest[]) {
        body();
        return requests.map(() => new InferenceResponse());
      },
    },
    host,
  );
  const result = await callEntry(host, (id) => entry.execute(id, oneRequest));
  return { host, result };
}

describe('MetricFamily and Metric', () => {
  it('registers families and metrics on the host, and increment/set/observe/value reach its registry', async () => {
    const seen: number[] = [];
    const { host, result } = await executeWith(() => {
      const requests = new MetricFamily({ name: 'requests_total', description: 'Requests', kind: MetricFamily.COUNTER });
      const counter = requests.metric({ labels: { route: 'a' } });
      counter.increment();
      counter.increment(2.5);
      seen.push(counter.value());
      const depth = new MetricFamily({ name: 'depth', description: 'Depth', kind: 'gauge' }).metric();
      depth.set(9);
      depth.increment(-4);
      seen.push(depth.value());
      const sizes = new MetricFamily({ name: 'sizes', description: 'Sizes', kind: 'histogram' }).metric({ buckets: [2, 8] });
      sizes.observe(1);
      sizes.observe(5);
      expect(counter.family).toBe(requests);
      expect(counter.labels).toEqual({ route: 'a' });
      expect(requests.kind).toBe('counter');
    });
    expect(result).toEqual({ ok: true, responses: [expect.any(Object)] });
    expect(seen).toEqual([3.5, 5]);
    expect(host.metrics.snapshot()).toEqual([
      { name: 'requests_total', help: 'Requests', kind: 'counter', series: [{ labels: { route: 'a' }, value: 3.5 }] },
      { name: 'depth', help: 'Depth', kind: 'gauge', series: [{ labels: {}, value: 5 }] },
      {
        name: 'sizes',
        help: 'Sizes',
        kind: 'histogram',
        series: [{ labels: {}, value: 6, buckets: [{ le: 2, count: 1 }, { le: 8, count: 2 }, { le: Infinity, count: 2 }] }],
      },
    ]);
  });

  it('throws the host refusal as a NereidError with its code (INVALID_ARG, UNSUPPORTED), naming the model and metric', async () => {
    const thrown: unknown[] = [];
    const attempt = (action: () => unknown): void => {
      try {
        action();
      } catch (error) {
        thrown.push(error);
      }
    };
    await executeWith(() => {
      attempt(() => new MetricFamily({ name: 'bad name', description: '', kind: 'counter' }));
      attempt(() => new MetricFamily({ name: 'latency', description: '', kind: 'histogram' }).metric({ labels: { op: 'x' } }));
      const counter: Metric = new MetricFamily({ name: 'hits', description: '', kind: 'counter' }).metric();
      attempt(() => counter.increment(-1));
      attempt(() => counter.set(3));
      attempt(() => counter.increment('1' as never));
      attempt(() => new MetricFamily({ name: 'hits', description: '', kind: 'gauge' }));
    });
    expect(thrown.every((error) => error instanceof NereidError)).toBe(true);
    expect(thrown.map((error) => [(error as NereidError).code, (error as NereidError).message])).toEqual([
      ['INVALID_ARG', 'model \'fake\': metric family name "bad name" is invalid: a name matches [a-zA-Z_:][a-zA-Z0-9_:]*'],
      ['INVALID_ARG', "model 'fake': metric latency{op=\"x\"}: a histogram metric needs buckets (a non-empty list of increasing numbers)"],
      ['INVALID_ARG', "model 'fake': metric hits: a counter only goes up; increment by -1 refused"],
      ['UNSUPPORTED', "model 'fake': metric hits: a counter does not support set() (it supports increment(), value())"],
      ['INVALID_ARG', "metric family 'hits': increment expects a number, got string"],
      ['INVALID_ARG', "model 'fake': metric family 'hits' is already registered as a counter; it cannot be registered as a gauge"],
    ]);
  });

  it('fails the execute that let a refusal escape, with the refusal\'s code', async () => {
    const { result } = await executeWith(() => {
      new MetricFamily({ name: 'nv_mine', description: '', kind: 'gauge' });
    });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARG', message: "model 'fake': metric family name 'nv_mine' is reserved: names starting with nv_, process_, nodejs_ are the server's own metrics" },
    });
  });

  it('refuses a family description without its fields before asking the host', async () => {
    const { result } = await executeWith(() => {
      new MetricFamily({ name: 'x' } as never);
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_ARG', message: expect.stringContaining('MetricFamily: expects { name: string') } });
  });
});
