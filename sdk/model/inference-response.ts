/**
 * One response: what `execute` returns for each request (in request order),
 * and what a BLS call (`request.exec()`) resolves to. As in Triton, a response
 * carries either outputs or an error: a BLS call that fails resolves with
 * `hasError()` true rather than rejecting, and `execute` fails one request of
 * a batch by returning a response with an `error`.
 *
 * Outputs the caller did not ask for are dropped before the response leaves
 * the model (Triton's Python backend does the same).
 *
 * @example
 * ```ts
 * import { InferenceRequest, InferenceResponse, NereidError, Tensor } from 'nereid/model';
 *
 * new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'FP32', [1], new Float32Array([0.5]))] });
 * new InferenceResponse({ error: NereidError.invalidArg("input 'TEXT' is empty") });
 *
 * const response = await new InferenceRequest({ model: 'tokenizer', inputs: [text] }).exec();
 * if (response.hasError()) throw response.error;
 * const ids = response.requireOutput('IDS');
 * ```
 */
import { NereidError } from '../errors.ts';
import { Tensor } from '../tensor.ts';
import { asNereidError } from './failure.ts';
import { checkParameters, type Parameters } from './parameters.ts';
import type { ParameterValue } from './isolate-protocol.ts';

/** What `new InferenceResponse(...)` takes. */
export interface InferenceResponseInit {
  /** Output tensors, each name at most once. */
  outputs?: readonly Tensor[];
  /** Response parameters: booleans, finite numbers, strings. */
  parameters?: Record<string, ParameterValue>;
  /** Fails this response (only this request of a batch). A plain Error counts as INTERNAL. */
  error?: Error;
}

/** Checks that `tensors` is an array of distinct-named Tensors and returns a frozen copy. */
export function checkTensors(tensors: unknown, what: string, kind: 'input' | 'output'): readonly Tensor[] {
  if (!Array.isArray(tensors)) throw NereidError.invalidArg(`${what}: ${kind}s must be an array of Tensor`);
  const names = new Set<string>();
  tensors.forEach((tensor: unknown, index) => {
    if (!(tensor instanceof Tensor)) {
      throw NereidError.invalidArg(`${what}: ${kind} ${index} is not a Tensor (build it with new Tensor(name, datatype, shape, data))`);
    }
    if (names.has(tensor.name)) throw NereidError.invalidArg(`${what}: ${kind} '${tensor.name}' appears more than once`);
    names.add(tensor.name);
  });
  return Object.freeze([...(tensors as Tensor[])]);
}

/** The outcome of one request. */
export class InferenceResponse {
  readonly outputs: readonly Tensor[];
  readonly parameters: Parameters;
  /** Set when the request failed; its `code` is one of Triton's error codes. */
  readonly error: NereidError | undefined;

  constructor(init: InferenceResponseInit = {}) {
    this.outputs = checkTensors(init.outputs ?? [], 'InferenceResponse', 'output');
    this.parameters = checkParameters(init.parameters, 'InferenceResponse');
    if (init.error !== undefined && !(init.error instanceof Error)) {
      throw NereidError.invalidArg('InferenceResponse: error must be a NereidError (or another Error)');
    }
    this.error = init.error === undefined ? undefined : asNereidError(init.error);
  }

  /** True when this response reports a failure (`error` is set). */
  hasError(): boolean {
    return this.error !== undefined;
  }

  /** The output named `name`, if there is one. */
  output(name: string): Tensor | undefined {
    return this.outputs.find((tensor) => tensor.name === name);
  }

  /** The output named `name`; throws this response's error, or INVALID_ARG naming the missing output. */
  requireOutput(name: string): Tensor {
    if (this.error !== undefined) throw this.error;
    const tensor = this.output(name);
    if (tensor === undefined) {
      const names = this.outputs.map((output) => output.name).join(', ') || 'none';
      throw NereidError.invalidArg(`the response has no output '${name}' (its outputs: ${names})`);
    }
    return tensor;
  }
}
