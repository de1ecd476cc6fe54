/**
 * Maps stack traces from inside an isolate back to the model's own files.
 * V8 names the bundle's frames by its `//# sourceURL` (`nereid-model://add/1/model.ts:212:11`);
 * each such position is rewritten with the bundle's source map to the
 * original file, named as the author knows it (`1/model.ts:16:30`,
 * `1/lib/helper.ts:9:9`, `node_modules/tiny/index.js:3:5`,
 * `nereid/sdk/model/serve-model.ts:40:7`). Positions the map does not cover
 * (esbuild's runtime helpers) and frames of other scripts stay as they are.
 * Function names stay as V8 printed them: esbuild renames a top-level
 * function only when two modules declare the same name (`helper2`).
 *
 * The map is parsed on first use (about 0.3 ms for a small model; 0.1 µs a
 * frame after that), so a model that never throws never pays for it. The
 * bundle must run as compiled: a `lineOffset`/`columnOffset` at compile time
 * would shift every position.
 *
 * @example
 * ```ts
 * const stack = StackMapper.for(bundle).map(settled.stack);
 * // "Error: bad input\n    at execute (1/model.ts:16:30)\n    at ..."
 * ```
 */
import { SourceMap, type SourceMapPayload } from 'node:module';
import type { ModelBundle } from './model-bundler.ts';

/** An original position: the file as named in the map's `sources`, 1-based line and column. */
export interface OriginalPosition {
  source: string;
  line: number;
  column: number;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class StackMapper {
  /** One mapper (and one parsed map) per bundle, shared by all the instances running it. */
  static readonly #byBundle = new WeakMap<ModelBundle, StackMapper>();

  readonly #sourceMap: string;
  readonly #positions: RegExp;
  /** Parsed on first use; null when the map could not be parsed (then nothing maps). */
  #parsed: SourceMap | null | undefined;

  constructor(bundle: Pick<ModelBundle, 'sourceMap' | 'sourceURL'>) {
    this.#sourceMap = bundle.sourceMap;
    this.#positions = new RegExp(`${escapeRegExp(bundle.sourceURL)}:(\\d+):(\\d+)`, 'g');
  }

  /** The shared mapper of `bundle`. */
  static for(bundle: ModelBundle): StackMapper {
    let mapper = StackMapper.#byBundle.get(bundle);
    if (mapper === undefined) {
      mapper = new StackMapper(bundle);
      StackMapper.#byBundle.set(bundle, mapper);
    }
    return mapper;
  }

  /** `stack` with every bundle position replaced by its original file, line and column. */
  map(stack: string): string {
    return stack.replace(this.#positions, (whole: string, line: string, column: string) => {
      const original = this.originalPosition(Number(line), Number(column));
      return original === undefined ? whole : `${original.source}:${original.line}:${original.column}`;
    });
  }

  /** Where bundle position `line`:`column` (1-based, as V8 prints them) came from; undefined when unmapped. */
  originalPosition(line: number, column: number): OriginalPosition | undefined {
    const map = this.#map();
    if (map === null) return undefined;
    const entry = map.findEntry(line - 1, column - 1);
    // findEntry answers with the nearest segment before the position, even on an earlier line:
    // only a segment on the frame's own line describes it.
    if (!('originalSource' in entry) || entry.generatedLine !== line - 1) return undefined;
    return { source: entry.originalSource, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  }

  #map(): SourceMap | null {
    if (this.#parsed === undefined) {
      try {
        this.#parsed = new SourceMap(JSON.parse(this.#sourceMap) as SourceMapPayload);
      } catch {
        // Mapping runs while an error is being reported: an unreadable map must not replace that error.
        this.#parsed = null;
      }
    }
    return this.#parsed;
  }
}

/** `stack` mapped back to the files of `bundle`'s model. */
export function mapStack(bundle: ModelBundle, stack: string): string {
  return StackMapper.for(bundle).map(stack);
}

/**
 * A mapped stack as a model's author reads it beside `message`: the header
 * (V8's "TypeError: ..." line, which names the error's kind, or the message
 * when the stack has no such line or the kind is a plain Error) and the
 * frames, leaving out the nereid sdk's own (they say nothing about the
 * model's code).
 */
export function authorStack(mapped: string, message: string): { header: string; frames: string } {
  const at = mapped.search(/\n\s+at /);
  const head = at < 0 ? mapped : mapped.slice(0, at);
  // "TypeError: x" says more than "x"; "Error: x" does not.
  const header = head !== '' && head.includes(message) ? head.replace(/^(Error|NereidError): /, '') : message;
  const lines = at < 0 ? [] : mapped.slice(at + 1).split('\n');
  const frames = lines.filter((line) => /^\s+at /.test(line) && !line.includes('nereid/sdk/')).join('\n');
  return { header, frames };
}
