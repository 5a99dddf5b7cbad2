import { describe, expect, it } from 'vitest';
import { HOLD_BUDGET_MS, MAX_PREFETCH, prefetchFor, TaskPace } from './prefetch.js';

describe('prefetchFor', () => {
  it('takes nothing ahead before a task of the job was measured (never on a guess)', () => {
    expect(prefetchFor(null, 1)).toBe(0);
    expect(prefetchFor(null, 8)).toBe(0);
  });
  it('holds at most HOLD_BUDGET_MS of work per slot at the measured pace', () => {
    expect(prefetchFor(HOLD_BUDGET_MS / 2, 1)).toBe(2);
    expect(prefetchFor(HOLD_BUDGET_MS / 2, 2)).toBe(4);
    expect(prefetchFor(HOLD_BUDGET_MS, 1)).toBe(1);
  });
  it('takes a full receive for tiny tasks, and nothing for tasks longer than the budget', () => {
    expect(prefetchFor(1, 1)).toBe(MAX_PREFETCH);
    expect(prefetchFor(0, 4)).toBe(MAX_PREFETCH);
    expect(prefetchFor(10, 1)).toBe(MAX_PREFETCH);
    expect(prefetchFor(HOLD_BUDGET_MS + 1, 1)).toBe(0);
    expect(prefetchFor(2_000, 4)).toBe(0); // sleep 2 on 4 slots: no task waits behind another
  });
});

describe('TaskPace', () => {
  it('keeps a moving average per job from its second task on (the first pays start-up costs); null before', () => {
    const pace = new TaskPace();
    expect(pace.of('a')).toBeNull();
    expect(pace.of(undefined)).toBeNull();
    pace.record('a', 900);
    expect(pace.of('a')).toBeNull();
    pace.record('a', 10);
    expect(pace.of('a')).toBe(10);
    pace.record('a', 110);
    expect(pace.of('a')).toBeCloseTo(30);
    expect(pace.of('b')).toBeNull();
  });
});
