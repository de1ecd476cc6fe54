/**
 * Finds `import(expr)` calls that esbuild left in a bundle. esbuild inlines
 * `import('./literal')` (and globs template literals), but passes a computed
 * specifier through silently; inside a model isolate there is no module
 * loader, so such a call can only fail at run time ("Not supported"). We
 * refuse it at load time instead, where it is written in the model's own
 * files. In installed packages we let it be: packages often keep an optional
 * dynamic import on a path the model never takes.
 *
 * How: every `import(` left in the output is a candidate; it is a real call,
 * not text in a string or comment, exactly when the source map has a segment
 * starting at that very column (esbuild starts a segment at each expression
 * it prints, and strings and comments are one segment or none).
 */
import type { SourceMap } from 'node:module';

export interface CodeLocation {
  /** The original file, as named in the source map. */
  source: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

const IMPORT_CALL = /\bimport\s*\(/g;

/** Candidate `import(` positions (0-based line and column) in the generated code. */
function candidates(code: string): Array<{ line: number; column: number }> {
  const found: Array<{ line: number; column: number }> = [];
  const lines = code.split('\n');
  lines.forEach((text, line) => {
    for (const match of text.matchAll(IMPORT_CALL)) found.push({ line, column: match.index });
  });
  return found;
}

/**
 * The computed `import()` calls in `code` whose original source passes
 * `isChecked`, in original coordinates. `map()` parses the source map only
 * when there is a candidate.
 */
export function findComputedImports(code: string, map: () => SourceMap, isChecked: (source: string) => boolean): CodeLocation[] {
  if (!code.includes('import')) return [];
  const found: CodeLocation[] = [];
  for (const candidate of candidates(code)) {
    const entry = map().findEntry(candidate.line, candidate.column);
    if (!('originalSource' in entry)) continue;
    if (entry.generatedLine !== candidate.line || entry.generatedColumn !== candidate.column) continue;
    if (!isChecked(entry.originalSource)) continue;
    found.push({ source: entry.originalSource, line: entry.originalLine + 1, column: entry.originalColumn + 1 });
  }
  return found;
}
