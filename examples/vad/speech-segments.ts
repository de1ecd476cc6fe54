/**
 * Speech segments from a stream of per-chunk speech probabilities, with
 * hysteresis as in silero-vad's `get_speech_timestamps` and vad-web's frame
 * processor: speech starts at the first chunk at or above
 * `positiveThreshold`; it ends at the start of a run of chunks below
 * `negativeThreshold` that lasts `minSilenceMs` (a chunk at or above the
 * positive threshold breaks the run; one in between neither breaks nor
 * extends it). A segment shorter than `minSpeechMs` is dropped as a misfire.
 *
 * @example
 * ```ts
 * const segmenter = new SpeechSegmenter({ chunkMs: 32 });
 * for (const p of probabilities) { const s = segmenter.push(p); if (s) console.log(s); }
 * const last = segmenter.finish();
 * ```
 */

export interface SegmentOptions {
  /** Duration of one chunk. */
  readonly chunkMs: number;
  /** A chunk at or above this probability is speech. Default 0.5. */
  readonly positiveThreshold?: number;
  /** A chunk below this probability is silence. Default: positiveThreshold - 0.15 (silero's rule). */
  readonly negativeThreshold?: number;
  /** Shorter speech is dropped. Default 250 ms. */
  readonly minSpeechMs?: number;
  /** Silence that ends a segment. Default 300 ms. */
  readonly minSilenceMs?: number;
}

export interface SpeechSegment {
  /** Seconds from the start of the stream. */
  readonly start: number;
  readonly end: number;
}

export class SpeechSegmenter {
  readonly #chunkMs: number;
  readonly #positive: number;
  readonly #negative: number;
  readonly #minSpeechMs: number;
  readonly #minSilenceMs: number;
  /** Chunks seen so far. */
  #chunks = 0;
  /** Start (ms) of the open segment; undefined outside speech. */
  #speechStart: number | undefined;
  /** Start (ms) of the run of silent chunks inside the open segment. */
  #silenceStart: number | undefined;

  constructor(options: SegmentOptions) {
    this.#chunkMs = options.chunkMs;
    this.#positive = options.positiveThreshold ?? 0.5;
    this.#negative = options.negativeThreshold ?? Math.max(0, this.#positive - 0.15);
    this.#minSpeechMs = options.minSpeechMs ?? 250;
    this.#minSilenceMs = options.minSilenceMs ?? 300;
    if (!(this.#chunkMs > 0)) throw new RangeError(`chunkMs must be positive, got ${this.#chunkMs}`);
    if (!(this.#positive > 0 && this.#positive <= 1)) throw new RangeError(`positiveThreshold must be in (0, 1], got ${this.#positive}`);
    if (!(this.#negative >= 0 && this.#negative <= this.#positive)) {
      throw new RangeError(`negativeThreshold must be between 0 and positiveThreshold (${this.#positive}), got ${this.#negative}`);
    }
  }

  /** Takes the next chunk's probability; returns the segment it ends, if any. */
  push(probability: number): SpeechSegment | undefined {
    const at = this.#chunks++ * this.#chunkMs;
    if (this.#speechStart === undefined) {
      if (probability >= this.#positive) this.#speechStart = at;
      return undefined;
    }
    if (probability >= this.#positive) {
      this.#silenceStart = undefined;
    } else if (probability < this.#negative) {
      this.#silenceStart ??= at;
      if (at + this.#chunkMs - this.#silenceStart >= this.#minSilenceMs) return this.#close(this.#silenceStart);
    }
    return undefined;
  }

  /** The stream is over: the segment still open, ended where the audio (or its trailing silence) ends. */
  finish(): SpeechSegment | undefined {
    return this.#speechStart === undefined ? undefined : this.#close(this.#silenceStart ?? this.#chunks * this.#chunkMs);
  }

  #close(endMs: number): SpeechSegment | undefined {
    const startMs = this.#speechStart!;
    this.#speechStart = undefined;
    this.#silenceStart = undefined;
    return endMs - startMs >= this.#minSpeechMs ? { start: startMs / 1000, end: endMs / 1000 } : undefined;
  }
}

/** Every segment of a whole list of probabilities. */
export function speechSegments(probabilities: Iterable<number>, options: SegmentOptions): SpeechSegment[] {
  const segmenter = new SpeechSegmenter(options);
  const segments: SpeechSegment[] = [];
  for (const probability of probabilities) {
    const segment = segmenter.push(probability);
    if (segment) segments.push(segment);
  }
  const last = segmenter.finish();
  if (last) segments.push(last);
  return segments;
}
