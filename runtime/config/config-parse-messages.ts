/**
 * The wording of the errors shared by the two config readers (pbtxt and
 * JSON), so that a mistake reads the same whichever format it was made in.
 * Each reader prefixes its own location: `file:line:col` or the JSON path.
 */
import type { FieldSchema, MessageSchema, ValueSchema } from './proto-schema.ts';

export function unknownFieldMessage(name: string, message: MessageSchema): string {
  return `unknown field '${name}' in message ${message.fullName}`;
}

export function duplicateFieldMessage(field: FieldSchema, message: MessageSchema): string {
  return `non-repeated field '${field.name}' is specified more than once in message ${message.fullName}`;
}

export function oneofConflictMessage(field: FieldSchema, earlier: string): string {
  return `field '${field.name}' is specified along with field '${earlier}', another member of oneof '${field.oneof}'`;
}

export function unknownEnumValueMessage(field: FieldSchema, enumName: string, value: string): string {
  return `unknown value ${value} for enum ${enumName} of field '${field.name}'`;
}

/** What a field's values look like, for "expects ..." messages. */
export function describeExpected(value: ValueSchema, field: FieldSchema, inList = false): string {
  if (field.mapKey !== undefined && !inList) return 'a map entry { key: ... value: ... }';
  switch (value.kind) {
    case 'message':
      return `a message of type ${value.message.fullName}`;
    case 'enum':
      return `a value of enum ${value.enum.fullName}`;
    case 'scalar':
      switch (value.scalar) {
        case 'string':
        case 'bytes':
          return 'a string';
        case 'bool':
          return 'a boolean';
        case 'float':
        case 'double':
          return 'a number';
        default:
          return value.scalar.startsWith('u') || value.scalar.startsWith('fixed') ? 'a non-negative integer' : 'an integer';
      }
  }
}

export function wrongKindMessage(field: FieldSchema, inList: boolean, got: string): string {
  return `field '${field.name}' expects ${describeExpected(field.value, field, inList)}, got ${got}`;
}
