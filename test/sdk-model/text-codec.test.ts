import { describe, expect, it } from 'vitest';
import { Utf8Decoder, Utf8Encoder } from '../../sdk/model/text-codec.ts';

// The reference: Node's own WHATWG implementation.
const nodeEncoder = new TextEncoder();

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY_STRINGS = [
  '',
  'plain ascii',
  '\u0000\u007f\u0080\u07ff\u0800\uffff',
  'h\u00e9llo \u20ac \u4e2d\u6587',
  '\u{1F600}\u{1F469}\u200d\u{1F4BB}',
  '\u{10000}\u{10FFFF}',
  '\ud800', // lone high surrogate
  '\udc00', // lone low surrogate
  'a\ud83d', // high surrogate at the end
  '\ud83db', // high surrogate followed by a non-surrogate
  '\udc00\ud800', // reversed pair
  '\ud800\ud800\udc00', // high, then a valid pair
  '\ufeffBOM first',
  '\ufffd replacement',
];

const TRICKY_BYTES: number[][] = [
  [],
  [0x61, 0x62],
  [0xc0, 0x80], // overlong NUL
  [0xc1, 0xbf], // overlong
  [0xe0, 0x80, 0x80], // overlong 3-byte
  [0xe0, 0x9f, 0xbf],
  [0xed, 0xa0, 0x80], // encoded surrogate
  [0xed, 0x9f, 0xbf], // last before the surrogates
  [0xf0, 0x80, 0x80, 0x80], // overlong 4-byte
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
  [0xf5, 0x80, 0x80, 0x80],
  [0xff],
  [0xfe, 0xff],
  [0x80], // lone continuation
  [0xbf, 0x80, 0x41],
  [0xe2, 0x82], // truncated euro
  [0xe2, 0x82, 0x41], // truncated, then ASCII
  [0xf0, 0x9f, 0x98], // truncated emoji at the end
  [0xf0, 0x9f, 0x41, 0x98, 0x80],
  [0xef, 0xbb, 0xbf, 0x68, 0x69], // BOM + 'hi'
  [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], // two BOMs
  [0xef, 0xbb, 0xbf], // BOM only
  [0xef, 0xbb], // truncated BOM
  [0x41, 0xef, 0xbb, 0xbf], // BOM not at the start
  [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80],
];

function randomString(next: () => number): string {
  const length = Math.floor(next() * 12);
  const units: number[] = [];
  for (let i = 0; i < length; i++) {
    const pick = next();
    if (pick < 0.3) units.push(Math.floor(next() * 0x80));
    else if (pick < 0.5) units.push(0xd800 + Math.floor(next() * 0x800)); // any surrogate
    else if (pick < 0.7) units.push(0xd800 + Math.floor(next() * 0x400), 0xdc00 + Math.floor(next() * 0x400)); // a pair
    else units.push(Math.floor(next() * 0x10000));
  }
  return String.fromCharCode(...units);
}

function randomBytes(next: () => number): Uint8Array {
  const length = Math.floor(next() * 16);
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f, 0xbb];
  return Uint8Array.from({ length }, () =>
    next() < 0.6 ? interesting[Math.floor(next() * interesting.length)]! : Math.floor(next() * 256),
  );
}

function nodeDecode(bytes: Uint8Array, options: { fatal?: boolean; ignoreBOM?: boolean } = {}): string {
  return new TextDecoder('utf-8', options).decode(bytes);
}

function ourDecode(bytes: Uint8Array, options: { fatal?: boolean; ignoreBOM?: boolean } = {}): string {
  return new Utf8Decoder('utf-8', options).decode(bytes);
}

function outcome(decode: () => string): string {
  try {
    return `ok:${decode()}`;
  } catch (error) {
    return `throws:${(error as Error).constructor.name}`;
  }
}

describe('Utf8Encoder (TextEncoder)', () => {
  it("matches Node's TextEncoder on tricky strings, lone surrogates included", () => {
    const encoder = new Utf8Encoder();
    for (const text of TRICKY_STRINGS) expect(encoder.encode(text), JSON.stringify(text)).toEqual(nodeEncoder.encode(text));
    expect(Array.from(encoder.encode('\ud800'))).toEqual([0xef, 0xbf, 0xbd]);
    expect(encoder.encode()).toEqual(new Uint8Array(0));
    expect(encoder.encoding).toBe('utf-8');
    expect(Object.prototype.toString.call(encoder)).toBe('[object TextEncoder]');
  });

  it("matches Node's TextEncoder on 5000 random strings", () => {
    const next = random(1);
    const encoder = new Utf8Encoder();
    for (let i = 0; i < 5000; i++) {
      const text = randomString(next);
      expect(encoder.encode(text), JSON.stringify(text)).toEqual(nodeEncoder.encode(text));
    }
  });

  it("matches Node's encodeInto for every destination size", () => {
    const encoder = new Utf8Encoder();
    for (const text of [...TRICKY_STRINGS, 'a\u00e9\u20ac\u{1F600}b']) {
      for (let size = 0; size <= 16; size++) {
        const ours = new Uint8Array(size);
        const theirs = new Uint8Array(size);
        expect(encoder.encodeInto(text, ours), `${JSON.stringify(text)} into ${size}`).toEqual(nodeEncoder.encodeInto(text, theirs));
        expect(ours).toEqual(theirs);
      }
    }
  });
});

describe('Utf8Decoder (TextDecoder)', () => {
  it("matches Node's TextDecoder on tricky byte sequences, with and without fatal and ignoreBOM", () => {
    for (const list of TRICKY_BYTES) {
      const bytes = Uint8Array.from(list);
      for (const options of [{}, { fatal: true }, { ignoreBOM: true }]) {
        expect(outcome(() => ourDecode(bytes, options)), `${JSON.stringify(list)} ${JSON.stringify(options)}`).toBe(
          outcome(() => nodeDecode(bytes, options)),
        );
      }
    }
    expect(ourDecode(Uint8Array.of(0xe2, 0x82, 0x41))).toBe('\ufffdA');
    expect(ourDecode(Uint8Array.of(0xf0, 0x80, 0x80, 0x80))).toBe('\ufffd\ufffd\ufffd\ufffd');
  });

  it("matches Node's TextDecoder on 5000 random byte strings, and round-trips random strings", () => {
    const next = random(2);
    const encoder = new Utf8Encoder();
    for (let i = 0; i < 5000; i++) {
      const bytes = randomBytes(next);
      expect(ourDecode(bytes), Array.from(bytes).join(',')).toBe(nodeDecode(bytes));
      const text = randomString(next);
      expect(ourDecode(encoder.encode(text))).toBe(nodeDecode(nodeEncoder.encode(text)));
    }
  });

  it("matches Node's streaming decode when sequences are split across chunks", () => {
    const next = random(3);
    const inputs = [...TRICKY_BYTES.map((list) => Uint8Array.from(list)), ...Array.from({ length: 1000 }, () => randomBytes(next))];
    for (const bytes of inputs) {
      const cuts = [0, ...Array.from({ length: 3 }, () => Math.floor(next() * (bytes.length + 1))).sort((a, b) => a - b), bytes.length];
      const ours = new Utf8Decoder();
      const theirs = new TextDecoder();
      let a = '';
      let b = '';
      for (let i = 0; i + 1 < cuts.length; i++) {
        const chunk = bytes.subarray(cuts[i], cuts[i + 1]);
        a += ours.decode(chunk, { stream: true });
        b += theirs.decode(chunk, { stream: true });
      }
      a += ours.decode();
      b += theirs.decode();
      expect(a, `${Array.from(bytes).join(',')} cut at ${cuts.join(',')}`).toBe(b);
    }
  });

  it('decodes every BufferSource without copying, and a long text in chunks', () => {
    const decoder = new Utf8Decoder();
    const bytes = nodeEncoder.encode('xx\u00e9yy');
    expect(decoder.decode(bytes.buffer)).toBe('xx\u00e9yy');
    expect(decoder.decode(new DataView(bytes.buffer, 2, 2))).toBe('\u00e9');
    expect(decoder.decode(new Uint16Array(bytes.buffer, 0, 1))).toBe('xx');
    expect(decoder.decode(bytes.subarray(2, 4))).toBe('\u00e9');
    expect(decoder.decode()).toBe('');
    expect(() => decoder.decode('text' as never)).toThrow(TypeError);
    const long = '\u{1F600}ab\u00e9'.repeat(20_000);
    expect(decoder.decode(nodeEncoder.encode(long))).toBe(long);
  });

  it('accepts the UTF-8 labels only, and reports its options', () => {
    expect(new Utf8Decoder(' UTF8 ').encoding).toBe('utf-8');
    expect(new Utf8Decoder('unicode-1-1-utf-8').encoding).toBe('utf-8');
    expect(() => new Utf8Decoder('latin1')).toThrow(RangeError);
    const decoder = new Utf8Decoder('utf-8', { fatal: true, ignoreBOM: true });
    expect([decoder.fatal, decoder.ignoreBOM]).toEqual([true, true]);
    expect(Object.prototype.toString.call(decoder)).toBe('[object TextDecoder]');
    // A fatal error resets the stream: the next call starts clean.
    expect(() => decoder.decode(Uint8Array.of(0xe2, 0x82), { stream: false })).toThrow(TypeError);
    expect(decoder.decode(Uint8Array.of(0x41))).toBe('A');
  });
});
