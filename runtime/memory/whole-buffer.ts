/**
 * The rule for moving a tensor's memory to another thread or isolate without
 * copying: only a view that spans the whole of a plain (non-shared) ArrayBuffer
 * may be transferred. Transferring a view of a bigger buffer (a request body,
 * Node's Buffer pool) would detach memory other views still use.
 */
export function isWholeBuffer(data: ArrayBufferView): boolean {
  const buffer = data.buffer;
  return buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength && buffer.byteLength > 0;
}
