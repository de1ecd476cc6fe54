/**
 * `npm run bench:ocr`: the OCR pipeline three ways, on the real PP-OCRv4
 * models and the example images (examples/ocr/images), in one process:
 *
 *   floor         the pipeline as direct onnxruntime-node calls (bench/ocr-floor.ts):
 *                 the same sdk pre/post code, sessions in worker threads, no server
 *   ocr           the bundled BLS model through server.infer()
 *   ocr_ensemble  the bundled ensemble through server.infer()
 *
 * Images per second and p50/p99 at concurrency 1 and 8, the arms alternating
 * in rounds (paired-loop.ts) so each sees the same machine weather, and the
 * server's overhead as ratios to the floor. Every arm sends the encoded file
 * (decoding is part of the work) and must read the same text, checked first.
 *
 * Environment: BENCH_DURATION_MS (default 3000) per arm per concurrency.
 * Results are printed and written to .bench-results/ocr.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../runtime/logging/logger.ts';
import { createServer, type Server } from '../runtime/server/create-server.ts';
import { DEFAULT_OCR_SETTINGS, textLinesFromTensors } from '../sdk/ocr/index.ts';
import { Tensor } from '../sdk/tensor.ts';
import { OcrFloor } from './ocr-floor.ts';
import { pairedLoops, type Arm } from './paired-loop.ts';
import { Report } from './scripts-report.ts';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
const concurrencies = [1, 8] as const;
const root = fileURLToPath(new URL('..', import.meta.url));
const IMAGES = ['hello.png', 'receipt.jpg'];
const MODELS = ['ocr', 'ocr_ensemble', 'ocr_ensemble_preprocess', 'ocr_ensemble_crops', 'ocr_ensemble_decode', 'ocr_detection', 'ocr_orientation', 'ocr_recognition'];

const files = await Promise.all(IMAGES.map(async (name) => new Uint8Array(await readFile(`${root}examples/ocr/images/${name}`))));
/** Each call takes the next image, so every arm reads the same mix. */
const nextImage = (() => {
  let i = 0;
  return () => files[i++ % files.length]!;
})();

function serverArm(server: Server, model: string): Arm<Uint8Array> {
  return {
    name: model,
    prepare: nextImage,
    call: (file) => server.infer({ model, inputs: [new Tensor('image', 'BYTES', [1], [file])] }),
  };
}

async function main(): Promise<void> {
  const report = new Report();
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  report.print(`OCR: floor (direct onnxruntime-node) vs 'ocr' (BLS) vs 'ocr_ensemble', ${durationMs} ms per arm per concurrency; load average ${load()}\n`);
  const floor = await OcrFloor.create();
  const server = await createServer({ modelRepository: `${root}models`, modelControlMode: 'explicit', loadModels: MODELS, log: createLogger({ write: () => {} }) });
  try {
    const arms: Arm<Uint8Array>[] = [
      { name: 'floor', prepare: nextImage, call: (file) => floor.read(file, DEFAULT_OCR_SETTINGS) },
      serverArm(server, 'ocr'),
      serverArm(server, 'ocr_ensemble'),
    ];
    // The same text from every arm, or the comparison means nothing.
    for (const file of files) {
      const texts = await Promise.all(arms.map(async (arm) => {
        const result = await arm.call(file);
        const lines = Array.isArray(result) ? result : textLinesFromTensors((result as { outputs: Tensor[] }).outputs);
        return JSON.stringify(lines.map((line: { text: string }) => line.text));
      }));
      if (new Set(texts).size !== 1) throw new Error(`the arms disagree: ${texts.join(' / ')}`);
    }
    for (const concurrency of concurrencies) {
      const section = `c=${concurrency}`;
      report.print(`\nconcurrency ${concurrency} (latency in µs, throughput in images/s)\n`);
      const stats = await pairedLoops(arms, { concurrency, durationMs });
      for (const arm of arms) report.row(section, arm.name, concurrency, stats.get(arm.name)!);
      const base = stats.get('floor')!;
      for (const model of ['ocr', 'ocr_ensemble']) {
        const s = stats.get(model)!;
        report.figure({ section, name: `${model}: floor throughput / server's, c=${concurrency}`, value: base.throughput / s.throughput, unit: 'x' });
        report.figure({ section, name: `${model}: p50 / floor p50, c=${concurrency}`, value: s.p50 / base.p50, unit: 'x' });
        report.figure({ section, name: `${model}: p99 / floor p99, c=${concurrency}`, value: s.p99 / base.p99, unit: 'x' });
      }
    }
  } finally {
    await server.close();
    await floor.dispose();
  }
  report.print(`\nload average at the end: ${load()}\n`);
  await mkdir(`${root}.bench-results`, { recursive: true });
  await writeFile(`${root}.bench-results/ocr.json`, JSON.stringify({ durationMs, rows: report.rows, figures: report.figures }, null, 2));
}

await main();
