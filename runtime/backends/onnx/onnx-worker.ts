/**
 * The ONNX worker: a thread that owns one InferenceSession. The only place
 * where `session.run()` executes, because it is synchronous and would block
 * whichever thread calls it.
 *
 * Ownership: everything that arrives here was transferred or copied to this
 * thread, so the worker may merge, hand to ORT and transfer back at will.
 * Messages are handled in arrival order; runs do not overlap in practice
 * because each `session.run` blocks this thread until it is done.
 */
import ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';
import { NereidError, type ErrorData } from '../../../sdk/errors.ts';
import { canMerge, mergeInputs, splitTensor, unionOutputs, type HostTensor } from './batch-merge.ts';
import type { FromWorker, RunMessage, ToWorker, WireRequest, WireResult, WorkerInit } from './onnx-protocol.ts';
import { hostToOrt, hostToWire, ortToHost, sessionSignature, wireToHost } from './ort-tensors.ts';
import { readRunFrame, writeRanFrame } from './run-frames.ts';

const port = parentPort!;
const init = workerData as WorkerInit;

/** A thrown value as error data; ORT's own errors (plain Errors) get `context` in front. */
function errorData(value: unknown, context: string, code: ErrorData['code'] = 'INTERNAL'): ErrorData {
  if (value instanceof NereidError) return value.toData();
  return { code, message: `${context}: ${value instanceof Error ? value.message : String(value)}` };
}

/** Posts `message`, transferring `transfer`; if some buffer refuses to move, posts copies instead. */
function post(message: FromWorker, transfer: readonly ArrayBuffer[] = []): void {
  try {
    port.postMessage(message, transfer);
  } catch {
    port.postMessage(message);
  }
}

async function load(): Promise<ort.InferenceSession | undefined> {
  try {
    const wantsCuda = init.options.executionProviders.some((provider) => provider.name === 'cuda');
    if (wantsCuda && !ort.listSupportedBackends().some((backend) => backend.name === 'cuda')) {
      throw NereidError.unavailable(`this build of onnxruntime-node has no CUDA execution provider on ${process.platform}/${process.arch}`);
    }
    const session = await ort.InferenceSession.create(init.modelFile, {
      ...init.options,
      executionProviders: [...init.options.executionProviders],
      logId: init.logId,
    });
    post({ type: 'loaded', signature: sessionSignature(session) });
    return session;
  } catch (error) {
    post({ type: 'load-failed', error: errorData(error, `ONNX Runtime could not load '${init.modelFile}'`) });
    return undefined;
  }
}

/** Milliseconds one run message spent preparing inputs, in `session.run`, and extracting outputs (Triton's compute_input / _infer / _output). */
interface Timing {
  input: number;
  infer: number;
  output: number;
}

/** Runs `inputs` and returns the requested outputs, in the order asked for, adding to `timing`. */
async function runSession(session: ort.InferenceSession, inputs: readonly HostTensor[], outputs: readonly string[], timing: Timing): Promise<HostTensor[]> {
  // ORT refuses an empty fetch list; a request that wants no outputs gets none.
  if (outputs.length === 0) return [];
  const started = performance.now();
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) feeds[input.name] = hostToOrt(input);
  const fed = performance.now();
  const results = await session.run(feeds, outputs);
  const ran = performance.now();
  const hostOutputs = outputs.map((name) => ortToHost(name, results[name] as ort.Tensor));
  timing.input += fed - started;
  timing.infer += ran - fed;
  timing.output += performance.now() - ran;
  return hostOutputs;
}

function okResult(outputs: readonly HostTensor[], transfer: ArrayBuffer[]): WireResult {
  return { ok: true, outputs: outputs.map((output) => hostToWire(output, transfer)) };
}

/** Runs in progress, and who waits for them to reach 0 (close). A count, not a set of promises: nothing to allocate per run. */
let running = 0;
let idle: (() => void) | undefined;

/**
 * Answers one run message with one result per request. Requests whose inputs
 * do not convert fail alone; the rest run as one merged batch when they can,
 * else one by one. A merged run that fails, or whose outputs do not split by
 * batch, is retried one by one, so an error lands on the request that caused
 * it. Anything unexpected fails the whole message. Never rejects.
 */
async function handleRun(session: ort.InferenceSession, message: RunMessage): Promise<void> {
  running++;
  try {
    await runRequests(session, message);
  } catch (error) {
    const failure: WireResult = { ok: false, error: errorData(error, 'the ONNX Runtime worker failed') };
    post(writeRanFrame(message.id, message.requests.map(() => failure), 0, { input: 0, infer: 0, output: 0 }));
  } finally {
    if (--running === 0) idle?.();
  }
}

async function runRequests(session: ort.InferenceSession, message: RunMessage): Promise<void> {
  const { requests } = message;
  const timing: Timing = { input: 0, infer: 0, output: 0 };
  const inputStarted = performance.now();
  const results: WireResult[] = new Array(requests.length);
  const transfer: ArrayBuffer[] = [];
  const host: { index: number; inputs: HostTensor[]; batchSize: number; request: WireRequest }[] = [];
  for (let index = 0; index < requests.length; index++) {
    const request = requests[index]!;
    try {
      host.push({ index, inputs: request.inputs.map(wireToHost), batchSize: request.batchSize, request });
    } catch (error) {
      results[index] = { ok: false, error: errorData(error, 'bad input', 'INVALID_ARG') };
    }
  }

  let sessionRuns = 0;
  let pending = host;
  timing.input += performance.now() - inputStarted;
  if (canMerge(host, message.maxBatchSize)) {
    sessionRuns++;
    const outputNames = unionOutputs(host.map((entry) => entry.request));
    try {
      const mergeStarted = performance.now();
      const mergedInputs = mergeInputs(host);
      timing.input += performance.now() - mergeStarted;
      const merged = await runSession(session, mergedInputs, outputNames, timing);
      const splitStarted = performance.now();
      const pieces = merged.map((output) => splitTensor(output, host.map((entry) => entry.batchSize)));
      timing.output += performance.now() - splitStarted;
      if (pieces.every((piece) => piece !== undefined)) {
        host.forEach((entry, i) => {
          const mine = entry.request.outputs.map((name) => pieces[outputNames.indexOf(name)]![i]!);
          results[entry.index] = okResult(mine, transfer);
        });
        pending = [];
      }
    } catch {
      // Fall through: run each request alone to learn which one fails.
    }
  }
  for (const entry of pending) {
    sessionRuns++;
    try {
      results[entry.index] = okResult(await runSession(session, entry.inputs, entry.request.outputs, timing), transfer);
    } catch (error) {
      results[entry.index] = { ok: false, error: errorData(error, 'ONNX Runtime run failed') };
    }
  }
  post(writeRanFrame(message.id, results, sessionRuns, timing), transfer);
}

const session = await load();
if (session) {
  port.on('message', (message: ToWorker) => {
    if (Array.isArray(message)) {
      void handleRun(session, readRunFrame(message));
    } else if (message.type === 'close') {
      // The main thread drains before closing; still, never release a session under a running request.
      const drained = running === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
      void drained
        .then(() => session.release())
        .finally(() => {
          post({ type: 'closed' });
          port.close();
        });
    }
  });
}
