/**
 * gRPC `InferParameter` maps (Triton's oneof of bool, int64, string, double
 * and uint64) and the 64-bit integers inside them, shared by the gRPC
 * frontend and the gRPC client. protobufjs reads 64-bit integers as `Long`s
 * and writes them from anything with `low` and `high` 32-bit halves, so this
 * module needs no protobufjs of its own.
 *
 * @example
 * ```ts
 * writeParameterMap({ flag: true, n: 3, x: 0.5, id: 2n ** 63n });
 * // { flag: { bool_param: true }, n: { int64_param: 3 }, x: { double_param: 0.5 }, id: { uint64_param: { low: 0, high: -2147483648, unsigned: true } } }
 * longToBigInt(decoded.int64_param); // exact
 * ```
 */
import { NereidError } from '../errors.ts';
import type { Parameters } from '../inference.ts';

/** A 64-bit integer as protobufjs hands it over (a `Long`) or takes it (any low/high pair). */
export interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

/** An `InferParameter`: decoded, only the member `parameter_choice` names is meaningful. */
export interface InferParameterMessage {
  parameter_choice?: string;
  bool_param?: boolean;
  int64_param?: LongLike | number;
  string_param?: string;
  double_param?: number;
  uint64_param?: LongLike | number;
}

export type ParameterMap = Record<string, InferParameterMessage>;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** An exact bigint of a decoded 64-bit integer. */
export function longToBigInt(value: LongLike | number): bigint {
  if (typeof value === 'number') return BigInt(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return value.unsigned ? bits : BigInt.asIntN(64, bits);
}

/** A number when it is exact, else the bigint. */
export function longToValue(value: LongLike | number): number | bigint {
  if (typeof value === 'number') return value;
  const exact = longToBigInt(value);
  return exact >= BigInt(Number.MIN_SAFE_INTEGER) && exact <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(exact) : exact;
}

/** A decoded uint64 (whatever signedness the decoder gave it) as a number when exact, else the bigint. */
export function uint64ToValue(value: LongLike | number): number | bigint {
  return typeof value === 'number' ? value : longToValue({ low: value.low, high: value.high, unsigned: true });
}

/** The low/high halves of a bigint, for protobufjs to write (it takes numbers, strings or such pairs, not bigints). */
export function bigIntToLong(value: bigint, unsigned: boolean): LongLike {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned };
}

/** Parameters as an InferParameter map: integers as int64 (uint64 beyond the int64 range), other numbers as double; `extra` entries first. */
export function writeParameterMap(parameters: Parameters | undefined, extra?: ParameterMap): ParameterMap | undefined {
  let map: ParameterMap | undefined = extra && { ...extra };
  for (const key in parameters ?? {}) {
    const value = parameters![key];
    let parameter: InferParameterMessage;
    switch (typeof value) {
      case 'boolean':
        parameter = { bool_param: value };
        break;
      case 'string':
        parameter = { string_param: value };
        break;
      case 'number':
        parameter = Number.isSafeInteger(value) ? { int64_param: value } : { double_param: value };
        break;
      case 'bigint':
        if (value >= INT64_MIN && value <= INT64_MAX) parameter = { int64_param: bigIntToLong(value, false) };
        else if (value > INT64_MAX && value < 1n << 64n) parameter = { uint64_param: bigIntToLong(value, true) };
        else throw NereidError.invalidArg(`parameter '${key}': ${value} does not fit in 64 bits`);
        break;
      default:
        continue;
    }
    (map ??= {})[key] = parameter;
  }
  return map;
}
