import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startWorker } from '../../runtime/workers/start-worker.ts';

const ECHO_WORKER = new URL('./support/echo-worker.ts', import.meta.url);

describe('startWorker', () => {
  it('starts a TypeScript worker inside vitest', async () => {
    const worker = startWorker(ECHO_WORKER);
    try {
      const reply = new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage({ ping: 41 });
      expect(await reply).toEqual({ pong: 42, fp32Bytes: 4 });
    } finally {
      await worker.terminate();
    }
  });

  it('starts a TypeScript worker under `node --import tsx`, from another cwd', () => {
    const helper = new URL('../../runtime/workers/start-worker.ts', import.meta.url).href;
    const script = [
      `const { startWorker } = await import(${JSON.stringify(helper)});`,
      `const worker = startWorker(new URL(${JSON.stringify(ECHO_WORKER.href)}));`,
      `worker.once('message', (m) => { console.log(JSON.stringify(m)); worker.terminate(); });`,
      `worker.once('error', (e) => { console.error(e); process.exit(1); });`,
      `worker.postMessage({ ping: 1 });`,
    ].join('\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'nereid-start-worker-'));
    try {
      const file = path.join(dir, 'main.mjs');
      writeFileSync(file, script);
      const tsx = createRequire(import.meta.url).resolve('tsx');
      const child = spawnSync(process.execPath, ['--import', tsx, file], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(child.stderr).toBe('');
      expect(JSON.parse(child.stdout.trim())).toEqual({ pong: 2, fp32Bytes: 4 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
