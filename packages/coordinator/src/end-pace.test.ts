import type { TaskCounts } from '@djc/core';
import { describe, expect, it } from 'vitest';
import { EndPace, FEW_LEFT, inLastStretch } from './end-pace.js';

/** Counts of a 2,000-task job with `ended` tasks done and `queued` of the rest still in the queue. */
function counts(ended: number, queued: number): TaskCounts {
  const inFlight = 2000 - ended - queued;
  return { total: 2000, pending: queued, claimed: Math.max(0, inFlight - 2), running: Math.min(2, inFlight), retrying: 0, succeeded: ended, failed: 0, cancelled: 0 };
}

describe('EndPace: does what is left of a job end before the next monitor tick?', () => {
  it('quick tasks: 40 left with 10 still queued, at 1 per ms, end within a 150 ms wait', () => {
    const pace = new EndPace(0, 0);
    expect(pace.endsWithin(counts(1960, 10), 150, 1960)).toBe(true);
  });

  it('slow tasks: the same 40 left at 1 per 100 ms do not: the supervisor sleeps to the tick', () => {
    const pace = new EndPace(0, 0);
    expect(pace.endsWithin(counts(20, 1900), 150, 2000)).toBe(false);
  });

  it('no task ended since the measure began: never "ends soon"', () => {
    const pace = new EndPace(0, 100);
    expect(pace.endsWithin(counts(100, 1800), 10_000, 500)).toBe(false);
  });

  it('the pace spans at least 100 ms: looks 20 ms apart do not judge by 20 ms alone', () => {
    const pace = new EndPace(0, 1770);
    // 200 tasks in 200 ms; 30 left, 10 queued: they end in ~30 ms.
    expect(pace.endsWithin(counts(1970, 10), 100, 200)).toBe(true);
    // 20 ms on, none ended (a pause): over those 20 ms alone the pace is 0; over the last 220 ms it is ~0.9 per ms.
    expect(pace.endsWithin(counts(1970, 10), 100, 220)).toBe(true);
    expect(pace.endsWithin(counts(1970, 10), 100, 240)).toBe(true);
    // A long stall: 300 ms with no task ended, the pace over the last 100+ ms is 0.
    expect(pace.endsWithin(counts(1970, 10), 100, 540)).toBe(false);
  });
});

describe('inLastStretch: when the supervisor looks often', () => {
  const none = (n: number, over: Partial<TaskCounts> = {}): TaskCounts => ({ total: n, pending: n, claimed: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0, ...over });

  it('a one-task job, its task still queued: at once (it used to wait for the tick after its end)', () => {
    expect(inLastStretch(none(1), new EndPace(0, 0), 200)).toBe(true);
  });

  it(`a job with ${FEW_LEFT} tasks left, some queued, no pace yet: yes; one more: no`, () => {
    expect(inLastStretch(none(FEW_LEFT), new EndPace(0, 0), 200)).toBe(true);
    expect(inLastStretch(none(FEW_LEFT + 1), new EndPace(0, 0), 200)).toBe(false);
  });

  it('nothing queued, however many run: yes', () => {
    expect(inLastStretch(none(500, { pending: 0, running: 500 }), new EndPace(0, 0), 200)).toBe(true);
  });

  it('many left but ending fast enough to finish before the tick: yes', () => {
    expect(inLastStretch(counts(1960, 10), new EndPace(Date.now() - 1960, 0), 150)).toBe(true);
  });
});
