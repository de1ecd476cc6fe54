/**
 * Requests for the bundled `simple` model (INPUT0, INPUT1 INT32 [16], batch up
 * to 8; OUTPUT0 = sum, OUTPUT1 = difference), and the answers to expect.
 */
import { expect } from 'vitest';
import type { InferResponse } from '../../../sdk/inference.ts';
import { Tensor } from '../../../sdk/tensor.ts';

/** `rows` rows of 16 values: INPUT0 = seed*1000 + i, INPUT1 = seed - i (distinct per seed). */
export function simpleInputs(seed: number, rows = 1): { a: Int32Array; b: Int32Array } {
  const a = Int32Array.from({ length: 16 * rows }, (_, i) => seed * 1000 + i);
  const b = Int32Array.from({ length: 16 * rows }, (_, i) => seed - i);
  return { a, b };
}

/** Fresh tensors (the server takes ownership of input buffers). */
export function simpleTensors(seed: number, rows = 1): Tensor[] {
  const { a, b } = simpleInputs(seed, rows);
  return [new Tensor('INPUT0', 'INT32', [rows, 16], a), new Tensor('INPUT1', 'INT32', [rows, 16], b)];
}

/** The JSON body of a `simple` infer request. */
export function simpleJsonBody(seed: number, rows = 1, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { a, b } = simpleInputs(seed, rows);
  return {
    ...extra,
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [rows, 16], data: Array.from(a) },
      { name: 'INPUT1', datatype: 'INT32', shape: [rows, 16], data: Array.from(b) },
    ],
  };
}

/** Expected OUTPUT0 (sum) and OUTPUT1 (difference) for `seed`. */
export function simpleExpected(seed: number, rows = 1): { sum: number[]; difference: number[] } {
  const { a, b } = simpleInputs(seed, rows);
  return { sum: Array.from(a, (x, i) => x + b[i]!), difference: Array.from(a, (x, i) => x - b[i]!) };
}

/** Asserts a decoded response of `simple` holds the right sums and differences for `seed`. */
export function expectSimpleAnswer(response: InferResponse, seed: number, rows = 1): void {
  const { sum, difference } = simpleExpected(seed, rows);
  const byName = Object.fromEntries(response.outputs.map((t) => [t.name, t]));
  expect(response.model).toBe('simple');
  expect(byName.OUTPUT0?.datatype).toBe('INT32');
  expect(byName.OUTPUT0?.shape).toEqual([rows, 16]);
  expect(Array.from(byName.OUTPUT0!.data as Int32Array)).toEqual(sum);
  expect(Array.from(byName.OUTPUT1!.data as Int32Array)).toEqual(difference);
}
