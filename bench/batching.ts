/**
 * `npm run bench:batching` (and the third part of `npm run bench`): what the
 * dynamic batcher buys, each arm against the same model without it, in one
 * server (server.infer()), the arms alternating in rounds (paired-loop.ts).
 *
 * Models (built here, real ONNX sessions, one intra-op thread per instance):
 *   small  FP32 [batch, 16] through 100 MatMul+Tanh layers of width 16: each
 *          run is ~100 tiny kernels, so its cost is per call, barely per row
 *   heavy  FP32 [batch, 512] through 48 layers of width 512: ~12.6 M
 *          multiply-adds per row, so its cost is per row
 * For each: `direct` (Triton's default scheduler: no dynamic_batching) vs
 * `batched` (dynamic_batching {}) at concurrency 1, 16 and 64; and for heavy,
 * 2 instances vs 1 at concurrency 16, without and with batching.
 *
 * Targets (issue 4): small >= 3x throughput at c >= 16 at equal or better p95
 * (p95 and p99 ratios are reported); heavy >= 0.95x; < 5% added p50 at c=1;
 * 2 instances >= 1.6x one.
 *
 * Environment: BENCH_DURATION_MS (default 3000) per arm per case.
 * Results are printed and written to .bench-results/batching.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../runtime/logging/logger.ts';
import { createServer, type Server } from '../runtime/server/create-server.ts';
import { renderConfig } from '../scripts/onnx/config-pbtxt.ts';
import { slowModel } from '../scripts/onnx/reference-models.ts';
import type { InferRequest } from '../sdk/inference.ts';
import { Tensor } from '../sdk/tensor.ts';
import { createTempRepository, removeTempRepository, writeModel } from '../test/support/onnx-fixtures.ts';
import { pairedLoops, type Arm } from './paired-loop.ts';
import { Report } from './scripts-report.ts';
import type { RunStats } from './stats.ts';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
const root = fileURLToPath(new URL('..', import.meta.url));
const concurrencies = [1, 16, 64] as const;
const ONE_THREAD = 'parameters { key: "intra_op_thread_count" value: { string_value: "1" } }';

interface Workload {
  readonly name: 'small' | 'heavy';
  readonly width: number;
  readonly layers: number;
}
const WORKLOADS: readonly Workload[] = [
  { name: 'small', width: 16, layers: 100 },
  { name: 'heavy', width: 512, layers: 48 },
];

async function writeRepository(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const workload of WORKLOADS) {
    const model = slowModel({ layers: workload.layers, width: workload.width });
    const variants: [string, string, number][] = [
      [`${workload.name}_direct`, '', 1],
      [`${workload.name}_batched`, 'dynamic_batching { }', 1],
    ];
    if (workload.name === 'heavy') variants.push([`${workload.name}_direct_x2`, '', 2], [`${workload.name}_batched_x2`, 'dynamic_batching { }', 2]);
    for (const [name, scheduling, count] of variants) {
      const config = renderConfig({ name, model, maxBatchSize: 64, instanceGroup: { count, kind: 'KIND_CPU' }, extra: `${scheduling}\n${ONE_THREAD}` });
      await writeModel(dir, name, { onnx: model.onnx, config });
      names.push(name);
    }
  }
  return names;
}

function request(model: string, width: number): InferRequest {
  return { model, inputs: [new Tensor('INPUT0', 'FP32', [1, width], new Float32Array(width).fill(0.5))] };
}

function arm(server: Server, model: string, width: number): Arm {
  return { name: model, call: () => server.infer(request(model, width)) };
}

async function measure(report: Report, section: string, arms: readonly Arm[], concurrency: number): Promise<Map<string, RunStats>> {
  const stats = await pairedLoops(arms, { concurrency, durationMs });
  for (const a of arms) report.row(section, a.name, concurrency, stats.get(a.name)!);
  return stats;
}

async function main(): Promise<void> {
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(`nereid dynamic batching benchmark, ${durationMs} ms per arm per case (arms alternate)\n`);
  process.stdout.write(`node ${process.version}, ${availableParallelism()} CPUs, load average ${load()}\n`);
  const report = new Report();
  const dir = await createTempRepository('nereid-bench-batching-');
  const models = await writeRepository(dir);
  // Strict: auto-complete would give the `direct` models a dynamic batcher too.
  const server = await createServer({ modelRepository: dir, modelControlMode: 'explicit', loadModels: models, strictModelConfig: true, log: createLogger({ quiet: true }) });
  try {
    for (const workload of WORKLOADS) {
      const section = `batching-${workload.name}`;
      report.print(`\n[${section}] ${workload.layers} layers of width ${workload.width}: no batching vs dynamic_batching {}\n`);
      for (const concurrency of concurrencies) {
        const direct = arm(server, `${workload.name}_direct`, workload.width);
        const batched = arm(server, `${workload.name}_batched`, workload.width);
        const stats = await measure(report, section, [direct, batched], concurrency);
        const d = stats.get(direct.name)!;
        const b = stats.get(batched.name)!;
        report.figure({ section, name: `throughput batched / direct, c=${concurrency}`, value: b.throughput / d.throughput, unit: 'x' });
        report.figure({ section, name: `p95 batched / direct, c=${concurrency}`, value: b.p95 / d.p95, unit: 'x' });
        report.figure({ section, name: `p99 batched / direct, c=${concurrency}`, value: b.p99 / d.p99, unit: 'x' });
        if (concurrency === 1) report.figure({ section, name: 'p50 added by the batcher, c=1', value: (b.p50 / d.p50 - 1) * 100, unit: '%', target: 5 });
      }
      if (workload.name === 'heavy') {
        for (const scheduling of ['direct', 'batched']) {
          const one = arm(server, `heavy_${scheduling}`, workload.width);
          const two = arm(server, `heavy_${scheduling}_x2`, workload.width);
          const stats = await measure(report, section, [one, two], 16);
          const ratio = stats.get(two.name)!.throughput / stats.get(one.name)!.throughput;
          report.figure({ section, name: `2 instances / 1 instance, ${scheduling}, c=16`, value: ratio, unit: 'x' });
        }
      }
    }
  } finally {
    await server.close();
    await removeTempRepository(dir);
  }
  process.stdout.write(`\nload average at the end: ${load()}\n`);
  await mkdir(`${root}.bench-results`, { recursive: true });
  await writeFile(`${root}.bench-results/batching.json`, JSON.stringify({ durationMs, rows: report.rows, figures: report.figures }, null, 2));
}

await main();
