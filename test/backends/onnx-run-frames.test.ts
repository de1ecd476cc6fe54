import { describe, expect, it } from 'vitest';
import type { ExecRequest } from '../../runtime/backends/backend.ts';
import { copyFrameBuffers, readRanFrame, readRunFrame, writeRanFrame } from '../../runtime/backends/onnx/run-frames.ts';
import { copyBytesOf, encodeRunFrame } from '../../runtime/backends/onnx/wire-tensors.ts';
import { Tensor } from '../../sdk/tensor.ts';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
/** Numeric typed array contents as plain numbers. */
const values = (data: ArrayLike<number | bigint>) => Array.from(data, Number);

function encode(requests: ExecRequest[], maxBatchSize = 8) {
  const copyBytes = requests.reduce((sum, request) => sum + copyBytesOf(request), 0);
  return encodeRunFrame(requests, maxBatchSize, copyBytes);
}

describe('run frames', () => {
  it('carry requests to the worker as they were, each input as a typed array of its class', () => {
    const a = new Tensor('A', 'INT32', [1, 3], Int32Array.from([1, 2, 3]));
    const b = new Tensor('B', 'FP16', [3], new Uint16Array(new ArrayBuffer(10), 2, 3).fill(7));
    const s = Tensor.fromStrings('S', [2], ['x', 'yz']);
    const requests: ExecRequest[] = [
      { inputs: [a, b], outputs: ['Y'], batchSize: 1 },
      { inputs: [s], outputs: [], batchSize: 0 },
    ];
    const { frame, transfer } = encode(requests, 4);
    frame[0] = 42;
    const run = readRunFrame(structuredClone(frame, { transfer }));
    expect(run.id).toBe(42);
    expect(run.maxBatchSize).toBe(4);
    expect(run.requests.map((r) => [r.batchSize, r.outputs, r.inputs.map((t) => [t.name, t.datatype, t.shape])])).toEqual([
      [1, ['Y'], [['A', 'INT32', [1, 3]], ['B', 'FP16', [3]]]],
      [0, [], [['S', 'BYTES', [2]]]],
    ]);
    const [wireA, wireB] = run.requests[0]!.inputs;
    expect(wireA!.data).toBeInstanceOf(Int32Array);
    expect(values(wireA!.data)).toEqual([1, 2, 3]);
    expect(wireB!.data).toBeInstanceOf(Uint16Array);
    expect(values(wireB!.data)).toEqual([7, 7, 7]);
    expect(values(run.requests[1]!.inputs[0]!.data)).toEqual([1, 0, 0, 0, 0x78, 2, 0, 0, 0, 0x79, 0x7a]);
  });

  it('transfer whole buffers, and copy every other input into one shared buffer at 8-byte boundaries', () => {
    const whole = Int32Array.from(range(4));
    const body = new Uint8Array(64);
    const view1 = new Int32Array(body.buffer, 4, 3).fill(5); // 12 bytes -> slot of 16
    const view2 = new Float32Array(body.buffer, 16, 2).fill(1.5);
    const shared = new Int32Array(new SharedArrayBuffer(8)).fill(9);
    const empty = new Int32Array(0);
    const request: ExecRequest = {
      inputs: [
        new Tensor('W', 'INT32', [4], whole),
        new Tensor('V1', 'INT32', [3], view1),
        new Tensor('V2', 'FP32', [2], view2),
        new Tensor('SH', 'INT32', [2], shared),
        new Tensor('E', 'INT32', [0], empty),
        new Tensor('W2', 'INT32', [4], whole), // the same whole buffer again: listed once
      ],
      outputs: ['Y'],
      batchSize: 0,
    };
    expect(copyBytesOf(request)).toBe(16 + 8 + 8);
    const { frame, transfer } = encode([request]);
    expect(transfer).toHaveLength(2);
    expect(transfer).toContain(whole.buffer);
    const copies = transfer.find((buffer) => buffer !== whole.buffer)!;
    expect(copies.byteLength).toBe(32);
    const inputs = readRunFrame(frame).requests[0]!.inputs;
    expect(inputs.map((t) => [t.data.buffer === copies, t.data.byteOffset])).toEqual([
      [false, 0],
      [true, 0],
      [true, 16],
      [true, 24],
      [false, 0],
      [false, 0],
    ]);
    expect(values(inputs[3]!.data)).toEqual([9, 9]);
    // The caller's views and shared memory are untouched by the copies.
    expect(body.buffer.byteLength).toBe(64);
    expect(shared[0]).toBe(9);
  });

  it('refuse a request whose input was detached by an earlier transfer', () => {
    const data = Int32Array.from(range(4));
    structuredClone(data.buffer, { transfer: [data.buffer] });
    const detached = { inputs: [{ name: 'X', datatype: 'INT32', shape: [4], data } as unknown as Tensor], outputs: [], batchSize: 0 };
    expect(() => copyBytesOf(detached)).toThrow(/input 'X': its data was detached/);
  });

  it('carry results back: outputs, and errors as code and message', () => {
    const out = Float32Array.from([1, 2]);
    const frame = writeRanFrame(
      9,
      [
        { ok: true, outputs: [{ name: 'Y', datatype: 'FP32', shape: [1, 2], data: out }] },
        { ok: false, error: { code: 'INVALID_ARG', message: 'bad input' } },
        { ok: true, outputs: [] },
      ],
      2,
      { input: 0.0125, infer: 1.5, output: 0.002 },
    );
    const ran = readRanFrame(structuredClone(frame, { transfer: [out.buffer] }));
    expect(ran.id).toBe(9);
    expect(ran.sessionRuns).toBe(2);
    expect(ran.compute).toEqual({ inputNs: 12_500, inferNs: 1_500_000, outputNs: 2_000 });
    expect(ran.results).toHaveLength(3);
    expect(ran.results[0]).toMatchObject({ ok: true, outputs: [{ name: 'Y', datatype: 'FP32', shape: [1, 2] }] });
    expect(Array.from((ran.results[0] as { outputs: { data: Float32Array }[] }).outputs[0]!.data)).toEqual([1, 2]);
    expect(ran.results[1]).toEqual({ ok: false, error: { code: 'INVALID_ARG', message: 'bad input' } });
    expect(ran.results[2]).toEqual({ ok: true, outputs: [] });
  });

  it('copy every typed array for a retry, leaving the originals alone', () => {
    const a = Int32Array.from([1, 2]);
    const b = new Uint8Array(new ArrayBuffer(16), 8, 4).fill(3);
    const { frame, transfer } = copyFrameBuffers([1, 'A', a, 'B', b]);
    expect(frame[2]).not.toBe(a);
    expect(Array.from(frame[2] as Int32Array)).toEqual([1, 2]);
    expect(frame[4]).toBeInstanceOf(Uint8Array);
    expect((frame[4] as Uint8Array).byteOffset).toBe(0);
    expect(transfer).toEqual([(frame[2] as Int32Array).buffer, (frame[4] as Uint8Array).buffer]);
    expect(a.buffer.byteLength).toBe(8);
  });
});
