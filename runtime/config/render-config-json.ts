/**
 * Renders a ModelConfig as Triton renders it for `GET /v2/models/{m}/config`
 * (and for a Python model's `args["model_config"]`): protobuf's JSON with
 * proto field names, every primitive field of every present message printed
 * with its default, sub-messages and oneof members only when set, enums by
 * name, and 64-bit integers as JSON numbers rather than protobuf's strings.
 *
 * Triton turns only some of its 64-bit fields back into numbers (it misses,
 * e.g., `secondary_devices.device_id` and `initial_state.dims`); we print all
 * of them as numbers, which is what clients comparing `dims == [4]` expect.
 */
import type { ModelConfig } from '../../sdk/model-config.ts';
import { withProtoDefaults } from './proto-defaults.ts';
import { MODEL_CONFIG_SCHEMA } from './proto-schema.ts';

/**
 * The `/config` JSON object of a config, keys in Triton's order.
 *
 * @example
 * ```ts
 * JSON.stringify(renderConfigJson(config));
 * // {"name":"simple","platform":"onnxruntime_onnx","backend":"onnxruntime","runtime":"",...}
 * ```
 */
export function renderConfigJson(config: ModelConfig): Record<string, unknown> {
  return withProtoDefaults(MODEL_CONFIG_SCHEMA, config as unknown as Record<string, unknown>, { nonFiniteAsString: true });
}

/** The `/config` response body: the rendered config as compact JSON text, as Triton sends it. */
export function renderConfigJsonText(config: ModelConfig): string {
  return JSON.stringify(renderConfigJson(config));
}
