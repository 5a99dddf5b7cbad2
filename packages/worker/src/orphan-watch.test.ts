import type { JobRecord } from '@djc/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ORPHAN_TIMEOUT_MS, OrphanWatch, orphanTimeoutMs } from './orphan-watch.js';

function job(status: string, seenAt: number | null, timeout?: number): JobRecord {
  return {
    jobId: 'j', status, config: { compute: timeout === undefined ? {} : { worker_orphan_timeout: timeout } },
    coordinator: seenAt === null ? null : { owner: 'djc run on h (pid 1)', seenAt },
  } as unknown as JobRecord;
}

describe('OrphanWatch', () => {
  it('times the mark with its own clock: a mark that keeps moving never orphans, one that stops does after the timeout', () => {
    let now = 1_000;
    const watch = new OrphanWatch(() => now);
    for (let mark = 0; mark < 10; mark += 1) {
      now += 2_000;
      expect(watch.check(job('RUNNING', mark, 3_000))).toBeNull();
    }
    now += 3_000;
    expect(watch.check(job('RUNNING', 9, 3_000))).toBeNull();
    now += 1;
    expect(watch.check(job('RUNNING', 9, 3_000))).toBe('job j is RUNNING and its coordinator (djc run on h (pid 1)) has not marked it for 3s (compute.worker_orphan_timeout: 3s): nobody coordinates it');
  });

  it('counts from its own start, whatever the age of the mark (no clock skew between hosts); a mark that moves again resets it', () => {
    let now = 50_000_000;
    const watch = new OrphanWatch(() => now);
    expect(watch.check(job('PREPARING', 1, 1_000))).toBeNull();
    now += 1_001;
    expect(watch.check(job('PREPARING', 2, 1_000))).toBeNull();
    now += 1_001;
    expect(watch.check(job('PREPARING', 2, 1_000))).toContain('has not marked it for');
  });

  it('never orphans a job that is over or WAITING (a stage run whose workers started early)', () => {
    let now = 0;
    const watch = new OrphanWatch(() => now);
    watch.check(job('WAITING', null, 1_000));
    now += 10_000;
    expect(watch.check(job('WAITING', null, 1_000))).toBeNull();
    expect(watch.check(job('SUCCEEDED', null, 1_000))).toBeNull();
    expect(watch.check(job('RUNNING', null, 1_000))).toContain('and no coordinator has marked it for 10s');
  });
});

describe('orphanTimeoutMs', () => {
  it('the job setting, else DJC_WORKER_ORPHAN_TIMEOUT, else 5 minutes', () => {
    expect(orphanTimeoutMs(job('RUNNING', 0, 7_000), { DJC_WORKER_ORPHAN_TIMEOUT: '1m' })).toBe(7_000);
    expect(orphanTimeoutMs(job('RUNNING', 0), { DJC_WORKER_ORPHAN_TIMEOUT: '1m' })).toBe(60_000);
    expect(orphanTimeoutMs(job('RUNNING', 0), { DJC_WORKER_ORPHAN_TIMEOUT: '90' })).toBe(90_000);
    expect(orphanTimeoutMs(job('RUNNING', 0), { DJC_WORKER_ORPHAN_TIMEOUT: 'soon' })).toBe(DEFAULT_ORPHAN_TIMEOUT_MS);
    expect(orphanTimeoutMs(job('RUNNING', 0), {})).toBe(300_000);
  });
});
