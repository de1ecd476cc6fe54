/**
 * Flat frames across the isolate boundary: how the hot messages (a batch of
 * requests, its responses, a BLS request and its result) cross between the
 * server and a model.ts isolate without structured copies.
 *
 * A structured copy of a nested descriptor costs about 5 µs per crossing
 * here, against about 1 µs for a call with only numbers and strings
 * (docs/design/script-backend.md). So a frame is written as:
 * - numbers (counts, shapes, codes, offsets) into a Float64 region of a
 *   buffer the two sides share (one per direction, made once per instance);
 * - small tensor payloads into that buffer's byte region;
 * - every string, concatenated, into one primitive string passed with the call
 *   (strings cross isolates by a plain copy, with no serializer).
 * The receiver decodes the frame before doing anything else, so one shared
 * buffer per direction is enough: it is free again as soon as a call returns.
 *
 * A frame larger than the shared buffer continues in a private ArrayBuffer
 * (`Frame.overflow`), which the call then carries (and copies) as an extra argument.
 *
 * Buffer layout: float64 [0] = capacity of the number region (in float64s,
 * the region starts at index 1), then the byte region, 8-byte aligned.
 *
 * This file imports nothing from Node: it runs on both sides.
 *
 * @example
 * ```ts
 * const arena = createFrameArena(4096);
 * const writer = new FrameWriter(arena);
 * writer.num(2); writer.str('INPUT0'); writer.bytes(new Int32Array([1, 2]));
 * const frame = writer.finish();           // { strings: 'INPUT0', overflow: undefined }
 * const reader = new FrameReader(arena);
 * reader.open(frame.strings, frame.overflow);
 * reader.num(); reader.str(); reader.bytes(); // 2, 'INPUT0', Uint8Array(8) (a private copy)
 * ```
 */

/** What a finished frame sends besides the shared buffer. */
export interface Frame {
  readonly strings: string;
  /** Set when the frame outgrew the shared buffer: the whole frame is here instead. */
  readonly overflow: ArrayBuffer | undefined;
}

/** Shared buffer size per direction: numbers for a few hundred tensors and ~190 KiB of small payloads (a batch of larger ones overflows, at one extra copy). */
export const DEFAULT_ARENA_BYTES = 256 * 1024;
const DEFAULT_NUMBER_SLOTS = 8192;

/** A buffer laid out for frames, with `numberSlots` float64 slots for numbers and the rest for bytes. */
export function createFrameArena(totalBytes = DEFAULT_ARENA_BYTES, numberSlots = DEFAULT_NUMBER_SLOTS, shared = true): ArrayBuffer | SharedArrayBuffer {
  const bytes = Math.max(totalBytes, (numberSlots + 1) * 8);
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  new Float64Array(buffer, 0, 1)[0] = numberSlots;
  return buffer;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Writes frames into `arena`, one at a time (begin implicitly, `finish` to send). */
export class FrameWriter {
  readonly #arena: ArrayBuffer | SharedArrayBuffer;
  #buffer: ArrayBuffer | SharedArrayBuffer;
  #numbers!: Float64Array;
  #bytes!: Uint8Array;
  #numberCount = 0;
  #byteCount = 0;
  #strings: string[] = [];

  constructor(arena: ArrayBuffer | SharedArrayBuffer) {
    this.#arena = arena;
    this.#buffer = arena;
    this.#use(arena);
  }

  num(value: number): void {
    if (this.#numberCount + 2 > this.#numbers.length) this.#grow(this.#numberCount + 1, this.#byteCount);
    this.#numbers[1 + this.#numberCount++] = value;
  }

  bool(value: boolean): void {
    this.num(value ? 1 : 0);
  }

  str(value: string): void {
    this.num(value.length);
    this.#strings.push(value);
  }

  /** Copies `view`'s bytes into the frame. */
  bytes(view: ArrayBufferView): void {
    const source = view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const start = this.#place(source.byteLength); // First: placing may grow into a new #bytes.
    this.#bytes.set(source, start);
  }

  /**
   * Reserves `length` bytes, records where they are, and returns them for the
   * caller to fill (for payloads assembled in place, e.g. BYTES elements).
   */
  reserve(length: number): Uint8Array {
    const start = this.#place(length);
    return this.#bytes.subarray(start, start + length);
  }

  /** Ends the frame; the writer is ready for the next one. */
  finish(): Frame {
    const strings = this.#strings.length === 1 ? this.#strings[0]! : this.#strings.join('');
    const overflow = this.#buffer === this.#arena ? undefined : (this.#buffer as ArrayBuffer);
    this.#strings = [];
    this.#numberCount = 0;
    this.#byteCount = 0;
    if (overflow !== undefined) this.#use(this.#arena);
    return { strings, overflow };
  }

  /** Records a payload of `length` bytes and returns where in #bytes it goes. */
  #place(length: number): number {
    const start = align8(this.#byteCount);
    if (start + length > this.#bytes.length) this.#grow(this.#numberCount, start + length);
    this.num(start);
    this.num(length);
    this.#byteCount = start + length;
    return start;
  }

  /** Moves the frame so far into a private buffer with room for `numbers` numbers and `bytes` bytes (at least double). */
  #grow(numbers: number, bytes: number): void {
    const slots = Math.max(this.#numbers.length - 1, 2 * numbers);
    const byteCapacity = Math.max(this.#bytes.length, 2 * bytes);
    const next = createFrameArena((slots + 1) * 8 + byteCapacity, slots, false);
    const previousNumbers = this.#numbers;
    const previousBytes = this.#bytes;
    this.#use(next);
    this.#numbers.set(previousNumbers.subarray(1, 1 + this.#numberCount), 1);
    this.#bytes.set(previousBytes.subarray(0, this.#byteCount));
  }

  #use(buffer: ArrayBuffer | SharedArrayBuffer): void {
    this.#buffer = buffer;
    const slots = new Float64Array(buffer, 0, 1)[0]!;
    this.#numbers = new Float64Array(buffer, 0, slots + 1);
    this.#bytes = new Uint8Array(buffer, (slots + 1) * 8);
  }
}

/** A typed-array class, as FrameReader.elements needs it. */
export interface ElementArrayType<T> {
  readonly BYTES_PER_ELEMENT: number;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
}

/** Payloads up to this size share slabs of SLAB_BYTES (FrameReader.bytes). */
const SLAB_PAYLOAD_BYTES = 4096;
const SLAB_BYTES = 64 * 1024;

/** Reads the frame just written into `arena` (or its overflow buffer). */
export class FrameReader {
  readonly #arena: ArrayBuffer | SharedArrayBuffer;
  #numbers!: Float64Array;
  #bytes!: Uint8Array;
  #strings = '';
  #numberIndex = 1;
  #stringIndex = 0;
  #slab = new Uint8Array(0);
  #slabUsed = 0;
  #outBuffer: ArrayBuffer = this.#slab.buffer;
  #outOffset = 0;

  constructor(arena: ArrayBuffer | SharedArrayBuffer) {
    this.#arena = arena;
  }

  /** Starts reading a frame; must come before anything else touches the arena. */
  open(strings: string, overflow?: ArrayBuffer): void {
    const buffer = overflow ?? this.#arena;
    const slots = new Float64Array(buffer, 0, 1)[0]!;
    this.#numbers = new Float64Array(buffer, 0, slots + 1);
    this.#bytes = new Uint8Array(buffer, (slots + 1) * 8);
    this.#strings = strings;
    this.#numberIndex = 1;
    this.#stringIndex = 0;
  }

  num(): number {
    return this.#numbers[this.#numberIndex++]!;
  }

  bool(): boolean {
    return this.num() !== 0;
  }

  str(): string {
    const length = this.num();
    const start = this.#stringIndex;
    this.#stringIndex = start + length;
    return length === 0 ? '' : this.#strings.slice(start, start + length);
  }

  /** The next byte payload as a private copy (the arena is reused by the next frame), 8-byte aligned. */
  bytes(): Uint8Array {
    const length = this.#copyOut();
    return new Uint8Array(this.#outBuffer, this.#outOffset, length);
  }

  /**
   * The next byte payload as a private copy viewed as `ArrayType`, or as
   * bytes when its length is not a whole number of elements (for the
   * caller's checks to report).
   */
  elements<T extends ArrayBufferView>(ArrayType: ElementArrayType<T>): T | Uint8Array {
    const length = this.#copyOut();
    const size = ArrayType.BYTES_PER_ELEMENT;
    return length % size === 0 ? new ArrayType(this.#outBuffer, this.#outOffset, length / size) : new Uint8Array(this.#outBuffer, this.#outOffset, length);
  }

  /**
   * Copies the next payload out of the arena; leaves where in #outBuffer/#outOffset
   * and returns its length. A small payload is carved out of a slab shared
   * with other small payloads: allocating an ArrayBuffer costs more than
   * copying a few hundred bytes, and most tensors that cross inline are
   * small. A larger one gets an ArrayBuffer of its own.
   */
  #copyOut(): number {
    const start = this.num();
    const length = this.num();
    const arena = this.#bytes;
    if (length > SLAB_PAYLOAD_BYTES) {
      this.#outBuffer = arena.slice(start, start + length).buffer;
      this.#outOffset = 0;
      return length;
    }
    if (this.#slabUsed + length > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const slab = this.#slab;
    const offset = this.#slabUsed;
    this.#slabUsed = align8(offset + length);
    slab.set(arena.subarray(start, start + length), offset);
    this.#outBuffer = slab.buffer;
    this.#outOffset = offset;
    return length;
  }
}
