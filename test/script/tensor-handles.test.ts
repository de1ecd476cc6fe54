/**
 * TensorHandles: which host tensors stay valid for the script. A tensor lives
 * while any holder (an execute, a response stream) open at its registration
 * is open, so overlapping holders never keep every tensor alive.
 */
import { describe, expect, it } from 'vitest';
import { TensorHandles } from '../../runtime/backends/script/tensor-handles.ts';
import type { TensorDescriptor } from '../../sdk/model/isolate-protocol.ts';
import { Tensor } from '../../sdk/tensor.ts';

const INLINE_BYTES = 16;
/** 64 bytes: over INLINE_BYTES, so it gets a handle. */
const large = (value: number): Tensor => new Tensor('T', 'FP32', [16], new Float32Array(16).fill(value));
const valid = (handles: TensorHandles, descriptor: TensorDescriptor): boolean => {
  try {
    handles.resolve(descriptor, 'test');
    return true;
  } catch {
    return false;
  }
};

describe('TensorHandles', () => {
  it('inlines small tensors and keeps large ones as handles', () => {
    const handles = new TensorHandles(INLINE_BYTES);
    expect(handles.describe(new Tensor('S', 'FP32', [2], Float32Array.of(1, 2))).handle).toBeUndefined();
    const descriptor = handles.describe(large(3));
    expect(descriptor.handle).toBeGreaterThan(0);
    expect(Array.from(handles.resolve(descriptor, 'test').data as Float32Array)).toEqual(new Array(16).fill(3));
  });

  it('keeps a tensor while a holder open at its registration is open, whatever closes around it', () => {
    const handles = new TensorHandles(INLINE_BYTES);
    const stream = handles.hold();
    const kept = handles.describe(large(1));
    // Later executes come and go; the stream that could have been handed the tensor is still open.
    for (let i = 0; i < 3; i++) handles.unhold(handles.hold());
    expect(valid(handles, kept)).toBe(true);
    handles.unhold(stream);
    expect(valid(handles, kept)).toBe(false);
    expect(handles.size).toBe(0);
  });

  it('releases a tensor once the holders open at its registration have closed, though later ones are still open', () => {
    const handles = new TensorHandles(INLINE_BYTES);
    const first = handles.hold();
    const early = handles.describe(large(1));
    const second = handles.hold();
    const late = handles.describe(large(2));
    handles.unhold(first);
    // `second` was open for both; only `late` could still be in its hands.
    expect(valid(handles, early)).toBe(false);
    expect(valid(handles, late)).toBe(true);
    handles.unhold(second);
    expect(valid(handles, late)).toBe(false);
  });

  it('stays bounded under holders that always overlap (decoupled streams under steady load)', () => {
    const handles = new TensorHandles(INLINE_BYTES);
    let previous = handles.hold();
    for (let i = 0; i < 1_000; i++) {
      const next = handles.hold();
      handles.describe(large(i));
      handles.unhold(previous);
      previous = next;
      expect(handles.size).toBeLessThanOrEqual(1);
    }
  });

  it('releases a tensor registered with no holder open when the next holder closes', () => {
    const handles = new TensorHandles(INLINE_BYTES);
    const orphan = handles.describe(large(1));
    const execute = handles.hold();
    const inside = handles.describe(large(2));
    expect(valid(handles, orphan)).toBe(true);
    handles.unhold(execute);
    expect([valid(handles, orphan), valid(handles, inside)]).toEqual([false, false]);
  });
});
