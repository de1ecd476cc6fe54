/**
 * What a `model.ts` implements (Triton's `TritonPythonModel`, in TypeScript).
 *
 * Either export a class by default (instantiated once per model instance,
 * then `initialize`, `execute` per batch, `finalize` at unload), or export
 * the same functions by name. `autoCompleteConfig` is a static method of the
 * class, or a named export; it runs before any instance exists and may, as
 * Triton's `auto_complete_config`, add inputs and outputs (name, data_type,
 * dims; optional), fill in the data type and dims the config leaves open,
 * raise `max_batch_size`, add `dynamic_batching` and set
 * `model_transaction_policy.decoupled`. Changing anything else the config
 * file says fails the load.
 *
 * @example
 * ```ts
 * import { InferenceResponse, Tensor, type InferenceRequest, type InitializeArgs, type Model, type ModelConfig } from 'nereid/model';
 *
 * export default class AddOne implements Model {
 *   static autoCompleteConfig(config: ModelConfig): ModelConfig {
 *     config.input ??= [{ name: 'X', data_type: 'TYPE_FP32', dims: [-1] }];
 *     config.output ??= [{ name: 'Y', data_type: 'TYPE_FP32', dims: [-1] }];
 *     return config;
 *   }
 *   initialize(args: InitializeArgs): void {
 *     console.log('instance', args.modelInstanceName);
 *   }
 *   execute(requests: InferenceRequest[]): InferenceResponse[] {
 *     return requests.map((request) => {
 *       const x = request.requireInput('X');
 *       const y = (x.data as Float32Array).map((v) => v + 1);
 *       return new InferenceResponse({ outputs: [new Tensor('Y', 'FP32', x.shape, y)] });
 *     });
 *   }
 * }
 *
 * // or, without a class:
 * export function execute(requests: InferenceRequest[]): InferenceResponse[] { ... }
 * ```
 */
import type { ModelConfig } from '../model-config.ts';
import type { InferenceRequest } from './inference-request.ts';
import type { InferenceResponse } from './inference-response.ts';
import type { InitializeArgs } from './isolate-protocol.ts';

export type { InitializeArgs } from './isolate-protocol.ts';
export type { ModelConfig } from '../model-config.ts';

/** The methods of a model instance. Only `execute` is required. */
export interface Model {
  /** Once per instance, before the first `execute`. A throw fails the model's load. */
  initialize?(args: InitializeArgs): void | Promise<void>;
  /**
   * One batch of requests; returns exactly one response per request, in the
   * same order. A throw fails the whole batch; to fail one request, return a
   * response with an `error`. A decoupled model
   * (`model_transaction_policy { decoupled: true }`) returns nothing and sends
   * its responses with `request.getResponseSender()` instead.
   */
  execute(requests: InferenceRequest[]): InferenceResponse[] | void | Promise<InferenceResponse[] | void>;
  /** Once at unload, after the last `execute`. */
  finalize?(): void | Promise<void>;
}

/**
 * Completes the model config from what the model knows (runs before any
 * instance exists). Return the completed config; changing `config` in place
 * and returning nothing also works.
 */
export type AutoCompleteConfig = (config: ModelConfig) => ModelConfig | Promise<ModelConfig>;

/** A model class for `export default`: constructed with no arguments, once per instance. */
export interface ModelClass {
  new (): Model;
  autoCompleteConfig?: AutoCompleteConfig;
}

/** A model.ts module as the bundle sees it (its namespace object). */
export type ModelModule = Readonly<Record<string, unknown>>;
