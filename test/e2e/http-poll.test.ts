/**
 * Poll mode seen over HTTP: a model directory that appears is loaded, a
 * reload that fails keeps the previous model serving, and a directory that
 * disappears is unloaded. Files are written beside the repository and renamed
 * in, so a poll never sees a half-written model.
 */
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempRepository, identityModel, removeTempRepository, writeFixture } from '../support/onnx-fixtures.ts';
import { expectError, postJson, startE2e, type E2eServer } from './support/e2e-server.ts';

const POLL = { timeout: 15_000, interval: 50 };

let repo: string;
let staging: string;
let e2e: E2eServer;
let url: (path: string) => string;

beforeAll(async () => {
  repo = await createTempRepository();
  staging = await mkdtemp(join(tmpdir(), 'nereid-staging-'));
  await writeFixture(repo, 'first', identityModel('FP32', { batch: true, dims: [-1] }));
  e2e = await startE2e({ modelRepository: repo, modelControlMode: 'poll', repositoryPollSecs: 0.2 });
  url = (path) => `${e2e.baseUrl}${path}`;
});
afterAll(async () => {
  await e2e?.close();
  await removeTempRepository(repo);
  await removeTempRepository(staging);
});

const status = async (path: string) => (await fetch(url(path))).status;
const infer = (model: string, values: number[]) =>
  postJson(url(`/v2/models/${model}/infer`), { inputs: [{ name: 'INPUT0', datatype: 'INT8', shape: [1, values.length], data: values }] });

describe('poll mode over HTTP', () => {
  it('refuses explicit load requests, naming the mode', async () => {
    await expectError(await postJson(url('/v2/repository/models/first/load')), 503, "model control mode 'poll'", '--model-control-mode=explicit');
  });

  it('loads a model directory that appears, keeps it serving through a broken config, and unloads it when removed', async () => {
    await writeFixture(staging, 'second', identityModel('INT8', { batch: true, dims: [-1] }), { maxBatchSize: 4 });
    await rename(join(staging, 'second'), join(repo, 'second'));
    await expect.poll(() => status('/v2/models/second/ready'), POLL).toBe(200);
    const answer = await infer('second', [1, -2, 3]);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([1, -2, 3]);

    // Break the config: the reload fails (logged), and the loaded version keeps serving with its old config.
    const failures = () => e2e.logLines.filter((line) => line.includes("failed to load model 'second'")).length;
    const brokenText = join(staging, 'config.pbtxt');
    await writeFile(brokenText, 'max_batch_size: 4\ninput [ { name: "INPUT0" \n');
    await rename(brokenText, join(repo, 'second', 'config.pbtxt'));
    await expect.poll(failures, POLL).toBeGreaterThan(0);
    expect(e2e.logLines.find((line) => line.includes("failed to load model 'second'"))).toMatch(/second\/config\.pbtxt:\d+:\d+/);
    expect(await status('/v2/models/second/ready')).toBe(200);
    expect((await infer('second', [5])).status).toBe(200);
    expect(((await (await fetch(url('/v2/models/second/config'))).json()) as { max_batch_size: number }).max_batch_size).toBe(4);
    const index = (await (await postJson(url('/v2/repository/index'))).json()) as { name: string; state?: string }[];
    expect(index.find((entry) => entry.name === 'second')).toMatchObject({ state: 'READY' });
    // A failed reload is not retried every cycle while the files stay the same.
    const failuresSoFar = failures();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(failures()).toBe(failuresSoFar);

    // Fix it with another max_batch_size: the next poll reloads, and /config shows the new one.
    const fixedText = join(staging, 'config.pbtxt');
    await writeFile(fixedText, 'max_batch_size: 2\n');
    await rename(fixedText, join(repo, 'second', 'config.pbtxt'));
    const maxBatchSize = async () => ((await (await fetch(url('/v2/models/second/config'))).json()) as { max_batch_size: number }).max_batch_size;
    await expect.poll(maxBatchSize, POLL).toBe(2);
    await expectError(await postJson(url('/v2/models/second/infer'), {
      inputs: [{ name: 'INPUT0', datatype: 'INT8', shape: [3, 1], data: [1, 2, 3] }],
    }), 400, 'batch-size must be <= 2');

    // Remove the directory: the model is unloaded; the other model keeps serving.
    await rename(join(repo, 'second'), join(staging, 'second-removed'));
    await expect.poll(() => status('/v2/models/second/ready'), POLL).toBe(400);
    await expectError(await infer('second', [1]), 503, "'second'");
    expect(await status('/v2/models/first/ready')).toBe(200);
  });
});
