/**
 * vad: streaming voice-activity detection on Silero VAD, one 32 ms chunk
 * (512 samples at 16 kHz) per request, many streams batched together.
 *
 * The sequence batcher (config.pbtxt) keeps each stream's implicit state,
 * batch first: `state_in` [1, 2, 128] (silero's recurrent state) and
 * `context_in` [1, 64] (the tail of the stream's previous chunk), both zeros
 * when a sequence starts. Each execute gets the next chunk of up to
 * max_batch_size streams and makes one BLS call to the ONNX `silero_vad`
 * for all of them, transposing the states into the model's [2, B, 128]
 * (silero-batch.ts) and back. A request whose audio is not finite fails
 * alone; its stream keeps the state it had.
 */
import { InferenceRequest, InferenceResponse, NereidError, Tensor, type InitializeArgs, type Model } from 'nereid/model';
import {
  CHUNK_SAMPLES,
  CONTEXT_SAMPLES,
  nextContext,
  packInput,
  packStates,
  SAMPLE_RATE,
  STATE_LAYERS,
  STATE_WIDTH,
  unpackState,
} from './silero-batch.ts';

/** The ONNX model this one calls, and its tensors. */
const SILERO = { model: 'silero_vad', input: 'input', state: 'state', rate: 'sr', probability: 'output', nextState: 'stateN' } as const;

/** One stream's chunk, ready to score. */
interface Row {
  readonly chunk: Float32Array;
  readonly state: Float32Array;
  readonly context: Float32Array;
}

export default class Vad implements Model {
  #name = 'vad';

  initialize(args: InitializeArgs): void {
    this.#name = args.modelName;
  }

  async execute(requests: InferenceRequest[]): Promise<InferenceResponse[]> {
    const rows = requests.map((request) => this.#read(request));
    const accepted = rows.filter((row): row is Row => !(row instanceof NereidError));
    const scored = accepted.length === 0 ? [] : await this.#score(accepted);
    let next = 0;
    return rows.map((row) => {
      if (row instanceof NereidError) return new InferenceResponse({ error: row });
      if (scored instanceof NereidError) return new InferenceResponse({ error: scored });
      return scored[next++]!;
    });
  }

  /** A request's chunk and its stream's state, or the error that request gets. */
  #read(request: InferenceRequest): Row | NereidError {
    const chunk = request.requireInput('audio').data as Float32Array;
    for (let i = 0; i < chunk.length; i++) {
      if (!Number.isFinite(chunk[i])) {
        return NereidError.invalidArg(`model '${this.#name}': input 'audio' holds a value that is not a finite number (sample ${i}: ${chunk[i]})`);
      }
    }
    return {
      chunk,
      state: request.requireInput('state_in').data as Float32Array,
      context: request.requireInput('context_in').data as Float32Array,
    };
  }

  /** One silero call for every row: each row's response, or the error all of them get. */
  async #score(rows: readonly Row[]): Promise<InferenceResponse[] | NereidError> {
    const batch = rows.length;
    const inputs = [
      new Tensor(SILERO.input, 'FP32', [batch, CONTEXT_SAMPLES + CHUNK_SAMPLES], packInput(rows.map((row) => row.context), rows.map((row) => row.chunk))),
      new Tensor(SILERO.state, 'FP32', [STATE_LAYERS, batch, STATE_WIDTH], packStates(rows.map((row) => row.state))),
      new Tensor(SILERO.rate, 'INT64', [1], BigInt64Array.of(BigInt(SAMPLE_RATE))),
    ];
    const response = await new InferenceRequest({ model: SILERO.model, inputs, requestedOutputs: [SILERO.probability, SILERO.nextState] }).exec();
    if (response.error !== undefined) {
      // Keep the code: UNAVAILABLE while silero_vad loads should read as such to a client.
      return new NereidError(response.error.code, `model '${this.#name}': model '${SILERO.model}' failed: ${response.error.message}`);
    }
    const probability = response.output(SILERO.probability);
    const nextState = response.output(SILERO.nextState);
    if (!probability || probability.datatype !== 'FP32' || probability.shape.join() !== `${batch},1`) {
      return NereidError.internal(`model '${this.#name}': model '${SILERO.model}' did not return '${SILERO.probability}' FP32 [${batch},1]`);
    }
    if (!nextState || nextState.datatype !== 'FP32' || nextState.shape.join() !== `${STATE_LAYERS},${batch},${STATE_WIDTH}`) {
      return NereidError.internal(`model '${this.#name}': model '${SILERO.model}' did not return '${SILERO.nextState}' FP32 [${STATE_LAYERS},${batch},${STATE_WIDTH}]`);
    }
    const probabilities = probability.data as Float32Array;
    const states = nextState.data as Float32Array;
    return rows.map(
      (row, i) =>
        new InferenceResponse({
          outputs: [
            new Tensor('speech_probability', 'FP32', [1, 1], probabilities.slice(i, i + 1)),
            new Tensor('state_out', 'FP32', [1, STATE_LAYERS, STATE_WIDTH], unpackState(states, batch, i)),
            new Tensor('context_out', 'FP32', [1, CONTEXT_SAMPLES], nextContext(row.chunk)),
          ],
        }),
    );
  }
}
