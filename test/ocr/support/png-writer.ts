/**
 * A minimal PNG writer for the decoder's tests: raw samples in, a valid PNG
 * out, with the filter type of each row chosen by the test, so every filter
 * (None, Sub, Up, Average, Paeth) is exercised on purpose rather than as an
 * encoder happens to pick them.
 */
import { zlibSync } from 'fflate';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

const paeth = (a: number, b: number, c: number) => {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Unfiltered scanlines, `height` rows of packed samples. */
  rows: Uint8Array[];
  /** Filter type of row y (default: y % 5, all five in turn). */
  filterOf?: (y: number) => number;
  palette?: Uint8Array;
  transparency?: Uint8Array;
}

export function writePng(spec: PngSpec): Uint8Array {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[spec.colorType];
  const bpp = Math.max(1, (channels * spec.bitDepth) >> 3);
  const stride = spec.rows[0]!.length;
  const filtered = new Uint8Array(spec.height * (stride + 1));
  spec.rows.forEach((row, y) => {
    const previous = y > 0 ? spec.rows[y - 1]! : new Uint8Array(stride);
    const type = (spec.filterOf ?? ((r) => r % 5))(y);
    filtered[y * (stride + 1)] = type;
    for (let i = 0; i < stride; i++) {
      const left = i >= bpp ? row[i - bpp]! : 0;
      const up = previous[i]!;
      const upLeft = i >= bpp ? previous[i - bpp]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][type]!;
      filtered[y * (stride + 1) + 1 + i] = (row[i]! - predictor) & 0xff;
    }
  });
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, spec.width);
  view.setUint32(4, spec.height);
  header.set([spec.bitDepth, spec.colorType, 0, 0, 0], 8);
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', header),
    ...(spec.palette ? [chunk('PLTE', spec.palette)] : []),
    ...(spec.transparency ? [chunk('tRNS', spec.transparency)] : []),
    // Two IDAT chunks: the decoder must join them before inflating.
    ...(() => {
      const data = zlibSync(filtered);
      const half = data.length >> 1;
      return [chunk('IDAT', data.subarray(0, half)), chunk('IDAT', data.subarray(half))];
    })(),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
