import { describe, expect, it } from 'vitest';
import type { SpeculateConfig } from '@djc/core';
import { percentile, stragglers, type RunningAttempt } from './stragglers.js';

const rel = (min_peers = 3): SpeculateConfig => ({ after: { kind: 'percentile', percentile: 95, factor: 2 }, min_peers });
const run = (taskId: number, startedAt: number, copied = false): RunningAttempt => ({ taskId, attempt: 1, startedAt, copied });

describe('stragglers', () => {
  it('takes the nearest-rank percentile', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
    expect(percentile([], 95)).toBeNaN();
  });

  it.each([
    // [what, durations, running (startedAt, copied), now, expected task ids]
    ['too few peers: no copy', [100, 100], [run(1, 0)], 10_000, []],
    ['longer than p95x2 of peers', [100, 100, 100], [run(1, 0), run(2, 9_900)], 10_000, [1]],
    ['exactly at the threshold: not yet', [100, 100, 100], [run(1, 9_800)], 10_000, []],
    ['already copied: never twice', [100, 100, 100], [run(1, 0, true)], 10_000, []],
  ] as const)('%s', (_what, durations, running, now, ids) => {
    const d = stragglers(running, durations, rel(), now);
    expect(d.copy.map((r) => r.taskId)).toEqual(ids);
  });

  it('a fixed threshold needs no peers', () => {
    const d = stragglers([run(1, 0), run(2, 5_000)], [], { after: { kind: 'fixed', ms: 6_000 }, min_peers: 10 }, 7_000);
    expect(d.copy.map((r) => r.taskId)).toEqual([1]);
  });

  it('says why it copies nothing', () => {
    expect(stragglers([run(1, 0)], [1], rel(3), 10_000)).toEqual({ copy: [], why: '1 of 3 peers finished' });
  });
});
