/**
 * The StateStore contract: every backend runs this suite (see
 * backends/local/local-backend.test.ts). `make` returns a fresh, isolated
 * store per test. Job and lock cases live here; task cases in
 * testing/state-store-task-cases.ts, testing/state-store-batch-cases.ts,
 * testing/state-store-bulk-cases.ts, testing/state-store-release-cases.ts and
 * testing/state-store-claimed-cases.ts; bounded error texts in
 * testing/state-store-text-cases.ts; job ids in testing/state-store-job-id-cases.ts; pipelines in
 * testing/state-store-pipeline-cases.ts; the cache index in testing/state-store-cache-cases.ts;
 * rate-limit slots in testing/state-store-rate-cases.ts; API tokens in
 * testing/state-store-token-cases.ts; coordination fencing in testing/state-store-fence-cases.ts.
 */
import { describe, expect, it } from 'vitest';
import type { StateStore } from './state-store.js';
import type { RetryRecord } from '../model/job.js';
import { testBatches, testJob, rejectionOf } from '../testing/fixtures.js';
import { conflictStatus, expectConflict, expectDjcError, useFixture, type Made } from '../testing/contract-harness.js';
import { describeTaskCases } from '../testing/state-store-task-cases.js';
import { describeBulkTaskCases } from '../testing/state-store-bulk-cases.js';
import { describeReleaseCases } from '../testing/state-store-release-cases.js';
import { describeTextCases } from '../testing/state-store-text-cases.js';
import { describeBatchCases } from '../testing/state-store-batch-cases.js';
import { describeClaimedCases } from '../testing/state-store-claimed-cases.js';
import { describeJobIdCases } from '../testing/state-store-job-id-cases.js';
import { describePipelineCases } from '../testing/state-store-pipeline-cases.js';
import { describeCacheCases } from '../testing/state-store-cache-cases.js';
import { describeSchedulerCases } from '../testing/state-store-scheduler-cases.js';
import { describeRateCases } from '../testing/state-store-rate-cases.js';
import { describeTokenCases } from '../testing/state-store-token-cases.js';
import { describeFenceCases } from '../testing/state-store-fence-cases.js';
import { describeCopyCases } from '../testing/state-store-copy-cases.js';

export type StateStoreFixture = Made & { store: StateStore };

export function describeStateStoreContract(name: string, make: () => Promise<StateStoreFixture>): void {
  describe(`StateStore contract: ${name}`, () => {
    const fx = useFixture(make);
    const store = () => fx().store;
    describeJobCases(store);
    describeJobIdCases(store);
    describePipelineCases(store);
    describeSchedulerCases(store);
    describeJobChanges(store);
    describeTaskCases(store);
    describeBatchCases(store);
    describeBulkTaskCases(store);
    describeReleaseCases(store);
    describeClaimedCases(store);
    describeTextCases(store);
    describeLockCases(store);
    describeCacheCases(store);
    describeRateCases(store);
    describeTokenCases(store);
    describeFenceCases(store);
    describeCopyCases(store);
  });
}

function describeJobCases(store: () => StateStore): void {
  describe('jobs', () => {
    it('createJob stores a SUBMITTED job with zero counters, readable by getJob', async () => {
      const job = testJob();
      const created = await store().createJob(job);
      expect(created).toMatchObject({ jobId: job.jobId, name: job.name, status: 'SUBMITTED', backend: job.backend, mode: 'run' });
      expect(created.tasks).toEqual({ total: 0, pending: 0, claimed: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 });
      expect(created.records).toEqual({ total: 0, processed: 0, bad: 0 });
      expect(created).toMatchObject({ startedAt: null, endedAt: null, error: null, outputPath: null, cancelRequested: false });
      expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
      expect(await store().getJob(job.jobId)).toEqual(created);
      expect(created.config).toEqual(job.config);
    });

    it('getJob of a missing job is null', async () => {
      expect(await store().getJob('no-such-job')).toBeNull();
    });

    it('createJob with an existing id throws ConflictError and leaves the job alone', async () => {
      const job = testJob();
      await store().createJob(job);
      await store().transitionJob(job.jobId, ['SUBMITTED'], 'PREPARING');
      expectConflict(await rejectionOf(store().createJob({ ...job, name: 'other' })));
      expect((await store().getJob(job.jobId))?.status).toBe('PREPARING');
    });

    it('listJobs returns newest first, filters by status, and honours limit', async () => {
      const ids = ['list-a', 'list-b', 'list-c'];
      for (const jobId of ids) {
        await store().createJob(testJob({ jobId }));
        await new Promise((r) => setTimeout(r, 5));
      }
      await store().transitionJob('list-b', ['SUBMITTED'], 'PREPARING');
      expect((await store().listJobs()).map((j) => j.jobId)).toEqual(['list-c', 'list-b', 'list-a']);
      expect((await store().listJobs({ limit: 2 })).map((j) => j.jobId)).toEqual(['list-c', 'list-b']);
      expect((await store().listJobs({ status: 'SUBMITTED' })).map((j) => j.jobId)).toEqual(['list-c', 'list-a']);
      expect(await store().listJobs({ status: 'FAILED' })).toEqual([]);
    });

  });
}

function describeJobChanges(store: () => StateStore): void {
  describe('job changes', () => {
    it('transitionJob moves a job along the table, applies the patch and bumps version', async () => {
      const job = testJob();
      const v0 = (await store().createJob(job)).version;
      const startedAt = new Date().toISOString();
      const prep = await store().transitionJob(job.jobId, ['SUBMITTED'], 'PREPARING', { startedAt, recordsTotal: 42 });
      expect(prep).toMatchObject({ status: 'PREPARING', startedAt, records: { total: 42, processed: 0, bad: 0 } });
      expect(prep.version).toBeGreaterThan(v0);
      const run = await store().transitionJob(job.jobId, ['PREPARING', 'SUBMITTED'], 'RUNNING');
      expect(run).toMatchObject({ status: 'RUNNING', startedAt, records: { total: 42 } });
      expect(run.version).toBeGreaterThan(prep.version);
      expect(await store().getJob(job.jobId)).toEqual(run);
    });

    it('transitionJob from a status not in `from` throws ConflictError with the current status', async () => {
      const job = testJob();
      await store().createJob(job);
      const e = await rejectionOf(store().transitionJob(job.jobId, ['RUNNING'], 'FINALIZING'));
      expect(conflictStatus(e)).toBe('SUBMITTED');
      expect((await store().getJob(job.jobId))?.status).toBe('SUBMITTED');
    });

    it('transitionJob that the table forbids throws ILLEGAL_TRANSITION', async () => {
      const job = testJob();
      await store().createJob(job);
      expectDjcError(await rejectionOf(store().transitionJob(job.jobId, ['SUBMITTED'], 'SUCCEEDED')), 'ILLEGAL_TRANSITION');
      expect((await store().getJob(job.jobId))?.status).toBe('SUBMITTED');
    });

    it('transitionJob and updateJob of a missing job throw NOT_FOUND', async () => {
      const e = expectDjcError(await rejectionOf(store().transitionJob('missing-job', ['SUBMITTED'], 'PREPARING')), 'NOT_FOUND');
      expect(e.message).toBe('no job missing-job');
      expect(e.hint).toBe('djc list shows jobs');
      expectDjcError(await rejectionOf(store().updateJob('missing-job', { error: 'x' })), 'NOT_FOUND');
    });

    it('updateJob applies a patch without a status change; null clears a field', async () => {
      const job = testJob();
      const v0 = (await store().createJob(job)).version;
      const a = await store().updateJob(job.jobId, { error: 'boom', outputPath: '/out/x', cancelRequested: true, mode: 'daemon' });
      expect(a).toMatchObject({ status: 'SUBMITTED', error: 'boom', outputPath: '/out/x', cancelRequested: true, mode: 'daemon' });
      expect(a.version).toBeGreaterThan(v0);
      const b = await store().updateJob(job.jobId, { error: null, endedAt: '2024-01-01T00:00:00.000Z' });
      expect(b).toMatchObject({ error: null, outputPath: '/out/x', cancelRequested: true, endedAt: '2024-01-01T00:00:00.000Z' });
      expect(b.version).toBeGreaterThan(a.version);
    });

    it('records which process coordinates a job and when it last said so', async () => {
      const job = testJob();
      expect((await store().createJob(job)).coordinator).toBeNull();
      const mark = { owner: 'djc run on node1 (pid 42)', seenAt: 1_700_000_000_123 };
      // A mark leaves the coordination epoch as it is: 0 before any claim (testing/state-store-fence-cases.ts).
      const read = { ...mark, epoch: 0 };
      expect((await store().updateJob(job.jobId, { coordinator: mark })).coordinator).toEqual(read);
      expect((await store().updateJob(job.jobId, { error: 'x' })).coordinator).toEqual(read);
      expect((await store().getJob(job.jobId))?.coordinator).toEqual(read);
      expect((await store().updateJob(job.jobId, { coordinator: null })).coordinator).toBeNull();
    });

    it('keeps the snapshot of a job\'s workers, and clears it with null', async () => {
      const job = testJob();
      expect((await store().createJob(job)).workers).toBeNull();
      const workers = {
        dispatcher: 'slurm' as const,
        slurmJobIds: ['123', '130'],
        groups: [{ state: 'PENDING', reason: 'Resources', count: 2 }, { state: 'RUNNING', reason: null, count: 1 }],
        failures: [{ worker: 'slurm:123_4', reason: 'FAILED (NonZeroExitCode, exit 1): it\'s "odd" $HOME `x`\nline 2', at: '2024-01-01T00:00:00.000Z' }],
        summary: 'slurm array 123: 1 running, 2 pending (Resources)',
        updatedAt: '2024-01-01T00:00:01.000Z',
      };
      expect((await store().updateJob(job.jobId, { workers })).workers).toEqual(workers);
      expect((await store().updateJob(job.jobId, { error: 'x' })).workers).toEqual(workers);
      expect((await store().getJob(job.jobId))?.workers).toEqual(workers);
      expect((await store().updateJob(job.jobId, { workers: null })).workers).toBeNull();
      expect((await store().getJob(job.jobId))?.workers).toBeNull();
    });

    it('settings (djc retry) replace the config and the retry history together, with or without a status change', async () => {
      const job = testJob();
      expect((await store().createJob(job)).retries).toEqual([]);
      await store().transitionJob(job.jobId, ['SUBMITTED'], 'FAILED', { endedAt: '2024-01-01T00:00:00.000Z', error: 'x' });
      const config = { ...job.config, compute: { ...job.config.compute, timeout: 1_234 }, fail_fast: false };
      const first: RetryRecord = {
        at: '2024-01-01T00:00:01.000Z', taskCount: 2, tasks: '3,7', notRetried: 1, selection: { task: '3,7', error: 'a|"b"' },
        changes: [{ key: 'compute.timeout', value: '1234ms', from: 600_000, to: 1_234, unit: 'duration' }, { key: 'fail_fast', value: 'false', from: true, to: false }],
      };
      const reopened = await store().transitionJob(job.jobId, ['FAILED'], 'RUNNING', { endedAt: null, error: null, settings: { config, retries: [first] } });
      expect(reopened).toMatchObject({ status: 'RUNNING', endedAt: null, config, retries: [first] });
      expect(await store().getJob(job.jobId)).toEqual(reopened);
      expect((await store().listJobs()).find((j) => j.jobId === job.jobId)).toMatchObject({ config, retries: [first] });
      // Other patches leave both alone.
      expect(await store().updateJob(job.jobId, { error: 'y' })).toMatchObject({ config, retries: [first] });
      const second: RetryRecord = { at: '2024-01-01T00:00:02.000Z', taskCount: 0, tasks: '', notRetried: 0, selection: {}, changes: [] };
      const updated = await store().updateJob(job.jobId, { settings: { config: job.config, retries: [first, second] } });
      expect(updated).toMatchObject({ status: 'RUNNING', error: 'y', config: job.config, retries: [first, second] });
      expect(await store().getJob(job.jobId)).toEqual(updated);
    });

    it('a finished job re-opens only to RUNNING', async () => {
      const job = testJob();
      await store().createJob(job);
      await store().transitionJob(job.jobId, ['SUBMITTED'], 'FAILED', { error: 'bad input' });
      expectDjcError(await rejectionOf(store().transitionJob(job.jobId, ['FAILED'], 'PREPARING')), 'ILLEGAL_TRANSITION');
      expect((await store().transitionJob(job.jobId, ['FAILED'], 'RUNNING', { error: null })).status).toBe('RUNNING');
    });

    it('addRequestCounts adds up exactly, also concurrently, and shows on getJob and listJobs', async () => {
      const a = testJob();
      const b = testJob();
      expect((await store().createJob(a)).requests).toEqual({});
      await store().createJob(b);
      await store().addRequestCounts(a.jobId, { 'DynamoDB.TransactWriteItems': 3, 'SQS.ReceiveMessage': 1 });
      await Promise.all([
        store().addRequestCounts(a.jobId, { 'DynamoDB.TransactWriteItems': 2, 'S3.PutObject': 5 }),
        store().addRequestCounts(a.jobId, { 'S3.PutObject': 1, 'SQS.ReceiveMessage': 0 }),
      ]);
      const want = { 'DynamoDB.TransactWriteItems': 5, 'SQS.ReceiveMessage': 1, 'S3.PutObject': 6 };
      expect((await store().getJob(a.jobId))?.requests).toEqual(want);
      expect((await store().listJobs()).find((j) => j.jobId === a.jobId)?.requests).toEqual(want);
      expect((await store().getJob(b.jobId))?.requests).toEqual({});
      await store().addRequestCounts('no-such-job', { 'S3.GetObject': 1 });
      expect(await store().getJob('no-such-job')).toBeNull();
    });

    it('putTasks for one job does not touch another job', async () => {
      const a = testJob();
      const b = testJob();
      await store().createJob(a);
      await store().createJob(b);
      await store().putTasks(a.jobId, testBatches(3));
      expect((await store().getJob(b.jobId))?.tasks.total).toBe(0);
      expect(await store().listTasks(b.jobId)).toEqual([]);
    });
  });
}

function describeLockCases(store: () => StateStore): void {
  const info = (owner: string, ttl: number) => ({ owner, pid: 4242, host: 'host-1', heartbeatAt: Date.now(), expiresAt: Date.now() + ttl });

  describe('coordinator lock', () => {
    it('is free at first, taken by the first owner at epoch 1, refused to a second while unexpired', async () => {
      expect(await store().getCoordinatorLock()).toBeNull();
      const a = info('coord-a', 60_000);
      expect(await store().acquireCoordinatorLock(a)).toBe(true);
      expect(await store().getCoordinatorLock()).toEqual({ ...a, epoch: 1 });
      expect(await store().acquireCoordinatorLock(info('coord-b', 60_000))).toBe(false);
      expect((await store().getCoordinatorLock())?.owner).toBe('coord-a');
    });

    it('is renewed by its owner, keeping its epoch', async () => {
      await store().acquireCoordinatorLock(info('coord-a', 1_000));
      const renewed = info('coord-a', 120_000);
      expect(await store().acquireCoordinatorLock(renewed)).toBe(true);
      expect(await store().getCoordinatorLock()).toEqual({ ...renewed, epoch: 1 });
      const again = { ...info('coord-a', 180_000), epoch: 1 };
      expect(await store().renewCoordinatorLock(again)).toBe(true);
      expect(await store().getCoordinatorLock()).toEqual(again);
    });

    it('is taken over once expired at the next epoch, and the old owner can renew it no more', async () => {
      await store().acquireCoordinatorLock(info('coord-a', -1_000));
      expect((await store().getCoordinatorLock())?.owner).toBe('coord-a');
      expect(await store().acquireCoordinatorLock(info('coord-b', 60_000))).toBe(true);
      expect(await store().acquireCoordinatorLock(info('coord-a', 60_000))).toBe(false);
      expect(await store().renewCoordinatorLock({ ...info('coord-a', 60_000), epoch: 1 })).toBe(false);
      expect(await store().getCoordinatorLock()).toMatchObject({ owner: 'coord-b', epoch: 2 });
    });

    it('is taken over before it expires only from the holder and epoch the claim names (a dead one)', async () => {
      await store().acquireCoordinatorLock(info('coord-a', 60_000));
      expect(await store().acquireCoordinatorLock({ ...info('coord-b', 60_000), replacing: { owner: 'coord-a', epoch: 7 } })).toBe(false);
      expect(await store().acquireCoordinatorLock({ ...info('coord-b', 60_000), replacing: { owner: 'coord-x', epoch: 1 } })).toBe(false);
      expect(await store().acquireCoordinatorLock({ ...info('coord-b', 60_000), replacing: { owner: 'coord-a', epoch: 1 } })).toBe(true);
      expect(await store().getCoordinatorLock()).toMatchObject({ owner: 'coord-b', epoch: 2 });
      // The dead holder's claim was spent: a second standby naming it is refused.
      expect(await store().acquireCoordinatorLock({ ...info('coord-c', 60_000), replacing: { owner: 'coord-a', epoch: 1 } })).toBe(false);
    });

    it('is released only by its owner; the next holder\'s epoch is higher', async () => {
      await store().acquireCoordinatorLock(info('coord-a', 60_000));
      await store().releaseCoordinatorLock('coord-b');
      expect((await store().getCoordinatorLock())?.owner).toBe('coord-a');
      await store().releaseCoordinatorLock('coord-a');
      const released = await store().getCoordinatorLock();
      expect(released?.expiresAt).toBeLessThanOrEqual(Date.now());
      expect(await store().acquireCoordinatorLock(info('coord-b', 60_000))).toBe(true);
      expect(await store().getCoordinatorLock()).toMatchObject({ owner: 'coord-b', epoch: 2 });
    });

    it('goes to exactly one of many owners racing for it', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store().acquireCoordinatorLock(info(`coord-${i}`, 60_000))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store().getCoordinatorLock()).toMatchObject({ owner: `coord-${winner}`, epoch: 1 });
    });
  });
}
