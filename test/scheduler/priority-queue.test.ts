/** The dynamic batcher's queue policies, as Triton applies them. */
import { describe, expect, it } from 'vitest';
import { PriorityQueue, type QueueEntry } from '../../runtime/scheduler/priority-queue.ts';

const entry = (level: number, deadline = Infinity, sequence = 0): QueueEntry => ({
  request: { inputs: [], outputs: [], batchSize: 1 },
  resolve: () => {},
  queuedAt: 0,
  deadline,
  level,
  rows: 1,
  sequence,
});

describe('PriorityQueue', () => {
  it('puts priority 0, absent or beyond the last level at the default level', () => {
    const queue = new PriorityQueue({ priority_levels: 3, default_priority_level: 2 });
    expect([0, undefined, 1, 2, 3, 4, 99].map((p) => queue.levelOf(p))).toEqual([1, 1, 0, 1, 2, 1, 1]);
  });

  it('lets a request shorten its timeout only where the policy allows it and has a default', () => {
    const allowed = new PriorityQueue({ default_queue_policy: { allow_timeout_override: true, default_timeout_microseconds: 1000 } });
    expect([allowed.timeoutUs(0, 500), allowed.timeoutUs(0, 5000), allowed.timeoutUs(0, 0)]).toEqual([500, 1000, 1000]);
    const noDefault = new PriorityQueue({ default_queue_policy: { allow_timeout_override: true } });
    expect(noDefault.timeoutUs(0, 500)).toBe(0);
    const refused = new PriorityQueue({ default_queue_policy: { default_timeout_microseconds: 1000 } });
    expect(refused.timeoutUs(0, 500)).toBe(1000);
  });

  it('applies each level its own policy: size limits, and REJECT or DELAY at the deadline', () => {
    const queue = new PriorityQueue({
      priority_levels: 2,
      default_priority_level: 1,
      default_queue_policy: { max_queue_size: 1 },
      priority_queue_policy: { '2': { timeout_action: 'DELAY', max_queue_size: 3 } },
    });
    expect(queue.push(entry(0, 10, 1))).toBeUndefined();
    expect(queue.push(entry(0))).toBe('Exceeds maximum queue size');
    const late = entry(1, 5, 2);
    const onTime = entry(1, Infinity, 3);
    queue.push(late);
    queue.push(onTime);
    const rejected = queue.expire(20);
    expect(rejected.map((e) => e.sequence)).toEqual([1]);
    expect([...queue.inOrder()].map((e) => e.sequence)).toEqual([3, 2]);
    expect(queue.size).toBe(2);
  });
});
