/**
 * A small, plain view of protobufjs reflection: for each message, its fields
 * in declaration order with what kind of value each holds (scalar, enum,
 * message), whether it repeats, whether it is a map, and its oneof.
 *
 * The pbtxt parser, the JSON reader, the default filler and the renderer all
 * read this view, so the proto file stays the single source of field facts.
 */
import protobuf from 'protobufjs';
import { ModelConfigType } from './model-config-proto.ts';

export type IntegerScalar = 'int32' | 'sint32' | 'sfixed32' | 'uint32' | 'fixed32' | 'int64' | 'sint64' | 'sfixed64' | 'uint64' | 'fixed64';
export type ScalarType = IntegerScalar | 'string' | 'bytes' | 'bool' | 'float' | 'double';

export interface EnumSchema {
  /** `inference.DataType`, without protobufjs's leading dot. */
  readonly fullName: string;
  readonly byName: ReadonlyMap<string, number>;
  readonly byNumber: ReadonlyMap<number, string>;
  /** The proto3 default: the name whose number is 0. */
  readonly zeroName: string;
}

export type ValueSchema =
  | { readonly kind: 'scalar'; readonly scalar: ScalarType }
  | { readonly kind: 'enum'; readonly enum: EnumSchema }
  | { readonly kind: 'message'; readonly message: MessageSchema };

export interface FieldSchema {
  readonly name: string;
  /** proto3 JSON name (lowerCamelCase), which protobuf's JSON parser also accepts. */
  readonly jsonName: string;
  readonly repeated: boolean;
  /** Set for map fields; `value` then describes the map's values. */
  readonly mapKey: ScalarType | undefined;
  readonly value: ValueSchema;
  /** The oneof this field belongs to, if any. */
  readonly oneof: string | undefined;
}

export interface MessageSchema {
  /** `inference.ModelConfig`, without protobufjs's leading dot. */
  readonly fullName: string;
  readonly fields: readonly FieldSchema[];
  readonly byName: ReadonlyMap<string, FieldSchema>;
  /** Looks a field up by proto name or by JSON name. */
  readonly byJsonName: ReadonlyMap<string, FieldSchema>;
}

const INTEGER_SCALARS: ReadonlySet<string> = new Set<IntegerScalar>([
  'int32', 'sint32', 'sfixed32', 'uint32', 'fixed32', 'int64', 'sint64', 'sfixed64', 'uint64', 'fixed64',
]);
const SCALARS: ReadonlySet<string> = new Set<string>([...INTEGER_SCALARS, 'string', 'bytes', 'bool', 'float', 'double']);

export function isIntegerScalar(scalar: ScalarType): scalar is IntegerScalar {
  return INTEGER_SCALARS.has(scalar);
}

/** Inclusive bounds of an integer scalar type. */
export function integerBounds(scalar: IntegerScalar): { min: bigint; max: bigint } {
  switch (scalar) {
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return { min: -(2n ** 31n), max: 2n ** 31n - 1n };
    case 'uint32':
    case 'fixed32':
      return { min: 0n, max: 2n ** 32n - 1n };
    case 'uint64':
    case 'fixed64':
      return { min: 0n, max: 2n ** 64n - 1n };
    default:
      return { min: -(2n ** 63n), max: 2n ** 63n - 1n };
  }
}

/**
 * Checks an integer against its field type and converts it to a JS number.
 * Returns an error text (without location) when it does not fit. Values
 * beyond 2^53 are refused rather than silently rounded, since the config
 * keeps 64-bit integers as numbers.
 */
export function toIntegerValue(scalar: IntegerScalar, value: bigint): number | { error: string } {
  const { min, max } = integerBounds(scalar);
  if (value < min || value > max) return { error: `integer ${value} is out of range for type ${scalar}` };
  const asNumber = Number(value);
  if (!Number.isSafeInteger(asNumber)) return { error: `integer ${value} is too large to hold exactly (limit ±${Number.MAX_SAFE_INTEGER})` };
  return asNumber;
}

function stripDot(name: string): string {
  return name.startsWith('.') ? name.slice(1) : name;
}

function toJsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const enumCache = new WeakMap<protobuf.Enum, EnumSchema>();

function enumSchema(e: protobuf.Enum): EnumSchema {
  let schema = enumCache.get(e);
  if (!schema) {
    const byName = new Map(Object.entries(e.values));
    const byNumber = new Map<number, string>();
    for (const [name, number] of byName) if (!byNumber.has(number)) byNumber.set(number, name);
    schema = { fullName: stripDot(e.fullName), byName, byNumber, zeroName: byNumber.get(0) ?? [...byName.keys()][0] ?? '' };
    enumCache.set(e, schema);
  }
  return schema;
}

const messageCache = new WeakMap<protobuf.Type, MessageSchema>();

function valueSchema(field: protobuf.Field): ValueSchema {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return { kind: 'message', message: messageSchema(resolved) };
  if (resolved instanceof protobuf.Enum) return { kind: 'enum', enum: enumSchema(resolved) };
  if (!SCALARS.has(field.type)) throw new Error(`unsupported proto field type '${field.type}' for field '${field.name}'`);
  return { kind: 'scalar', scalar: field.type as ScalarType };
}

/** The schema of a protobufjs message type (memoised; the type must be resolved). */
export function messageSchema(type: protobuf.Type): MessageSchema {
  const cached = messageCache.get(type);
  if (cached) return cached;
  const fields: FieldSchema[] = [];
  const byName = new Map<string, FieldSchema>();
  const byJsonName = new Map<string, FieldSchema>();
  const schema: MessageSchema = { fullName: stripDot(type.fullName), fields, byName, byJsonName };
  // Cache before walking the fields so that recursive message types terminate.
  messageCache.set(type, schema);
  for (const field of type.fieldsArray) {
    const mapKey = field.map ? ((field as unknown as protobuf.MapField).keyType as ScalarType) : undefined;
    const entry: FieldSchema = {
      name: field.name,
      jsonName: toJsonName(field.name),
      repeated: field.repeated,
      mapKey,
      value: valueSchema(field),
      oneof: field.partOf ? field.partOf.name : undefined,
    };
    fields.push(entry);
    byName.set(entry.name, entry);
    byJsonName.set(entry.name, entry);
    byJsonName.set(entry.jsonName, entry);
  }
  return schema;
}

const entryCache = new WeakMap<FieldSchema, MessageSchema>();

/**
 * The implicit `{ key, value }` entry message of a map field, the shape that
 * text format and the binary wire use for map entries.
 */
export function mapEntrySchema(field: FieldSchema, parent: MessageSchema): MessageSchema {
  let schema = entryCache.get(field);
  if (!schema) {
    if (field.mapKey === undefined) throw new Error(`field '${field.name}' is not a map`);
    const typeName = field.name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
    const key: FieldSchema = { name: 'key', jsonName: 'key', repeated: false, mapKey: undefined, value: { kind: 'scalar', scalar: field.mapKey }, oneof: undefined };
    const value: FieldSchema = { name: 'value', jsonName: 'value', repeated: false, mapKey: undefined, value: field.value, oneof: undefined };
    const byName = new Map([['key', key], ['value', value]]);
    schema = { fullName: `${parent.fullName}.${typeName}Entry`, fields: [key, value], byName, byJsonName: byName };
    entryCache.set(field, schema);
  }
  return schema;
}

/**
 * Sets `map[key] = value` as an own, enumerable property even for keys such as
 * `__proto__`, which plain assignment would treat as the object's prototype.
 */
export function setMapEntry(map: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The schema of `inference.ModelConfig`. */
export const MODEL_CONFIG_SCHEMA: MessageSchema = messageSchema(ModelConfigType);
