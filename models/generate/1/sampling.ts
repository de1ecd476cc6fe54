/**
 * Picks the next token from one step's logits: greedy (temperature 0), or a
 * draw from the softmax of logits / temperature restricted to the `topK`
 * most likely tokens and then to the smallest prefix of them whose
 * probability reaches `topP` (nucleus sampling), in that order, as Hugging
 * Face's and TensorRT-LLM's samplers apply them.
 *
 * Ties are broken towards the lower token id everywhere, so `topK: 1` picks
 * exactly the token greedy decoding picks. Probabilities are computed in
 * float64 from the float32 logits.
 *
 * @example
 * ```ts
 * pickToken(logits, { temperature: 0, topK: 0, topP: 1 });                     // argmax
 * pickToken(logits, { temperature: 0.8, topK: 40, topP: 0.9 }, () => random.next());
 * ```
 */

export interface SamplingSettings {
  /** 0: greedy; otherwise > 0, dividing the logits (higher: flatter, more random). */
  readonly temperature: number;
  /** Keep only this many most likely tokens; 0: no limit. */
  readonly topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches this; in (0, 1], 1: no limit. */
  readonly topP: number;
}

/** Index of the largest logit; the lowest index wins a tie. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Token ids ordered by logit, largest first; equal logits keep id order. */
function rankTokens(logits: ArrayLike<number>): number[] {
  const ids = Array.from({ length: logits.length }, (_, id) => id);
  return ids.sort((a, b) => logits[b] - logits[a] || a - b);
}

/**
 * The next token. `random` returns floats in [0, 1); it is only called when
 * there is more than one candidate left, and then exactly once.
 */
export function pickToken(logits: ArrayLike<number>, settings: SamplingSettings, random?: () => number): number {
  const { temperature, topK, topP } = settings;
  if (temperature === 0 || topK === 1) return argmax(logits);
  if (!random) throw new Error('pickToken: sampling (temperature > 0) needs a random source');
  const ranked = rankTokens(logits);
  let count = topK > 0 ? Math.min(topK, ranked.length) : ranked.length;
  // Subtracting the largest logit keeps exp() in range for any temperature.
  const top = logits[ranked[0]];
  const weights = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    weights[i] = Math.exp((logits[ranked[i]] - top) / temperature);
    total += weights[i];
  }
  if (topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < count; i++) {
      cumulative += weights[i];
      if (cumulative >= topP * total) {
        count = i + 1;
        total = cumulative;
        break;
      }
    }
  }
  if (count === 1) return ranked[0];
  let remaining = random() * total;
  for (let i = 0; i < count; i++) {
    remaining -= weights[i];
    if (remaining < 0) return ranked[i];
  }
  // Rounding can leave a sliver of `remaining`: it belongs to the last candidate.
  return ranked[count - 1];
}
