/** InstanceSlots: which instance gets work next, and none for an instance being replaced. */
import { describe, expect, it } from 'vitest';
import type { BackendInstance } from '../../runtime/backends/backend.ts';
import { InstanceSlots } from '../../runtime/scheduler/instance-slots.ts';

/** The slots only look at an instance's identity and concurrency. */
const instance = (name: string, concurrency?: number): BackendInstance => ({ name, concurrency, execute: async () => [], dispose: async () => {} }) as BackendInstance;

describe('InstanceSlots', () => {
  it('gives work to an idle instance first, then the least busy with room; depth follows concurrency', () => {
    const [a, b] = [instance('a'), instance('b', 1)];
    const slots = new InstanceSlots([a, b], 4);
    expect(slots.all.map((slot) => slot.depth)).toEqual([4, 1]);
    slots.all[0]!.busy = 1;
    expect(slots.free()?.instance).toBe(b);
    slots.all[1]!.busy = 1;
    expect(slots.free()?.instance).toBe(a);
    slots.all[0]!.busy = 4;
    expect(slots.free()).toBeUndefined();
  });

  it('gives a suspended instance no work until it is replaced or resumed', () => {
    const [a, fresh] = [instance('a'), instance('a again', 2)];
    const slots = new InstanceSlots([a], 4);
    slots.suspend(a);
    expect(slots.free()).toBeUndefined();
    slots.replace(a, fresh);
    expect(slots.free()).toMatchObject({ instance: fresh, depth: 2, suspended: false });
    slots.suspend(fresh);
    slots.resume(fresh);
    expect(slots.free()?.instance).toBe(fresh);
  });
});
