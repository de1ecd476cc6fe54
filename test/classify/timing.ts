/**
 * In-process timings of mlp_classifier against calling `mlp` directly, through
 * the same `server.infer()`. Not a test (no thresholds: this VM's timings
 * drift); run it by hand:
 *
 *   node --no-node-snapshot --import tsx test/classify/timing.ts
 *
 * Arms alternate in rounds so drift hits them alike. "mlp + client prep" is
 * the fair baseline: the direct caller does the same preprocessing in JS.
 */
import { performance } from 'node:perf_hooks';
import { createServer } from '../../runtime/server/create-server.ts';
import { createLogger } from '../../runtime/logging/logger.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { createTempRepository, removeTempRepository } from '../support/onnx-fixtures.ts';
import { writeScriptModel } from '../script/support.ts';
import { BUNDLED, copyBundledModels, MODEL, referenceRow, signal } from './support.ts';

/** The floor for any script in front of mlp: forwards prepared rows unread, returns mlp's outputs. No pre- or post-processing. */
const FORWARD = `
import { InferenceRequest, InferenceResponse, type Model } from 'nereid/model';
export default class Forward implements Model {
  async execute(requests: InferenceRequest[]): Promise<InferenceResponse[]> {
    return Promise.all(requests.map(async (request) => {
      const response = await new InferenceRequest({ model: 'mlp', inputs: [request.requireInput('INPUT0').rename('input')] }).exec();
      return new InferenceResponse({ outputs: response.outputs.map((t) => t.rename('OUTPUT0')), error: response.error });
    }));
  }
}`;

const ROUNDS = 6;
const PER_ROUND = 400;
const CONCURRENCY = 16;

type Call = () => Promise<unknown>;

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `p50 ${at(0.5).toFixed(0).padStart(5)} µs   p95 ${at(0.95).toFixed(0).padStart(5)} µs`;
}

async function sequential(arms: Record<string, Call>): Promise<void> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(arms).map((name) => [name, []]));
  for (const call of Object.values(arms)) for (let i = 0; i < 200; i++) await call();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, call] of Object.entries(arms)) {
      for (let i = 0; i < PER_ROUND; i++) {
        const start = performance.now();
        await call();
        samples[name]!.push((performance.now() - start) * 1000);
      }
    }
  }
  for (const [name, values] of Object.entries(samples)) console.log(`  ${name.padEnd(34)} ${summary(values)}`);
}

async function throughput(arms: Record<string, Call>): Promise<void> {
  for (const [name, call] of Object.entries(arms)) {
    const total = ROUNDS * PER_ROUND;
    let next = 0;
    const start = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < total) await call();
    }));
    const seconds = (performance.now() - start) / 1000;
    console.log(`  ${name.padEnd(34)} ${(total / seconds).toFixed(0).padStart(6)} req/s`);
  }
}

const repo = await createTempRepository('nereid-classify-timing-');
await copyBundledModels(repo);
await writeScriptModel(repo, 'forward', {
  source: FORWARD,
  config: 'name: "forward"\nbackend: "typescript"\nmax_batch_size: 8\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 64 ] } ]\noutput [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 10 ] } ]',
});
const server = await createServer({ modelRepository: repo, log: createLogger({ write: () => {} }) });
try {
  const row64 = signal(64, 1);
  const row1000 = signal(1000, 2);
  const rows8 = Array.from({ length: 8 }, (_, i) => signal(64, 10 + i));
  const prepared = (rows: number[][]) => Float32Array.from(rows.flatMap((row) => referenceRow(row, BUNDLED)));
  const pre1 = prepared([row64]);
  const pre8 = prepared(rows8);
  // Fresh tensors per call: the server owns (and may transfer) what it is given.
  const mlp = (data: Float32Array, rows: number) => () => server.infer({ model: 'mlp', inputs: [new Tensor('input', 'FP32', [rows, 64], data.slice())] });
  const clientPrep = (rows: number[][]) => () => server.infer({ model: 'mlp', inputs: [new Tensor('input', 'FP32', [rows.length, 64], prepared(rows))] });
  const features = (rows: number[][]) => {
    const data = Float32Array.from(rows.flat());
    return () => server.infer({ model: MODEL, inputs: [new Tensor('features', 'FP32', [rows.length, rows[0]!.length], data.slice())] });
  };
  const forward = (data: Float32Array, rows: number) => () => server.infer({ model: 'forward', inputs: [new Tensor('INPUT0', 'FP32', [rows, 64], data.slice())] });
  // The strings are written once: formatting numbers is the client's cost, not the server's.
  const text = (rows: number[][]) => {
    const strings = rows.map((row) => row.join(', '));
    return () => server.infer({ model: MODEL, inputs: [Tensor.fromStrings('text', [rows.length, 1], strings)] });
  };

  console.log('one request at a time, 1 row:');
  await sequential({
    'mlp direct (prepared [1,64])': mlp(pre1, 1),
    'mlp + client prep in JS': clientPrep([row64]),
    'forward script (prepared [1,64])': forward(pre1, 1),
    'mlp_classifier features [1,64]': features([row64]),
    'mlp_classifier text (64 numbers)': text([row64]),
    'mlp_classifier features [1,1000]': features([row1000]),
  });
  console.log('one request at a time, 8 rows:');
  await sequential({
    'mlp direct (prepared [8,64])': mlp(pre8, 8),
    'forward script (prepared [8,64])': forward(pre8, 8),
    'mlp_classifier features [8,64]': features(rows8),
    'mlp_classifier text [8,1]': text(rows8),
  });
  console.log(`${CONCURRENCY} requests in flight, 1 row each:`);
  await throughput({
    'mlp direct (prepared [1,64])': mlp(pre1, 1),
    'forward script (prepared [1,64])': forward(pre1, 1),
    'mlp_classifier features [1,64]': features([row64]),
    'mlp_classifier text (64 numbers)': text([row64]),
  });
} finally {
  await server.close();
  await removeTempRepository(repo);
  // Isolates need a moment after disposal before the process exits (docs/design/script-backend.md).
  await new Promise((resolve) => setTimeout(resolve, 200));
}
