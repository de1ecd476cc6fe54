/**
 * Reads a WAV file (RIFF/WAVE) into float samples in [-1, 1]: 16-bit PCM or
 * 32-bit float, one channel. Anything else is refused with a message that
 * says what the file holds and how to convert it.
 *
 * @example
 * ```ts
 * const { sampleRate, samples } = readWav(await readFile('speech.wav'), 'speech.wav');
 * ```
 */

export interface WavAudio {
  readonly sampleRate: number;
  /** One channel, in [-1, 1]. */
  readonly samples: Float32Array;
}

const PCM = 1;
const IEEE_FLOAT = 3;
/** WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of its subformat GUID. */
const EXTENSIBLE = 0xfffe;

interface Format {
  readonly encoding: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
}

function fourCC(view: DataView, offset: number): string {
  return String.fromCharCode(view.getUint8(offset), view.getUint8(offset + 1), view.getUint8(offset + 2), view.getUint8(offset + 3));
}

function readFormat(view: DataView, offset: number, size: number, name: string): Format {
  if (size < 16) throw new Error(`${name}: the WAV 'fmt ' chunk is ${size} bytes, shorter than 16`);
  let encoding = view.getUint16(offset, true);
  if (encoding === EXTENSIBLE && size >= 26) encoding = view.getUint16(offset + 24, true);
  return { encoding, channels: view.getUint16(offset + 2, true), sampleRate: view.getUint32(offset + 4, true), bitsPerSample: view.getUint16(offset + 14, true) };
}

function decodeSamples(view: DataView, offset: number, size: number, format: Format, name: string): Float32Array {
  const { encoding, bitsPerSample } = format;
  if (encoding === PCM && bitsPerSample === 16) {
    const samples = new Float32Array(Math.floor(size / 2));
    for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(offset + 2 * i, true) / 32768;
    return samples;
  }
  if (encoding === IEEE_FLOAT && bitsPerSample === 32) {
    const samples = new Float32Array(Math.floor(size / 4));
    for (let i = 0; i < samples.length; i++) samples[i] = view.getFloat32(offset + 4 * i, true);
    return samples;
  }
  const kind = encoding === PCM ? `${bitsPerSample}-bit PCM` : encoding === IEEE_FLOAT ? `${bitsPerSample}-bit float` : `format code ${encoding}`;
  throw new Error(`${name}: ${kind} audio is not supported; use 16-bit PCM or 32-bit float (sox in.wav -b 16 -e signed-integer out.wav)`);
}

/** The audio of a WAV file's bytes; `name` labels errors. Throws for anything but mono 16-bit PCM or 32-bit float. */
export function readWav(bytes: Uint8Array, name = 'WAV file'): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || fourCC(view, 0) !== 'RIFF' || fourCC(view, 8) !== 'WAVE') throw new Error(`${name}: not a WAV file (no RIFF/WAVE header)`);
  let format: Format | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = fourCC(view, offset);
    // Streams written before their length was known say 0xFFFFFFFF: read to the end of the file.
    const size = Math.min(view.getUint32(offset + 4, true), bytes.byteLength - offset - 8);
    const body = offset + 8;
    if (id === 'fmt ') format = readFormat(view, body, size, name);
    if (id === 'data') {
      if (!format) throw new Error(`${name}: the WAV 'data' chunk comes before its 'fmt ' chunk`);
      if (format.channels !== 1) throw new Error(`${name}: ${format.channels} channels; mono audio is needed (sox in.wav -c 1 out.wav)`);
      return { sampleRate: format.sampleRate, samples: decodeSamples(view, body, size, format, name) };
    }
    offset = body + size + (size % 2); // chunks are padded to an even length
  }
  throw new Error(`${name}: no 'data' chunk`);
}
