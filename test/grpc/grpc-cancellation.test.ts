/**
 * Cancelling a unary ModelInfer from a real @grpc/grpc-js client: the call
 * cancelled by the client, or its deadline passing, cancels the request, so
 * a running model.ts sees request.isCancelled() and a queued request is
 * dropped before it runs.
 */
import { Metadata, status, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempRepository, removeTempRepository } from '../support/onnx-fixtures.ts';
import { fp32Config, PATIENT_MODEL, writeScriptModel } from '../script/support.ts';
import { startGrpc, type RunningGrpc } from './support/grpc-harness.ts';


let repo: string;
let h: RunningGrpc | undefined;

beforeEach(async () => {
  repo = await createTempRepository();
  await writeScriptModel(repo, 'slow', { source: PATIENT_MODEL, config: fp32Config('slow') });
  h = await startGrpc({ modelRepository: repo });
}, 60_000);
afterEach(async () => {
  await h?.close();
  h = undefined;
  await removeTempRepository(repo);
});

function slowRequest(id: string, workMs: number) {
  return {
    model_name: 'slow',
    id,
    parameters: { work_ms: { int64_param: workMs } },
    inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 1] }],
    raw_input_contents: [Buffer.from(Float32Array.of(1).buffer)],
  };
}

/** Starts a ModelInfer call; `done` settles with its error (or null) when the client sees the call end. */
function startCall(request: unknown, deadline?: number): { call: ClientUnaryCall; done: Promise<ServiceError | null> } {
  let call!: ClientUnaryCall;
  const done = new Promise<ServiceError | null>((resolve) => {
    const options = deadline === undefined ? {} : { deadline };
    call = (h!.clients.inference.ModelInfer as unknown as (...args: unknown[]) => ClientUnaryCall).call(
      h!.clients.inference,
      request,
      new Metadata(),
      options,
      (error: ServiceError | null) => resolve(error),
    );
  });
  return { call, done };
}

const logged = (text: string) => h!.logLines.some((line) => line.includes(text));

async function waitForLog(text: string, withinMs: number): Promise<boolean> {
  const until = performance.now() + withinMs;
  while (!logged(text) && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  return logged(text);
}

describe('gRPC ModelInfer cancellation', () => {
  it('cancels the request when the client cancels the call: the running model.ts notices', async () => {
    const { call, done } = startCall(slowRequest('cancelled-call', 10_000));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(logged('finished cancelled-call')).toBe(false);
    call.cancel();
    const cancelledAt = performance.now();
    expect((await done)?.code).toBe(status.CANCELLED);
    expect(await waitForLog('noticed the cancellation of cancelled-call', 1000)).toBe(true);
    expect(performance.now() - cancelledAt).toBeLessThan(1000);
    // The instance is free again: a new call is answered at once.
    const started = performance.now();
    expect(await startCall(slowRequest('after', 0)).done).toBeNull();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('cancels the request when the call\'s deadline passes', async () => {
    const started = performance.now();
    const { done } = startCall(slowRequest('deadline', 10_000), Date.now() + 200);
    expect((await done)?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(await waitForLog('noticed the cancellation of deadline', 1000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('drops a queued request whose call is cancelled, without running it', async () => {
    const busy = startCall(slowRequest('busy', 400));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const queued = startCall(slowRequest('queued', 0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    queued.call.cancel();
    expect((await queued.done)?.code).toBe(status.CANCELLED);
    expect(await busy.done).toBeNull();
    // Let the scheduler pass the point where it would have run `queued`.
    expect(await startCall(slowRequest('later', 0)).done).toBeNull();
    expect(logged('finished busy')).toBe(true);
    expect(logged('finished later')).toBe(true);
    expect(logged('queued')).toBe(false);
    const stats = h!.server.modelStatistics('slow').model_stats[0]!;
    expect(stats.execution_count).toBe(2);
    expect(stats.inference_stats.fail.count).toBe(1);
  });

  it('leaves answered calls alone: no cancellation after a normal answer', async () => {
    for (let i = 0; i < 5; i++) expect(await startCall(slowRequest(`ok${i}`, 0)).done).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logged('noticed the cancellation')).toBe(false);
    expect(h!.logLines.filter((line) => line.includes('finished ok'))).toHaveLength(5);
  });
});
