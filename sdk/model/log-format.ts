/**
 * Turns `console.log` / `log.info` arguments into one line of text for the
 * server log. Arguments are joined with spaces; `%s`-style substitution is not
 * supported. Tensors print as a summary and never read their data (reading
 * `.data` would fetch a host tensor into the isolate).
 *
 * Imports nothing: the prelude loads it before any other sdk module runs.
 *
 * @example
 * ```ts
 * formatLogArgs(['step', 3, { ok: true }]);   // 'step 3 {"ok":true}'
 * formatLogArgs([new Float32Array([1, 2])]);  // 'Float32Array(2) [1,2]'
 * ```
 */

const MAX_ELEMENTS = 16;

/** True for objects shaped like an sdk Tensor; checked without touching `.data`. */
function isTensorLike(value: object): value is { name: string; datatype: string; shape: readonly number[] } {
  const candidate = value as { name?: unknown; datatype?: unknown; shape?: unknown };
  return typeof candidate.name === 'string' && typeof candidate.datatype === 'string' && Array.isArray(candidate.shape);
}

function formatTypedArray(value: ArrayBufferView): string {
  if (!('length' in value)) return `${value.constructor.name}(${value.byteLength} bytes)`;
  const array = value as unknown as ArrayLike<number | bigint>;
  const shown: string[] = [];
  for (let i = 0; i < Math.min(array.length, MAX_ELEMENTS); i++) {
    const element = array[i]!;
    shown.push(typeof element === 'bigint' ? `${element}n` : String(element));
  }
  const more = array.length > MAX_ELEMENTS ? `,... ${array.length - MAX_ELEMENTS} more` : '';
  return `${value.constructor.name}(${array.length}) [${shown.join(',')}${more}]`;
}

function formatError(error: Error): string {
  return typeof error.stack === 'string' && error.stack.length > 0 ? error.stack : `${error.name}: ${error.message}`;
}

/** Summaries for values JSON cannot show (or must not touch), used inside objects too. */
function summarize(value: unknown): string | undefined {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
  if (typeof value === 'symbol' || value === undefined) return String(value);
  if (typeof value !== 'object' || value === null) return undefined;
  if (ArrayBuffer.isView(value)) return formatTypedArray(value);
  if (value instanceof Error) return formatError(value);
  if (isTensorLike(value)) return `Tensor(${value.name}, ${value.datatype}, [${value.shape.join(',')}])`;
  if (value instanceof Map) return `Map(${value.size})`;
  if (value instanceof Set) return `Set(${value.size})`;
  return undefined;
}

function formatObject(value: object): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, item: unknown) => {
      if (item !== value) {
        const summary = summarize(item);
        if (summary !== undefined) return summary;
      }
      if (typeof item === 'object' && item !== null) {
        if (seen.has(item)) return '[Circular]';
        seen.add(item);
      }
      return item;
    });
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** One log line from console-style arguments. */
export function formatLogArgs(args: readonly unknown[]): string {
  return args
    .map((arg) => {
      if (typeof arg === 'string') return arg;
      const summary = summarize(arg);
      if (summary !== undefined) return summary;
      return typeof arg === 'object' && arg !== null ? formatObject(arg) : String(arg);
    })
    .join(' ');
}
