/** WAV parsing for examples/vad (examples/vad/wav.ts): the formats it reads and the messages for those it does not. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { vadSamples } from '../../examples/vad/stream-vad.ts';
import { readWav } from '../../examples/vad/wav.ts';

/** A WAV file: a 'fmt ' chunk (plus `extra` chunks before 'data') and the sample bytes. */
function wavBytes(format: { code: number; channels: number; rate: number; bits: number }, data: Uint8Array, extra: Uint8Array[] = []): Uint8Array {
  const fmt = new Uint8Array(24);
  const f = new DataView(fmt.buffer);
  fmt.set([0x66, 0x6d, 0x74, 0x20]); // 'fmt '
  f.setUint32(4, 16, true);
  f.setUint16(8, format.code, true);
  f.setUint16(10, format.channels, true);
  f.setUint32(12, format.rate, true);
  f.setUint32(16, (format.rate * format.channels * format.bits) / 8, true);
  f.setUint16(20, (format.channels * format.bits) / 8, true);
  f.setUint16(22, format.bits, true);
  const dataHeader = new Uint8Array(8);
  dataHeader.set([0x64, 0x61, 0x74, 0x61]); // 'data'
  new DataView(dataHeader.buffer).setUint32(4, data.byteLength, true);
  const body = [fmt, ...extra, dataHeader, data];
  const size = 12 + body.reduce((sum, part) => sum + part.byteLength, 0);
  const bytes = new Uint8Array(size);
  bytes.set([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x41, 0x56, 0x45]); // RIFF....WAVE
  new DataView(bytes.buffer).setUint32(4, size - 8, true);
  let offset = 12;
  for (const part of body) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

describe('readWav', () => {
  it('reads 16-bit PCM as floats in [-1, 1], skipping chunks it does not know (odd sizes padded)', () => {
    const pcm = new Int16Array([0, 16384, -32768, 32767]);
    const list = new Uint8Array([0x4c, 0x49, 0x53, 0x54, 3, 0, 0, 0, 1, 2, 3, 0]); // 'LIST', 3 bytes + pad
    const audio = readWav(wavBytes({ code: 1, channels: 1, rate: 16_000, bits: 16 }, new Uint8Array(pcm.buffer), [list]));
    expect(audio.sampleRate).toBe(16_000);
    expect([...audio.samples]).toEqual([0, 0.5, -1, 32767 / 32768]);
  });

  it('reads 32-bit float', () => {
    const floats = new Float32Array([0.25, -0.75]);
    const audio = readWav(wavBytes({ code: 3, channels: 1, rate: 8000, bits: 32 }, new Uint8Array(floats.buffer)));
    expect(audio).toEqual({ sampleRate: 8000, samples: floats });
  });

  it('refuses what it cannot read with a message that says what to do', () => {
    const stereo = wavBytes({ code: 1, channels: 2, rate: 16_000, bits: 16 }, new Uint8Array(8));
    expect(() => readWav(stereo, 'talk.wav')).toThrow('talk.wav: 2 channels; mono audio is needed (sox in.wav -c 1 out.wav)');
    const eightBit = wavBytes({ code: 1, channels: 1, rate: 16_000, bits: 8 }, new Uint8Array(8));
    expect(() => readWav(eightBit, 'old.wav')).toThrow('old.wav: 8-bit PCM audio is not supported');
    expect(() => readWav(new TextEncoder().encode('not a wav file at all'), 'x.txt')).toThrow('x.txt: not a WAV file');
  });

  it('reads the checked-in fixture: 16 kHz mono, about 8.1 s', () => {
    const audio = readWav(readFileSync(new URL('../../examples/vad/speech.wav', import.meta.url)));
    expect(audio.sampleRate).toBe(16_000);
    expect(audio.samples.length).toBe(129_594);
    expect(vadSamples(audio)).toBe(audio.samples);
    expect(() => vadSamples({ sampleRate: 44_100, samples: audio.samples }, 'song.wav')).toThrow('song.wav: 44100 Hz audio; the vad model needs 16000 Hz (sox in.wav -r 16000 out.wav)');
  });
});
