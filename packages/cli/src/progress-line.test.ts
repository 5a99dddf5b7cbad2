import { describe, expect, it } from 'vitest';
import { type JobRecord, type TaskCounts } from '@djc/core';
import { JobConfigSchema } from '@djc/core/schemas';
import { progressBase, progressLine } from './progress-line.js';

function job(tasks: Partial<TaskCounts>, over: Partial<JobRecord> = {}): JobRecord {
  const config = JobConfigSchema.parse({ name: 'j', input: { path: '/in.jsonl', batch: { records: 100 } }, handler: { command: 'cat' } });
  const counts: TaskCounts = { total: 30, pending: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0, ...tasks };
  return {
    jobId: 'j-1', name: 'j', status: 'RUNNING', backend: 'local', config, configPath: '/job.yaml', mode: 'run',
    createdAt: '2026-01-01T00:00:00.000Z', startedAt: '2026-01-01T00:00:00.000Z', endedAt: null, error: null,
    tasks: counts, records: { total: counts.total * 100, processed: (counts.succeeded + counts.failed) * 100, bad: 0 },
    outputPath: null, cancelRequested: false, coordinator: null, workers: null, version: 1, requests: {}, ...over,
  };
}

describe('progressLine: rate and ETA from this run only', () => {
  it('a retry of 27 tasks after 3 had succeeded: ETA and rate count only the re-run', () => {
    // `djc retry`: the display first sees 3 succeeded tasks (from before) and 27 pending ones.
    const base = progressBase(job({ succeeded: 3, pending: 27 }), 0);
    // 9 s later, 9 of the 27 re-ran: 1 s per task, so 18 s for the 18 left.
    const now = job({ succeeded: 12, pending: 16, running: 2 });
    const line = progressLine(now, base, { now: 9000, width: 200 });
    expect(line).toContain('40% 12/30 tasks');
    expect(line).toContain('ETA 18s'); // counting the 3 old tasks as this run's work gave 13.5 s
    expect(line).toContain('100 rec/s'); // 900 records in 9 s, not 1,200
    expect(progressLine(now, base, { now: 9000 })).toContain('100 rec/s · ETA 18s');
  });

  it('no ETA until a task of this run has finished', () => {
    const base = progressBase(job({ succeeded: 3, pending: 27 }), 0);
    expect(progressLine(job({ succeeded: 3, pending: 25, running: 2 }), base, { now: 5000, width: 200 })).toContain('ETA -');
  });
});

describe('progressLine: a cancelled job', () => {
  it('is not shown 100% done: cancelled tasks did not run', () => {
    const base = progressBase(job({ pending: 10, total: 10 }), 0);
    const cancelled = job({ total: 10, succeeded: 4, cancelled: 6 }, { status: 'CANCELLED' });
    const line = progressLine(cancelled, base, { now: 4000, width: 200 });
    expect(line).toMatch(/cancelled .*40% 4\/10 tasks/);
    expect(line).not.toContain('100%');
    expect(line).not.toContain('ETA');
    expect(progressLine(cancelled, base, { now: 4000 })).toMatch(/^j-1: cancelled 40% 4\/10 tasks/);
  });
});

describe('progressLine: fitted to the terminal width', () => {
  const base = progressBase(job({ total: 12_345, pending: 12_345 }), 0);
  const busy = job(
    { total: 12_345, succeeded: 6_000, failed: 123, retrying: 45, running: 64, pending: 6_113 },
    { records: { total: 1_234_500, processed: 612_300, bad: 17 } },
  );

  it('never wider than the width, from 1 to 200 columns', () => {
    for (let width = 1; width <= 200; width++) {
      expect(progressLine(busy, base, { now: 60_000, width }).length, `width ${width}`).toBeLessThanOrEqual(width);
    }
  });

  it('shrinks by dropping the least wanted parts first: rate, records, then the counts of running tasks', () => {
    const wide = progressLine(busy, base, { now: 60_000, width: 200 });
    expect(wide).toMatch(/^\[#{12}-{12}\] 49% 6,123\/12,345 tasks · 612,300\/1,234,500 records \(17 bad\) · 10,205 rec\/s · ETA 1m\d+s · 64 running · 123 failed · 45 retrying$/);
    const sixty = progressLine(busy, base, { now: 60_000, width: 59 });
    expect(sixty).toContain('49% 6,123/12,345 tasks');
    expect(sixty).toContain('123 failed');
    expect(sixty).not.toContain('rec/s');
    const narrow = progressLine(busy, base, { now: 60_000, width: 30 });
    expect(narrow).toBe('49% 6,123/12,345 tasks');
    expect(progressLine(busy, base, { now: 60_000, width: 12 })).toBe('49% 6,123/1…');
  });

  it('leaves a place for tasks claimed by a worker but not started', () => {
    const claimed = { ...busy, tasks: { ...busy.tasks, claimed: 8 } as TaskCounts };
    expect(progressLine(claimed, base, { now: 60_000, width: 200 })).toContain('· 64 running · 8 claimed ·');
  });
});
