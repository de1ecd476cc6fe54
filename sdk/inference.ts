/**
 * In-process inference requests and responses: what `server.infer()` takes
 * and returns, and what every frontend decodes into and encodes from.
 *
 * @example
 * ```ts
 * const response = await server.infer({
 *   model: 'simple',
 *   inputs: [new Tensor('INPUT0', 'INT32', [1, 16], a), new Tensor('INPUT1', 'INT32', [1, 16], b)],
 *   outputs: [{ name: 'OUTPUT0' }],
 * });
 * response.outputs[0].data; // Int32Array
 * ```
 */
import type { Tensor } from './tensor.ts';

/** A request or response parameter value (KServe v2 allows bool, number, string). */
export type ParameterValue = boolean | number | string | bigint;
export type Parameters = Record<string, ParameterValue>;

/** An output the caller asks for, with per-output parameters such as `binary_data`. */
export interface RequestedOutput {
  name: string;
  parameters?: Parameters;
}

export interface InferRequest {
  /** Model name. */
  model: string;
  /** Model version as a decimal string; empty or absent means the version policy decides (highest ready). */
  version?: string;
  /** Echoed back in the response. */
  id?: string;
  parameters?: Parameters;
  /**
   * Input tensors. The server takes ownership of their data: a buffer that a
   * tensor's data spans wholly may be transferred to the worker thread running
   * the model (zero-copy) and is detached afterwards. Copy data you still need.
   */
  inputs: Tensor[];
  /** Outputs to return; absent or empty means every output in the config. */
  outputs?: RequestedOutput[];
  /**
   * Cancels the request when it aborts: a request still queued is dropped
   * and answered CANCELLED; a model.ts running it sees `request.isCancelled()`
   * and the BLS calls it made for it are cancelled too. A request already
   * running on an ONNX instance finishes.
   */
  signal?: AbortSignal;
}

/**
 * One message of a streamed inference (`server.inferStream()`): a response,
 * or an error for it (the stream goes on unless `final`), and whether it is
 * the last message. A final message may carry neither (a decoupled model
 * ending its stream without another response).
 */
export interface InferStreamItem {
  response?: InferResponse;
  error?: Error & { code: string };
  final: boolean;
}

export interface InferResponse {
  model: string;
  version: string;
  id?: string;
  parameters?: Parameters;
  outputs: Tensor[];
}
