/**
 * Fills in proto3 defaults the way protobuf's JSON printer shows them with
 * "always print primitive fields": in every message that is present, each
 * scalar, enum, repeated and map field appears (`""`, `0`, `false`, the
 * enum's zero name, `[]`, `{}`), while sub-messages and oneof members appear
 * only when set. Keys come out in the proto's declaration order.
 *
 * The normaliser uses this so a completed config carries every field the
 * server reads; the renderer uses it for `/v2/models/{m}/config`.
 */
import type { FieldSchema, MessageSchema, ValueSchema } from './proto-schema.ts';

type PlainMessage = Record<string, unknown>;

export interface DefaultsOptions {
  /** Render NaN and ±Infinity as "NaN"/"Infinity"/"-Infinity", as protobuf's JSON printer does. */
  readonly nonFiniteAsString?: boolean;
}

function scalarDefault(value: ValueSchema): unknown {
  if (value.kind === 'enum') return value.enum.zeroName;
  if (value.kind === 'message') return undefined;
  switch (value.scalar) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    default:
      return 0;
  }
}

function convertValue(field: FieldSchema, value: unknown, options: DefaultsOptions): unknown {
  if (field.value.kind === 'message') {
    return withProtoDefaults(field.value.message, (value ?? {}) as PlainMessage, options);
  }
  if (options.nonFiniteAsString && typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  return value;
}

/**
 * A copy of `message` with every field of `schema` that protobuf would print,
 * in declaration order. Keys that are not fields of the schema are dropped.
 *
 * @example
 * ```ts
 * withProtoDefaults(MODEL_CONFIG_SCHEMA, { name: 'm' });
 * // { name: 'm', platform: '', backend: '', runtime: '', max_batch_size: 0, input: [], ... }
 * ```
 */
export function withProtoDefaults(schema: MessageSchema, message: PlainMessage, options: DefaultsOptions = {}): PlainMessage {
  const result: PlainMessage = {};
  for (const field of schema.fields) {
    const value = message[field.name];
    if (field.mapKey !== undefined) {
      const map: PlainMessage = {};
      for (const [key, entry] of Object.entries((value ?? {}) as PlainMessage)) {
        Object.defineProperty(map, key, { value: convertValue(field, entry, options), enumerable: true, writable: true, configurable: true });
      }
      result[field.name] = map;
    } else if (field.repeated) {
      result[field.name] = ((value ?? []) as unknown[]).map((element) => convertValue(field, element, options));
    } else if (value === undefined) {
      // Unset sub-messages and unset oneof members are not printed.
      if (field.value.kind !== 'message' && field.oneof === undefined) result[field.name] = scalarDefault(field.value);
    } else {
      result[field.name] = convertValue(field, value, options);
    }
  }
  return result;
}
