import { describe, expect, it } from 'vitest';
import { NereidError } from '../../sdk/errors.ts';
import { parseModelConfigText } from '../../runtime/config/pbtxt/pbtxt-parser.ts';
import { tokenizePbtxt } from '../../runtime/config/pbtxt/pbtxt-tokenizer.ts';

const FILE = 'models/m/config.pbtxt';

function parse(text: string): Record<string, unknown> {
  return parseModelConfigText(text, FILE) as unknown as Record<string, unknown>;
}

function parseError(text: string): string {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(NereidError);
    expect((error as NereidError).code).toBe('INVALID_ARG');
    return (error as NereidError).message;
  }
  throw new Error('expected a parse error');
}

describe('pbtxt tokenizer', () => {
  it('gives 1-based lines and columns, skipping comments and CRLF', () => {
    const tokens = tokenizePbtxt('# head\r\nname: "x" # tail\r\n\tmax_batch_size: 4', FILE);
    expect(tokens.map((t) => [t.kind, t.text, t.line, t.column])).toEqual([
      ['identifier', 'name', 2, 1],
      ['symbol', ':', 2, 5],
      ['string', '"x"', 2, 7],
      ['identifier', 'max_batch_size', 3, 2],
      ['symbol', ':', 3, 16],
      ['integer', '4', 3, 18],
      ['end', '', 3, 19],
    ]);
  });

  it('classifies number literals', () => {
    const kinds = tokenizePbtxt('1 0x1F 017 1.5 .5 1e-3 2E+2 1f 2.5F 0', FILE).map((t) => t.kind);
    expect(kinds).toEqual(['integer', 'integer', 'integer', 'float', 'float', 'float', 'float', 'float', 'float', 'integer', 'end']);
  });

  it('decodes escapes into UTF-8 strings', () => {
    const [token] = tokenizePbtxt(String.raw`'\a\b\f\n\r\t\v\\\'\"\?\101\x42\u00e9\U0001F600\303\251'`, FILE);
    expect(token!.value).toBe('\x07\b\f\n\r\t\v\\\'"?AB\u00e9\u{1F600}\u00e9');
  });

  it('refuses invalid UTF-8 from byte escapes', () => {
    expect(() => tokenizePbtxt(String.raw`"\377"`, FILE)).toThrow(`${FILE}:1:1: string is not valid UTF-8`);
  });

  it('refuses an invalid octal literal', () => {
    expect(() => tokenizePbtxt('09', FILE)).toThrow(`${FILE}:1:1: invalid octal number '09'`);
  });
});

describe('pbtxt parser', () => {
  it('parses an empty document or one holding only comments', () => {
    expect(parse('')).toEqual({});
    expect(parse('# nothing here\n\n')).toEqual({});
  });

  it('parses integers in every notation', () => {
    const config = parse('max_batch_size: 0x10 version_policy { specific { versions: [ -0x2, 010, -7, 9007199254740991 ] } }');
    expect(config.max_batch_size).toBe(16);
    expect(config.version_policy).toEqual({ specific: { versions: [-2, 8, -7, 9007199254740991] } });
  });

  it('refuses 64-bit integers that a JS number cannot hold exactly', () => {
    expect(parseError('version_policy { specific { versions: 9007199254740993 } }')).toBe(
      `${FILE}:1:39: field 'versions': integer 9007199254740993 is too large to hold exactly (limit ±9007199254740991)`,
    );
  });

  it('parses floats including inf, nan, exponents and the f suffix', () => {
    const config = parse('model_metrics { metric_control { histogram_options { buckets: [ 1e-3, -2.5f, inf, -Infinity, nan, 3, 1f ] } } }');
    const buckets = (config.model_metrics as { metric_control: { histogram_options: { buckets: number[] } }[] }).metric_control[0]!
      .histogram_options.buckets;
    expect(buckets.slice(0, 4)).toEqual([0.001, -2.5, Infinity, -Infinity]);
    expect(buckets[4]).toBeNaN();
    expect(buckets.slice(5)).toEqual([3, 1]);
  });

  it('accepts every spelling of a boolean', () => {
    const config = parse(
      'input [ { is_shape_tensor: true allow_ragged_batch: True optional: t is_non_linear_format_io: 1 }, { is_shape_tensor: false allow_ragged_batch: False optional: f is_non_linear_format_io: 0 } ]',
    );
    expect(config.input).toEqual([
      { is_shape_tensor: true, allow_ragged_batch: true, optional: true, is_non_linear_format_io: true },
      { is_shape_tensor: false, allow_ragged_batch: false, optional: false, is_non_linear_format_io: false },
    ]);
  });

  it('concatenates adjacent strings across lines and quote styles', () => {
    expect(parse('name: "a" \'b\'\n  "c"').name).toBe('abc');
  });

  it('concatenates a repeated field given several times, mixing lists and single values', () => {
    const config = parse('input { name: "A" dims: 1 dims: [ 2, 3 ] dims: 4 } input [ { name: "B" } ] input: { name: "C" }');
    expect(config.input).toEqual([{ name: 'A', dims: [1, 2, 3, 4] }, { name: 'B' }, { name: 'C' }]);
  });

  it('reads map entries with missing key or value as protobuf defaults', () => {
    const config = parse('parameters { value { string_value: "x" } } parameters { key: "k" } metric_tags { key: "t" }');
    expect(config.parameters).toEqual({ '': { string_value: 'x' }, k: {} });
    expect(config.metric_tags).toEqual({ t: '' });
  });

  it('lets a later map entry replace an earlier one with the same key', () => {
    expect(parse('metric_tags { key: "a" value: "1" } metric_tags { key: "a" value: "2" }').metric_tags).toEqual({ a: '2' });
  });

  it('keys integer maps by the decimal string of the key', () => {
    const config = parse('dynamic_batching { priority_queue_policy { key: 0x10 value { } } }');
    expect(config.dynamic_batching).toEqual({ priority_queue_policy: { '16': {} } });
  });

  it('keeps a __proto__ map key as data, not as the prototype', () => {
    const config = parse('metric_tags { key: "__proto__" value: "x" }');
    const tags = config.metric_tags as Record<string, unknown>;
    expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
    expect(Object.keys(tags)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value).toBe('x');
  });

  it('accepts enums by name or number', () => {
    expect(parse('input { data_type: TYPE_BF16 format: 2 }').input).toEqual([{ data_type: 'TYPE_BF16', format: 'FORMAT_NCHW' }]);
  });

  it('names file, line and column in errors', () => {
    expect(parseError('name: "m"\n\n    max_batch: 8')).toBe(`${FILE}:3:5: unknown field 'max_batch' in message inference.ModelConfig`);
    expect(parseError('[inference.ext]: 1')).toBe(`${FILE}:1:1: extension and Any fields are not supported in a model configuration`);
    expect(parseError('name: ')).toBe(`${FILE}:1:7: field 'name' expects a string, got end of file`);
    expect(parseError('dynamic_batching { preferred_batch_size: [ 1, ] }')).toBe(
      `${FILE}:1:47: field 'preferred_batch_size' expects an integer, got ']'`,
    );
    expect(parseError('input { data_type: "TYPE_FP32" }')).toBe(`${FILE}:1:20: field 'data_type' expects a value of enum inference.DataType, got string "TYPE_FP32"`);
    expect(parseError('parameters: "x"')).toBe(`${FILE}:1:13: field 'parameters' expects a map entry { key: ... value: ... }, got string "x"`);
    expect(parseError('parameters { key: "a" key: "b" }')).toBe(
      `${FILE}:1:23: non-repeated field 'key' is specified more than once in message inference.ModelConfig.ParametersEntry`,
    );
  });
});
