/**
 * The OCR pipeline end to end: a real server (HTTP and gRPC frontends on free
 * ports) serving the bundled `ocr` (BLS) and `ocr_ensemble` models on the
 * real PP-OCRv4 weights, read with examples/ocr's client code on checked-in
 * images of known text (examples/ocr/images, see its README.md). One server
 * for the file; small images, so the whole file takes a few seconds.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcFrontend, type GrpcFrontend } from '../../runtime/grpc/grpc-frontend.ts';
import { GrpcClient, HttpClient, Tensor, type InferenceClient } from '../../sdk/client/index.ts';
import { textLinesFromTensors } from '../../sdk/ocr/text-lines.ts';
import { decodeImage, imageToTensor } from '../../sdk/vision/index.ts';
import { readText, type OcrModel } from '../../examples/ocr/read-text.ts';
import { memoryLogger } from '../server/support.ts';
import { writePng } from './support/png-writer.ts';
import { errorOf } from '../support/rejection.ts';
import { BUNDLED_MODELS, REPO_ROOT, startE2e, type E2eServer } from '../e2e/support/e2e-server.ts';

const OCR_MODELS = ['ocr', 'ocr_ensemble', 'ocr_ensemble_preprocess', 'ocr_ensemble_crops', 'ocr_ensemble_decode', 'ocr_detection', 'ocr_orientation', 'ocr_recognition'];
const image = (name: string) => new Uint8Array(readFileSync(new URL(`../../examples/ocr/images/${name}`, import.meta.url)));

/** What each fixture says (examples/ocr/images/README.md), line by line in reading order. */
const EXPECTED: Record<string, string[]> = {
  'hello.png': ['Hello, nereid!', 'Serving OCR since 2024'],
  'receipt.jpg': ['Coffee', '3.50', 'Bagel', '2.25', 'TOTAL', '5.75'],
};

let e2e: E2eServer;
let grpc: GrpcFrontend;
let clients: Record<'HTTP' | 'gRPC', InferenceClient>;

beforeAll(async () => {
  e2e = await startE2e({ modelRepository: BUNDLED_MODELS, modelControlMode: 'explicit', loadModels: OCR_MODELS });
  grpc = createGrpcFrontend(e2e.server, { port: 0, host: '127.0.0.1', log: memoryLogger() });
  const { port } = await grpc.listen();
  clients = { HTTP: new HttpClient(e2e.baseUrl), gRPC: new GrpcClient(`127.0.0.1:${port}`) };
}, 60_000);
afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.close();
  await grpc?.close();
  await e2e?.close();
});

/** The error `promise` rejects with. */
describe('examples/ocr against the bundled OCR models', () => {
  for (const protocol of ['HTTP', 'gRPC'] as const) {
    for (const model of ['ocr', 'ocr_ensemble'] as OcrModel[]) {
      it(`reads the fixtures with '${model}' over ${protocol}`, async () => {
        for (const [name, text] of Object.entries(EXPECTED)) {
          const lines = await readText(clients[protocol], image(name), { model });
          expect({ name, text: lines.map((line) => line.text) }).toEqual({ name, text });
          for (const line of lines) expect(line.score).toBeGreaterThan(0.8);
        }
      });
    }
  }

  it('gives the same boxes from both pipelines, inside the image, top-left corner first', async () => {
    const [bls, ensemble] = await Promise.all((['ocr', 'ocr_ensemble'] as const).map((model) => readText(clients.HTTP, image('hello.png'), { model })));
    expect(ensemble.map((line) => line.box)).toEqual(bls!.map((line) => line.box));
    const [first] = bls!;
    // "Hello, nereid!" was drawn at x 20, baseline 50, 28 pt (examples/ocr/images/README.md).
    expect(first!.box[0][0]).toBeGreaterThanOrEqual(10);
    expect(first!.box[0][0]).toBeLessThanOrEqual(25);
    expect(first!.box[2][1]).toBeGreaterThan(50);
    expect(first!.box[2][1]).toBeLessThanOrEqual(65);
  });

  it("'ocr' also takes decoded pixels (UINT8 [h, w, 3]), and turns upside-down lines when asked", async () => {
    const pixels = imageToTensor('pixels', decodeImage(image('hello.png')));
    const { outputs } = await clients.gRPC.infer({ model: 'ocr', inputs: [pixels] });
    expect(textLinesFromTensors(outputs).map((line) => line.text)).toEqual(EXPECTED['hello.png']);
    // hello.png turned 180 degrees: each line is read the right way up, in the turned image's reading order.
    const upright = await readText(clients.HTTP, image('upside-down.png'), { model: 'ocr', classifyOrientation: true });
    expect(upright.map((line) => line.text)).toEqual([...EXPECTED['hello.png']!].reverse());
    const unturned = await readText(clients.HTTP, image('upside-down.png'), { model: 'ocr' });
    expect(unturned.map((line) => line.text)).not.toContain('Hello, nereid!');
    // The switch as text, from clients that send every parameter as a string.
    const asText = await clients.HTTP.infer({ model: 'ocr', inputs: [new Tensor('image', 'BYTES', [1], [image('upside-down.png')])], parameters: { classify_orientation: 'true' } });
    expect(textLinesFromTensors(asText.outputs).map((line) => line.text)).toEqual([...EXPECTED['hello.png']!].reverse());
    // The ensemble has no orientation step: it refuses the switch rather than answer unturned.
    const refused = await errorOf(readText(clients.HTTP, image('upside-down.png'), { model: 'ocr_ensemble', classifyOrientation: true }));
    expect(refused.code).toBe('UNSUPPORTED');
    expect(refused.message).toMatch(/parameter 'classify_orientation': ocr_ensemble does not turn upside-down lines \(it has no orientation step\); use model 'ocr'/);
  });

  it('answers an image without text with no lines', async () => {
    const blank = imageToTensor('pixels', decodeImage(image('hello.png')));
    blank.data.fill(255);
    const { outputs } = await clients.HTTP.infer({ model: 'ocr', inputs: [blank] });
    expect(outputs.map((output) => `${output.name} [${output.shape.join(',')}]`).sort()).toEqual(['boxes [0,4,2]', 'scores [0]', 'text [0]']);
    // The ensemble too: its recognition step gets a placeholder line, which its decode step drops.
    const white = writePng({ width: 96, height: 48, colorType: 0, bitDepth: 8, rows: Array.from({ length: 48 }, () => new Uint8Array(96).fill(255)) });
    expect(await readText(clients.gRPC, white, { model: 'ocr_ensemble' })).toEqual([]);
  });

  it('prints the lines from its command line', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/ocr/main.ts', 'examples/ocr/images/receipt.jpg', '--http', e2e.baseUrl, '--ensemble'], { cwd: REPO_ROOT });
    expect(stdout).toMatch(/^Coffee\t\(score 0\.\d{3}, box \d+,\d+ \d+,\d+ \d+,\d+ \d+,\d+\)\n3\.50\t/);
    expect(stdout).toMatch(/6 line\(s\) from 'ocr_ensemble' over HTTP in [\d.]+ ms/);
  });
});

describe('bad input gets an error naming the model and the tensor', () => {
  for (const model of ['ocr', 'ocr_ensemble']) {
    it(`'${model}': garbage bytes, an empty file, a wrong datatype`, async () => {
      const garbage = await errorOf(clients.HTTP.infer({ model, inputs: [new Tensor('image', 'BYTES', [1], [new TextEncoder().encode('not an image')])] }));
      expect(garbage.code).toBe('INVALID_ARG');
      expect(garbage.message).toMatch(new RegExp(`model '${model}(_preprocess)?': input 'image' is not a PNG or JPEG image \\(its 12 bytes start with 6e 6f 74`));
      const empty = await errorOf(clients.gRPC.infer({ model, inputs: [new Tensor('image', 'BYTES', [1], [new Uint8Array(0)])] }));
      expect(empty.code).toBe('INVALID_ARG');
      expect(empty.message).toMatch(new RegExp(`model '${model}(_preprocess)?': input 'image' is empty: expected the bytes of a PNG or JPEG file`));
      const wrongType = await errorOf(clients.HTTP.infer({ model, inputs: [new Tensor('image', 'FP32', [1], new Float32Array(1))] }));
      expect(wrongType.code).toBe('INVALID_ARG');
      expect(wrongType.message).toContain(`'${model}'`);
      expect(wrongType.message).toContain("'image'");
      expect(wrongType.message).toContain('FP32');
    });
  }

  it("'ocr': both inputs or none, and a truncated PNG", async () => {
    const pixels = new Tensor('pixels', 'UINT8', [1, 1, 3], new Uint8Array(3));
    const both = await errorOf(clients.HTTP.infer({ model: 'ocr', inputs: [pixels, new Tensor('image', 'BYTES', [1], [image('hello.png')])] }));
    expect(both.message).toBe("model 'ocr': send exactly one of the inputs 'image' (PNG or JPEG bytes) and 'pixels' (UINT8 [height, width, 3]); got 2");
    const truncated = await errorOf(clients.HTTP.infer({ model: 'ocr', inputs: [new Tensor('image', 'BYTES', [1], [image('hello.png').subarray(0, 200)])] }));
    expect(truncated.message).toMatch(/^model 'ocr': input 'image': not a valid PNG image: /);
  });
});
