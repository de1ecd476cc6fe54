/**
 * `map<string, InferParameter>` <-> `Parameters`, with Triton's gRPC rules
 * for the reserved request keys (reference §4.2):
 * - `sequence_id`: `int64_param` (read as the uint64 it stands for: Triton's
 *   Python client writes ids above 2^63 as negative int64s) or `string_param`;
 * - `sequence_start`, `sequence_end`: `bool_param`;
 * - `priority`: `int64_param` or `uint64_param`; `timeout`: `int64_param`;
 * - other `triton_` keys are reserved; `uint64_param` is for `priority` only.
 * Integers beyond 2^53 stay exact as bigint. The meaning of the values
 * (a zero sequence id, a negative priority) is the server's to check.
 *
 * @example
 * ```ts
 * readRequestParameters({ sequence_id: { int64_param: Long.fromString('-1') } });
 * // { sequence_id: 18446744073709551615n }
 * writeParameters({ flag: true, n: 3, x: 0.5 });
 * // { flag: { bool_param: true }, n: { int64_param: 3 }, x: { double_param: 0.5 } }
 * ```
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ParameterValue, Parameters } from '../../sdk/inference.ts';
import { longToBigInt, longToValue, uint64ToValue, type InferParameterMessage, type ParameterMap } from '../../sdk/codec/grpc-parameters.ts';

export { bigIntToLong, longToBigInt, longToValue, type InferParameterMessage, type ParameterMap } from '../../sdk/codec/grpc-parameters.ts';

function typeError(key: string, expected: string): NereidError {
  return NereidError.invalidArg(`invalid value type for '${key}' parameter, expected ${expected}.`);
}

/** One parameter's value, whatever member is set; `what` names the owner in messages. */
function readValue(key: string, parameter: InferParameterMessage, what: string): ParameterValue {
  switch (parameter.parameter_choice) {
    case 'bool_param':
      return parameter.bool_param!;
    case 'int64_param':
      return longToValue(parameter.int64_param!);
    case 'string_param':
      return parameter.string_param!;
    case 'double_param':
      return parameter.double_param!;
    case 'uint64_param':
      throw NereidError.invalidArg(`${what}: parameter '${key}': uint64_param is not supported for custom parameters; use int64_param`);
    default:
      throw NereidError.invalidArg(`${what}: parameter '${key}' has no value (none of bool_param, int64_param, string_param, double_param is set)`);
  }
}

/**
 * The request-level parameters of a ModelInferRequest. `allowed` names
 * `triton_` keys the caller handles itself (the stream's
 * `triton_enable_empty_final_response`); they are left out of the result.
 */
export function readRequestParameters(map: ParameterMap | undefined, allowed: readonly string[] = []): Parameters | undefined {
  if (!map) return undefined;
  let parameters: Parameters | undefined;
  for (const key in map) {
    const parameter = map[key]!;
    const choice = parameter.parameter_choice;
    let value: ParameterValue;
    switch (key) {
      case 'sequence_id':
        if (choice === 'int64_param') value = BigInt.asUintN(64, longToBigInt(parameter.int64_param!));
        else if (choice === 'string_param') value = parameter.string_param!;
        else throw typeError(key, 'int64_param or string_param');
        if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER)) value = Number(value);
        break;
      case 'sequence_start':
      case 'sequence_end':
        if (choice !== 'bool_param') throw typeError(key, 'bool_param');
        value = parameter.bool_param!;
        break;
      case 'priority':
        if (choice === 'int64_param') value = longToValue(parameter.int64_param!);
        else if (choice === 'uint64_param') value = uint64ToValue(parameter.uint64_param!);
        else throw typeError(key, 'int64_param or uint64_param');
        break;
      case 'timeout':
        if (choice !== 'int64_param') throw typeError(key, 'int64_param');
        value = longToValue(parameter.int64_param!);
        break;
      default:
        if (key.startsWith('triton_')) {
          if (allowed.includes(key)) continue;
          throw NereidError.invalidArg(`parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified (got '${key}').`);
        }
        value = readValue(key, parameter, 'request');
    }
    (parameters ??= {})[key] = value;
  }
  return parameters;
}

/** The parameters of an input or a requested output (no reserved keys at that level). */
export function readTensorParameters(map: ParameterMap | undefined, what: string): Parameters | undefined {
  if (!map) return undefined;
  let parameters: Parameters | undefined;
  for (const key in map) (parameters ??= {})[key] = readValue(key, map[key]!, what);
  return parameters;
}

/** Parameters as an InferParameter map (the shared codec's writer). */
export { writeParameterMap as writeParameters } from '../../sdk/codec/grpc-parameters.ts';
