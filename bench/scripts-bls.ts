/**
 * BLS overhead: the ONNX `simple` model called directly vs through
 * `add_sub_bls` (a model.ts that forwards each request to `simple`), in
 * process (`server.infer()`) and over HTTP with binary tensors (`nereid serve`
 * in its own process), at each concurrency. Both arms of a pair alternate
 * (paired-loop.ts), so drift on a shared machine hits both alike.
 */
import { encodeInferRequest } from '../sdk/codec/http-infer-request.ts';
import { concatChunks } from '../sdk/codec/http-message.ts';
import type { InferRequest } from '../sdk/inference.ts';
import { Tensor } from '../sdk/tensor.ts';
import type { Server } from '../runtime/server/create-server.ts';
import { freePort, startChild, stopChild } from './child-process.ts';
import { KeepAliveClient } from './http-client.ts';
import { InnerCallTimer } from './inner-calls.ts';
import { interleavedPairs, pairedLoops, type Arm } from './paired-loop.ts';
import type { Report } from './scripts-report.ts';
import { summarize, type RunStats } from './stats.ts';

const DIRECT = 'simple';
const BLS = 'add_sub_bls';

function addSubRequest(model: string): InferRequest {
  return {
    model,
    inputs: [
      new Tensor('INPUT0', 'INT32', [1, 16], Int32Array.from({ length: 16 }, (_, i) => i)),
      new Tensor('INPUT1', 'INT32', [1, 16], new Int32Array(16).fill(1)),
    ],
  };
}

/** The two arms answer alike (add_sub_bls is `simple` behind BLS): check once before timing either. */
export async function checkAddSubBls(server: Server): Promise<void> {
  const [direct, bls] = await Promise.all([server.infer(addSubRequest(DIRECT)), server.infer(addSubRequest(BLS))]);
  const same = direct.outputs.every((o, i) => String(o.data) === String(bls.outputs[i]?.data));
  if (!same) throw new Error(`${BLS} and ${DIRECT} disagree`);
}

/**
 * Measures one pair and records both rows and the figures. At concurrency 1
 * the arms alternate call by call and the target figure is the median of the
 * pairs' differences; above it they alternate in rounds (paired-loop.ts).
 */
async function measurePair(report: Report, section: string, concurrency: number, direct: Arm, bls: Arm, durationMs: number, timer?: InnerCallTimer): Promise<void> {
  let added: number | undefined;
  let stats: Map<string, RunStats>;
  if (concurrency === 1) {
    const tracked: Arm = timer ? { ...bls, call: (p) => timer.track(() => bls.call(p)) } : bls;
    const pairs = await interleavedPairs(direct, tracked, { durationMs, onMeasureStart: () => timer?.reset() });
    stats = new Map([[direct.name, pairs.a], [bls.name, pairs.b]]);
    added = pairs.medianDifference;
  } else {
    stats = await pairedLoops([direct, bls], { concurrency, durationMs });
  }
  const d = report.row(section, direct.name, concurrency, stats.get(direct.name)!);
  const b = report.row(section, bls.name, concurrency, stats.get(bls.name)!);
  if (added !== undefined) report.figure({ section, name: `BLS added, c=${concurrency} (median pair diff)`, value: added, unit: 'µs', target: 50 });
  if (timer && concurrency === 1) {
    const own = summarize(timer.ownTimes, 1);
    report.figure({ section, name: `script layer own time, c=1, p50`, value: own.p50, unit: 'µs', note: `outer latency - time in the ${timer.innerCalls} inner server.infer() call` });
  }
  report.figure({ section, name: `BLS added p50, c=${concurrency}`, value: b.p50 - d.p50, unit: 'µs' });
  report.figure({ section, name: `BLS added p99, c=${concurrency}`, value: b.p99 - d.p99, unit: 'µs' });
  report.figure({ section, name: `BLS throughput / direct, c=${concurrency}`, value: b.throughput / d.throughput, unit: 'x' });
}

export async function benchBlsInProcess(report: Report, server: Server, concurrencies: readonly number[], durationMs: number): Promise<void> {
  const section = 'bls-infer';
  report.print(`\n[${section}] ${DIRECT} vs ${BLS} through server.infer()\n`);
  await checkAddSubBls(server);
  const timer = new InnerCallTimer(server, DIRECT);
  try {
    for (const concurrency of concurrencies) {
      const arm = (model: string): Arm => ({ name: `${model} infer()`, call: () => server.infer(addSubRequest(model)) });
      await measurePair(report, section, concurrency, arm(DIRECT), arm(BLS), durationMs, timer);
    }
  } finally {
    timer.restore();
  }
}

export async function benchBlsHttp(report: Report, repository: string, cli: string, concurrencies: readonly number[], durationMs: number): Promise<void> {
  const section = 'bls-http';
  report.print(`\n[${section}] ${DIRECT} vs ${BLS} over HTTP, binary tensors, nereid serve in its own process\n`);
  const port = await freePort();
  const args = ['serve', '--model-repository', repository, '--http-port', String(port), '--http-address', '127.0.0.1', '--grpc-port', '0', '--metrics-port', '0'];
  const child = await startChild(cli, [...args, '--model-control-mode', 'explicit', '--load-model', DIRECT, '--load-model', BLS], /HTTP service listening/);
  try {
    const bodies = new Map([DIRECT, BLS].map((model) => {
      const encoded = encodeInferRequest(addSubRequest(model), { binary: true });
      const headers: Record<string, string | number> = { 'content-type': encoded.contentType };
      if (encoded.headerLength !== undefined) headers['inference-header-content-length'] = encoded.headerLength;
      return [model, { body: concatChunks(encoded.chunks, encoded.byteLength), headers }];
    }));
    for (const concurrency of concurrencies) {
      const client = new KeepAliveClient(port, concurrency);
      const post = async (model: string): Promise<void> => {
        const { body, headers } = bodies.get(model)!;
        const result = await client.send('POST', `/v2/models/${model}/infer`, body, headers);
        if (result.status !== 200) throw new Error(`HTTP ${result.status} from ${model}: ${result.body.toString()}`);
      };
      const arm = (model: string): Arm => ({ name: `${model} http-bin`, call: () => post(model) });
      await measurePair(report, section, concurrency, arm(DIRECT), arm(BLS), durationMs);
      client.close();
    }
  } finally {
    await stopChild(child);
  }
}
