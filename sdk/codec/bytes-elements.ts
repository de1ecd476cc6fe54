/**
 * BYTES tensors on the wire: each element is a 4-byte little-endian length
 * followed by that many bytes (Triton's `serialize_byte_tensor` layout).
 *
 * @example
 * ```ts
 * const wire = encodeBytesElements([new TextEncoder().encode('hi')]); // 02 00 00 00 68 69
 * decodeBytesElements(wire, 1);                                       // [Uint8Array [0x68, 0x69]]
 * ```
 */
import { NereidError } from '../errors.ts';

/** Total wire size of `elements` with their length prefixes. */
export function bytesElementsWireSize(elements: readonly Uint8Array[]): number {
  let size = 0;
  for (const element of elements) size += 4 + element.byteLength;
  return size;
}

/** Serialises byte strings into one length-prefixed buffer. */
export function encodeBytesElements(elements: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(bytesElementsWireSize(elements));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const element of elements) {
    view.setUint32(offset, element.byteLength, true);
    out.set(element, offset + 4);
    offset += 4 + element.byteLength;
  }
  return out;
}

/**
 * Splits a length-prefixed buffer into byte strings. The elements are views
 * into `wire`, not copies. When `expectedCount` is given, the buffer must hold
 * exactly that many elements and nothing more.
 */
export function decodeBytesElements(wire: Uint8Array, expectedCount?: number, what = 'BYTES tensor'): Uint8Array[] {
  const view = new DataView(wire.buffer, wire.byteOffset, wire.byteLength);
  const elements: Uint8Array[] = [];
  let offset = 0;
  while (offset < wire.byteLength) {
    if (offset + 4 > wire.byteLength) {
      throw NereidError.invalidArg(`${what}: truncated length prefix at byte ${offset} of ${wire.byteLength}`);
    }
    const length = view.getUint32(offset, true);
    const start = offset + 4;
    if (start + length > wire.byteLength) {
      throw NereidError.invalidArg(
        `${what}: element ${elements.length} declares ${length} bytes but only ${wire.byteLength - start} remain`,
      );
    }
    elements.push(wire.subarray(start, start + length));
    offset = start + length;
  }
  if (expectedCount !== undefined && elements.length !== expectedCount) {
    throw NereidError.invalidArg(`${what}: expected ${expectedCount} elements, found ${elements.length}`);
  }
  return elements;
}
