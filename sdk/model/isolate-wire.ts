/**
 * The isolate side of the frame transport: adapts the host global the server
 * installs (a `HostWire`, whose hot calls take flat frames) into the
 * descriptor-level `HostBridge` the sdk uses, and an `IsolateEntry` into the
 * `EntryWire` the server calls. Everything above this file sees descriptors;
 * a fake host in plain Node (tests) can still be a `HostBridge` directly.
 *
 * @example
 * ```ts
 * const { bridge, entryWire } = adaptHostWire(wire);
 * bindHost(bridge);                       // the sdk calls bridge.infer(callId, descriptor)
 * install(entryWire(serveModelEntry));    // the server calls executeFrame(callId, strings)
 * ```
 */
import { FrameReader, FrameWriter } from './frame-buffer.ts';
import { readBlsResumptions, readRequests, writeBlsRequest, writeSettle, writeStreamResponse } from './frame-messages.ts';
import type { EntryWire, HostBridge, HostWire, IsolateEntry } from './isolate-protocol.ts';

/** True when `value` is the frame-speaking host global rather than a plain HostBridge. */
export function isHostWire(value: unknown): value is HostWire {
  return typeof value === 'object' && value !== null && typeof (value as HostWire).settleFrame === 'function';
}

export interface AdaptedWire {
  readonly bridge: HostBridge;
  /** The entry global to install for `entry`. */
  entryWire(entry: IsolateEntry): EntryWire;
}

export function adaptHostWire(wire: HostWire): AdaptedWire {
  const writer = new FrameWriter(wire.toHost);
  const reader = new FrameReader(wire.toIsolate);
  const bridge: HostBridge = {
    log: (level, message) => wire.log(level, message),
    now: () => wire.now(),
    setTimer: (timerId, delayMs) => wire.setTimer(timerId, delayMs),
    clearTimer: (timerId) => wire.clearTimer(timerId),
    isModelReady: (model, version) => wire.isModelReady(model, version),
    loadModel: (callId, model, config, files) => wire.loadModel(callId, model, config, files),
    unloadModel: (callId, model, unloadDependents) => wire.unloadModel(callId, model, unloadDependents),
    isCancelled: (cancelToken) => wire.isCancelled(cancelToken),
    watchCancel: (cancelToken) => wire.watchCancel(cancelToken),
    cancelInference: (callId) => wire.cancelInference(callId),
    sendResponse(responseToken, response, final) {
      writeStreamResponse(writer, response, final);
      const frame = writer.finish();
      wire.responseFrame(responseToken, frame.strings, frame.overflow);
    },
    takeTensor: (handle) => wire.takeTensor(handle),
    metricFamily: (name, description, kind) => wire.metricFamily(name, description, kind),
    metric: (familyId, labelsJson, bucketsJson) => wire.metric(familyId, labelsJson, bucketsJson),
    metricUpdate: (metricId, op, value) => wire.metricUpdate(metricId, op, value),
    infer(callId, request) {
      writeBlsRequest(writer, request);
      const frame = writer.finish();
      wire.inferFrame(callId, frame.strings, frame.overflow);
    },
    settle(callId, result) {
      writeSettle(writer, result);
      const frame = writer.finish();
      wire.settleFrame(callId, frame.strings, frame.overflow);
    },
  };
  const entryWire = (entry: IsolateEntry): EntryWire => {
    const adapted: EntryWire = {
      initialize: (callId, args) => entry.initialize(callId, args),
      finalize: (callId) => entry.finalize(callId),
      fireTimer: (timerId) => entry.fireTimer(timerId),
      cancelled: (cancelToken) => entry.cancelled(cancelToken),
      executeFrame(callId, strings, overflow) {
        reader.open(strings, overflow);
        entry.execute(callId, readRequests(reader));
      },
      resumeFrame(strings, overflow) {
        reader.open(strings, overflow);
        // Every result is delivered even if one throws (a host bug); the first error is reported after.
        let failure: unknown;
        for (const { callId, result } of readBlsResumptions(reader)) {
          try {
            entry.resume(callId, result);
          } catch (error) {
            failure ??= error;
          }
        }
        if (failure !== undefined) throw failure;
      },
    };
    const autoComplete = entry.autoCompleteConfig;
    if (autoComplete !== undefined) adapted.autoCompleteConfig = (callId, config) => autoComplete(callId, config);
    return adapted;
  };
  return { bridge, entryWire };
}
