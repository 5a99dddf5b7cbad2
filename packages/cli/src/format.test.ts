import { describe, expect, it } from 'vitest';
import { JobConfigSchema, type JobRecord } from '@djc/core';
import { formatStatus, formatTasks } from './format.js';
import { progressLine } from './progress-line.js';

const START = { at: 0, finished: 0, processed: 0 };

function job(batch: Record<string, unknown>, over: Partial<JobRecord> = {}): JobRecord {
  const config = JobConfigSchema.parse({ name: 'j', input: { path: '/in.jsonl', batch }, handler: { command: 'cat' } });
  return {
    jobId: 'j-1', name: 'j', status: 'RUNNING', backend: 'local', config, configPath: '/job.yaml', mode: 'run',
    createdAt: new Date().toISOString(), startedAt: new Date(Date.now() - 5000).toISOString(), endedAt: null, error: null,
    tasks: { total: 4, pending: 1, running: 1, retrying: 0, succeeded: 2, failed: 0, cancelled: 0 },
    records: { total: 0, processed: 1234, bad: 0 }, outputPath: null, cancelRequested: false,
    coordinator: { owner: 'me', seenAt: Date.now() }, workers: null, version: 1, requests: {}, ...over,
  };
}

describe('record totals in status and progress', () => {
  it('split by bytes, while tasks run: records processed, no total and no percentage', () => {
    const j = job({ bytes: 1 << 20 });
    expect(formatStatus(j)).toContain('records  1,234 processed (total not known yet: batches split by bytes are counted as their tasks run)');
    expect(formatStatus(j)).not.toMatch(/records .*%/);
    expect(progressLine(j, START, { now: 1000 })).toContain('2/4 tasks · 1,234 records ·');
  });

  it('split by bytes, every task done: the processed count is the exact total', () => {
    const j = job({ bytes: 1 << 20 }, { status: 'SUCCEEDED', tasks: { total: 4, pending: 0, running: 0, retrying: 0, succeeded: 4, failed: 0, cancelled: 0 } });
    expect(formatStatus(j)).toContain('records  1,234 of 1,234 processed (100%)');
  });

  it('split by records: the total from prepare, with a percentage', () => {
    const j = job({ records: 100 }, { records: { total: 2468, processed: 1234, bad: 0 } });
    expect(formatStatus(j)).toContain('records  1,234 of 2,468 processed (50%)');
    expect(progressLine(j, START, { now: 1000 })).toContain('1,234/2,468 records');
  });

  it('djc tasks shows "-" for a batch not counted yet, then the committed count', () => {
    const batch = { index: 0, file: '/in.jsonl', start: 0, end: 10, firstRecord: null, records: null };
    const task = {
      jobId: 'j-1', taskId: 0, status: 'PENDING' as const, attempts: 0, attemptFloor: 0, batch, leaseOwner: null, leaseExpiresAt: null,
      notBefore: null, worker: null, error: null, exitCode: null, outputKey: null, outputKind: null, records: null, startedAt: null, endedAt: null,
    };
    expect(formatTasks([task]).split('\n')[1]).toMatch(/^0 +PENDING +0 +- +-$/);
    expect(formatTasks([{ ...task, status: 'SUCCEEDED', attempts: 1, records: 42 }]).split('\n')[1]).toMatch(/^0 +SUCCEEDED +1 +42 +-$/);
  });
});
