import { describe, expect, it } from 'vitest';
import { MAX_TASK_BATCH } from '@djc/core';
import { HOLD_BUDGET_MS, MAX_PREFETCH, prefetchFor, receiveSize, TaskPace } from './prefetch.js';

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

describe('receiveSize', () => {
  it('fills one receive of the queue with short tasks: 10 on SQS, MAX_TASK_BATCH on a queue without a limit', () => {
    expect(receiveSize(1, 1, 1, 10)).toBe(10);
    expect(receiveSize(1, 1, 1, undefined)).toBe(MAX_TASK_BATCH);
    expect(receiveSize(10, 1, 10, undefined)).toBe(MAX_TASK_BATCH);
  });
  it('takes only the free slots for unmeasured or slow tasks, whatever the queue (slow tasks are never held)', () => {
    expect(receiveSize(1, null, 1, undefined)).toBe(1);
    expect(receiveSize(1, HOLD_BUDGET_MS + 1, 1, undefined)).toBe(1);
    expect(receiveSize(4, 4 * HOLD_BUDGET_MS + 1, 4, undefined)).toBe(4);
    expect(receiveSize(2, 2_000, 2, 10)).toBe(2);
  });
  it('holds no more than HOLD_BUDGET_MS of measured work ahead, on a larger receive too', () => {
    expect(receiveSize(1, HOLD_BUDGET_MS / 5, 1, undefined)).toBe(1 + 5);
    expect(receiveSize(1, 25, 1, undefined)).toBe(1 + 10);
  });
  it('never takes fewer than the free slots (a worker with more slots than one receive holds)', () => {
    expect(receiveSize(40, 1, 40, undefined)).toBe(40);
  });
});

describe('TaskPace', () => {
  it('is null until five tasks of the job finished (the first pays start-up costs; a few quick ones prove nothing), per job', () => {
    const pace = new TaskPace();
    expect(pace.of('a')).toBeNull();
    expect(pace.of(undefined)).toBeNull();
    pace.record('a', 900);
    for (const ms of [10, 12, 400]) {
      pace.record('a', ms);
      expect(pace.of('a')).toBeNull();
    }
    pace.record('a', 11);
    expect(pace.of('a')).toBe(400); // the upper quartile of 10, 11, 12, 400
    expect(pace.of('b')).toBeNull();
  });

  it('is the upper quartile of the latest 16: a stall does not move it, a quarter of long tasks does', () => {
    const pace = new TaskPace();
    pace.record('a', 0);
    for (let i = 0; i < 15; i++) pace.record('a', 5);
    pace.record('a', 400); // one stall
    expect(pace.of('a')).toBe(5);
    for (let i = 0; i < 4; i++) pace.record('a', 2_000);
    expect(pace.of('a')).toBe(2_000);
    for (let i = 0; i < 16; i++) pace.record('a', 8);
    expect(pace.of('a')).toBe(8); // only the latest 16 count
  });
});
