/**
 * The k best classes of one row of scores. k of a handful of classes: one
 * pass per pick beats sorting a copy of the row.
 *
 * @example
 * ```ts
 * topK(new Float32Array([0.1, 0.6, 0.3]), 2); // [1, 2]
 * ```
 */

/** Indices of the `k` highest scores, highest first; equal scores keep the lower index first. */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  const picked: number[] = [];
  const taken = new Uint8Array(scores.length);
  for (let n = 0; n < k && n < scores.length; n++) {
    let best = -1;
    for (let i = 0; i < scores.length; i++) {
      if (taken[i] === 0 && (best < 0 || scores[i]! > scores[best]!)) best = i;
    }
    taken[best] = 1;
    picked.push(best);
  }
  return picked;
}
