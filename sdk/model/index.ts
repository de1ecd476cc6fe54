/**
 * `nereid/model`: what a `model.ts` imports. The TypeScript counterpart of
 * Triton's Python backend `triton_python_backend_utils`:
 *
 * | Triton Python backend | nereid/model |
 * |---|---|
 * | `class TritonPythonModel` (`initialize`, `execute`, `finalize`) | `export default class X implements Model`, or named exports |
 * | `auto_complete_config(config)` | `static autoCompleteConfig(config)` or `export function autoCompleteConfig` |
 * | `pb_utils.Tensor`, `get_input_tensor_by_name` | `Tensor`, `request.input(name)` / `request.requireInput(name)` |
 * | `pb_utils.InferenceResponse(output_tensors, error)` | `new InferenceResponse({ outputs, error })` |
 * | `pb_utils.InferenceRequest(...).exec()` / `async_exec()` | `await new InferenceRequest({ model, inputs }).exec()` |
 * | BLS `request_id=`, `correlation_id=`, `flags=`, `timeout=` | `requestId`, `correlationId`, `flags` (`RequestFlags`), `timeoutMs` in `new InferenceRequest({...})` |
 * | `request.request_id()`, `correlation_id()`, `flags()` | `request.id`, `request.correlationId`, `request.flags` |
 * | `exec(decoupled=True)` | `for await (const response of new InferenceRequest({...}).stream())` |
 * | `request.get_response_sender()`, `sender.send(response, flags=TRITONSERVER_RESPONSE_COMPLETE_FINAL)`, `sender.is_cancelled()` | `request.getResponseSender()`, `sender.send(response, { final: true })`, `sender.isCancelled()` |
 * | `pb_utils.TritonError` | `NereidError` |
 * | `pb_utils.Logger` | `log` (and `console`) |
 * | `pb_utils.is_model_ready` | `isModelReady(name, version?)` |
 * | `pb_utils.load_model(name, config, files)`, `pb_utils.unload_model(name, unload_dependents)` | `await loadModel(name, { config, files })`, `await unloadModel(name, { unloadDependents })` |
 * | `request.trace()`, BLS `trace=request.trace()` | `request.trace()`, `new InferenceRequest({ ..., trace: request.trace() })` |
 * | `pb_utils.MetricFamily(name, description, kind)`, `.Metric(labels, buckets)` | `new MetricFamily({ name, description, kind })`, `family.metric({ labels, buckets })` |
 *
 * Everything here is environment-free: it runs inside the isolate a model
 * gets (see `prelude.ts` for the globals there: no fs, network, process or
 * Buffer) and in plain Node, so a model can be unit-tested by calling its
 * `execute` directly.
 *
 * @example
 * ```ts
 * import { InferenceResponse, Tensor, type InferenceRequest, type Model } from 'nereid/model';
 *
 * export default class Identity implements Model {
 *   execute(requests: InferenceRequest[]): InferenceResponse[] {
 *     return requests.map((request) => new InferenceResponse({ outputs: [request.requireInput('INPUT0').rename('OUTPUT0')] }));
 *   }
 * }
 * ```
 */
// The prelude first: in a bundle whose entry forgot it, this still installs the globals before tensor.ts loads.
import './prelude.ts';

export { Tensor } from '../tensor.ts';
export { DATATYPES, type DataArray, type DataType } from '../datatypes.ts';
export { NereidError, type ErrorCode, type ErrorData } from '../errors.ts';
export { InferenceRequest, RequestFlags, type InferenceRequestInit, type InferenceTrace } from './inference-request.ts';
export { InferenceResponse, type InferenceResponseInit } from './inference-response.ts';
export { answerEach } from './answer-each.ts';
export { ConfigParameters, type NumberRange } from './config-parameters.ts';
export { isModelReady } from './bls.ts';
export { loadModel, unloadModel, type LoadModelOptions, type UnloadModelOptions } from './model-control.ts';
export { log, type ModelLog } from './log.ts';
export { MetricFamily, type Metric, type MetricFamilyInit, type MetricInit, type MetricKind } from './metrics.ts';
export type { AutoCompleteConfig, InitializeArgs, Model, ModelClass, ModelConfig } from './model-interface.ts';
export type { Parameters } from './parameters.ts';
export type { ParameterValue } from './isolate-protocol.ts';
