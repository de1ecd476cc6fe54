/**
 * Decoupled model.ts (`model_transaction_policy { decoupled: true }`): any
 * number of responses per request through the response sender, during and
 * after execute, errors in the stream, and the misuses a model can make.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Server } from '../../runtime/server/create-server.ts';
import type { InferRequest, InferStreamItem } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { startE2e } from '../e2e/support/e2e-server.ts';
import { errorOf } from '../support/rejection.ts';
import { useTempServer } from '../support/temp-server.ts';
import { fp32Config, writeScriptModel } from './support.ts';

const fixture = useTempServer();

const DECOUPLED = 'model_transaction_policy { decoupled: true }';

/**
 * Counts down from INPUT0: one response per number, 5 ms apart, sent after
 * execute has returned; `fail_at` sends an error response at that number
 * (the stream goes on); `misuse` tries a send after the final one.
 */
const COUNTDOWN = `
  import { InferenceResponse, NereidError, Tensor, log, type InferenceRequest } from 'nereid/model';
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  async function stream(request: InferenceRequest) {
    const sender = request.getResponseSender();
    const from = (request.requireInput('INPUT0').data as Float32Array)[0]!;
    const failAt = Number(request.parameters.fail_at ?? -1);
    for (let n = from; n > 0; n--) {
      await sleep(5);
      if (sender.isCancelled()) { log.info('stopped at ' + n); sender.send(undefined, { final: true }); return; }
      if (n === failAt) sender.send(new InferenceResponse({ error: new NereidError('INVALID_ARG', 'no ' + n + ' today') }));
      else sender.send(new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', [1, 1], Float32Array.of(n))] }));
    }
    sender.send(undefined, { final: true });
    if (request.parameters.misuse) {
      try { sender.send(new InferenceResponse({ outputs: [] })); } catch (error) { log.info('refused: ' + (error as Error).message); }
    }
  }
  export function execute(requests: InferenceRequest[]) {
    for (const request of requests) void stream(request);
  }`;

async function start(source = COUNTDOWN, name = 'countdown'): Promise<Server> {
  await writeScriptModel(fixture.repo, name, { source, config: fp32Config(name, DECOUPLED) });
  return fixture.start();
}

const countdown = (from: number, parameters: InferRequest['parameters'] = {}): InferRequest => ({
  model: 'countdown',
  id: `from-${from}`,
  inputs: [new Tensor('INPUT0', 'FP32', [1, 1], Float32Array.of(from))],
  parameters,
});

async function collect(stream: AsyncIterable<InferStreamItem>): Promise<(number | string)[]> {
  const seen: (number | string)[] = [];
  for await (const item of stream) {
    if (item.error) seen.push(`error: ${item.error.message}`);
    else if (item.response) seen.push((item.response.outputs[0]!.data as Float32Array)[0]!);
    if (item.final) seen.push('final');
  }
  return seen;
}

describe('decoupled model.ts', () => {
  it('streams every response as it is sent, after execute has returned, and ends with the final flag', async () => {
    const s = await start();
    expect(await collect(s.inferStream(countdown(4)))).toEqual([4, 3, 2, 1, 'final']);
    // Two requests at once (one execute or two): each stream gets its own responses.
    const [a, b] = await Promise.all([collect(s.inferStream(countdown(2))), collect(s.inferStream(countdown(3)))]);
    expect([a, b]).toEqual([[2, 1, 'final'], [3, 2, 1, 'final']]);
    // No response at all: just the final flag.
    expect(await collect(s.inferStream(countdown(0)))).toEqual(['final']);
  });

  it('carries an error response in the stream without ending it, and refuses a send after the final one', async () => {
    const s = await start();
    expect(await collect(s.inferStream(countdown(3, { fail_at: 2, misuse: true })))).toEqual([3, "error: no 2 today", 1, 'final']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fixture.log.lines.some((line) => line.includes('refused: the model') || line.includes('the response sender is closed'))).toBe(true);
  });

  it('refuses infer() on a decoupled model, pointing at the streaming APIs (request.stream() for a model.ts)', async () => {
    await writeScriptModel(fixture.repo, 'caller', {
      source: `
        import { InferenceRequest, InferenceResponse, type InferenceRequest as Request } from 'nereid/model';
        export async function execute(requests: Request[]) {
          const inner = await new InferenceRequest({ model: 'countdown', inputs: requests[0]!.inputs }).exec();
          return [new InferenceResponse({ error: inner.error })];
        }`,
    });
    const s = await start();
    const error = await errorOf(s.infer(countdown(1)));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toMatch(/model 'countdown' version 1 is decoupled .*generate_stream, gRPC ModelStreamInfer, or server.inferStream\(\)/);
    const fromScript = await errorOf(s.infer({ ...countdown(1), model: 'caller' }));
    expect(fromScript.message).toMatch(/model 'countdown' version 1 is decoupled .*in a model.ts, new InferenceRequest\(\{ model: 'countdown', ... \}\).stream\(\) instead of exec\(\)/);
  });

  it('cancels the request when the consumer stops reading, which the model sees', async () => {
    const s = await start();
    const seen: number[] = [];
    for await (const item of s.inferStream(countdown(1000))) {
      seen.push((item.response!.outputs[0]!.data as Float32Array)[0]!);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1000, 999, 998]);
    const deadline = Date.now() + 2000;
    while (!fixture.log.lines.some((line) => line.includes('stopped at')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fixture.log.lines.some((line) => line.includes('stopped at 997'))).toBe(true);
  });

  it('shares one caller signal among many streams with one listener, and cancels them all through it', async () => {
    const s = await start();
    // One signal for many requests, as a gRPC stream's: no listener per request, so no leak warning either.
    const shared = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const done = await Promise.all(Array.from({ length: 30 }, (_, i) => collect(s.inferStream({ ...countdown(2), id: `r${i}`, signal: shared.signal }))));
      expect(done.every((items) => items.join() === '2,1,final')).toBe(true);
      const running = Array.from({ length: 30 }, (_, i) => collect(s.inferStream({ ...countdown(1000), id: `long${i}`, signal: shared.signal })));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
      shared.abort();
      const ended = await Promise.all(running);
      expect(ended.every((items) => items.at(-1) === 'final' && items.length < 1000)).toBe(true);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((warning) => warning.message)).toEqual([]);
  });

  it('streams the one response of a model that is not decoupled', async () => {
    await writeScriptModel(fixture.repo, 'plain', {
      source: `import { InferenceResponse, type InferenceRequest } from 'nereid/model';
        export const execute = (requests: InferenceRequest[]) => requests.map((r) => new InferenceResponse({ outputs: [r.requireInput('INPUT0').rename('OUTPUT0')] }));`,
    });
    const server = await fixture.start();
    expect(await collect(server.inferStream({ ...countdown(7), model: 'plain' }))).toEqual([7, 'final']);
  });

  it('serves a model that is not decoupled answering through its response senders (one response and final, as Triton allows)', async () => {
    await writeScriptModel(fixture.repo, 'sender', {
      source: `import { InferenceResponse, type InferenceRequest } from 'nereid/model';
        export function execute(requests: InferenceRequest[]) {
          for (const r of requests) r.getResponseSender().send(new InferenceResponse({ outputs: [r.requireInput('INPUT0').rename('OUTPUT0')] }), { final: true });
        }`,
    });
    const server = await fixture.start();
    const response = await server.infer({ ...countdown(7), model: 'sender' });
    expect(Array.from(response.outputs[0]!.data as Float32Array)).toEqual([7]);
    expect(await collect(server.inferStream({ ...countdown(8), model: 'sender' }))).toEqual([8, 'final']);
  });

  it('fails the requests of a decoupled execute that returns responses, and of a model that sends outside its stream', async () => {
    const s = await start(
      `import { InferenceResponse, type InferenceRequest } from 'nereid/model';
       export function execute(requests: InferenceRequest[]) {
         if (requests[0]!.parameters.plain) return requests.map(() => new InferenceResponse());
         requests[0]!.getResponseSender().send(new InferenceResponse({ outputs: [requests[0]!.requireInput('INPUT0').rename('OUTPUT0')] }), { final: true });
       }`,
      'countdown',
    );
    expect(await collect(s.inferStream(countdown(5)))).toEqual([5, 'final']);
    const wrong = await collect(s.inferStream(countdown(5, { plain: true })));
    expect(wrong).toHaveLength(2);
    expect(String(wrong[0])).toMatch(/a decoupled model's execute returns nothing; it sends each request's responses with request.getResponseSender\(\)/);
  });

  it('streams over HTTP as server-sent events (generate_stream), as each response is sent, and answers generate with one response', async () => {
    await writeScriptModel(fixture.repo, 'countdown', { source: COUNTDOWN, config: fp32Config('countdown', DECOUPLED) });
    const e2e = await startE2e({ modelRepository: fixture.repo });
    try {
      const post = (path: string, body: unknown) => fetch(`${e2e.baseUrl}/v2/models/countdown/${path}`, { method: 'POST', body: JSON.stringify(body) });
      const res = await post('generate_stream', { id: 'sse', INPUT0: 40, fail_at: 39 });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      // The first event arrives while the model is still counting (40 x 5 ms).
      const reader = res.body!.getReader();
      const started = performance.now();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toBe('data: {"id":"sse","model_name":"countdown","model_version":"1","OUTPUT0":40}\n\n');
      let rest = '';
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
      expect(performance.now() - started).toBeGreaterThan(100);
      const events = (first + rest).split('\n\n').filter(Boolean);
      expect(events).toHaveLength(40);
      expect(events[1]).toBe('data: {"error":"no 39 today"}');
      expect(events.at(-1)).toBe('data: {"id":"sse","model_name":"countdown","model_version":"1","OUTPUT0":1}');

      const one = await post('generate', { INPUT0: [1] });
      expect(one.status).toBe(200);
      expect(await one.json()).toEqual({ model_name: 'countdown', model_version: '1', OUTPUT0: 1 });
      const many = await post('generate', { INPUT0: 3 });
      expect(many.status).toBe(400);
      expect(((await many.json()) as { error: string }).error).toMatch(/generate expects exactly one response from model 'countdown', got 3; use generate_stream/);
      const unknown = await fetch(`${e2e.baseUrl}/v2/models/nope/generate_stream`, { method: 'POST', body: '{}' });
      expect(unknown.status).toBe(404);
      const infer = await fetch(`${e2e.baseUrl}/v2/models/countdown/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], data: [1] }] }) });
      expect(infer.status).toBe(501);
    } finally {
      await e2e.close();
    }
  });

  it('lets a model.ts read another model\'s stream through BLS (request.stream()), and stop it early', async () => {
    await writeScriptModel(fixture.repo, 'countdown', { source: COUNTDOWN, config: fp32Config('countdown', DECOUPLED) });
    // Relays countdown's responses doubled; with `take` set, stops reading after that many.
    await writeScriptModel(fixture.repo, 'relay', {
      config: fp32Config('relay', DECOUPLED),
      source: `
        import { InferenceRequest, InferenceResponse, Tensor, type InferenceRequest as Request } from 'nereid/model';
        export async function execute(requests: Request[]) {
          for (const request of requests) {
            const sender = request.getResponseSender();
            const take = Number(request.parameters.take ?? Infinity);
            let taken = 0;
            for await (const response of new InferenceRequest({ model: 'countdown', inputs: request.inputs }).stream()) {
              if (response.hasError()) { sender.send(new InferenceResponse({ error: response.error })); continue; }
              const n = (response.requireOutput('OUTPUT0').data as Float32Array)[0]!;
              sender.send(new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', [1, 1], Float32Array.of(2 * n))] }));
              if (++taken >= take) break;
            }
            sender.send(undefined, { final: true });
          }
        }`,
    });
    const s = await fixture.start();
    expect(await collect(s.inferStream({ ...countdown(3), model: 'relay' }))).toEqual([6, 4, 2, 'final']);
    expect(await collect(s.inferStream({ ...countdown(1000), model: 'relay', parameters: { take: 2 } }))).toEqual([2000, 1998, 'final']);
    const deadline = Date.now() + 2000;
    while (!fixture.log.lines.some((line) => line.includes('stopped at')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fixture.log.lines.some((line) => line.includes('stopped at 998'))).toBe(true);
  });

  it('ends a BLS stream at its timeoutMs with the timeout error, and cancels the streaming model', async () => {
    await writeScriptModel(fixture.repo, 'countdown', { source: COUNTDOWN, config: fp32Config('countdown', DECOUPLED) });
    // Relays countdown's stream, allowing it 200 ms in all; errors are relayed as error responses.
    await writeScriptModel(fixture.repo, 'hasty', {
      config: fp32Config('hasty', DECOUPLED),
      source: `
        import { InferenceRequest, InferenceResponse, type InferenceRequest as Request } from 'nereid/model';
        export async function execute(requests: Request[]) {
          for (const request of requests) {
            const sender = request.getResponseSender();
            for await (const response of new InferenceRequest({ model: 'countdown', inputs: request.inputs, timeoutMs: 200 }).stream()) {
              sender.send(new InferenceResponse({ outputs: response.outputs, error: response.error }));
            }
            sender.send(undefined, { final: true });
          }
        }`,
    });
    const s = await fixture.start();
    const started = performance.now();
    const seen = await collect(s.inferStream({ ...countdown(1000), model: 'hasty' }));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(seen.length).toBeGreaterThan(2);
    expect(String(seen.at(-2))).toMatch(/BLS request to model 'countdown' timed out after 200 ms/);
    expect(seen.at(-1)).toBe('final');
    const deadline = Date.now() + 2000;
    while (!fixture.log.lines.some((line) => line.includes('stopped at')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fixture.log.lines.some((line) => line.includes('stopped at'))).toBe(true);
  });

  it('ends a stream the model forgot after execute_timeout_ms without a response, and keeps serving; a stream that keeps sending is not cut', async () => {
    // With \`forget\`, sends the first number and returns without a final response; else counts down 100 ms apart.
    await writeScriptModel(fixture.repo, 'forgetful', {
      config: fp32Config('forgetful', `${DECOUPLED}\nparameters { key: "execute_timeout_ms" value: { string_value: "300" } }`),
      source: `
        import { InferenceResponse, Tensor, type InferenceRequest } from 'nereid/model';
        const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        const number = (n: number) => new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', [1, 1], Float32Array.of(n))] });
        async function stream(request: InferenceRequest) {
          const sender = request.getResponseSender();
          const from = (request.requireInput('INPUT0').data as Float32Array)[0]!;
          if (request.parameters.forget) return sender.send(number(from));
          for (let n = from; n > 0; n--) {
            await sleep(100);
            sender.send(number(n));
          }
          sender.send(undefined, { final: true });
        }
        export function execute(requests: InferenceRequest[]) {
          for (const request of requests) void stream(request);
        }`,
    });
    const s = await fixture.start();
    const started = performance.now();
    const forgotten = await collect(s.inferStream({ ...countdown(7, { forget: true }), model: 'forgetful' }));
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(forgotten).toHaveLength(3);
    expect(forgotten[0]).toBe(7);
    expect(String(forgotten[1])).toMatch(/model 'forgetful'.*sent no response to request 'from-7' for execute_timeout_ms \(300 ms\) and never ended its stream/);
    expect(forgotten[2]).toBe('final');
    // 800 ms of responses 100 ms apart: each one restarts the 300 ms wait.
    expect(await collect(s.inferStream({ ...countdown(8), model: 'forgetful' }))).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 'final']);
  });

  it('ends the open streams of an instance being unloaded with an error, instead of leaving their clients waiting', async () => {
    await writeScriptModel(fixture.repo, 'silent', {
      config: fp32Config('silent', DECOUPLED),
      source: `
        import type { InferenceRequest } from 'nereid/model';
        export function execute(requests: InferenceRequest[]) {
          for (const request of requests) request.getResponseSender();
        }`,
    });
    const s = await fixture.start({ modelControlMode: 'explicit', loadModels: ['silent'] });
    const open = collect(s.inferStream({ ...countdown(1), model: 'silent' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await s.unloadModel('silent');
    const ended = await open;
    expect(ended).toHaveLength(2);
    expect(String(ended[0])).toMatch(/model 'silent'.*unloaded before it sent the final response/);
    expect(ended[1]).toBe('final');
  });

  it('keeps a large input readable by its stream while other requests come and go', async () => {
    // Reads INPUT0 (1 MiB: it stays on the host until read) after \`delay_ms\`, and answers its sum.
    await writeScriptModel(fixture.repo, 'late', {
      config: fp32Config('late', DECOUPLED),
      source: `
        import { InferenceResponse, Tensor, type InferenceRequest } from 'nereid/model';
        async function stream(request: InferenceRequest) {
          await new Promise((resolve) => setTimeout(resolve, Number(request.parameters.delay_ms ?? 0)));
          const data = request.requireInput('INPUT0').data as Float32Array;
          const sum = data.reduce((a, b) => a + b, 0);
          request.getResponseSender().send(new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', [1, 1], Float32Array.of(sum))] }), { final: true });
        }
        export function execute(requests: InferenceRequest[]) {
          for (const request of requests) void stream(request);
        }`,
    });
    const s = await fixture.start();
    const big = (value: number, delayMs: number): InferRequest => ({
      model: 'late',
      inputs: [new Tensor('INPUT0', 'FP32', [1, 262_144], new Float32Array(262_144).fill(value))],
      parameters: { delay_ms: delayMs },
    });
    const slow = collect(s.inferStream(big(1, 300)));
    for (let i = 0; i < 5; i++) expect(await collect(s.inferStream(big(2, 0)))).toEqual([524_288, 'final']);
    expect(await slow).toEqual([262_144, 'final']);
  });
});
