/**
 * `TextEncoder` / `TextDecoder` for UTF-8 in plain JavaScript, following the
 * WHATWG Encoding standard: an isolate has neither, and `sdk/tensor.ts`
 * creates both when it loads. The prelude installs these as the globals
 * `TextEncoder` and `TextDecoder`; in Node the native ones stay.
 *
 * - Encoding: a lone surrogate becomes U+FFFD (EF BF BD), as USVString conversion does.
 * - Decoding: each maximal invalid subsequence becomes one U+FFFD (or, with
 *   `fatal: true`, a TypeError); a leading BOM is dropped unless `ignoreBOM`;
 *   `{ stream: true }` keeps an incomplete sequence for the next call.
 * - Only UTF-8: any other label is a RangeError.
 *
 * Imports nothing: the prelude loads this before any other sdk module runs.
 *
 * @example
 * ```ts
 * const bytes = new Utf8Encoder().encode('h\u00e9\u{1F600}'); // 68 C3 A9 F0 9F 98 80
 * new Utf8Decoder().decode(bytes);                            // 'h\u00e9\u{1F600}'
 * new Utf8Decoder().decode(new Uint8Array([0x61, 0xff]));     // 'a\uFFFD'
 * ```
 */

const REPLACEMENT = 0xfffd;
const UTF8_LABELS: ReadonlySet<string> = new Set([
  'unicode-1-1-utf-8',
  'unicode11utf8',
  'unicode20utf8',
  'utf-8',
  'utf8',
  'x-unicode20utf8',
]);

/** UTF-8 byte length of `source`, with lone surrogates counted as U+FFFD (3 bytes). */
function utf8Length(source: string): number {
  let length = 0;
  for (let i = 0; i < source.length; i++) {
    const unit = source.charCodeAt(i);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(source.charCodeAt(i + 1))) {
      length += 4;
      i++;
    } else length += 3;
  }
  return length;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * Writes the code point starting at `source[i]` into `out` at `at` if it fits
 * before `end`. Returns how many UTF-16 units it consumed (0: did not fit),
 * and leaves the bytes written in `written.count`.
 */
function writeCodePoint(source: string, i: number, out: Uint8Array, at: number, end: number, written: { count: number }): number {
  let code = source.charCodeAt(i);
  let units = 1;
  if (code >= 0xd800 && code <= 0xdfff) {
    const next = source.charCodeAt(i + 1);
    if (code <= 0xdbff && isLowSurrogate(next)) {
      code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
      units = 2;
    } else code = REPLACEMENT;
  }
  if (code < 0x80) {
    if (at + 1 > end) return 0;
    out[at] = code;
    written.count = 1;
  } else if (code < 0x800) {
    if (at + 2 > end) return 0;
    out[at] = 0xc0 | (code >> 6);
    out[at + 1] = 0x80 | (code & 0x3f);
    written.count = 2;
  } else if (code < 0x10000) {
    if (at + 3 > end) return 0;
    out[at] = 0xe0 | (code >> 12);
    out[at + 1] = 0x80 | ((code >> 6) & 0x3f);
    out[at + 2] = 0x80 | (code & 0x3f);
    written.count = 3;
  } else {
    if (at + 4 > end) return 0;
    out[at] = 0xf0 | (code >> 18);
    out[at + 1] = 0x80 | ((code >> 12) & 0x3f);
    out[at + 2] = 0x80 | ((code >> 6) & 0x3f);
    out[at + 3] = 0x80 | (code & 0x3f);
    written.count = 4;
  }
  return units;
}

/** A WHATWG `TextEncoder` (UTF-8 only, as the standard defines it). */
export class Utf8Encoder {
  get encoding(): 'utf-8' {
    return 'utf-8';
  }

  /** The UTF-8 bytes of `input` (converted with `String()`; lone surrogates become U+FFFD). */
  encode(input: string = ''): Uint8Array {
    const source = String(input);
    const out = new Uint8Array(utf8Length(source));
    const written = { count: 0 };
    let at = 0;
    for (let i = 0; i < source.length; ) {
      const unit = source.charCodeAt(i);
      if (unit < 0x80) {
        out[at++] = unit;
        i++;
        continue;
      }
      i += writeCodePoint(source, i, out, at, out.length, written);
      at += written.count;
    }
    return out;
  }

  /** Encodes as much of `source` as fits whole into `destination`. */
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    const text = String(source);
    const written = { count: 0 };
    let read = 0;
    let at = 0;
    while (read < text.length) {
      const units = writeCodePoint(text, read, destination, at, destination.length, written);
      if (units === 0) break;
      read += units;
      at += written.count;
    }
    return { read, written: at };
  }

  get [Symbol.toStringTag](): string {
    return 'TextEncoder';
  }
}

/** Options of `new TextDecoder(label, options)`. */
export interface Utf8DecoderOptions {
  /** Throw a TypeError on invalid bytes instead of inserting U+FFFD. */
  fatal?: boolean;
  /** Keep a leading byte order mark in the output. */
  ignoreBOM?: boolean;
}

/** Turns a BufferSource into a byte view without copying. */
function bytesOf(input: unknown): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const tag = Object.prototype.toString.call(input);
  if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') return new Uint8Array(input as ArrayBuffer);
  throw new TypeError("TextDecoder.decode: the input must be an ArrayBuffer or an ArrayBufferView");
}

/** Collects UTF-16 code units and turns them into a string in chunks (fromCharCode takes limited arguments). */
class StringBuilder {
  #units: number[] = [];
  #parts: string[] = [];

  push(codePoint: number): void {
    if (codePoint > 0xffff) {
      const offset = codePoint - 0x10000;
      this.#units.push(0xd800 + (offset >> 10), 0xdc00 + (offset & 0x3ff));
    } else this.#units.push(codePoint);
    if (this.#units.length >= 8192) this.#flush();
  }

  #flush(): void {
    this.#parts.push(String.fromCharCode.apply(null, this.#units));
    this.#units = [];
  }

  toString(): string {
    if (this.#units.length > 0) this.#flush();
    return this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('');
  }
}

/** A WHATWG `TextDecoder` for UTF-8 (the only encoding it accepts). */
export class Utf8Decoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  // The UTF-8 decoder state of the standard, kept between `{ stream: true }` calls.
  #codePoint = 0;
  #bytesSeen = 0;
  #bytesNeeded = 0;
  #lower = 0x80;
  #upper = 0xbf;
  #bomSeen = false;

  constructor(label: string = 'utf-8', options: Utf8DecoderOptions = {}) {
    const name = String(label).trim().toLowerCase();
    if (!UTF8_LABELS.has(name)) {
      throw new RangeError(`TextDecoder: the '${String(label)}' encoding is not supported (only UTF-8 is available in a model)`);
    }
    this.#fatal = Boolean(options.fatal);
    this.#ignoreBOM = Boolean(options.ignoreBOM);
  }

  get encoding(): 'utf-8' {
    return 'utf-8';
  }
  get fatal(): boolean {
    return this.#fatal;
  }
  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }

  /** Decodes `input`; with `{ stream: true }` an incomplete trailing sequence waits for the next call. */
  decode(input?: ArrayBuffer | ArrayBufferView | SharedArrayBuffer, options: { stream?: boolean } = {}): string {
    const bytes = bytesOf(input);
    const stream = Boolean(options.stream);
    const out = new StringBuilder();
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (this.#bytesNeeded === 0) {
        if (byte <= 0x7f) this.#emit(out, byte);
        else if (byte >= 0xc2 && byte <= 0xdf) {
          this.#bytesNeeded = 1;
          this.#codePoint = byte & 0x1f;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) this.#lower = 0xa0;
          if (byte === 0xed) this.#upper = 0x9f;
          this.#bytesNeeded = 2;
          this.#codePoint = byte & 0x0f;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) this.#lower = 0x90;
          if (byte === 0xf4) this.#upper = 0x8f;
          this.#bytesNeeded = 3;
          this.#codePoint = byte & 0x07;
        } else this.#error(out);
        continue;
      }
      if (byte < this.#lower || byte > this.#upper) {
        // The sequence so far is one maximal invalid subsequence; this byte starts afresh.
        this.#resetSequence();
        this.#error(out);
        i--;
        continue;
      }
      this.#lower = 0x80;
      this.#upper = 0xbf;
      this.#codePoint = (this.#codePoint << 6) | (byte & 0x3f);
      if (++this.#bytesSeen === this.#bytesNeeded) {
        const codePoint = this.#codePoint;
        this.#resetSequence();
        this.#emit(out, codePoint);
      }
    }
    if (!stream) {
      if (this.#bytesNeeded !== 0) {
        this.#resetSequence();
        this.#error(out);
      }
      this.#bomSeen = false;
    }
    return out.toString();
  }

  #emit(out: StringBuilder, codePoint: number): void {
    if (!this.#bomSeen) {
      this.#bomSeen = true;
      if (codePoint === 0xfeff && !this.#ignoreBOM) return;
    }
    out.push(codePoint);
  }

  #error(out: StringBuilder): void {
    if (this.#fatal) {
      this.#resetSequence();
      this.#bomSeen = false;
      throw new TypeError('TextDecoder: the encoded data was not valid UTF-8');
    }
    this.#emit(out, REPLACEMENT);
  }

  #resetSequence(): void {
    this.#codePoint = 0;
    this.#bytesSeen = 0;
    this.#bytesNeeded = 0;
    this.#lower = 0x80;
    this.#upper = 0xbf;
  }

  get [Symbol.toStringTag](): string {
    return 'TextDecoder';
  }
}
