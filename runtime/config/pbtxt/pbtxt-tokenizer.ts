/**
 * Splits protobuf text format into tokens, each with its 1-based line and
 * column so that every parse error can point at the exact spot.
 *
 * Token kinds follow protobuf's text-format grammar: identifiers, integers
 * (decimal, hex, octal), floats (with exponent and an optional `f` suffix),
 * quoted strings (single or double quotes, C-style escapes decoded here) and
 * single-character symbols. `#` starts a comment that runs to end of line.
 */
import { NereidError } from '../../../sdk/errors.ts';

export type TokenKind = 'identifier' | 'integer' | 'float' | 'string' | 'symbol' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token (for strings, including the quotes). */
  readonly text: string;
  /** For strings: the decoded value. */
  readonly value?: string;
  readonly line: number;
  readonly column: number;
}

/** An INVALID_ARG error located at `file:line:column`. */
export function locatedError(file: string, line: number, column: number, message: string): NereidError {
  return NereidError.invalidArg(`${file}:${line}:${column}: ${message}`);
}

const SYMBOLS = new Set(['{', '}', '<', '>', '[', ']', ':', ',', ';', '-', '/', '.', '(', ')', '=', '+']);
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, '\\': 0x5c, "'": 0x27, '"': 0x22, '?': 0x3f,
};
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHex = (c: string): boolean => /^[0-9a-fA-F]$/.test(c);
const isIdentStart = (c: string): boolean => /^[A-Za-z_]$/.test(c);
const isIdentPart = (c: string): boolean => /^[A-Za-z0-9_]$/.test(c);

/** Tokenizes a whole pbtxt document; the last token is always `end`. Throws INVALID_ARG with a location. */
export function tokenizePbtxt(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (at: number, message: string): never => {
    throw locatedError(file, line, at - lineStart + 1, message);
  };

  while (pos < text.length) {
    const c = text[pos]!;
    if (c === '\n') {
      pos++;
      line++;
      lineStart = pos;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      pos++;
      continue;
    }
    if (c === '#') {
      while (pos < text.length && text[pos] !== '\n') pos++;
      continue;
    }
    const start = pos;
    const column = start - lineStart + 1;
    if (isIdentStart(c)) {
      while (pos < text.length && isIdentPart(text[pos]!)) pos++;
      tokens.push({ kind: 'identifier', text: text.slice(start, pos), line, column });
    } else if (isDigit(c) || (c === '.' && isDigit(text[pos + 1] ?? ''))) {
      const kind = scanNumber();
      tokens.push({ kind, text: text.slice(start, pos), line, column });
    } else if (c === '"' || c === "'") {
      const value = scanString(c);
      tokens.push({ kind: 'string', text: text.slice(start, pos), value, line, column });
    } else if (SYMBOLS.has(c)) {
      pos++;
      tokens.push({ kind: 'symbol', text: c, line, column });
    } else {
      fail(start, `unexpected character '${c}'`);
    }
  }
  tokens.push({ kind: 'end', text: '', line, column: pos - lineStart + 1 });
  return tokens;

  /** Advances over a number literal and says whether it was an integer or a float. */
  function scanNumber(): 'integer' | 'float' {
    const start = pos;
    let kind: 'integer' | 'float' = 'integer';
    if (text[pos] === '0' && (text[pos + 1] === 'x' || text[pos + 1] === 'X')) {
      pos += 2;
      if (!isHex(text[pos] ?? '')) fail(start, 'hexadecimal number needs at least one digit after 0x');
      while (isHex(text[pos] ?? '')) pos++;
    } else {
      while (isDigit(text[pos] ?? '')) pos++;
      if (text[pos] === '.') {
        kind = 'float';
        pos++;
        while (isDigit(text[pos] ?? '')) pos++;
      }
      if (text[pos] === 'e' || text[pos] === 'E') {
        kind = 'float';
        pos++;
        if (text[pos] === '+' || text[pos] === '-') pos++;
        if (!isDigit(text[pos] ?? '')) fail(start, `'${text.slice(start, pos)}' needs digits after its exponent`);
        while (isDigit(text[pos] ?? '')) pos++;
      }
      if (text[pos] === 'f' || text[pos] === 'F') {
        kind = 'float';
        pos++;
      }
      const literal = text.slice(start, pos);
      if (kind === 'integer' && literal.length > 1 && literal.startsWith('0') && !/^0[0-7]+$/.test(literal)) {
        fail(start, `invalid octal number '${literal}'`);
      }
    }
    if (isIdentPart(text[pos] ?? '') || text[pos] === '.') {
      fail(start, `need space between number '${text.slice(start, pos)}' and '${text[pos]}'`);
    }
    return kind;
  }

  /** Advances over a quoted string and returns its decoded (UTF-8) value. */
  function scanString(quote: string): string {
    const start = pos;
    pos++;
    const bytes: number[] = [];
    for (;;) {
      const ch = text[pos];
      if (ch === undefined || ch === '\n') fail(start, 'string is not terminated before the end of the line');
      if (ch === quote) {
        pos++;
        break;
      }
      if (ch !== '\\') {
        const codePoint = text.codePointAt(pos)!;
        const char = String.fromCodePoint(codePoint);
        bytes.push(...encoder.encode(char));
        pos += char.length;
        continue;
      }
      const escapeAt = pos;
      const e = text[pos + 1] ?? '';
      pos += 2;
      if (e in SIMPLE_ESCAPES) {
        bytes.push(SIMPLE_ESCAPES[e]!);
      } else if (e >= '0' && e <= '7') {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(text[pos] ?? '')) digits += text[pos++];
        const value = parseInt(digits, 8);
        if (value > 0xff) fail(escapeAt, `octal escape '\\${digits}' is larger than one byte`);
        bytes.push(value);
      } else if (e === 'x' || e === 'X') {
        let digits = '';
        while (digits.length < 2 && isHex(text[pos] ?? '')) digits += text[pos++];
        if (!digits) fail(escapeAt, "'\\x' needs hexadecimal digits");
        bytes.push(parseInt(digits, 16));
      } else if (e === 'u' || e === 'U') {
        const length = e === 'u' ? 4 : 8;
        const digits = text.slice(pos, pos + length);
        if (digits.length !== length || !/^[0-9a-fA-F]+$/.test(digits)) fail(escapeAt, `'\\${e}' needs ${length} hexadecimal digits`);
        const codePoint = parseInt(digits, 16);
        if (codePoint > 0x10ffff) fail(escapeAt, `'\\${e}${digits}' is not a Unicode code point`);
        pos += length;
        bytes.push(...encoder.encode(String.fromCodePoint(codePoint)));
      } else {
        fail(escapeAt, `invalid escape sequence '\\${e}' in string`);
      }
    }
    try {
      return utf8.decode(new Uint8Array(bytes));
    } catch {
      return fail(start, 'string is not valid UTF-8');
    }
  }
}
