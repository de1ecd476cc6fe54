/**
 * Streaming latency of the decoupled `generate` model: time to first token
 * and mean interval between tokens, over gRPC ModelStreamInfer and over HTTP
 * server-sent events (`POST /v2/models/generate/generate_stream`), one
 * generation at a time, the two arms alternating (ab, ba, ...) against the
 * same `nereid serve` process.
 */
import { Agent, request } from 'node:http';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { GrpcBenchClient, StreamReply } from './grpc-client.ts';
import type { Report } from './scripts-report.ts';
import { summarize } from './stats.ts';

const MODEL = 'generate';
const PROMPT = [1, 2, 3, 4];

/** When each token arrived, ms after the request was sent. */
type TokenTimes = number[];

export interface StreamBenchOptions {
  readonly tokens: number;
  readonly repetitions: number;
}

/** One generation over an open ModelStreamInfer stream, the final flag asked for so that its end is seen. */
function grpcGeneration(stream: ClientDuplexStream<unknown, StreamReply>, tokens: number, id: string): Promise<TokenTimes> {
  return new Promise((resolve, reject) => {
    const times: TokenTimes = [];
    const t0 = performance.now();
    const onData = (reply: StreamReply): void => {
      if (reply.error_message) return done(new Error(`ModelStreamInfer: ${reply.error_message}`));
      const response = reply.infer_response;
      if (response?.raw_output_contents?.length) times.push(performance.now() - t0);
      if (response?.parameters?.triton_final_response?.bool_param) done();
    };
    const onError = (error: Error): void => done(error);
    const done = (error?: Error): void => {
      stream.off('data', onData);
      stream.off('error', onError);
      if (error) reject(error);
      else resolve(times);
    };
    stream.on('data', onData);
    stream.on('error', onError);
    stream.write({
      model_name: MODEL,
      id,
      inputs: [{ name: 'input_ids', datatype: 'INT64', shape: [PROMPT.length] }],
      raw_input_contents: [Buffer.from(BigInt64Array.from(PROMPT.map(BigInt)).buffer)],
      parameters: {
        max_tokens: { int64_param: tokens },
        end_id: { int64_param: -1 },
        triton_enable_empty_final_response: { bool_param: true },
      },
    });
  });
}

/** One generation over SSE: each `data:` event with `output_ids` is a token. */
function sseGeneration(port: number, agent: Agent, tokens: number): Promise<TokenTimes> {
  const body = Buffer.from(JSON.stringify({ input_ids: PROMPT, parameters: { max_tokens: tokens, end_id: -1 } }));
  return new Promise((resolve, reject) => {
    const times: TokenTimes = [];
    const t0 = performance.now();
    const sent = request(
      { host: '127.0.0.1', port, agent, method: 'POST', path: `/v2/models/${MODEL}/generate_stream`, headers: { 'content-type': 'application/json', 'content-length': body.byteLength } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`generate_stream answered HTTP ${res.statusCode}`));
          return;
        }
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const now = performance.now() - t0;
          pending += chunk;
          let end: number;
          while ((end = pending.indexOf('\n\n')) >= 0) {
            const event = pending.slice(0, end);
            pending = pending.slice(end + 2);
            if (!event.startsWith('data: ')) continue;
            const message = JSON.parse(event.slice(6)) as { error?: string; output_ids?: unknown };
            if (message.error) reject(new Error(`generate_stream: ${message.error}`));
            else if (message.output_ids !== undefined) times.push(now);
          }
        });
        res.on('end', () => resolve(times));
        res.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

/** Rejects when `work` takes longer than `ms`: a stream that never ends fails the bench instead of hanging it. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no end of stream within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Time to first token (µs) and mean interval between the following tokens (µs). */
function firstAndInterval(times: TokenTimes, tokens: number, arm: string): { first: number; interval: number } {
  if (times.length !== tokens) throw new Error(`${arm}: expected ${tokens} tokens, got ${times.length}`);
  return { first: times[0]! * 1000, interval: ((times[times.length - 1]! - times[0]!) * 1000) / (times.length - 1) };
}

export async function benchStreaming(report: Report, grpc: GrpcBenchClient, httpPort: number, options: StreamBenchOptions): Promise<void> {
  const section = 'stream';
  const { tokens, repetitions } = options;
  report.print(`\n[${section}] ${MODEL}: ${tokens} tokens (max_tokens ${tokens}, end_id -1), gRPC ModelStreamInfer vs HTTP SSE, one at a time, ${repetitions} alternating repetitions\n`);
  const stream = grpc.stream();
  stream.on('error', () => {});
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const arms = {
    grpc: (i: number) => within(grpcGeneration(stream, tokens, `g${i}`), 30_000, 'gRPC ModelStreamInfer'),
    sse: (_i: number) => within(sseGeneration(httpPort, agent, tokens), 30_000, 'generate_stream'),
  };
  const results = { grpc: { first: [] as number[], interval: [] as number[] }, sse: { first: [] as number[], interval: [] as number[] } };
  try {
    for (let i = 0; i < 5; i++) {
      firstAndInterval(await arms.grpc(i), tokens, 'gRPC warm-up');
      firstAndInterval(await arms.sse(i), tokens, 'SSE warm-up');
    }
    for (let i = 0; i < repetitions; i++) {
      const order: (keyof typeof arms)[] = i % 2 === 0 ? ['grpc', 'sse'] : ['sse', 'grpc'];
      for (const name of order) {
        const { first, interval } = firstAndInterval(await arms[name](i), tokens, name);
        results[name].first.push(first);
        results[name].interval.push(interval);
      }
    }
  } finally {
    stream.end();
    agent.destroy();
  }
  const p50 = (xs: number[]): number => summarize(xs, 1).p50;
  const p99 = (xs: number[]): number => summarize(xs, 1).p99;
  for (const [name, label] of [['grpc', 'gRPC stream'], ['sse', 'HTTP SSE']] as const) {
    const r = results[name];
    report.figure({ section, name: `${label}: time to first token, p50`, value: p50(r.first), unit: 'µs', note: `p99 ${p99(r.first).toFixed(0)} µs` });
    report.figure({ section, name: `${label}: per-token interval, p50`, value: p50(r.interval), unit: 'µs', note: `p99 ${p99(r.interval).toFixed(0)} µs` });
  }
  report.figure({ section, name: 'gRPC / SSE time to first token (p50)', value: p50(results.grpc.first) / p50(results.sse.first), unit: 'x' });
  report.figure({ section, name: 'gRPC / SSE per-token interval (p50)', value: p50(results.grpc.interval) / p50(results.sse.interval), unit: 'x' });
}
