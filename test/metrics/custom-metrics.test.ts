/**
 * The custom metrics registry behind model.ts `MetricFamily` (the host side of
 * the callbacks): shared families and series across instances and models,
 * the operations each kind allows, the errors a model gets (as data, naming
 * the model and metric), and what release() leaves behind.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorData } from '../../sdk/errors.ts';
import { CustomMetrics, type CustomMetricsOwner } from '../../runtime/metrics/custom-metrics.ts';

/** The id or value, failing the test on an error. */
function ok(reply: number | ErrorData): number {
  if (typeof reply !== 'number') throw new Error(`unexpected error ${reply.code}: ${reply.message}`);
  return reply;
}

/** The error, failing the test on a number. */
function failed(reply: number | ErrorData): ErrorData {
  if (typeof reply === 'number') throw new Error(`expected an error, got ${reply}`);
  return reply;
}

function counter(owner: CustomMetricsOwner, name: string, labels: Record<string, string> = {}): number {
  return ok(owner.metric(ok(owner.family(name, `help of ${name}`, 'counter')), JSON.stringify(labels), ''));
}

describe('custom metrics registry', () => {
  it('gives instances that register the same family and labels one series, which their increments add into', () => {
    const metrics = new CustomMetrics();
    const a = metrics.owner('summer');
    const b = metrics.owner('summer');
    const inA = counter(a, 'requests_total', { model: 'summer', version: '1' });
    const inB = counter(b, 'requests_total', { version: '1', model: 'summer' }); // same labels, other order
    expect(ok(a.update(inA, 'increment', 2))).toBe(2);
    expect(ok(b.update(inB, 'increment', 3))).toBe(5);
    expect(ok(a.update(inA, 'value', 0))).toBe(5);
    expect(metrics.snapshot()).toEqual([
      { name: 'requests_total', help: 'help of requests_total', kind: 'counter', series: [{ labels: { model: 'summer', version: '1' }, value: 5 }] },
    ]);
  });

  it('keeps the first description, and keeps other label sets as their own series', () => {
    const metrics = new CustomMetrics();
    const owner = metrics.owner('m');
    const family = ok(owner.family('queue_depth', 'first', 'gauge'));
    expect(ok(metrics.owner('other').family('queue_depth', 'second', 'gauge'))).toBe(0);
    const left = ok(owner.metric(family, '{"side":"left"}', ''));
    const right = ok(owner.metric(family, '{"side":"right"}', ''));
    owner.update(left, 'set', 7);
    owner.update(right, 'increment', -2);
    const [snapshot] = metrics.snapshot();
    expect(snapshot!.help).toBe('first');
    expect(snapshot!.series).toEqual([
      { labels: { side: 'left' }, value: 7 },
      { labels: { side: 'right' }, value: -2 },
    ]);
  });

  it('hands out the same ids when an owner registers again, without growing', () => {
    const owner = new CustomMetrics().owner('m');
    const first = counter(owner, 'hits');
    for (let i = 0; i < 100; i++) expect(counter(owner, 'hits')).toBe(first);
    expect(ok(owner.family('hits', '', 'counter'))).toBe(0);
  });

  it('counts histogram observations into cumulative buckets with +Inf, and sums them', () => {
    const metrics = new CustomMetrics();
    const owner = metrics.owner('h');
    const id = ok(owner.metric(ok(owner.family('latency_ms', 'Latency', 'histogram')), '{"op":"infer"}', '[1, 5, 10]'));
    for (const value of [0.5, 1, 3, 7, 12, 100]) ok(owner.update(id, 'observe', value));
    expect(metrics.snapshot()[0]!.series).toEqual([
      {
        labels: { op: 'infer' },
        value: 123.5,
        buckets: [
          { le: 1, count: 2 },
          { le: 5, count: 3 },
          { le: 10, count: 4 },
          { le: Infinity, count: 6 },
        ],
      },
    ]);
  });

  it('refuses bad and reserved family names, unknown kinds and a kind that differs from the registered one, naming the model', () => {
    const metrics = new CustomMetrics();
    const owner = metrics.owner('strict');
    expect(failed(owner.family('bad-name', '', 'counter'))).toEqual({
      code: 'INVALID_ARG',
      message: 'model \'strict\': metric family name "bad-name" is invalid: a name matches [a-zA-Z_:][a-zA-Z0-9_:]*',
    });
    expect(failed(owner.family('nv_inference_count', '', 'counter')).message).toBe(
      "model 'strict': metric family name 'nv_inference_count' is reserved: names starting with nv_, process_, nodejs_ are the server's own metrics",
    );
    expect(failed(owner.family('things', '', 'summary' as never)).message).toBe(
      'model \'strict\': metric family \'things\': kind must be one of counter, gauge, histogram, got "summary"',
    );
    ok(metrics.owner('first').family('shared_total', '', 'counter'));
    expect(failed(owner.family('shared_total', '', 'gauge'))).toEqual({
      code: 'INVALID_ARG',
      message: "model 'strict': metric family 'shared_total' is already registered as a counter; it cannot be registered as a gauge",
    });
  });

  it("refuses a family whose name is one of a histogram's own series, either way round", () => {
    const metrics = new CustomMetrics();
    const owner = metrics.owner('clash');
    ok(owner.family('latency', '', 'histogram'));
    expect(failed(owner.family('latency_count', '', 'counter')).message).toBe(
      "model 'clash': metric family 'latency_count' would clash with the series of histogram 'latency'",
    );
    ok(owner.family('size_sum', '', 'gauge'));
    expect(failed(owner.family('size', '', 'histogram')).message).toMatch(/^model 'clash': histogram 'size' would clash with metric family 'size_sum'/);
    ok(owner.family('size', '', 'counter'));
  });

  it('refuses bad labels, histograms without buckets, buckets elsewhere and buckets that do not increase', () => {
    const owner = new CustomMetrics().owner('strict');
    const c = ok(owner.family('c_total', '', 'counter'));
    const h = ok(owner.family('h_ms', '', 'histogram'));
    const error = (reply: number | ErrorData): string => {
      const data = failed(reply);
      expect(data.code).toBe('INVALID_ARG');
      return data.message;
    };
    expect(error(owner.metric(c, '["a"]', ''))).toBe("model 'strict': metric family 'c_total': labels must be an object of label names to string values");
    expect(error(owner.metric(c, '{"a":1}', ''))).toBe("model 'strict': metric family 'c_total': label 'a' must be a string, got 1");
    expect(error(owner.metric(c, '{"a-b":"x"}', ''))).toContain('label name "a-b" is invalid');
    expect(error(owner.metric(c, '{"__x":"x"}', ''))).toContain('label name "__x" is invalid');
    expect(error(owner.metric(c, '{}', '[1]'))).toBe("model 'strict': metric c_total: only histogram metrics take buckets, and this family is a counter");
    expect(error(owner.metric(h, '{"op":"a"}', ''))).toBe(
      "model 'strict': metric h_ms{op=\"a\"}: a histogram metric needs buckets (a non-empty list of increasing numbers)",
    );
    expect(error(owner.metric(h, '{}', '[]'))).toContain('buckets must be a non-empty list of increasing numbers');
    expect(error(owner.metric(h, '{}', '[1, 1]'))).toContain('buckets must increase: 1 follows 1');
    expect(error(owner.metric(h, '{}', '[1, null]'))).toContain('buckets must be finite numbers, got null');
    expect(error(owner.metric(h, '{"le":"1"}', '[1]'))).toContain("label name 'le' is reserved in a histogram");
    ok(owner.metric(h, '{}', '[1, 2]'));
    expect(error(new CustomMetrics().owner('x').metric(7, '{}', ''))).toBe("model 'x': no metric family with id 7");
  });

  it('refuses the same histogram series with other buckets', () => {
    const metrics = new CustomMetrics();
    const a = metrics.owner('a');
    ok(a.metric(ok(a.family('h_ms', '', 'histogram')), '{}', '[1, 2]'));
    const b = metrics.owner('b');
    expect(failed(b.metric(ok(b.family('h_ms', '', 'histogram')), '{}', '[1, 3]')).message).toBe(
      "model 'b': metric h_ms already exists with buckets [1, 2], not [1, 3]",
    );
  });

  it('refuses a negative counter increment (INVALID_ARG) and the operations a kind lacks (UNSUPPORTED), changing nothing', () => {
    const owner = new CustomMetrics().owner('ops');
    const c = counter(owner, 'c_total');
    ok(owner.update(c, 'increment', 4));
    expect(failed(owner.update(c, 'increment', -1))).toEqual({ code: 'INVALID_ARG', message: "model 'ops': metric c_total: a counter only goes up; increment by -1 refused" });
    expect(failed(owner.update(c, 'set', 1))).toEqual({ code: 'UNSUPPORTED', message: "model 'ops': metric c_total: a counter does not support set() (it supports increment(), value())" });
    expect(failed(owner.update(c, 'observe', 1)).code).toBe('UNSUPPORTED');
    expect(failed(owner.update(c, 'increment', Number.NaN))).toEqual({ code: 'INVALID_ARG', message: "model 'ops': metric c_total: increment expects a finite number, got NaN" });
    expect(ok(owner.update(c, 'value', 0))).toBe(4);
    const h = ok(owner.metric(ok(owner.family('h_ms', '', 'histogram')), '{}', '[1]'));
    expect(failed(owner.update(h, 'value', 0))).toEqual({ code: 'UNSUPPORTED', message: "model 'ops': metric h_ms: a histogram does not support value() (it supports observe())" });
    expect(failed(owner.update(h, 'increment', 1)).code).toBe('UNSUPPORTED');
    const g = ok(owner.metric(ok(owner.family('g', '', 'gauge')), '{}', ''));
    expect(failed(owner.update(g, 'observe', 1)).code).toBe('UNSUPPORTED');
  });

  it('drops a series and a family once every owner that held them is released, and answers a released owner UNAVAILABLE', () => {
    const metrics = new CustomMetrics();
    const a = metrics.owner('m');
    const b = metrics.owner('m');
    const only = metrics.owner('other');
    const shared = counter(a, 'shared_total');
    counter(b, 'shared_total');
    counter(only, 'solo_total');
    ok(a.update(shared, 'increment', 1));
    a.release();
    a.release(); // idempotent: b's hold stays
    expect(metrics.snapshot().map((f) => [f.name, f.series.length])).toEqual([
      ['shared_total', 1],
      ['solo_total', 1],
    ]);
    expect(failed(a.update(shared, 'increment', 1))).toEqual({ code: 'UNAVAILABLE', message: "model 'm': its instance is unloaded; custom metrics are no longer available" });
    b.release();
    expect(metrics.snapshot().map((f) => f.name)).toEqual(['solo_total']);
    // The name is free again, even for another kind.
    expect(ok(metrics.owner('new').family('shared_total', '', 'gauge'))).toBe(0);
    only.release();
    expect(metrics.snapshot().map((f) => f.name)).toEqual(['shared_total']);
  });

  it('drops a series nobody holds while its family stays for the series another owner holds', () => {
    const metrics = new CustomMetrics();
    const first = metrics.owner('first');
    const second = metrics.owner('second');
    counter(first, 'requests_total', { model: 'first' });
    counter(second, 'requests_total', { model: 'second' });
    first.release();
    expect(metrics.snapshot()).toEqual([
      { name: 'requests_total', help: 'help of requests_total', kind: 'counter', series: [{ labels: { model: 'second' }, value: 0 }] },
    ]);
  });
});
