/**
 * `npm run bench:scripts` (and the second half of `npm run bench`): what the
 * TypeScript (model.ts) backend adds, each figure against its raw baseline
 * measured in the same run (DESIGN.md §3-4), paired arms in alternating rounds.
 *
 *   cold-start    loadModel -> READY for add_sub_bls (first, uncached, cached
 *                 bundle); RSS and isolate heap per instance, 8 instances
 *   floor         one bare isolated-vm entry, hot and after 1 ms idle: the
 *                 machine's floor under "BLS added, c=1" (scripts-entry-floor.ts)
 *   bls-infer     simple vs add_sub_bls (simple behind one BLS call), server.infer(), c=1 and 16
 *   token-loop    generate (64 decoder calls through BLS) vs 64 direct decoder calls, c=1
 *                 (skipped while models/generate is not in the repository)
 *   large-tensor  4/16/64 MiB FP32 through identity_fp32 directly vs a forwarding model.ts
 *   bls-http      simple vs add_sub_bls over HTTP binary, nereid serve in its own process
 *
 * Environment: BENCH_DURATION_MS (default 3000): measured time per arm per case.
 * Results are printed and written to .bench-results/scripts.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../runtime/logging/logger.ts';
import { createServer } from '../runtime/server/create-server.ts';
import { installScriptProbes } from './script-probes.ts';
import { benchBlsHttp, benchBlsInProcess } from './scripts-bls.ts';
import { benchColdStart } from './scripts-cold-start.ts';
import { benchEntryFloor } from './scripts-entry-floor.ts';
import { benchLargeTensor } from './scripts-large-tensor.ts';
import { Report } from './scripts-report.ts';
import { benchTokenLoop } from './scripts-token-loop.ts';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
const root = fileURLToPath(new URL('..', import.meta.url));
const repository = `${root}models`;
const cli = `${root}runtime/cli/main.ts`;
const concurrencies = [1, 16] as const;

async function main(): Promise<void> {
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
  const loadStart = loadavg();
  process.stdout.write(`nereid script-model benchmark, ${durationMs} ms per arm per case (arms alternate)\n`);
  process.stdout.write(`node ${process.version}, ${availableParallelism()} CPUs, load average ${load()} (other processes compete for the same cores)\n`);
  const report = new Report();
  const quiet = createLogger({ quiet: true });
  installScriptProbes();

  // First: nothing may have been bundled in this process before it.
  await benchColdStart(report, repository, quiet);
  await benchEntryFloor(report);

  // Only the models measured, so a model another change leaves broken cannot disturb these figures.
  const wanted = ['simple', 'add_sub_bls', 'generate', 'generate_decoder'].filter((name) => existsSync(`${repository}/${name}`));
  const server = await createServer({ modelRepository: repository, modelControlMode: 'explicit', loadModels: wanted, log: quiet });
  try {
    await benchBlsInProcess(report, server, concurrencies, durationMs);
    await benchTokenLoop(report, server, repository, durationMs);
  } finally {
    await server.close();
  }

  await benchLargeTensor(report, repository, quiet, durationMs);
  await benchBlsHttp(report, repository, cli, concurrencies, durationMs);

  report.printSummary();
  process.stdout.write(`\nload average at the end: ${load()}\n`);
  const machine = { node: process.version, cpus: availableParallelism(), loadavgStart: loadStart, loadavgEnd: loadavg() };
  await mkdir(`${root}.bench-results`, { recursive: true });
  await writeFile(
    `${root}.bench-results/scripts.json`,
    JSON.stringify({ durationMs, machine, rows: report.rows, figures: report.figures, skipped: report.skipped, notes: report.notes }, null, 2),
  );
  // Disposed isolates need a moment before the process exits (docs/design/script-backend.md).
  await new Promise((resolve) => setTimeout(resolve, 100));
}

await main();
