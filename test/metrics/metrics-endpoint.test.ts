/**
 * The Prometheus endpoint of a real server, scraped over a real socket while
 * real inferences run: Triton's per-model series with their labels (and
 * `metric_tags`), values that move with traffic and agree with the
 * statistics extension, failures by reason, the pending gauge, the process
 * gauges, the custom metrics model.ts registers (and the errors it gets), and
 * what an unload removes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../sdk/tensor.ts';
import { createMetricsListener, type MetricsListener } from '../../runtime/metrics/metrics-listener.ts';
import { createServer } from '../../runtime/server/create-server.ts';
import { memoryLogger } from '../server/support.ts';
import { startE2e, type E2eServer } from '../e2e/support/e2e-server.ts';
import { inferOverHttp } from '../http/support/http-harness.ts';
import { fp32Config, writeScriptModel } from '../script/support.ts';
import { addSubModel, createTempRepository, removeTempRepository, writeFixture } from '../support/onnx-fixtures.ts';
import { scrape } from './support.ts';

/** Two instances registering the same three metrics; each answers with the shared request count. */
const CUSTOM = `
import { InferenceResponse, MetricFamily, Tensor, type InferenceRequest, type Metric } from 'nereid/model';

export default class Custom {
  #requests!: Metric;
  #batch!: Metric;
  #sizes!: Metric;
  initialize() {
    this.#requests = new MetricFamily({ name: 'custom_requests_total', description: 'Requests the custom model answered', kind: 'counter' })
      .metric({ labels: { version: '1', model: 'custom' } });
    this.#batch = new MetricFamily({ name: 'custom_last_batch', description: 'Requests in the last execute', kind: MetricFamily.GAUGE }).metric();
    this.#sizes = new MetricFamily({ name: 'custom_input_elements', description: 'Elements per request', kind: 'histogram' })
      .metric({ labels: { input: 'INPUT0' }, buckets: [1, 4, 16] });
  }
  execute(requests: InferenceRequest[]) {
    this.#requests.increment(requests.length);
    this.#batch.set(requests.length);
    return requests.map((request) => {
      this.#sizes.observe(request.requireInput('INPUT0').shape[1]);
      return new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', [1, 1], new Float32Array([this.#requests.value()]))] });
    });
  }
}
`;

/** Runs the misuse named by the request parameter \`case\`; the refusal escapes execute. */
const MISUSE = `
import { InferenceResponse, MetricFamily, type InferenceRequest } from 'nereid/model';

const CASES: Record<string, () => unknown> = {
  bad_name: () => new MetricFamily({ name: 'bad-name', description: '', kind: 'counter' }),
  kind_mismatch: () => new MetricFamily({ name: 'custom_requests_total', description: '', kind: 'gauge' }),
  no_buckets: () => new MetricFamily({ name: 'misuse_ms', description: '', kind: 'histogram' }).metric({ labels: { op: 'x' } }),
  negative: () => new MetricFamily({ name: 'misuse_total', description: '', kind: 'counter' }).metric().increment(-2),
  set_counter: () => new MetricFamily({ name: 'misuse_total', description: '', kind: 'counter' }).metric().set(1),
};

export function execute(requests: InferenceRequest[]) {
  for (const request of requests) CASES[String(request.parameters.case)]!();
  return requests.map(() => new InferenceResponse({ outputs: [] }));
}
`;

const SLEEPY = `
import { InferenceResponse, Tensor, type InferenceRequest } from 'nereid/model';
export async function execute(requests: InferenceRequest[]) {
  await new Promise((resolve) => setTimeout(resolve, 250));
  return requests.map(() => new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', [1, 1], new Float32Array([0]))] }));
}
`;

const FAILING = `
import { InferenceResponse, NereidError, type InferenceRequest } from 'nereid/model';
export function execute(requests: InferenceRequest[]) {
  return requests.map(() => new InferenceResponse({ error: NereidError.invalidArg('no') }));
}
`;

let repo: string;
let e2e: E2eServer;
let metrics: MetricsListener;
let port: number;

beforeAll(async () => {
  repo = await createTempRepository();
  await writeFixture(repo, 'adder', addSubModel('FP32', { batch: true, dims: [4] }), { maxBatchSize: 8, extra: 'metric_tags { key: "team" value: "search" }' });
  await writeScriptModel(repo, 'custom', { source: CUSTOM, config: fp32Config('custom').replace('count: 1', 'count: 2') });
  await writeScriptModel(repo, 'misuse', { source: MISUSE });
  await writeScriptModel(repo, 'sleepy', { source: SLEEPY });
  await writeScriptModel(repo, 'failing', { source: FAILING });
  e2e = await startE2e({ modelRepository: repo, modelControlMode: 'explicit', loadModels: ['*'] });
  metrics = createMetricsListener(e2e.server, { port: 0, host: '127.0.0.1' });
  port = (await metrics.listen()).port;
});
afterAll(async () => {
  await metrics?.close();
  await e2e?.close();
  await removeTempRepository(repo);
});

function adderInputs(rows: number): Tensor[] {
  const values = Float32Array.from({ length: rows * 4 }, (_, i) => i);
  return [new Tensor('INPUT0', 'FP32', [rows, 4], values), new Tensor('INPUT1', 'FP32', [rows, 4], values.slice())];
}

function fp32(elements: number): Tensor[] {
  return [new Tensor('INPUT0', 'FP32', [1, elements], new Float32Array(elements))];
}

const ADDER = '_team="search",model="adder",version="1"';

describe('GET /metrics: Triton\'s per-model series', () => {
  it('lists every loaded model version at zero, with model, version and metric_tags labels', async () => {
    const first = await scrape(port);
    expect(first.text).toContain('# TYPE nv_inference_request_success counter');
    expect(first.text).toContain('# TYPE nv_inference_pending_request_count gauge');
    expect(first.seriesOf('nv_inference_request_success')).toEqual([
      `nv_inference_request_success{${ADDER}}`,
      'nv_inference_request_success{model="custom",version="1"}',
      'nv_inference_request_success{model="failing",version="1"}',
      'nv_inference_request_success{model="misuse",version="1"}',
      'nv_inference_request_success{model="sleepy",version="1"}',
    ]);
    for (const name of ['nv_inference_count', 'nv_inference_exec_count', 'nv_inference_request_duration_us', 'nv_inference_queue_duration_us', 'nv_inference_compute_input_duration_us', 'nv_inference_compute_infer_duration_us', 'nv_inference_compute_output_duration_us', 'nv_inference_pending_request_count']) {
      expect(first.value(`${name}{${ADDER}}`), name).toBe(0);
    }
    expect(first.seriesOf('nv_inference_request_failure').filter((s) => s.includes('model="adder"'))).toEqual(
      ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER'].map((reason) => `nv_inference_request_failure{_team="search",model="adder",reason="${reason}",version="1"}`),
    );
  });

  it('moves with traffic, in the statistics extension\'s numbers (durations in µs)', async () => {
    for (const rows of [1, 3]) {
      const outcome = await inferOverHttp(e2e.port, { model: 'adder', inputs: adderInputs(rows) }, { binary: true });
      expect(outcome.ok).toBe(true);
    }
    const now = await scrape(port);
    const stats = e2e.server.modelStatistics('adder').model_stats[0]!.inference_stats;
    expect(now.value(`nv_inference_request_success{${ADDER}}`)).toBe(2);
    expect(now.value(`nv_inference_count{${ADDER}}`)).toBe(4);
    expect(now.value(`nv_inference_exec_count{${ADDER}}`)).toBe(2);
    expect(now.value(`nv_inference_request_duration_us{${ADDER}}`)).toBe(Math.floor(stats.success.ns / 1000));
    expect(now.value(`nv_inference_queue_duration_us{${ADDER}}`)).toBe(Math.floor(stats.queue.ns / 1000));
    expect(now.value(`nv_inference_compute_input_duration_us{${ADDER}}`)).toBe(Math.floor(stats.compute_input.ns / 1000));
    expect(now.value(`nv_inference_compute_infer_duration_us{${ADDER}}`)).toBe(Math.floor(stats.compute_infer.ns / 1000));
    expect(now.value(`nv_inference_compute_output_duration_us{${ADDER}}`)).toBe(Math.floor(stats.compute_output.ns / 1000));
    expect(now.value(`nv_inference_request_duration_us{${ADDER}}`)).toBeGreaterThan(0);
  });

  it('counts failures by reason: OTHER for a request the server refused, BACKEND for one the model failed', async () => {
    const wrongShape = [new Tensor('INPUT0', 'FP32', [1, 5], new Float32Array(5)), new Tensor('INPUT1', 'FP32', [1, 5], new Float32Array(5))];
    expect((await inferOverHttp(e2e.port, { model: 'adder', inputs: wrongShape }, { binary: false })).ok).toBe(false);
    expect((await inferOverHttp(e2e.port, { model: 'failing', inputs: fp32(2) }, { binary: false })).ok).toBe(false);
    const now = await scrape(port);
    expect(now.value('nv_inference_request_failure{_team="search",model="adder",reason="OTHER",version="1"}')).toBe(1);
    expect(now.value('nv_inference_request_failure{_team="search",model="adder",reason="BACKEND",version="1"}')).toBe(0);
    expect(now.value('nv_inference_request_failure{model="failing",reason="BACKEND",version="1"}')).toBe(1);
    expect(now.value('nv_inference_request_success{model="failing",version="1"}')).toBe(0);
  });

  it('shows requests waiting on a busy instance in nv_inference_pending_request_count, and 0 once they are done', async () => {
    const series = 'nv_inference_pending_request_count{model="sleepy",version="1"}';
    const requests = [1, 2, 3].map(() => inferOverHttp(e2e.port, { model: 'sleepy', inputs: fp32(1) }, { binary: true }));
    let peak = 0;
    const deadline = Date.now() + 5000;
    while (peak < 2 && Date.now() < deadline) peak = Math.max(peak, (await scrape(port)).value(series) ?? 0);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect((await Promise.all(requests)).every((outcome) => outcome.ok)).toBe(true);
    expect((await scrape(port)).value(series)).toBe(0);
  });

  it('reports the process: Triton\'s CPU and memory gauges and the default process metrics', async () => {
    const now = await scrape(port);
    expect(now.value('nv_cpu_utilization')).toBeGreaterThanOrEqual(0);
    expect(now.value('nv_cpu_utilization')).toBeLessThanOrEqual(1);
    const total = now.value('nv_cpu_memory_total_bytes')!;
    expect(total).toBeGreaterThan(0);
    expect(now.value('nv_cpu_memory_used_bytes')).toBeGreaterThan(0);
    expect(now.value('nv_cpu_memory_used_bytes')).toBeLessThanOrEqual(total);
    expect(now.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(now.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('answers 404 for any other path and 405 for any other verb', async () => {
    const other = await fetch(`http://127.0.0.1:${port}/v2/health/live`);
    expect(other.status).toBe(404);
    expect(await other.text()).toBe('Not Found');
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${port}/metrics?name=x`)).status).toBe(200);
  });
});

describe('GET /metrics: custom metrics from model.ts', () => {
  it('serves the counter, gauge and histogram a model registered, shared by its two instances', async () => {
    for (const elements of [2, 3, 20]) {
      const outcome = await inferOverHttp(e2e.port, { model: 'custom', inputs: fp32(elements) }, { binary: false });
      if (!outcome.ok) throw new Error(outcome.error);
    }
    const answers = [];
    for (let i = 0; i < 2; i++) {
      const outcome = await inferOverHttp(e2e.port, { model: 'custom', inputs: fp32(1) }, { binary: false });
      if (!outcome.ok) throw new Error(outcome.error);
      answers.push((outcome.response.outputs[0]!.data as Float32Array)[0]);
    }
    // Whichever instance answered, it read the one shared counter.
    expect(answers).toEqual([4, 5]);
    const now = await scrape(port);
    expect(now.text).toContain('# HELP custom_requests_total Requests the custom model answered\n# TYPE custom_requests_total counter\n');
    expect(now.value('custom_requests_total{model="custom",version="1"}')).toBe(5);
    expect(now.text).toContain('# TYPE custom_last_batch gauge\ncustom_last_batch 1\n');
    expect(now.text).toContain('# TYPE custom_input_elements histogram\n');
    expect(now.value('custom_input_elements_bucket{input="INPUT0",le="1"}')).toBe(2);
    expect(now.value('custom_input_elements_bucket{input="INPUT0",le="4"}')).toBe(4);
    expect(now.value('custom_input_elements_bucket{input="INPUT0",le="16"}')).toBe(4);
    expect(now.value('custom_input_elements_bucket{input="INPUT0",le="+Inf"}')).toBe(5);
    expect(now.value('custom_input_elements_sum{input="INPUT0"}')).toBe(27);
    expect(now.value('custom_input_elements_count{input="INPUT0"}')).toBe(5);
  });

  it('fails a request whose model misuses the API, with the refusal\'s status and a message naming the model and metric', async () => {
    const misuse = async (name: string) => {
      const outcome = await inferOverHttp(e2e.port, { model: 'misuse', inputs: fp32(1), parameters: { case: name } }, { binary: false });
      if (outcome.ok) throw new Error(`case ${name} succeeded`);
      return [outcome.status, outcome.error];
    };
    expect(await misuse('bad_name')).toEqual([400, expect.stringContaining('model \'misuse\' instance \'misuse_0_0\': execute failed: metric family name "bad-name" is invalid')]);
    expect(await misuse('kind_mismatch')).toEqual([400, expect.stringContaining("model 'misuse' instance 'misuse_0_0': execute failed: metric family 'custom_requests_total' is already registered as a counter; it cannot be registered as a gauge")]);
    expect(await misuse('no_buckets')).toEqual([400, expect.stringContaining("model 'misuse' instance 'misuse_0_0': execute failed: metric misuse_ms{op=\"x\"}: a histogram metric needs buckets")]);
    expect(await misuse('negative')).toEqual([400, expect.stringContaining("model 'misuse' instance 'misuse_0_0': execute failed: metric misuse_total: a counter only goes up; increment by -2 refused")]);
    expect(await misuse('set_counter')).toEqual([501, expect.stringContaining("model 'misuse' instance 'misuse_0_0': execute failed: metric misuse_total: a counter does not support set()")]);
    // The refused increment changed nothing; the family the model did register is served at 0.
    expect((await scrape(port)).value('misuse_total')).toBe(0);
  });

  it('drops a model\'s series, and the custom metrics only it held, when it is unloaded', async () => {
    await e2e.server.unloadModel('custom');
    const now = await scrape(port);
    expect(now.seriesOf('nv_inference_request_success').some((s) => s.includes('model="custom"'))).toBe(false);
    expect(now.text).not.toContain('custom_requests_total');
    expect(now.text).not.toContain('custom_input_elements');
    expect(now.value(`nv_inference_request_success{${ADDER}}`)).toBe(2);
  });
});

describe('GET /metrics with no model loaded', () => {
  it('prints the per-model metrics without a single series (no unlabelled zeros), and the process gauges', async () => {
    const empty = await createServer({ modelRepository: repo, modelControlMode: 'explicit', log: memoryLogger() });
    const listener = createMetricsListener(empty, { port: 0, host: '127.0.0.1' });
    try {
      const now = await scrape((await listener.listen()).port);
      expect(now.text).toContain('# TYPE nv_inference_request_success counter\n');
      for (const name of ['nv_inference_request_success', 'nv_inference_request_failure', 'nv_inference_count', 'nv_inference_pending_request_count']) {
        expect(now.seriesOf(name), name).toEqual([]);
      }
      expect(now.value('nv_cpu_memory_total_bytes')).toBeGreaterThan(0);
    } finally {
      await listener.close();
      await empty.close();
    }
  });
});
