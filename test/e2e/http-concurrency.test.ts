/**
 * Concurrency through the real server: many simultaneous requests each get
 * their own answer, and a long inference (in its worker thread) does not
 * hold up health checks or other models on the event loop.
 */
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferRequest } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';
import type { Server } from '../../runtime/server/create-server.ts';
import type { InferenceServer } from '../../runtime/server/server-api.ts';
import { inferOverHttp } from '../http/support/http-harness.ts';
import { createTempRepository, removeTempRepository, slowModel, writeFixture } from '../support/onnx-fixtures.ts';
import { BUNDLED_MODELS, deferred, startE2e, type E2eServer } from './support/e2e-server.ts';
import { expectSimpleAnswer, simpleTensors } from './support/simple-model.ts';

/** Reports each infer() the frontend makes, then delegates to the real server. */
function tapInfer(server: Server, onInfer: (request: InferRequest) => void): InferenceServer {
  return {
    metadata: () => server.metadata(),
    isLive: () => server.isLive(),
    isReady: () => server.isReady(),
    isModelReady: (name, version) => server.isModelReady(name, version),
    modelMetadata: (name, version) => server.modelMetadata(name, version),
    modelConfig: (name, version) => server.modelConfig(name, version),
    modelStatistics: (name, version) => server.modelStatistics(name, version),
    infer(request) {
      onInfer(request);
      return server.infer(request);
    },
    inferStream(request) {
      onInfer(request);
      return server.inferStream(request);
    },
    repositoryIndex: (options) => server.repositoryIndex(options),
    loadModel: (name, options) => server.loadModel(name, options),
    unloadModel: (name, options) => server.unloadModel(name, options),
    close: () => server.close(),
  };
}

const SLOW_ROWS = 2048;
const SLOW_WIDTH = 256;

let repo: string;
let e2e: E2eServer;
const inferListeners: ((request: InferRequest) => void)[] = [];

beforeAll(async () => {
  repo = await createTempRepository();
  // About 600 ms per run of 2048 rows on the idle 2-core dev VM (more when it is busy): long enough that the
  // checks below overlap it by a wide margin. It is an ordering test, not a timing one.
  await writeFixture(repo, 'slow', slowModel({ layers: 1000, width: SLOW_WIDTH }), { maxBatchSize: SLOW_ROWS });
  e2e = await startE2e({ modelRepository: [BUNDLED_MODELS, repo] }, {}, (server) =>
    tapInfer(server, (request) => inferListeners.forEach((listener) => listener(request))),
  );
});
afterAll(async () => {
  await e2e?.close();
  await removeTempRepository(repo);
});

describe('concurrent requests', () => {
  it('answers 32 simultaneous binary requests to simple, each with its own data (no cross-talk)', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    try {
      const seeds = Array.from({ length: 32 }, (_, i) => i + 1);
      const rowsOf = (seed: number) => 1 + (seed % 4);
      const outcomes = await Promise.all(
        seeds.map((seed) => inferOverHttp(e2e.port, { model: 'simple', id: `req-${seed}`, inputs: simpleTensors(seed, rowsOf(seed)) }, { binary: true, agent })),
      );
      outcomes.forEach((outcome, i) => {
        const seed = seeds[i]!;
        if (!outcome.ok) throw new Error(`request ${seed}: ${outcome.status} ${outcome.error}`);
        expect(outcome.response.id).toBe(`req-${seed}`);
        expectSimpleAnswer(outcome.response, seed, rowsOf(seed));
      });
    } finally {
      agent.destroy();
    }
  });

  it('answers health checks and another model while a slow inference is in flight', async () => {
    const slowStarted = deferred();
    const listener = (request: InferRequest) => {
      if (request.model === 'slow') slowStarted.resolve();
    };
    inferListeners.push(listener);
    const events: string[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const input = new Tensor('INPUT0', 'FP32', [SLOW_ROWS, SLOW_WIDTH], new Float32Array(SLOW_ROWS * SLOW_WIDTH).fill(0.01));
      const slow = inferOverHttp(e2e.port, { model: 'slow', inputs: [input] }, { binary: true, agent }).then((outcome) => {
        events.push('slow done');
        return outcome;
      });
      await slowStarted.promise; // the slow request has reached server.infer()

      for (let i = 0; i < 10; i++) {
        const health = await fetch(`${e2e.baseUrl}/v2/health/ready`);
        expect(health.status).toBe(200);
        events.push('health');
      }
      const simple = await inferOverHttp(e2e.port, { model: 'simple', inputs: simpleTensors(42) }, { binary: true, agent });
      if (!simple.ok) throw new Error(`simple: ${simple.status} ${simple.error}`);
      expectSimpleAnswer(simple.response, 42);
      events.push('simple');

      expect(events, 'everything answered while the slow inference was still running').toEqual([...Array(10).fill('health'), 'simple']);
      const outcome = await slow;
      if (!outcome.ok) throw new Error(`slow: ${outcome.status} ${outcome.error}`);
      expect(outcome.response.outputs[0]!.shape).toEqual([SLOW_ROWS, SLOW_WIDTH]);
      expect(events.at(-1)).toBe('slow done');
    } finally {
      inferListeners.splice(inferListeners.indexOf(listener), 1);
      agent.destroy();
    }
  });
});
