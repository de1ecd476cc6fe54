/**
 * What this model knows of the ONNX model it wraps: `mlp`, as
 * scripts/build-models.ts generates it (models/mlp/config.pbtxt). Kept in one
 * place so a change to `mlp` is one edit here; the script cannot read another
 * model's config, so these are checked at run time instead (the shape of
 * `probabilities`, in model.ts).
 */
export const BACKBONE = Object.freeze({
  model: 'mlp',
  input: 'input',
  output: 'probabilities',
  /** Values per row of `input`: every example is brought to this length. */
  width: 64,
  /** Values per row of `probabilities`: one per label in labels.json. */
  classes: 10,
  /** mlp's max_batch_size: rows beyond it go in a second call rather than fail. */
  maxBatchSize: 32,
});
