/**
 * Answers a batch one request at a time, so one bad request fails only
 * itself (Triton's per-request error responses). A `NereidError` (a client's mistake, or a
 * called model's failure) becomes that request's error response, prefixed
 * with the model's name and keeping its code; anything else is a bug and is
 * rethrown, failing the batch with a stack that points at it.
 *
 * @example
 * ```ts
 * execute(requests) {
 *   return answerEach(requests, 'ocr', async (request) => new InferenceResponse({ outputs: await read(request) }));
 * }
 * ```
 */
import { NereidError } from '../errors.ts';
import type { InferenceRequest } from './inference-request.ts';
import { InferenceResponse } from './inference-response.ts';

/** One response per request, in order; requests run concurrently. */
export function answerEach(
  requests: readonly InferenceRequest[],
  modelName: string,
  answer: (request: InferenceRequest) => InferenceResponse | Promise<InferenceResponse>,
): Promise<InferenceResponse[]> {
  return Promise.all(
    requests.map(async (request) => {
      try {
        return await answer(request);
      } catch (error) {
        if (!(error instanceof NereidError)) throw error;
        return new InferenceResponse({ error: new NereidError(error.code, `model '${modelName}': ${error.message}`) });
      }
    }),
  );
}
