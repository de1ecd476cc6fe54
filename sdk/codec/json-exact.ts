/**
 * JSON text with exact 64-bit integers, and syntax errors that say where.
 *
 * `JSON.parse` turns 18446744073709551615 into the double 18446744073709552000,
 * and Node 20 cannot show a reviver the source text. The wire codecs therefore
 * parse with the fast built-in first and fall back to `parseJsonExact` only
 * when it matters: when a value that must be an exact 64-bit integer came out
 * of `JSON.parse` beyond 2^53, or when the text does not parse at all and the
 * caller needs the offset of the mistake for its error message.
 *
 * `stringifyJson` is the writing half: `JSON.stringify` with bigints written as
 * plain JSON numbers (exact digits) instead of throwing.
 *
 * @example
 * ```ts
 * parseJsonExact('[18446744073709551615, 1.5]'); // [18446744073709551615n, 1.5]
 * stringifyJson({ id: 18446744073709551615n });  // '{"id":18446744073709551615}'
 * try { parseJsonExact('{"a":}'); } catch (e) { (e as JsonSyntaxError).position; } // 5
 * ```
 */

/** A JSON syntax error with the character offset where parsing stopped. */
export class JsonSyntaxError extends SyntaxError {
  /** What was wrong, without the position. */
  readonly reason: string;
  /** Offset (in UTF-16 code units of the text) of the offending character. */
  readonly position: number;

  constructor(reason: string, position: number) {
    super(`${reason} at position ${position}`);
    this.name = 'JsonSyntaxError';
    this.reason = reason;
    this.position = position;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// A string body: anything but a quote, a backslash or a control character, or a valid escape.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/**
 * Parses JSON like `JSON.parse`, except that integers outside the safe range
 * (|n| > 2^53 - 1, written without fraction or exponent) become `bigint`.
 * Throws `JsonSyntaxError` with the offset of the first error.
 */
export function parseJsonExact(text: string): unknown {
  let pos = 0;

  const fail = (reason: string, at = pos): never => {
    throw new JsonSyntaxError(reason, at);
  };
  const skipSpace = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };
  const describe = (at: number) =>
    at >= text.length ? 'Unexpected end of JSON input' : `Unexpected character ${JSON.stringify(text[at])}`;

  const parseString = (): string => {
    STRING.lastIndex = pos;
    const match = STRING.exec(text);
    if (!match) {
      // Find the exact offending character for the message.
      let at = pos + 1;
      while (at < text.length) {
        const c = text.charCodeAt(at);
        if (c === 0x22) break;
        if (c < 0x20) fail('Bad control character in string literal', at);
        if (c === 0x5c) {
          const next = text[at + 1];
          if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) at += 6;
          else if (next !== undefined && '"\\/bfnrt'.includes(next)) at += 2;
          else fail('Bad escaped character in string literal', at);
          continue;
        }
        at++;
      }
      fail('Unterminated string', at);
    }
    pos = STRING.lastIndex;
    const raw = match![0];
    return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };

  const parseValue = (depth: number): unknown => {
    if (depth > 10_000) fail('JSON nested too deeply');
    skipSpace();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const object: Record<string, unknown> = {};
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return object;
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail(`Expected property name or '}'; ${describe(pos)}`);
        const key = parseString();
        skipSpace();
        if (text[pos] !== ':') fail(`Expected ':' after property name; ${describe(pos)}`);
        pos++;
        const value = parseValue(depth + 1);
        // A plain assignment to '__proto__' would change the prototype; JSON.parse makes an own property.
        if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
        else object[key] = value;
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return object;
        }
        fail(`Expected ',' or '}' after property value; ${describe(pos)}`);
      }
    }
    if (c === '[') {
      pos++;
      const array: unknown[] = [];
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return array;
      }
      for (;;) {
        array.push(parseValue(depth + 1));
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return array;
        }
        fail(`Expected ',' or ']' after array element; ${describe(pos)}`);
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) return (pos += 4), true;
    if (text.startsWith('false', pos)) return (pos += 5), false;
    if (text.startsWith('null', pos)) return (pos += 4), null;
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (!match) return fail(describe(pos));
    pos = NUMBER.lastIndex;
    const literal = match[0];
    const value = Number(literal);
    if (match[1] === undefined && match[2] === undefined && !Number.isSafeInteger(value)) return BigInt(literal);
    return value;
  };

  const value = parseValue(0);
  skipSpace();
  if (pos < text.length) fail('Unexpected non-whitespace character after JSON');
  return value;
}

/**
 * `JSON.stringify` that writes bigints as exact JSON numbers. Non-finite
 * numbers become `null` and `undefined` members are skipped, as in JSON.stringify.
 */
export function stringifyJson(value: unknown): string {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          out += (i ? ',' : '') + (item === undefined || typeof item === 'function' ? 'null' : stringifyJson(item));
        }
        return out + ']';
      }
      const toJSON = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') return stringifyJson(toJSON.call(value));
      let out = '{';
      let first = true;
      for (const key of Object.keys(value)) {
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
        out += (first ? '' : ',') + JSON.stringify(key) + ':' + stringifyJson(member);
        first = false;
      }
      return out + '}';
    }
    default:
      return 'null';
  }
}
