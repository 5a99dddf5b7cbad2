import { describe, expect, it } from 'vitest';
import { taskDocument, type JobRecord, type TaskRecord } from '@djc/core';
import { JobConfigSchema } from '@djc/core/schemas';
import { formatStatus, formatTasks, measuredSize } from './format.js';
import { progressLine } from './progress-line.js';

const START = { at: 0, finished: 0, processed: 0 };

function job(batch: Record<string, unknown>, over: Partial<JobRecord> = {}): JobRecord {
  const config = JobConfigSchema.parse({ name: 'j', input: { path: '/in.jsonl', batch }, handler: { command: 'cat' } });
  return {
    jobId: 'j-1', name: 'j', status: 'RUNNING', backend: 'local', config, configPath: '/job.yaml', mode: 'run',
    createdAt: new Date().toISOString(), startedAt: new Date(Date.now() - 5000).toISOString(), endedAt: null, error: null,
    tasks: { total: 4, pending: 1, claimed: 0, running: 1, retrying: 0, succeeded: 2, failed: 0, cancelled: 0 },
    records: { total: 0, processed: 1234, bad: 0 }, outputPath: null, cancelRequested: false,
    coordinator: { owner: 'me', seenAt: Date.now() }, workers: null, version: 1, requests: {}, retries: [], ...over,
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
    const j = job({ bytes: 1 << 20 }, { status: 'SUCCEEDED', tasks: { total: 4, pending: 0, claimed: 0, running: 0, retrying: 0, succeeded: 4, failed: 0, cancelled: 0 } });
    expect(formatStatus(j)).toContain('records  1,234 of 1,234 processed (100%)');
  });

  it('split by records: the total from prepare, with a percentage', () => {
    const j = job({ records: 100 }, { records: { total: 2468, processed: 1234, bad: 0 } });
    expect(formatStatus(j)).toContain('records  1,234 of 2,468 processed (50%)');
    expect(progressLine(j, START, { now: 1000 })).toContain('1,234/2,468 records');
  });

  it('djc tasks shows "-" for a batch not counted yet, then the committed count', () => {
    expect(formatTasks([task()].map(taskDocument)).split('\n')[1]).toMatch(/^0 +PENDING +0 +- +- +- +- +- +-$/);
    expect(formatTasks([task({ status: 'SUCCEEDED', attempts: 1, records: 42 })].map(taskDocument)).split('\n')[1]).toMatch(/^0 +SUCCEEDED +1 +42 +- +- +- +- +-$/);
  });
});

const batch = { index: 0, file: '/in.jsonl', start: 0, end: 10, firstRecord: null, records: null };
function task(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    jobId: 'j-1', taskId: 0, status: 'PENDING', attempts: 0, attemptFloor: 0, batch, leaseOwner: null, leaseExpiresAt: null,
    notBefore: null, worker: null, error: null, exitCode: null, outputKey: null, inlineOutput: null, outputKind: null, records: null,
    bad: null, claimedAt: null, startedAt: null, endedAt: null, ...over,
  };
}

describe('claimed tasks and true durations', () => {
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (ms: number) => new Date(t0 + ms).toISOString();

  it('status and the plain progress line count claimed tasks apart from running ones; the bar too', () => {
    const j = job({ records: 1 }, { tasks: { total: 20, pending: 5, claimed: 9, running: 1, retrying: 0, succeeded: 5, failed: 0, cancelled: 0 } });
    expect(formatStatus(j)).toContain('tasks    20 total: 5 succeeded, 1 running, 9 claimed (held by a worker, not started), 5 pending');
    expect(progressLine(j, START, { now: 1000 })).toContain('1 running, 9 claimed (held by a worker, not started), 5 pending');
    expect(progressLine(j, START, { now: 1000, width: 120 })).toContain('· 1 running · 9 claimed');
    const none = job({ records: 1 });
    expect(formatStatus(none)).not.toContain('claimed');
    expect(progressLine(none, START, { now: 1000, width: 120 })).not.toContain('claimed');
  });

  it('DURATION is the handler\'s run time (so far, while running), WORKER who ran it; a held task has none yet', () => {
    const rows = formatTasks([
      task({ taskId: 0, status: 'SUCCEEDED', attempts: 1, records: 1, worker: 'node1:local:aa', claimedAt: at(0), startedAt: at(10), endedAt: at(1_260), usage: { cpuMs: 1_180, peakMemoryBytes: 205_520_896, scope: 'process-group' } }),
      task({ taskId: 1, status: 'RUNNING', attempts: 1, worker: 'node1:local:bb', claimedAt: at(0), startedAt: at(500) }),
      task({ taskId: 2, status: 'CLAIMED', attempts: 1, worker: 'node1:local:bb', claimedAt: at(0) }),
      task({ taskId: 3, status: 'FAILED', attempts: 3, worker: 'node2:local:cc', startedAt: at(0), endedAt: at(125_000), exitCode: 2, error: 'boom' }),
      task({ taskId: 4, status: 'SUCCEEDED', attempts: 1, worker: 'w', startedAt: at(0), endedAt: at(40) }),
    ].map(taskDocument), t0 + 3_000).split('\n');
    expect(rows[0]).toMatch(/^TASK +STATUS +ATTEMPTS +RECORDS +DURATION +CPU +MEMORY +WORKER +EXIT +ERROR$/);
    expect(rows[1]).toMatch(/^0 +SUCCEEDED +1 +1 +1\.3s +1\.2s +196MiB +node1:local:aa +-$/);
    expect(rows[2]).toMatch(/^1 +RUNNING +1 +- +2\.5s so far +- +- +node1:local:bb +-$/);
    expect(rows[3]).toMatch(/^2 +CLAIMED +1 +- +- +- +- +node1:local:bb +-$/);
    expect(rows[4]).toMatch(/^3 +FAILED +3 +- +2m5s +- +- +node2:local:cc +2 +boom$/);
    expect(rows[5]).toMatch(/^4 +SUCCEEDED +1 +- +40ms +- +- +w +-$/);
  });

  it('measured sizes keep 3 significant digits', () => {
    expect([0, 1000, 3_565_158, 205_520_896, 1_342_177_280].map(measuredSize)).toEqual(['0B', '1000B', '3.4MiB', '196MiB', '1.25GiB']);
  });
});
