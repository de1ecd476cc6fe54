/**
 * mlp_classifier: the ONNX `mlp` made usable by a client that has a raw
 * signal, not a standardized 64-value tensor. The work around the model runs
 * here, in TypeScript:
 *
 * 1. read each request's examples (read-rows.ts): FP32 `features` or numbers
 *    as `text`, any length; a request that is wrong gets an INVALID_ARG
 *    response of its own, and the others in the batch go on;
 * 2. fit every example to 64 values and standardize it (preprocess.ts), all
 *    rows of all requests into one [rows, 64] buffer;
 * 3. send that buffer to `mlp` in one BLS call: one inference for the whole
 *    batch, however many requests it holds (a second call only past mlp's
 *    max_batch_size);
 * 4. per request, its rows of probabilities -> top k (request parameter
 *    `top_k`) -> `labels` (labels.json), `scores`, `class_ids`, each [rows, k].
 */
import { InferenceRequest, InferenceResponse, NereidError, Tensor, log, type InitializeArgs, type Model } from 'nereid/model';
import labelFile from '../labels.json' with { type: 'json' };
import { BACKBONE } from './backbone.ts';
import { writeRow } from './preprocess.ts';
import { readRows, type RawRows } from './read-rows.ts';
import { readSettings, type ClassifierSettings } from './settings.ts';
import { topK } from './top-k.ts';

/** A request that passed validation: its examples, its k, and where its rows start in the batch. */
interface Accepted {
  readonly raw: RawRows;
  readonly k: number;
  readonly firstRow: number;
}

/** labels.json is bundled with the code, so a wrong file fails the load here rather than a request later. */
function checkLabels(modelName: string, labels: unknown): readonly string[] {
  if (!Array.isArray(labels) || labels.length !== BACKBONE.classes || !labels.every((label) => typeof label === 'string' && label !== '')) {
    throw NereidError.invalidArg(`model '${modelName}': labels.json must be an array of ${BACKBONE.classes} non-empty strings, one per class of '${BACKBONE.model}'`);
  }
  return Object.freeze([...(labels as string[])]);
}

/** The request's `top_k` parameter (a number, or its decimal string from a client that sends strings), else `fallback`. */
function topKOf(request: InferenceRequest, fallback: number): number {
  const value = request.parameters.top_k;
  if (value === undefined) return fallback;
  const k = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > BACKBONE.classes) {
    throw NereidError.invalidArg(`parameter 'top_k' must be an integer from 1 to ${BACKBONE.classes}, got ${JSON.stringify(value)}`);
  }
  return k;
}

export default class MlpClassifier implements Model {
  #settings!: ClassifierSettings;
  #labels: readonly string[] = [];
  #modelName = 'mlp_classifier';

  initialize(args: InitializeArgs): void {
    this.#modelName = args.modelName;
    this.#settings = readSettings(args.modelConfig, BACKBONE.width, BACKBONE.classes);
    this.#labels = checkLabels(args.modelName, labelFile);
    const { lengthPolicy, defaultTopK, mean, std } = this.#settings;
    log.info(`${lengthPolicy} to ${BACKBONE.width} values, standardize with ${mean.length} mean(s) and ${std.length} std(s), top_k ${defaultTopK} by default`);
  }

  async execute(requests: InferenceRequest[]): Promise<InferenceResponse[]> {
    let rows = 0;
    const prepared = requests.map((request) => {
      const accepted = this.#accept(request, rows);
      if (!(accepted instanceof NereidError)) rows += accepted.raw.rows.length;
      return accepted;
    });
    const batch = new Float32Array(rows * BACKBONE.width);
    for (const item of prepared) {
      if (item instanceof NereidError) continue;
      item.raw.rows.forEach((values, row) => writeRow(values, this.#settings, BACKBONE.width, batch, (item.firstRow + row) * BACKBONE.width));
    }
    // Every request failed validation: nothing to send.
    const probabilities = rows === 0 ? new Float32Array(0) : await this.#classify(batch, rows);
    return prepared.map((item) => {
      if (item instanceof NereidError) return new InferenceResponse({ error: item });
      if (probabilities instanceof NereidError) return new InferenceResponse({ error: probabilities });
      return this.#respond(item, probabilities);
    });
  }

  /**
   * Validates one request. A client's mistake (NereidError) becomes that
   * request's error; anything else is a bug in this model and is rethrown, so
   * it fails the batch with a stack that points here.
   */
  #accept(request: InferenceRequest, firstRow: number): Accepted | NereidError {
    try {
      return { raw: readRows(request, this.#settings.maxLength), k: topKOf(request, this.#settings.defaultTopK), firstRow };
    } catch (error) {
      // Named, as answerEach names them: through a BLS caller or an ensemble the client must see which model refused.
      if (error instanceof NereidError) return new NereidError(error.code, `model '${this.#modelName}': ${error.message}`);
      throw error;
    }
  }

  /** `mlp`'s probabilities for the `rows` rows of `batch`, [rows * classes]; or the error every accepted request then gets. */
  async #classify(batch: Float32Array, rows: number): Promise<Float32Array | NereidError> {
    const { width, classes, maxBatchSize } = BACKBONE;
    const calls: Promise<InferenceResponse>[] = [];
    for (let first = 0; first < rows; first += maxBatchSize) {
      const count = Math.min(maxBatchSize, rows - first);
      const input = new Tensor(BACKBONE.input, 'FP32', [count, width], batch.subarray(first * width, (first + count) * width));
      calls.push(new InferenceRequest({ model: BACKBONE.model, inputs: [input], requestedOutputs: [BACKBONE.output] }).exec());
    }
    const responses = await Promise.all(calls);
    const parts: Float32Array[] = [];
    for (const [index, response] of responses.entries()) {
      if (response.error !== undefined) {
        // Keep the code: UNAVAILABLE while mlp loads should read as such to a client, not as INTERNAL.
        return new NereidError(response.error.code, `backbone model '${BACKBONE.model}' failed: ${response.error.message}`);
      }
      const output = response.output(BACKBONE.output);
      const count = Math.min(maxBatchSize, rows - index * maxBatchSize);
      if (output === undefined || output.datatype !== 'FP32' || output.shape.join() !== `${count},${classes}`) {
        const got = output === undefined ? 'no such output' : `${output.datatype} [${output.shape.join(',')}]`;
        return NereidError.internal(`backbone model '${BACKBONE.model}': expected output '${BACKBONE.output}' FP32 [${count},${classes}], got ${got}`);
      }
      parts.push(output.data as Float32Array);
    }
    if (parts.length === 1) return parts[0]!;
    const all = new Float32Array(rows * classes);
    parts.forEach((part, index) => all.set(part, index * maxBatchSize * classes));
    return all;
  }

  /** One request's outputs: its rows of `probabilities`, each cut to the top k. */
  #respond(item: Accepted, probabilities: Float32Array): InferenceResponse {
    const { classes } = BACKBONE;
    const { k, raw } = item;
    const count = raw.rows.length;
    const labels: string[] = [];
    const scores = new Float32Array(count * k);
    const classIds = new Int32Array(count * k);
    for (let row = 0; row < count; row++) {
      const start = (item.firstRow + row) * classes;
      const rowScores = probabilities.subarray(start, start + classes);
      topK(rowScores, k).forEach((classId, rank) => {
        labels.push(this.#labels[classId]!);
        scores[row * k + rank] = rowScores[classId]!;
        classIds[row * k + rank] = classId;
      });
    }
    const shape = raw.batched ? [count, k] : [k];
    return new InferenceResponse({
      outputs: [Tensor.fromStrings('labels', shape, labels), new Tensor('scores', 'FP32', shape, scores), new Tensor('class_ids', 'INT32', shape, classIds)],
    });
  }
}
