import { describe, expect, it } from 'vitest';
import { createFrameArena, FrameReader, FrameWriter } from '../../sdk/model/frame-buffer.ts';
import {
  readBlsRequest,
  readBlsResult,
  readBlsResumptions,
  readRequests,
  readSettle,
  writeBlsRequest,
  writeBlsResult,
  writeBlsResumptions,
  writeRequests,
  writeSettle,
} from '../../sdk/model/frame-messages.ts';
import type { BlsRequestDescriptor, RequestDescriptor, SettleResult } from '../../sdk/model/isolate-protocol.ts';

const utf8 = new TextEncoder();

function roundTrip<T>(write: (writer: FrameWriter, value: T) => void, read: (reader: FrameReader) => T, value: T, arena = createFrameArena()) {
  const writer = new FrameWriter(arena);
  write(writer, value);
  const frame = writer.finish();
  const reader = new FrameReader(arena);
  reader.open(frame.strings, frame.overflow);
  return { decoded: read(reader), frame };
}

const request: RequestDescriptor = {
  id: 'req-ü1',
  correlationId: 'sequence-7',
  flags: 3,
  parameters: { temperature: 0.5, stream: true, prompt: 'héllo', zero: 0, empty: '' },
  requestedOutputs: ['OUT', 'ÖTHER'],
  inputs: [
    { name: 'INT', datatype: 'INT32', shape: [2, 3], data: new Int32Array([1, -2, 3, 4, 5, 2 ** 31 - 1]) },
    { name: 'BIG', datatype: 'INT64', shape: [2], data: new BigInt64Array([-(2n ** 62n), 7n]) },
    { name: 'TEXT', datatype: 'BYTES', shape: [3], data: [utf8.encode('a'), new Uint8Array(0), utf8.encode('日本')] },
    { name: 'FLAG', datatype: 'BOOL', shape: [1], data: new Uint8Array([1]) },
    { name: 'HELD', datatype: 'FP32', shape: [1024, 1024], handle: 42 },
    { name: 'EMPTY', datatype: 'FP32', shape: [0, 4], data: new Float32Array(0) },
  ],
};

describe('isolate frames', () => {
  it('carry a batch of requests with every kind of tensor and parameter, payloads as private copies', () => {
    const second: RequestDescriptor = { ...request, id: '', correlationId: 12, flags: 0, parameters: {}, requestedOutputs: [], traceId: 17, cancelToken: 3, responseToken: 9 };
    const { decoded, frame } = roundTrip(writeRequests, readRequests, [request, second]);
    expect(frame.overflow).toBeUndefined();
    expect(decoded).toEqual([request, second]);
    const int = decoded[0]!.inputs[0]!.data as Int32Array;
    expect(int).toBeInstanceOf(Int32Array);
    expect(int.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(int.byteOffset % 8).toBe(0);
    // Small payloads share one private slab (an ArrayBuffer each would cost more than the copy).
    const big = decoded[0]!.inputs[1]!.data as BigInt64Array;
    expect(big.buffer).toBe(int.buffer);
  });

  it('read an empty payload first from a fresh reader', () => {
    const empty = { ...request, inputs: [{ name: 'NONE', datatype: 'BYTES' as const, shape: [0], data: [] }, { name: 'ONE', datatype: 'FP32' as const, shape: [1], data: Float32Array.of(1) }] };
    expect(roundTrip(writeRequests, readRequests, [empty]).decoded).toEqual([empty]);
  });

  it('give a large payload a buffer of its own, so it may be transferred on', () => {
    const large = new Float32Array(2048).map((_, i) => i);
    const tensor = { name: 'LARGE', datatype: 'FP32' as const, shape: [2048], data: large };
    const { decoded } = roundTrip(writeRequests, readRequests, [{ ...request, inputs: [tensor] }]);
    const data = decoded[0]!.inputs[0]!.data as Float32Array;
    expect(Array.from(data)).toEqual(Array.from(large));
    expect(data.byteOffset).toBe(0);
    expect(data.buffer.byteLength).toBe(large.byteLength);
  });

  it('keep decoded payloads when the next frame reuses the shared buffer', () => {
    const arena = createFrameArena();
    const first = roundTrip(writeRequests, readRequests, [request], arena).decoded;
    const overwrite = { ...request, inputs: [{ name: 'INT', datatype: 'INT32' as const, shape: [2, 3], data: new Int32Array(6).fill(9) }] };
    roundTrip(writeRequests, readRequests, [overwrite], arena);
    expect(Array.from(first[0]!.inputs[0]!.data as Int32Array)).toEqual([1, -2, 3, 4, 5, 2 ** 31 - 1]);
  });

  it('continue in a private buffer when a frame outgrows the shared one, and go back to it afterwards', () => {
    const arena = createFrameArena(4096, 16);
    const large = new Float32Array(10_000).map((_, i) => i / 3);
    const many: BlsRequestDescriptor = {
      model: 'm',
      version: '2',
      timeoutMs: 250,
      parameters: {},
      requestedOutputs: Array.from({ length: 40 }, (_, i) => `out${i}`),
      inputs: [{ name: 'X', datatype: 'FP32', shape: [10_000], data: large }],
    };
    const writer = new FrameWriter(arena);
    writeBlsRequest(writer, many);
    const frame = writer.finish();
    expect(frame.overflow).toBeInstanceOf(ArrayBuffer);
    const reader = new FrameReader(arena);
    reader.open(frame.strings, frame.overflow);
    expect(readBlsRequest(reader)).toEqual(many);

    const small: BlsRequestDescriptor = { ...many, requestedOutputs: [], inputs: [], stream: true, traceParent: 23, id: 'call-7' };
    writeBlsRequest(writer, small);
    const next = writer.finish();
    expect(next.overflow).toBeUndefined();
    reader.open(next.strings, next.overflow);
    expect(readBlsRequest(reader)).toEqual(small);
  });

  it('carry settle results: responses with errors and parameters, a config, a failure with and without a stack', () => {
    const results: SettleResult[] = [
      {
        ok: true,
        responses: [
          { outputs: [{ name: 'Y', datatype: 'FP64', shape: [2], data: new Float64Array([0.1, -Infinity]) }], parameters: { tokens: 3 } },
          { outputs: [], error: { code: 'INVALID_ARG', message: "input 'X': expected [1, 16]" } },
        ],
      },
      { ok: true },
      { ok: true, config: { name: 'm', max_batch_size: 4, input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [-1] }] } },
      { ok: false, error: { code: 'INTERNAL', message: 'boom' }, stack: 'Error: boom\n    at execute (model.ts:3:9)' },
      { ok: false, error: { code: 'UNAVAILABLE', message: 'later' } },
    ];
    for (const result of results) expect(roundTrip(writeSettle, readSettle, result).decoded).toEqual(result);
  });

  it('carry BLS results with handles and errors', () => {
    const result = {
      model: 'simple',
      version: '1',
      outputs: [{ name: 'OUTPUT0', datatype: 'INT32' as const, shape: [1, 16], handle: 7 }],
      parameters: { cached: false },
    };
    expect(roundTrip(writeBlsResult, readBlsResult, result).decoded).toEqual(result);
    const failed = { model: 'nope', version: '', outputs: [], error: { code: 'NOT_FOUND' as const, message: "no model 'nope'" } };
    expect(roundTrip(writeBlsResult, readBlsResult, failed).decoded).toEqual(failed);
    // The results that finish together travel as one frame, each with its call id, in order.
    const together = [
      { callId: 3, result: { ...result, final: false } },
      { callId: 9, result: failed },
      { callId: 4, result: { model: 'stream', version: '2', outputs: [], final: true, empty: true } },
    ];
    expect(roundTrip(writeBlsResumptions, readBlsResumptions, together).decoded).toEqual(together);
  });
});
