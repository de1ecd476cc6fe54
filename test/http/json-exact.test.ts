import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseJsonExact, stringifyJson } from '../../sdk/codec/json-exact.ts';

describe('parseJsonExact', () => {
  it('agrees with JSON.parse on ordinary documents', () => {
    const texts = [
      '{"a":[1,2.5,-3e2,true,false,null,"x\\n\\u00e9\\"y"],"b":{"c":{}},"d":[]}',
      ' [ 0 , -0.0 , 1E+3 ] ',
      '"just a string"',
      '12',
      '{"__proto__":{"polluted":1}}',
    ];
    for (const text of texts) expect(parseJsonExact(text)).toEqual(JSON.parse(text));
    const object = parseJsonExact('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.hasOwn(object, '__proto__')).toBe(true);
  });

  it('keeps integers beyond 2^53 exact as bigint, and only those', () => {
    expect(parseJsonExact('[18446744073709551615,-9223372036854775808,9007199254740991,9007199254740993,1.5e300]')).toEqual([
      18446744073709551615n,
      -9223372036854775808n,
      9007199254740991,
      9007199254740993n,
      1.5e300,
    ]);
  });

  it('reports the offset of a syntax error', () => {
    const cases: Array<[string, number, string]> = [
      ['{"a":}', 5, "Unexpected character \"}\""],
      ['[1,2,]', 5, 'Unexpected character "]"'],
      ['{"a":1', 6, "Expected ',' or '}'"],
      ['', 0, 'Unexpected end of JSON input'],
      ['{"a":1}}', 7, 'Unexpected non-whitespace character after JSON'],
      ['{"a" 1}', 5, "Expected ':' after property name"],
      ['"abc', 4, 'Unterminated string'],
      ['{"a":"\u0001"}', 6, 'Bad control character'],
      ['["\\x"]', 2, 'Bad escaped character'],
      ['{a:1}', 1, 'Expected property name'],
      ['[01]', 2, "Expected ',' or ']'"],
      ['tru', 0, 'Unexpected character "t"'],
    ];
    for (const [text, position, reason] of cases) {
      expect(() => JSON.parse(text), text).toThrow();
      try {
        parseJsonExact(text);
        expect.unreachable(text);
      } catch (error) {
        expect(error, text).toBeInstanceOf(JsonSyntaxError);
        expect((error as JsonSyntaxError).position, text).toBe(position);
        expect((error as JsonSyntaxError).reason, text).toContain(reason);
      }
    }
  });
});

describe('stringifyJson', () => {
  it('writes bigints as exact numbers and otherwise matches JSON.stringify', () => {
    expect(stringifyJson({ a: 2n ** 64n - 1n, b: [-(2n ** 63n)] })).toBe('{"a":18446744073709551615,"b":[-9223372036854775808]}');
    const plain = { s: 'é"\n', n: 1.5, t: true, z: null, u: undefined, arr: [1, undefined, NaN], nested: { x: Infinity } };
    expect(stringifyJson(plain)).toBe(JSON.stringify(plain));
    expect(parseJsonExact(stringifyJson({ id: 2n ** 64n - 1n }))).toEqual({ id: 2n ** 64n - 1n });
  });
});
