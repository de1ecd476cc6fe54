/**
 * Smoke test of `npm run bench:scripts`: every scenario runs for ~100 ms, to
 * prove the benchmark still works against the current server. It checks that
 * rows and figures come out, never their values (benchmarks are not tests).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/logging/logger.ts';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { installScriptProbes } from '../../bench/script-probes.ts';
import { benchBlsHttp, benchBlsInProcess } from '../../bench/scripts-bls.ts';
import { benchColdStart } from '../../bench/scripts-cold-start.ts';
import { benchEntryFloor } from '../../bench/scripts-entry-floor.ts';
import { benchLargeTensor } from '../../bench/scripts-large-tensor.ts';
import { Report } from '../../bench/scripts-report.ts';
import { benchTokenLoop } from '../../bench/scripts-token-loop.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REPOSITORY = `${ROOT}models`;
const DURATION_MS = 100;
const quiet = createLogger({ quiet: true });
const silent = (): Report => new Report(() => {});

const finiteFigures = (report: Report, section: string): number[] =>
  report.figures.filter((f) => f.section === section).map((f) => f.value).filter(Number.isFinite);

describe('bench/scripts.ts scenarios (smoke, ~100 ms each)', () => {
  beforeAll(() => installScriptProbes());

  it('cold start: loads, timings and memory figures', { timeout: 60_000 }, async () => {
    const report = silent();
    await benchColdStart(report, REPOSITORY, quiet, { repeats: 1, instances: 2 });
    expect(finiteFigures(report, 'cold-start').length).toBeGreaterThanOrEqual(10);
  });

  it('entry floor: a bare isolate entry, hot and after idle, and the floor it puts under BLS at c=1', async () => {
    const report = silent();
    await benchEntryFloor(report);
    const [hot, idle, floor] = finiteFigures(report, 'floor');
    expect(hot).toBeGreaterThan(0);
    expect(idle).toBeGreaterThan(0);
    expect(floor).toBe(2 * idle!);
  });

  it('report: a target met below it, or at or above it when atLeast', () => {
    const report = silent();
    report.figure({ section: 's', name: 'latency', value: 40, unit: 'µs', target: 50 });
    report.figure({ section: 's', name: 'slow', value: 60, unit: 'µs', target: 50 });
    report.figure({ section: 's', name: 'ratio', value: 0.8, unit: 'x', target: 0.8, atLeast: true });
    report.figure({ section: 's', name: 'low ratio', value: 0.79, unit: 'x', target: 0.8, atLeast: true });
    expect(report.figures.map((f) => f.met)).toEqual([true, false, true, false]);
  });

  describe('in process', () => {
    let server: Server;
    beforeAll(async () => {
      server = await createServer({ modelRepository: REPOSITORY, modelControlMode: 'explicit', loadModels: ['simple', 'add_sub_bls', 'generate', 'generate_decoder'], log: quiet });
    });
    afterAll(() => server?.close());

    it('BLS overhead through server.infer()', async () => {
      const report = silent();
      await benchBlsInProcess(report, server, [1, 2], DURATION_MS);
      expect(report.rows.map((r) => `${r.arm} c=${r.concurrency}`)).toEqual([
        'simple infer() c=1',
        'add_sub_bls infer() c=1',
        'simple infer() c=2',
        'add_sub_bls infer() c=2',
      ]);
      expect(report.rows.every((r) => r.stats.count > 0)).toBe(true);
    });

    it('token loop: measured (generate ships in models/, so it must not skip)', async () => {
      const report = silent();
      await benchTokenLoop(report, server, REPOSITORY, DURATION_MS);
      expect(report.skipped).toEqual([]);
      expect(finiteFigures(report, 'token-loop').length).toBeGreaterThan(0);
    });
  });

  it('large tensor through a forwarding model.ts (1 MiB)', async () => {
    const report = silent();
    await benchLargeTensor(report, REPOSITORY, quiet, DURATION_MS, [1]);
    expect(report.rows).toHaveLength(2);
    expect(report.figures.find((f) => f.name === 'tensor payloads moved into the isolate')?.value).toBe(0);
  });

  it('BLS overhead over HTTP (nereid serve in a child process)', { timeout: 60_000 }, async () => {
    const report = silent();
    await benchBlsHttp(report, REPOSITORY, `${ROOT}runtime/cli/main.ts`, [1], DURATION_MS);
    expect(report.rows.map((r) => r.arm)).toEqual(['simple http-bin', 'add_sub_bls http-bin']);
  });
});
