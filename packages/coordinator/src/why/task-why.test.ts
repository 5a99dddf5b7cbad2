import { describe, expect, it } from 'vitest';
import type { JobRecord, TaskRecord, WorkersRecord } from '@djc/core';
import { jobWhy, taskWhy } from './task-why.js';

const NOW = Date.parse('2026-12-03T04:00:00.000Z');

function job(over: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: 'j1', status: 'RUNNING', cancelRequested: false, reason: null, createdAt: new Date(NOW - 60_000).toISOString(),
    coordinator: { owner: 'djc run', seenAt: NOW - 1000 }, workers: null,
    tasks: { total: 4, pending: 2, claimed: 0, running: 1, retrying: 1, succeeded: 0, failed: 0, cancelled: 0 },
    ...over,
  } as unknown as JobRecord;
}

function task(over: Partial<TaskRecord>): TaskRecord {
  return {
    jobId: 'j1', taskId: 7, status: 'PENDING', attempts: 0, attemptFloor: 0, leaseOwner: null, leaseExpiresAt: null,
    notBefore: null, worker: null, error: null, ...over,
  } as unknown as TaskRecord;
}

const workers = (groups: WorkersRecord['groups'], dispatcher: WorkersRecord['dispatcher'] = 'slurm'): WorkersRecord => ({
  dispatcher, slurmJobIds: ['123'], groups, failures: [], summary: 'slurm array 123: 2 pending (Resources)', updatedAt: '',
});

const why = (j: JobRecord, t: TaskRecord, noMessage: number[] = []) =>
  taskWhy(j, t, { now: NOW, job: jobWhy(j, { now: NOW, orphaned: NOW - (j.coordinator?.seenAt ?? 0) > 30_000 }), noMessage: new Set(noMessage) });

describe('taskWhy', () => {
  it.each([
    ['backoff until a time', job(), task({ status: 'RETRY_WAIT', attempts: 1, notBefore: NOW + 42_000, error: 'attempt 1: boom' }),
      'backoff', 'backoff until 2026-12-03T04:00:42.000Z (in 42s) after attempt 1 failed: attempt 1: boom'],
    ['a backoff that is over waits for a worker', job(), task({ status: 'RETRY_WAIT', attempts: 1, notBefore: NOW - 3000 }),
      'waiting_for_worker', 'queued, waiting for a free worker (its backoff ended 3s ago)'],
    ['running, with its lease', job(), task({ status: 'RUNNING', attempts: 2, leaseOwner: 'w1', leaseExpiresAt: NOW + 20_000 }),
      'running', 'running on worker w1 (attempt 2, lease until 2026-12-03T04:00:20.000Z (in 20s))'],
    ['a lease that expired', job(), task({ status: 'RUNNING', attempts: 1, leaseOwner: 'w1', leaseExpiresAt: NOW - 5000 }),
      'lease_expired', 'the lease of worker w1 expired 5s ago: the task is reclaimed on the coordinator\'s next pass'],
    ['held in a worker', job(), task({ status: 'CLAIMED', attempts: 1, leaseOwner: 'w2', leaseExpiresAt: NOW + 9000 }),
      'held_by_worker', 'waiting in worker w2 for a free slot (claimed ahead, lease until 2026-12-03T04:00:09.000Z (in 9s))'],
    ['Slurm workers pending', job({ workers: workers([{ state: 'PENDING', reason: 'Resources', count: 2 }]) }), task({}),
      'workers_pending', 'waiting for a worker: the workers are pending in Slurm: 2 pending (Resources)'],
    ['external dispatcher without workers', job({ workers: workers([], 'external') }), task({}),
      'no_workers', 'waiting for a worker: no worker runs (dispatcher external: start workers with the command djc printed)'],
    ['a lost message', job(), task({}), 'message_lost', 'its queue message is missing: the coordinator\'s sweep sends it again once it has been missing for a lease', [7]],
    ['a paused job', job({ status: 'PAUSED' }), task({}), 'job_paused', 'the job is paused: no task starts (djc resume j1)'],
    ['a queued job', job({ status: 'QUEUED' }), task({}), 'job_queued', 'the job waits in the scheduler\'s queue: no reason published yet (djc queue shows the queue)'],
  ])('%s', (_, j, t, code, message, noMessage: number[] = []) => {
    expect(why(j, t, noMessage)).toMatchObject({ code, message });
  });

  it('a job nobody coordinates: the job says so, and an expired lease waits for a coordinator', () => {
    const j = job({ coordinator: { owner: 'djc run', seenAt: NOW - 120_000 } });
    expect(jobWhy(j, { now: NOW, orphaned: true })?.code).toBe('no_coordinator');
    expect(why(j, task({ status: 'RUNNING', leaseOwner: 'w1', leaseExpiresAt: NOW - 1000 })).message).toContain('reclaimed once a coordinator runs');
    // Its queued tasks still say what they wait for (workers may still run).
    expect(why(j, task({})).code).toBe('waiting_for_worker');
  });

  it('a finished job has no job-level reason', () => {
    expect(jobWhy(job({ status: 'CANCELLED', cancelRequested: true }), { now: NOW, orphaned: true })).toBeNull();
  });
});
