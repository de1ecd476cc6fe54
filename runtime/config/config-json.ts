/**
 * Reads a ModelConfig given as JSON: the `config` parameter of the repository
 * load API, which Triton parses with protobuf's JSON parser (unknown fields
 * rejected, enum names matched case-insensitively).
 *
 * It produces the same plain object as the pbtxt parser. Like protobuf's
 * JSON mapping it accepts snake_case or lowerCamelCase field names, integers
 * as numbers or strings (so 64-bit values may be quoted), enums as names or
 * numbers, floats as numbers or "NaN"/"Infinity"/"-Infinity", and `null` as
 * "field not set". Errors name the JSON path, e.g. `input[0].data_type`.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import {
  duplicateFieldMessage,
  oneofConflictMessage,
  unknownEnumValueMessage,
  unknownFieldMessage,
  wrongKindMessage,
} from './config-parse-messages.ts';
import { type FieldSchema, isIntegerScalar, MODEL_CONFIG_SCHEMA, type MessageSchema, setMapEntry, toIntegerValue } from './proto-schema.ts';

type PlainMessage = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainMessage {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

class JsonConfigReader {
  readonly #source: string;

  constructor(source: string) {
    this.#source = source;
  }

  fail(path: string, message: string): never {
    throw NereidError.invalidArg(path ? `${this.#source}: ${path}: ${message}` : `${this.#source}: ${message}`);
  }

  readMessage(value: unknown, schema: MessageSchema, path: string): PlainMessage {
    if (!isPlainObject(value)) this.fail(path, `expected an object for message ${schema.fullName}, got ${describe(value)}`);
    const result: PlainMessage = {};
    const oneofs = new Map<string, string>();
    for (const [key, raw] of Object.entries(value)) {
      const fieldPath = path ? `${path}.${key}` : key;
      const field = schema.byJsonName.get(key) ?? this.fail(fieldPath, unknownFieldMessage(key, schema));
      // null means "not set" in protobuf's JSON mapping.
      if (raw === null) continue;
      // A field given under both its proto and its JSON name.
      if (field.name in result) this.fail(fieldPath, duplicateFieldMessage(field, schema));
      if (field.oneof !== undefined) {
        const earlier = oneofs.get(field.oneof);
        if (earlier !== undefined) this.fail(fieldPath, oneofConflictMessage(field, earlier));
        oneofs.set(field.oneof, field.name);
      }
      result[field.name] = this.#readField(field, raw, fieldPath);
    }
    return result;
  }

  #readField(field: FieldSchema, raw: unknown, path: string): unknown {
    if (field.mapKey !== undefined) {
      if (!isPlainObject(raw)) this.fail(path, wrongKindMessage(field, false, describe(raw)));
      const map: PlainMessage = {};
      for (const [key, entry] of Object.entries(raw)) {
        const entryPath = `${path}[${JSON.stringify(key)}]`;
        setMapEntry(map, this.#readMapKey(field, key, entryPath), this.#readValue(field, entry, entryPath, true));
      }
      return map;
    }
    if (field.repeated) {
      if (!Array.isArray(raw)) this.fail(path, `field '${field.name}' expects a list, got ${describe(raw)}`);
      return raw.map((element, index) => this.#readValue(field, element, `${path}[${index}]`, true));
    }
    return this.#readValue(field, raw, path, false);
  }

  #readMapKey(field: FieldSchema, key: string, path: string): string {
    const scalar = field.mapKey!;
    if (scalar === 'string') return key;
    if (scalar === 'bool') {
      if (key !== 'true' && key !== 'false') this.fail(path, `map '${field.name}' expects boolean keys, got ${JSON.stringify(key)}`);
      return key;
    }
    if (!isIntegerScalar(scalar) || !/^-?\d+$/.test(key)) this.fail(path, `map '${field.name}' expects integer keys, got ${JSON.stringify(key)}`);
    const checked = toIntegerValue(scalar, BigInt(key));
    if (typeof checked !== 'number') this.fail(path, `map '${field.name}' key: ${checked.error}`);
    return String(checked);
  }

  #readValue(field: FieldSchema, raw: unknown, path: string, inList: boolean): unknown {
    const value = field.value;
    const wrong = (): never => this.fail(path, wrongKindMessage(field, inList, describe(raw)));
    if (raw === null) return wrong();
    if (value.kind === 'message') return this.readMessage(raw, value.message, path);
    if (value.kind === 'enum') {
      if (typeof raw === 'string') {
        if (value.enum.byName.has(raw)) return raw;
        // Triton parses with case-insensitive enum names.
        const match = [...value.enum.byName.keys()].find((name) => name.toLowerCase() === raw.toLowerCase());
        return match ?? this.fail(path, unknownEnumValueMessage(field, value.enum.fullName, `'${raw}'`));
      }
      if (typeof raw === 'number' && Number.isInteger(raw)) {
        return value.enum.byNumber.get(raw) ?? this.fail(path, unknownEnumValueMessage(field, value.enum.fullName, String(raw)));
      }
      return wrong();
    }
    switch (value.scalar) {
      case 'string':
      case 'bytes':
        return typeof raw === 'string' ? raw : wrong();
      case 'bool':
        return typeof raw === 'boolean' ? raw : wrong();
      case 'float':
      case 'double':
        if (typeof raw === 'number') return raw;
        if (raw === 'NaN') return NaN;
        if (raw === 'Infinity') return Infinity;
        if (raw === '-Infinity') return -Infinity;
        if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
        return wrong();
      default: {
        const scalar = value.scalar;
        if (!isIntegerScalar(scalar)) return wrong();
        let integer: bigint;
        if (typeof raw === 'number' && Number.isInteger(raw)) integer = BigInt(raw);
        else if (typeof raw === 'string' && /^-?\d+$/.test(raw)) integer = BigInt(raw);
        else return wrong();
        const checked = toIntegerValue(scalar, integer);
        return typeof checked === 'number' ? checked : this.fail(path, `field '${field.name}': ${checked.error}`);
      }
    }
  }
}

/**
 * Reads a ModelConfig from JSON text or from an already parsed JSON value.
 * `source` names where it came from in error messages.
 *
 * @example
 * ```ts
 * const raw = parseConfigJson('{"name":"simple","max_batch_size":"8"}', "load request 'config'");
 * raw.max_batch_size; // 8
 * ```
 */
export function parseConfigJson(input: string | unknown, source = 'model config JSON'): ModelConfig {
  const reader = new JsonConfigReader(source);
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      reader.fail('', `invalid JSON: ${(error as Error).message}`);
    }
  }
  return reader.readMessage(value, MODEL_CONFIG_SCHEMA, '') as unknown as ModelConfig;
}
