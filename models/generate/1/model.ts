/**
 * Token-by-token generation over the ONNX `generate_decoder`: the loop a
 * Triton user writes in a Python-backend model with BLS, in TypeScript.
 *
 * For each request: read the prompt and the sampling settings, then call the
 * decoder once per token with the whole sequence so far (it has no KV cache)
 * and pick the next token from the logits of the last position, until the
 * end token, `max_tokens`, or the decoder's context is full. The end token
 * itself is not returned. `output_ids` holds the generated tokens only.
 *
 * Per-request settings, as request parameters or optional 1-element inputs
 * (request-settings.ts): `max_tokens`, `temperature` (0: greedy), `top_k`,
 * `top_p`, `seed`, `end_id` (-1: none). Per-model settings come from the
 * config's parameters (model-options.ts).
 *
 * Each step is one `await` on a BLS call that joins the decoder's queue like
 * any network request; between steps this code runs on the server's main
 * thread for a few microseconds (a sort of 64 logits at most).
 *
 * Streaming: when the config says `model_transaction_policy { decoupled: true }`
 * (the bundled one does), each token goes to the client as soon as it is
 * picked, as its own response (`output_ids` INT64 [1]), and a final flag ends
 * the stream; otherwise one response carries all the tokens.
 */
import {
  InferenceRequest,
  InferenceResponse,
  NereidError,
  Tensor,
  type InitializeArgs,
  type Model,
} from 'nereid/model';
import { readModelOptions, type GenerateOptions } from './model-options.ts';
import { readPrompt } from './prompt.ts';
import { SeededRandom } from './random.ts';
import { readRequestSettings } from './request-settings.ts';
import { pickToken } from './sampling.ts';

/** Where the tokens go as they are picked (a decoupled stream), or nowhere until the end. */
type OnToken = (token: bigint) => void;

export default class Generate implements Model {
  #options: GenerateOptions | undefined;
  #name = 'generate';
  #streaming = false;

  initialize(args: InitializeArgs): void {
    this.#name = args.modelName;
    this.#options = readModelOptions(args.modelConfig);
    this.#streaming = args.modelConfig.model_transaction_policy?.decoupled === true;
  }

  async execute(requests: InferenceRequest[]): Promise<InferenceResponse[] | undefined> {
    // max_batch_size 0: the scheduler hands over one request at a time, but
    // several would simply generate side by side, interleaving their steps.
    if (!this.#streaming) return Promise.all(requests.map((request) => this.#respond(request)));
    await Promise.all(requests.map((request) => this.#stream(request)));
    return undefined;
  }

  async #respond(request: InferenceRequest): Promise<InferenceResponse> {
    try {
      const generated = await this.#generate(request);
      return new InferenceResponse({ outputs: [new Tensor('output_ids', 'INT64', [generated.length], generated)] });
    } catch (error) {
      return new InferenceResponse({ error: this.#named(error) });
    }
  }

  /** Sends each token as its own response, then the final flag (with the error, if generation failed). */
  async #stream(request: InferenceRequest): Promise<void> {
    const sender = request.getResponseSender();
    try {
      await this.#generate(request, (token) => {
        sender.send(new InferenceResponse({ outputs: [new Tensor('output_ids', 'INT64', [1], BigInt64Array.of(token))] }));
      });
      sender.send(undefined, { final: true });
    } catch (error) {
      sender.send(new InferenceResponse({ error: this.#named(error) }), { final: true });
    }
  }

  /** A NereidError that names this model (the client may see only the message, and a BLS error names the decoder). */
  #named(error: unknown): NereidError {
    // Anything else is a bug here: let it fail the execute, so the server logs it with its stack.
    if (!(error instanceof NereidError)) throw error;
    return new NereidError(error.code, `model '${this.#name}': ${error.message}`);
  }

  /** The generated tokens (without the prompt or the end token); `onToken` sees each as it is picked. */
  async #generate(request: InferenceRequest, onToken?: OnToken): Promise<BigInt64Array> {
    const options = this.#options;
    if (!options) throw NereidError.internal('execute before initialize');
    const prompt = readPrompt(request, options);
    const settings = readRequestSettings(request, options);
    const random = settings.temperature > 0 ? new SeededRandom(settings.seed) : undefined;
    const draw = random ? () => random.next() : undefined;

    // One buffer for the whole sequence; each step sends a copy of its prefix,
    // because a tensor's buffer may be transferred to the server (and detached).
    const sequence = new BigInt64Array(options.contextLength);
    sequence.set(prompt);
    let length = prompt.length;
    const steps = Math.min(settings.maxTokens, options.contextLength - length);
    for (let step = 1; step <= steps; step++) {
      if (request.isCancelled()) throw new NereidError('CANCELLED', `generation cancelled by the client after ${step - 1} tokens`);
      const response = await new InferenceRequest({
        model: options.decoderModel,
        inputs: [new Tensor('input_ids', 'INT64', [1, length], sequence.slice(0, length))],
        requestedOutputs: ['logits'],
      }).exec();
      if (response.error) {
        const { code, message } = response.error;
        throw new NereidError(code, `decoder '${options.decoderModel}' failed at step ${step}: ${message}`);
      }
      const logits = response.requireOutput('logits').data as Float32Array;
      if (logits.length !== options.vocabSize) {
        throw NereidError.internal(
          `decoder '${options.decoderModel}' returned ${logits.length} logits; this model's config says vocab_size ${options.vocabSize}`,
        );
      }
      const next = pickToken(logits, settings, draw);
      if (next === settings.endId) break;
      sequence[length++] = BigInt(next);
      onToken?.(BigInt(next));
    }
    return sequence.slice(prompt.length, length);
  }
}
