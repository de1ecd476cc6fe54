/**
 * The OCR pipeline's steps (nereid/sdk/ocr) on data made by hand: detector
 * input sizes, DB text boxes from a synthetic probability map, corner and
 * reading order, recognition batches, CTC decoding, the output tensors and
 * the settings a config's parameters choose.
 */
import { describe, expect, it } from 'vitest';
import { NereidError } from '../../sdk/errors.ts';
import {
  characterTable,
  ctcGreedyDecode,
  DEFAULT_OCR_SETTINGS,
  detectionInput,
  detectionSize,
  findTextBoxes,
  ocrSettingsFromConfig,
  orderCorners,
  readingOrder,
  recognitionBatch,
  textLinesFromTensors,
  textLineTensors,
  batchesByAspectRatio,
} from '../../sdk/ocr/index.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { rgbImage, type Quad } from '../../sdk/vision/index.ts';

describe('detector input', () => {
  it('shrinks the longer side to 960 at most, never enlarges, and rounds both sides to multiples of 32', () => {
    expect(detectionSize(420, 130, 960)).toEqual({ width: 416, height: 128 });
    expect(detectionSize(1920, 1080, 960)).toEqual({ width: 960, height: 544 });
    expect(detectionSize(10, 10, 960)).toEqual({ width: 32, height: 32 });
  });

  it('normalises in BGR order with ImageNet statistics', () => {
    const input = detectionInput(rgbImage(1, 1, Uint8Array.of(255, 0, 0)), DEFAULT_OCR_SETTINGS);
    expect(input.shape).toEqual([1, 3, 32, 32]);
    const plane = 32 * 32;
    // Plane 0 is blue (0), plane 2 red (255).
    expect(input.data[0]).toBeCloseTo((0 - 0.485) / 0.229, 5);
    expect(input.data[2 * plane]).toBeCloseTo((1 - 0.406) / 0.225, 5);
  });
});

describe('text boxes from a probability map', () => {
  const mapSize = { width: 40, height: 20 };
  /** A map with text probability `p` inside [x0, x1] x [y0, y1] (inclusive). */
  function map(regions: Array<[x0: number, y0: number, x1: number, y1: number, p: number]>): Float32Array {
    const data = new Float32Array(mapSize.width * mapSize.height);
    for (const [x0, y0, x1, y1, p] of regions) for (let y = y0; y <= y1; y++) data.fill(p, y * mapSize.width + x0, y * mapSize.width + x1 + 1);
    return data;
  }

  it('finds each region, grows it by area * 1.5 / perimeter, scales it to the image, in reading order', () => {
    const boxes = findTextBoxes(map([[22, 4, 31, 7, 0.9], [2, 5, 11, 8, 0.8], [2, 13, 21, 16, 0.95]]), mapSize, { width: 80, height: 40 }, DEFAULT_OCR_SETTINGS);
    expect(boxes.map((box) => Number(box.score.toFixed(2)))).toEqual([0.8, 0.9, 0.95]);
    // Region 2..11 x 5..8: pixel centres span 9 x 3; grown by 9*3*1.5 / (2*12) = 1.6875 per side to
    // 0.3125..12.6875 x 3.3125..9.6875; doubled and rounded.
    expect(boxes[0]!.quad).toEqual([[1, 7], [25, 7], [25, 19], [1, 19]]);
  });

  it('drops regions that are too thin, or whose mean probability is under box_threshold', () => {
    const thin = [2, 2, 30, 3, 0.9] as [number, number, number, number, number];
    const faint = [2, 10, 30, 15, 0.5] as [number, number, number, number, number];
    expect(findTextBoxes(map([thin, faint]), mapSize, mapSize, DEFAULT_OCR_SETTINGS)).toEqual([]);
    expect(findTextBoxes(map([faint]), mapSize, mapSize, { ...DEFAULT_OCR_SETTINGS, boxThreshold: 0.4, binarizeThreshold: 0.3 })).toHaveLength(1);
  });

  it('orders corners top-left, top-right, bottom-right, bottom-left whatever order they come in', () => {
    expect(orderCorners([[10, 5], [0, 4], [1, 9], [11, 10]])).toEqual([[0, 4], [10, 5], [11, 10], [1, 9]]);
  });

  it('reads boxes whose tops are within 10 px as one line, left to right', () => {
    const box = (x: number, y: number) => ({ quad: [[x, y], [x + 5, y], [x + 5, y + 5], [x, y + 5]] as Quad });
    expect(readingOrder([box(50, 12), box(0, 40), box(5, 15)]).map((b) => b.quad[0])).toEqual([[5, 15], [50, 12], [0, 40]]);
  });
});

describe('recognition batches', () => {
  const crop = (width: number) => rgbImage(width, 24, new Uint8Array(width * 24 * 3).fill(255));

  it('groups crops of similar aspect ratio, narrowest first', () => {
    expect(batchesByAspectRatio([crop(200), crop(50), crop(400), crop(100)], 2)).toEqual([[1, 3], [0, 2]]);
  });

  it('scales each crop to 48 high and pads to the widest (at least 320), zeros after each crop', () => {
    const batch = recognitionBatch([crop(48), crop(480)], DEFAULT_OCR_SETTINGS);
    expect(batch.shape).toEqual([2, 3, 48, 960]);
    // Crop 0 is 96 wide at height 48: white (1.0) up to column 95, padding (0) after.
    expect([batch.data[95], batch.data[96]]).toEqual([1, 0]);
    expect(recognitionBatch([crop(24)], DEFAULT_OCR_SETTINGS).shape).toEqual([1, 3, 48, 320]);
  });
});

describe('CTC decoding', () => {
  const table = characterTable('a\nb\nc\n');

  it("builds PaddleOCR's table: blank, one class per line, space", () => {
    expect(table).toEqual(['', 'a', 'b', 'c', ' ']);
    expect(characterTable('a\r\nb')).toEqual(['', 'a', 'b', ' ']);
  });

  it('takes the best class per step, merges repeats, drops blanks, and scores the kept characters', () => {
    // Steps a a _ a b ' ' c _: the adjacent a a merge, the blank separates the next a, blanks are dropped.
    const best = [1, 1, 0, 1, 2, 4, 3, 0];
    const probability = [0.9, 0.8, 0.99, 0.7, 0.6, 0.5, 0.95, 0.9];
    const data = new Float32Array(2 * best.length * table.length);
    best.forEach((c, t) => (data[t * table.length + c] = probability[t]!));
    // The second line is all blank: empty text, score 0.
    for (let t = 0; t < best.length; t++) data[(best.length + t) * table.length] = 1;
    const lines = ctcGreedyDecode(new Tensor('p', 'FP32', [2, best.length, table.length], data), table);
    expect(lines[0]!.text).toBe('aab c');
    expect(lines[0]!.score).toBeCloseTo((0.9 + 0.7 + 0.6 + 0.5 + 0.95) / 5, 6);
    expect(lines[1]).toEqual({ text: '', score: 0 });
  });

  it('refuses an output whose classes do not match the table', () => {
    expect(() => ctcGreedyDecode(new Tensor('p', 'FP32', [1, 1, 3], new Float32Array(3)), table)).toThrow(/expected \[n, steps, 5\]/);
  });
});

describe('output tensors', () => {
  it('round-trips text lines through text BYTES [n], boxes FP32 [n, 4, 2], scores FP32 [n]', () => {
    const lines = [{ text: 'Hello', score: 0.5, box: [[1, 2], [3, 2], [3, 4], [1, 4]] as Quad }];
    const tensors = textLineTensors(lines);
    expect(tensors.map((t) => `${t.name} ${t.datatype} [${t.shape.join(',')}]`)).toEqual(['text BYTES [1]', 'boxes FP32 [1,4,2]', 'scores FP32 [1]']);
    expect(textLinesFromTensors(tensors.reverse())).toEqual(lines);
    expect(textLineTensors([]).map((t) => t.shape)).toEqual([[0], [0, 4, 2], [0]]);
  });
});

describe('settings from config parameters', () => {
  it('reads the parameters over the defaults, and names the model and parameter of a bad value', () => {
    const settings = ocrSettingsFromConfig({ name: 'ocr', parameters: { drop_score: { string_value: '0.3' }, classify_orientation: { string_value: 'true' } } });
    expect([settings.dropScore, settings.classifyOrientation, settings.boxThreshold]).toEqual([0.3, true, DEFAULT_OCR_SETTINGS.boxThreshold]);
    const bad = () => ocrSettingsFromConfig({ name: 'ocr', parameters: { detection_max_side: { string_value: '12.5' } } });
    expect(bad).toThrow(NereidError);
    expect(bad).toThrow("model 'ocr': parameter 'detection_max_side' must be an integer from 32 to 4096, got '12.5'");
  });
});
