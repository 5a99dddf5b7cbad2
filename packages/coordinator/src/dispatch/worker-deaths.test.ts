import { describe, expect, it } from 'vitest';
import type { JobRecord } from '@djc/core';
import { WorkerDeaths } from './worker-deaths.js';

const limit = { count: 3, per: 10_000 };
/** A job with `done` tasks finished: all observe() reads. */
const job = (done: number) => ({ tasks: { succeeded: done, failed: 0 } }) as unknown as JobRecord;

describe('WorkerDeaths', () => {
  it('passes the rate with more than count deaths within per, and names it', () => {
    const d = new WorkerDeaths([]);
    for (const t of [1_000, 2_000, 3_000]) d.add(false, t);
    expect(d.overLimit(limit, 5_000)).toBeNull();
    d.add(false, 4_000);
    expect(d.overLimit(limit, 5_000)).toBe('4 worker deaths within 10s, more than compute.max_worker_deaths allows (3 per 10s)');
  });

  it('deaths spread out never add up, even with no task finishing when they were kills', () => {
    const d = new WorkerDeaths([]);
    for (let i = 0; i < 100; i++) {
      d.add(false, i * 5_000 + 1);
      d.kept(limit, i * 5_000 + 2);
    }
    expect(d.overLimit(limit, 500_000)).toBeNull();
  });

  it('a crash loop slower than the rate ends: more than count crashes while no task finishes', () => {
    const d = new WorkerDeaths([]);
    d.observe(job(7), 0);
    for (let i = 1; i <= 3; i++) {
      d.add(true, i * 6_000);
      d.observe(job(7), i * 6_000);
    }
    expect(d.overLimit(limit, 20_000)).toBeNull();
    d.add(true, 24_000);
    expect(d.overLimit(limit, 25_000)).toBe('4 workers crashed while no task finished, more than compute.max_worker_deaths allows (3)');
    // A task finishing clears that count; the record keeps what a rule still counts.
    d.observe(job(8), 26_000);
    expect(d.overLimit(limit, 27_000)).toBeNull();
    expect(d.kept(limit, 27_000)).toEqual({ workerDeaths: [18_000, 24_000], workerCrashes: [] });
  });

  it('crashes carried over from the job record count until the new coordinator sees a task finish', () => {
    const d = new WorkerDeaths([], [1, 2, 3, 4]);
    d.observe(job(3), 100_000);
    expect(d.overLimit(limit, 100_000)).toMatch(/^4 workers crashed while no task finished/);
  });
});
