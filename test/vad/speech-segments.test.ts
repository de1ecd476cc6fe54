/** The hysteresis that turns per-chunk probabilities into speech segments (examples/vad/speech-segments.ts). */
import { describe, expect, it } from 'vitest';
import { SpeechSegmenter, speechSegments } from '../../examples/vad/speech-segments.ts';

/** Chunks of 100 ms make the times easy to read. */
const options = { chunkMs: 100, positiveThreshold: 0.5, negativeThreshold: 0.3, minSpeechMs: 250, minSilenceMs: 300 };

describe('speech segments', () => {
  it('starts at the first chunk over the positive threshold and ends where a long enough silence starts', () => {
    const probabilities = [0, 0, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0, 0];
    expect(speechSegments(probabilities, options)).toEqual([{ start: 0.2, end: 0.5 }]);
  });

  it('bridges a silence shorter than minSilenceMs, and restarts the silence clock on a speech chunk', () => {
    const probabilities = [0.9, 0.9, 0.1, 0.1, 0.9, 0.1, 0.1, 0.9, 0.9, 0, 0, 0];
    expect(speechSegments(probabilities, options)).toEqual([{ start: 0, end: 0.9 }]);
  });

  it('neither starts nor breaks a silence between the two thresholds', () => {
    // 0.4 is below the positive threshold (no start) and above the negative one (no silence).
    expect(speechSegments([0.4, 0.4, 0.4, 0.4], options)).toEqual([]);
    expect(speechSegments([0.9, 0.9, 0.9, 0.4, 0.4, 0.4, 0.4, 0.1, 0.1, 0.1], options)).toEqual([{ start: 0, end: 0.7 }]);
    // A silence run that a 0.4 interrupts still counts from where it began.
    expect(speechSegments([0.9, 0.9, 0.9, 0.1, 0.4, 0.1, 0.9], options)).toEqual([{ start: 0, end: 0.3 }]);
  });

  it('drops a segment shorter than minSpeechMs, and closes the one still open at the end', () => {
    expect(speechSegments([0, 0.9, 0.9, 0, 0, 0, 0], options)).toEqual([]);
    expect(speechSegments([0, 0.9, 0.9, 0.9, 0.9], options)).toEqual([{ start: 0.1, end: 0.5 }]);
    expect(speechSegments([0, 0.9, 0.9, 0.9, 0.9, 0.1], options)).toEqual([{ start: 0.1, end: 0.5 }]);
  });

  it('defaults the negative threshold to 0.15 below the positive one and refuses thresholds that cross', () => {
    expect(speechSegments([0.9, 0.9, 0.9, 0.36, 0.36, 0.36, 0.36], { chunkMs: 100 })).toEqual([{ start: 0, end: 0.7 }]);
    expect(() => new SpeechSegmenter({ chunkMs: 32, positiveThreshold: 0.3, negativeThreshold: 0.5 })).toThrow(/negativeThreshold must be between 0 and positiveThreshold/);
  });
});
