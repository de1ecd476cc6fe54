/** The bundled `simple_chain` ensemble, served from models/ with only its step. */
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { createTempRepository, removeTempRepository } from '../support/onnx-fixtures.ts';
import { memoryLogger } from '../server/support.ts';
import { int32, values } from './support.ts';

const MODELS = join(import.meta.dirname, '..', '..', 'models');
let repo: string;
let server: Server;

beforeAll(async () => {
  repo = await createTempRepository('nereid-bundled-ensemble-');
  await cp(join(MODELS, 'simple'), join(repo, 'simple'), { recursive: true });
  await cp(join(MODELS, 'simple_chain', 'config.pbtxt'), join(repo, 'simple_chain', 'config.pbtxt'), { recursive: true });
  await mkdir(join(repo, 'simple_chain', '1'), { recursive: true });
  server = await createServer({ modelRepository: repo, log: memoryLogger() });
});
afterAll(async () => {
  await server?.close();
  await removeTempRepository(repo);
});

it('doubles both inputs through two simple steps', async () => {
  const response = await server.infer({ model: 'simple_chain', inputs: [int32('INPUT0', [3, 4], 2), int32('INPUT1', [7], 2)] });
  expect(response.outputs.map((t) => [t.name, t.shape])).toEqual([['OUTPUT0', [2, 16]], ['OUTPUT1', [2, 16]]]);
  expect(values(response.outputs[0]).slice(0, 2)).toEqual([6, 8]);
  expect(values(response.outputs[1]).slice(0, 2)).toEqual([14, 14]);
});
