import { describe, expect, it } from 'vitest';
import type { JobRecord, TaskRecord } from '@djc/core';
import { observeTask } from './attempt-observer.js';

const job = { jobId: 'j', startedAt: '2026-01-01T00:00:00.000Z' } as JobRecord;
const task = (fields: Partial<TaskRecord>): TaskRecord => ({
  taskId: 0, status: 'SUCCEEDED', attempts: 1, attemptFloor: 0,
  claimedAt: '2026-01-01T00:00:02.000Z', startedAt: '2026-01-01T00:00:03.000Z', endedAt: '2026-01-01T00:00:04.500Z',
  ...fields,
} as TaskRecord);

describe('observeTask', () => {
  it('a task that ran once: its outcome, its run time, its wait from the job start to its claim', () => {
    expect(observeTask(job, task({}))).toEqual({ attempts: [{ outcome: 'succeeded', count: 1, durationS: 1.5 }], queueWaitS: 2 });
  });
  it('a task that failed on its third attempt: one failed (timed), two retried, no queue wait', () => {
    expect(observeTask(job, task({ status: 'FAILED', attempts: 3 }))).toEqual({
      attempts: [{ outcome: 'failed', count: 1, durationS: 1.5 }, { outcome: 'retried', count: 2 }],
    });
  });
  it('a cancelled task: cancelled, untimed; a re-used one (never ran): nothing', () => {
    expect(observeTask(job, task({ status: 'CANCELLED' })).attempts).toEqual([{ outcome: 'cancelled', count: 1 }]);
    expect(observeTask(job, task({ attempts: 0 }))).toEqual({ attempts: [] });
  });
});
