/**
 * Cancelling requests: dropped while queued (every scheduler), seen by a
 * model.ts that checks `request.isCancelled()`, passed on to the BLS calls it
 * made, and triggered over HTTP by a client that goes away.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Server } from '../../runtime/server/create-server.ts';
import type { InferRequest } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { startE2e } from '../e2e/support/e2e-server.ts';
import { errorOf } from '../support/rejection.ts';
import { useTempServer } from '../support/temp-server.ts';
import { fp32Config, PATIENT_MODEL as PATIENT, writeScriptModel } from './support.ts';

const fixture = useTempServer();


/** Calls `patient` through BLS with its own request's parameters. */
const CALLER = `
  import { InferenceRequest, InferenceResponse, type InferenceRequest as Request } from 'nereid/model';
  export async function execute(requests: Request[]) {
    return Promise.all(requests.map(async (request) => {
      const inner = await new InferenceRequest({ model: 'patient', inputs: request.inputs, parameters: request.parameters }).exec();
      return new InferenceResponse({ outputs: inner.outputs, error: inner.error });
    }));
  }`;

async function start(...models: [string, string, string?][]): Promise<Server> {
  for (const [name, source, scheduling] of models) await writeScriptModel(fixture.repo, name, { source, config: fp32Config(name, scheduling ?? '') });
  return fixture.start();
}

const inference = (model: string, id: string, parameters: InferRequest['parameters'], signal?: AbortSignal): InferRequest => ({
  model,
  id,
  inputs: [new Tensor('INPUT0', 'FP32', [1, 1], Float32Array.of(1))],
  parameters,
  signal,
});
const noticed = (id: string) => fixture.log.lines.some((line) => line.includes(`noticed the cancellation of ${id}`));

describe('cancellation', () => {
  it.each([
    ['the default scheduler', ''],
    ['the dynamic batcher', 'dynamic_batching { preferred_batch_size: [ 1 ] }'],
  ])('drops a request cancelled while it waits in %s, answering CANCELLED at once', async (_, scheduling) => {
    const s = await start(['patient', PATIENT, scheduling]);
    const busy = s.infer(inference('patient', 'busy', { work_ms: 300 }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const cancel = new AbortController();
    const queued = s.infer(inference('patient', 'queued', { work_ms: 0 }, cancel.signal));
    const behind = s.infer(inference('patient', 'behind', { work_ms: 0 }));
    const started = performance.now();
    cancel.abort();
    const error = await errorOf(queued);
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toBe("model 'patient' version 1: the request was cancelled before it ran");
    expect(performance.now() - started).toBeLessThan(100);
    await Promise.all([busy, behind]);
    expect(fixture.log.lines.some((line) => line.includes('finished queued'))).toBe(false);
    expect(fixture.log.lines.some((line) => line.includes('finished behind'))).toBe(true);
    const stats = s.modelStatistics('patient').model_stats[0]!;
    expect(stats.inference_stats.fail.count).toBe(1);
    expect(stats.execution_count).toBe(2);
    // Already cancelled: never queued.
    expect((await errorOf(s.infer(inference('patient', 'late', {}, cancel.signal)))).code).toBe('CANCELLED');
  });

  it('lets a running model.ts see its request cancelled and stop early', async () => {
    const s = await start(['patient', PATIENT]);
    const cancel = new AbortController();
    const started = performance.now();
    const running = s.infer(inference('patient', 'long', { work_ms: 5000 }, cancel.signal));
    setTimeout(() => cancel.abort(), 50);
    expect((await errorOf(running)).message).toMatch(/stopped early: the request was cancelled/);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(noticed('long')).toBe(true);
  });

  it('cancels the BLS calls a model.ts made for a cancelled request', async () => {
    const s = await start(['patient', PATIENT], ['caller', CALLER]);
    const cancel = new AbortController();
    const started = performance.now();
    const running = s.infer(inference('caller', 'outer', { work_ms: 5000 }, cancel.signal));
    setTimeout(() => cancel.abort(), 50);
    expect((await errorOf(running)).code).toBe('CANCELLED');
    expect(performance.now() - started).toBeLessThan(1000);
    // The inner request is the BLS call: its id is empty, its work stopped early.
    expect(noticed('')).toBe(true);
  });

  it('cancels the request of an HTTP client that disconnects', async () => {
    await writeScriptModel(fixture.repo, 'patient', { source: PATIENT, config: fp32Config('patient') });
    const e2e = await startE2e({ modelRepository: fixture.repo });
    try {
      const body = JSON.stringify({ id: 'http', parameters: { work_ms: 5000 }, inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1], data: [1] }] });
      const sent = request({ host: '127.0.0.1', port: e2e.port, method: 'POST', path: '/v2/models/patient/infer', headers: { 'content-length': Buffer.byteLength(body) } });
      sent.on('error', () => {});
      sent.end(body);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // The client goes away: its socket closes with the request unanswered.
      sent.destroy();
      const aborted = performance.now();
      const deadline = Date.now() + 2000;
      while (!e2e.logLines.some((line) => line.includes('noticed the cancellation of http')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(e2e.logLines.some((line) => line.includes('noticed the cancellation of http'))).toBe(true);
      expect(performance.now() - aborted).toBeLessThan(1000);
    } finally {
      await e2e.close();
    }
  });

  it("fires request.signal's abort listeners in the running model.ts, and throwIfAborted() fails it CANCELLED", async () => {
    const s = await start([
      'listener',
      `import { InferenceResponse, log, type InferenceRequest } from 'nereid/model';
       export async function execute(requests: InferenceRequest[]) {
         const request = requests[0]!;
         await new Promise<void>((resolve) => {
           const timer = setTimeout(resolve, 5000);
           request.signal.addEventListener('abort', () => {
             clearTimeout(timer);
             log.info('abort event for ' + request.id + ', aborted ' + request.signal.aborted);
             resolve();
           });
         });
         request.signal.throwIfAborted();
         return requests.map((r) => new InferenceResponse({ outputs: [r.requireInput('INPUT0').rename('OUTPUT0')] }));
       }`,
    ]);
    const cancel = new AbortController();
    const started = performance.now();
    const running = s.infer(inference('listener', 'watched', {}, cancel.signal));
    setTimeout(() => cancel.abort(), 50);
    const error = await errorOf(running);
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toMatch(/request 'watched': the request was cancelled/);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(fixture.log.lines.some((line) => line.includes('abort event for watched, aborted true'))).toBe(true);
  });

  it('cancels a BLS call whose timeoutMs passes: the caller gets the timeout, the called model stops', async () => {
    const impatient = `
      import { InferenceRequest, InferenceResponse, type InferenceRequest as Request } from 'nereid/model';
      export async function execute(requests: Request[]) {
        return Promise.all(requests.map(async (request) => {
          const inner = await new InferenceRequest({ model: 'patient', inputs: request.inputs, parameters: { work_ms: 5000 }, timeoutMs: 100 }).exec();
          return new InferenceResponse({ outputs: inner.outputs, error: inner.error });
        }));
      }`;
    const s = await start(['patient', PATIENT], ['impatient', impatient]);
    const started = performance.now();
    const error = await errorOf(s.infer(inference('impatient', 'outer', {})));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/BLS request to model 'patient' timed out after 100 ms/);
    expect(performance.now() - started).toBeLessThan(1000);
    const deadline = Date.now() + 2000;
    while (!noticed('') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(noticed('')).toBe(true);
  });
});
