/**
 * A schema-driven parser for protobuf text format (what Triton's config.pbtxt
 * is), producing plain JS objects: proto field names as keys, enums as their
 * names, every integer (64-bit included) as a number, maps as objects keyed by
 * string, and only the fields the text sets.
 *
 * It accepts what protobuf's own text parser accepts: `field: value`,
 * messages as `field { }`, `field: { }` or with `< >`, lists `field: [a, b]`
 * and `field [ {..}, {..} ]`, repeated fields given by repeating the field
 * (the values concatenate), maps as `{ key: .. value: .. }` entries, enums
 * by name or number, adjacent strings concatenated, optional `,`/`;` after
 * each field. Every error names `file:line:column`.
 */
import type { ModelConfig } from '../../../sdk/model-config.ts';
import {
  duplicateFieldMessage,
  oneofConflictMessage,
  unknownEnumValueMessage,
  unknownFieldMessage,
  wrongKindMessage,
} from '../config-parse-messages.ts';
import {
  type FieldSchema,
  type IntegerScalar,
  isIntegerScalar,
  mapEntrySchema,
  MODEL_CONFIG_SCHEMA,
  type MessageSchema,
  setMapEntry,
  toIntegerValue,
} from '../proto-schema.ts';
import { locatedError, type Token, tokenizePbtxt } from './pbtxt-tokenizer.ts';

type PlainMessage = Record<string, unknown>;

const CLOSING: Readonly<Record<string, string>> = { '{': '}', '<': '>' };
const TRUE_WORDS = new Set(['true', 'True', 't']);
const FALSE_WORDS = new Set(['false', 'False', 'f']);

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of file';
    case 'string':
      return `string ${token.text}`;
    case 'integer':
    case 'float':
      return `number ${token.text}`;
    default:
      return `'${token.text}'`;
  }
}

class PbtxtParser {
  readonly #tokens: Token[];
  readonly #file: string;
  #pos = 0;

  constructor(text: string, file: string) {
    this.#file = file;
    this.#tokens = tokenizePbtxt(text, file);
  }

  parseDocument(schema: MessageSchema): PlainMessage {
    return this.#parseFields(schema, undefined);
  }

  #peek(): Token {
    return this.#tokens[this.#pos]!;
  }

  #next(): Token {
    const token = this.#tokens[this.#pos]!;
    if (token.kind !== 'end') this.#pos++;
    return token;
  }

  #isSymbol(text: string): boolean {
    const token = this.#peek();
    return token.kind === 'symbol' && token.text === text;
  }

  #fail(token: Token, message: string): never {
    throw locatedError(this.#file, token.line, token.column, message);
  }

  /** Fields up to the closing delimiter (or end of input at top level). */
  #parseFields(schema: MessageSchema, open: Token | undefined): PlainMessage {
    const result: PlainMessage = {};
    const seen = new Set<string>();
    const oneofs = new Map<string, string>();
    const closing = open ? CLOSING[open.text]! : undefined;
    for (;;) {
      const token = this.#peek();
      if (closing === undefined && token.kind === 'end') return result;
      if (closing !== undefined && this.#isSymbol(closing)) {
        this.#next();
        return result;
      }
      if (token.kind === 'end') {
        this.#fail(token, `unexpected end of file: message ${schema.fullName} opened at ${open!.line}:${open!.column} is not closed with '${closing}'`);
      }
      if (token.kind !== 'identifier') {
        if (token.kind === 'symbol' && token.text === '[') this.#fail(token, 'extension and Any fields are not supported in a model configuration');
        const expectation = closing ? `a field name or '${closing}'` : 'a field name';
        this.#fail(token, `expected ${expectation}, got ${describe(token)}`);
      }
      this.#next();
      const field = schema.byName.get(token.text) ?? this.#fail(token, unknownFieldMessage(token.text, schema));
      const repeats = field.repeated || field.mapKey !== undefined;
      if (!repeats) {
        if (seen.has(field.name)) this.#fail(token, duplicateFieldMessage(field, schema));
        seen.add(field.name);
      }
      if (field.oneof !== undefined) {
        const earlier = oneofs.get(field.oneof);
        if (earlier !== undefined && earlier !== field.name) this.#fail(token, oneofConflictMessage(field, earlier));
        oneofs.set(field.oneof, field.name);
      }
      this.#parseFieldValue(field, schema, result);
      if (this.#isSymbol(',') || this.#isSymbol(';')) this.#next();
    }
  }

  #parseFieldValue(field: FieldSchema, parent: MessageSchema, into: PlainMessage): void {
    const messageLike = field.mapKey !== undefined || field.value.kind === 'message';
    if (messageLike) {
      // For message values the ':' is optional.
      if (this.#isSymbol(':')) this.#next();
    } else if (this.#isSymbol(':')) {
      this.#next();
    } else {
      this.#fail(this.#peek(), `expected ':' after field '${field.name}', got ${describe(this.#peek())}`);
    }
    const parseOne = (inList: boolean): void => {
      if (messageLike) this.#parseMessageValue(field, parent, into, inList);
      else this.#store(field, into, this.#parseScalar(field, inList));
    };
    if (!this.#isSymbol('[')) {
      parseOne(false);
      return;
    }
    const bracket = this.#next();
    if (!field.repeated && field.mapKey === undefined) this.#fail(bracket, `field '${field.name}' is not repeated and cannot take a list`);
    if (field.repeated && !(field.name in into)) into[field.name] = [];
    if (this.#isSymbol(']')) {
      this.#next();
      return;
    }
    for (;;) {
      parseOne(true);
      if (this.#isSymbol(',')) {
        this.#next();
        continue;
      }
      if (this.#isSymbol(']')) {
        this.#next();
        return;
      }
      this.#fail(this.#peek(), `expected ',' or ']' in the list of field '${field.name}', got ${describe(this.#peek())}`);
    }
  }

  #store(field: FieldSchema, into: PlainMessage, value: unknown): void {
    if (field.repeated) {
      const list = (into[field.name] ??= []) as unknown[];
      list.push(value);
    } else {
      into[field.name] = value;
    }
  }

  #parseMessageValue(field: FieldSchema, parent: MessageSchema, into: PlainMessage, inList: boolean): void {
    const open = this.#peek();
    if (open.kind !== 'symbol' || !(open.text in CLOSING)) this.#fail(open, wrongKindMessage(field, inList, describe(open)));
    this.#next();
    if (field.mapKey !== undefined) {
      const entrySchema = mapEntrySchema(field, parent);
      const entry = this.#parseFields(entrySchema, open);
      const map = (into[field.name] ??= {}) as PlainMessage;
      setMapEntry(map, String(entry.key ?? defaultMapKey(field)), entry.value ?? defaultMapValue(field));
      return;
    }
    if (field.value.kind !== 'message') throw new Error('unreachable: message value for a non-message field');
    this.#store(field, into, this.#parseFields(field.value.message, open));
  }

  #parseScalar(field: FieldSchema, inList: boolean): unknown {
    const value = field.value;
    const first = this.#peek();
    const wrong = (token: Token): never => this.#fail(token, wrongKindMessage(field, inList, describe(token)));
    if (value.kind === 'message') return wrong(first);
    if (value.kind === 'enum') {
      if (first.kind === 'identifier') {
        this.#next();
        if (!value.enum.byName.has(first.text)) this.#fail(first, unknownEnumValueMessage(field, value.enum.fullName, `'${first.text}'`));
        return first.text;
      }
      if (first.kind === 'integer' || this.#isSymbol('-')) {
        const number = this.#parseInteger('int32', field, inList);
        const name = value.enum.byNumber.get(number);
        if (name === undefined) this.#fail(first, unknownEnumValueMessage(field, value.enum.fullName, String(number)));
        return name;
      }
      return wrong(first);
    }
    switch (value.scalar) {
      case 'string':
      case 'bytes': {
        if (first.kind !== 'string') return wrong(first);
        let text = '';
        while (this.#peek().kind === 'string') text += this.#next().value!;
        return text;
      }
      case 'bool': {
        this.#next();
        if (first.kind === 'identifier' && TRUE_WORDS.has(first.text)) return true;
        if (first.kind === 'identifier' && FALSE_WORDS.has(first.text)) return false;
        if (first.kind === 'integer' && (first.text === '0' || first.text === '1')) return first.text === '1';
        return wrong(first);
      }
      case 'float':
      case 'double':
        return this.#parseFloat(field, inList);
      default:
        if (!isIntegerScalar(value.scalar)) return wrong(first);
        return this.#parseInteger(value.scalar, field, inList);
    }
  }

  #parseInteger(scalar: IntegerScalar, field: FieldSchema, inList: boolean): number {
    const first = this.#peek();
    const negative = this.#isSymbol('-');
    if (negative) this.#next();
    const token = this.#next();
    if (token.kind !== 'integer') this.#fail(token, wrongKindMessage(field, inList, describe(token)));
    const magnitude = BigInt(/^0[0-7]+$/.test(token.text) ? `0o${token.text.slice(1)}` : token.text);
    const checked = toIntegerValue(scalar, negative ? -magnitude : magnitude);
    if (typeof checked !== 'number') this.#fail(first, `field '${field.name}': ${checked.error}`);
    return checked;
  }

  #parseFloat(field: FieldSchema, inList: boolean): number {
    const negative = this.#isSymbol('-');
    if (negative) this.#next();
    const token = this.#next();
    let magnitude: number;
    if (token.kind === 'float') {
      magnitude = Number(token.text.replace(/[fF]$/, ''));
    } else if (token.kind === 'integer') {
      magnitude = Number(BigInt(/^0[0-7]+$/.test(token.text) ? `0o${token.text.slice(1)}` : token.text));
    } else if (token.kind === 'identifier' && /^(inf|infinity)$/i.test(token.text)) {
      magnitude = Infinity;
    } else if (token.kind === 'identifier' && /^nan$/i.test(token.text)) {
      magnitude = NaN;
    } else {
      return this.#fail(token, wrongKindMessage(field, inList, describe(token)));
    }
    return negative ? -magnitude : magnitude;
  }
}

function defaultMapKey(field: FieldSchema): string {
  if (field.mapKey === 'string') return '';
  return field.mapKey === 'bool' ? 'false' : '0';
}

function defaultMapValue(field: FieldSchema): unknown {
  const value = field.value;
  if (value.kind === 'message') return {};
  if (value.kind === 'enum') return value.enum.zeroName;
  if (value.scalar === 'string' || value.scalar === 'bytes') return '';
  return value.scalar === 'bool' ? false : 0;
}

/**
 * Parses protobuf text format against a message schema. Throws NereidError
 * INVALID_ARG whose message starts with `file:line:column:`.
 */
export function parsePbtxt(text: string, schema: MessageSchema, file: string): Record<string, unknown> {
  return new PbtxtParser(text, file).parseDocument(schema);
}

/**
 * Parses a `config.pbtxt` into a raw (not yet normalised) ModelConfig.
 *
 * @example
 * ```ts
 * const raw = parseModelConfigText('name: "simple"\nmax_batch_size: 8', 'models/simple/config.pbtxt');
 * raw.max_batch_size; // 8
 * ```
 */
export function parseModelConfigText(text: string, file: string): ModelConfig {
  return parsePbtxt(text, MODEL_CONFIG_SCHEMA, file) as unknown as ModelConfig;
}
