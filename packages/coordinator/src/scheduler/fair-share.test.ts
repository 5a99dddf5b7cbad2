import { describe, expect, it } from 'vitest';
import { fairShareUsage } from './fair-share.js';
import type { WorkerAllocation } from './types.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
function alloc(cpus: number, start: number, end: number | null): WorkerAllocation {
  return { workerId: `w${start}`, cpus, memoryBytes: 0, gpus: 0, cpuIds: [], gpuIds: [], startedAt: at(start), endedAt: end === null ? null : at(end) };
}

describe('fairShareUsage', () => {
  it('counts CPU-seconds without decay when the half-life is infinite', () => {
    const u = fairShareUsage([{ owner: 'alice', allocations: [alloc(2, 0, 10_000), alloc(1, 0, 5_000)] }], T0 + HOUR, Infinity);
    expect(u).toEqual({ alice: 25 });
  });

  it('halves usage that ended one half-life ago, and sums an owner’s jobs', () => {
    const now = T0 + 2 * HOUR;
    // One cpu for one second, ending one half-life (1h) before now: very nearly 0.5.
    const u = fairShareUsage(
      [
        { owner: 'alice', allocations: [alloc(1, HOUR - 1000, HOUR)] },
        { owner: 'alice', allocations: [alloc(1, 2 * HOUR - 1000, 2 * HOUR)] },
        { owner: 'bob', allocations: [alloc(1, 2 * HOUR - 1000, 2 * HOUR)] },
      ],
      now,
      HOUR,
    );
    expect(u.alice).toBeCloseTo(1.5, 3);
    expect(u.bob).toBeCloseTo(1, 3);
  });

  it('counts a running worker (endedAt null) up to now, and the older of two equal loads less', () => {
    const now = T0 + 10 * HOUR;
    const u = fairShareUsage(
      [
        { owner: 'old', allocations: [alloc(4, 0, HOUR)] },
        { owner: 'recent', allocations: [alloc(4, 9 * HOUR, null)] },
      ],
      now,
      2 * HOUR,
    );
    expect(u.recent).toBeGreaterThan(u.old! * 10);
    // An hour at 4 cpus just ended, half-life 2h: 4 · 2h/ln2 · (1 - 2^-0.5) seconds.
    expect(u.recent).toBeCloseTo((4 * (2 * 3600) * (1 - 2 ** -0.5)) / Math.LN2, 3);
  });
});
