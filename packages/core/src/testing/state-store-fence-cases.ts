/**
 * StateStore contract: per-job coordination fencing. claimJob moves the
 * job's epoch; writes made with an older epoch as `fence` (transitionJob,
 * updateJob, reclaimTasks, cancelTasks) throw FencedError and write nothing.
 */
import { describe, expect, it } from 'vitest';
import { FencedError } from '../errors.js';
import type { StateStore } from '../ports/state-store.js';
import { rejectionOf } from './fixtures.js';
import { expectDjcError, jobWithTasks } from './contract-harness.js';

const CLAIM = { owner: 'worker-1', leaseMs: 30_000, maxAttempts: 3 };

/** A RUNNING job with `tasks` tasks, claimed by A then by B: [jobId, A's epoch, B's epoch]. */
async function claimedTwice(store: StateStore, tasks: number): Promise<[string, number, number]> {
  const jobId = await jobWithTasks(store, tasks);
  await store.transitionJob(jobId, ['SUBMITTED'], 'PREPARING');
  await store.transitionJob(jobId, ['PREPARING'], 'RUNNING');
  const a = await store.claimJob(jobId, 'coordinator A');
  const b = await store.claimJob(jobId, 'coordinator B');
  return [jobId, a.coordinator?.epoch ?? -1, b.coordinator?.epoch ?? -1];
}

function expectFenced(e: unknown, fence: number, epoch: number): void {
  expectDjcError(e, 'FENCED');
  expect(e).toBeInstanceOf(FencedError);
  expect(e).toMatchObject({ fence, epoch });
}

export function describeFenceCases(store: () => StateStore): void {
  describe('coordination fencing', () => {
    it('claimJob moves the epoch up by one per claim and marks the owner; marks keep the epoch', async () => {
      const jobId = await jobWithTasks(store(), 1);
      expect((await store().getJob(jobId))?.coordinator?.epoch ?? 0).toBe(0);
      const a = await store().claimJob(jobId, 'coordinator A');
      expect(a.coordinator).toMatchObject({ owner: 'coordinator A', epoch: 1 });
      expect(Math.abs((a.coordinator?.seenAt ?? 0) - Date.now())).toBeLessThan(60_000);
      const b = await store().claimJob(jobId, 'coordinator B');
      expect(b.coordinator).toMatchObject({ owner: 'coordinator B', epoch: 2 });
      const marked = await store().updateJob(jobId, { coordinator: { owner: 'coordinator B', seenAt: 5 } }, { fence: 2 });
      expect(marked.coordinator).toEqual({ owner: 'coordinator B', seenAt: 5, epoch: 2 });
      expect((await store().getJob(jobId))?.coordinator).toEqual({ owner: 'coordinator B', seenAt: 5, epoch: 2 });
    });

    it('concurrent claims each get a different epoch', async () => {
      const jobId = await jobWithTasks(store(), 1);
      const got = await Promise.all([1, 2, 3, 4].map((i) => store().claimJob(jobId, `c${i}`)));
      expect(got.map((j) => j.coordinator?.epoch).sort()).toEqual([1, 2, 3, 4]);
      expect((await store().getJob(jobId))?.coordinator?.epoch).toBe(4);
    });

    it('claimJob of a missing job is NOT_FOUND', async () => {
      expectDjcError(await rejectionOf(store().claimJob('no-such-job', 'c')), 'NOT_FOUND');
    });

    it('transitionJob and updateJob with a superseded fence throw FencedError and write nothing', async () => {
      const [jobId, a, b] = await claimedTwice(store(), 1);
      const before = await store().getJob(jobId);
      expectFenced(await rejectionOf(store().transitionJob(jobId, ['RUNNING'], 'FINALIZING', {}, { fence: a })), a, b);
      expectFenced(await rejectionOf(store().updateJob(jobId, { error: 'x', workers: null }, { fence: a })), a, b);
      expectFenced(await rejectionOf(store().updateJob(jobId, { coordinator: { owner: 'coordinator A', seenAt: 1 } }, { fence: a })), a, b);
      expect(await store().getJob(jobId)).toEqual(before);
      // The current claim writes.
      const moved = await store().transitionJob(jobId, ['RUNNING'], 'FINALIZING', {}, { fence: b });
      expect(moved.status).toBe('FINALIZING');
      // Without a fence (users' commands: cancel, pause) nothing changes.
      expect((await store().updateJob(jobId, { error: 'y' })).error).toBe('y');
    });

    it('a status race is still a ConflictError under the current fence', async () => {
      const [jobId, , b] = await claimedTwice(store(), 1);
      expectDjcError(await rejectionOf(store().transitionJob(jobId, ['FINALIZING'], 'SUCCEEDED', {}, { fence: b })), 'CONFLICT');
    });

    it('reclaimTasks with a superseded fence throws FencedError: no task and no counter moves', async () => {
      const [jobId, a, b] = await claimedTwice(store(), 3);
      await store().claimTask(jobId, 0, CLAIM);
      await store().claimTask(jobId, 1, CLAIM);
      const req = { owner: 'worker-1', reason: 'worker lost', maxAttempts: 3, notBefore: Date.now() };
      expectFenced(await rejectionOf(store().reclaimTasks(jobId, req, { fence: a })), a, b);
      expect((await store().getTask(jobId, 0))?.status).toBe('RUNNING');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 1, running: 2, retrying: 0 });
      const done = await store().reclaimTasks(jobId, req, { fence: b });
      expect(done.map((t) => [t.taskId, t.status])).toEqual([[0, 'RETRY_WAIT'], [1, 'RETRY_WAIT']]);
      // Nothing left to reclaim: no error either way.
      expect(await store().reclaimTasks(jobId, req, { fence: a })).toEqual([]);
    });

    it('cancelTasks with a superseded fence throws FencedError and cancels nothing', async () => {
      const [jobId, a, b] = await claimedTwice(store(), 2);
      expectFenced(await rejectionOf(store().cancelTasks(jobId, { fence: a })), a, b);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 2, cancelled: 0 });
      expect(await store().cancelTasks(jobId, { fence: b })).toBe(2);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 0, cancelled: 2 });
    });

    it('the coordination state round-trips and is cleared by null', async () => {
      const [jobId, , b] = await claimedTwice(store(), 1);
      const set = await store().updateJob(jobId, { coordination: { workerDeaths: [1, 2, 3] } }, { fence: b });
      expect(set.coordination).toEqual({ workerDeaths: [1, 2, 3] });
      expect((await store().getJob(jobId))?.coordination).toEqual({ workerDeaths: [1, 2, 3] });
      expect((await store().updateJob(jobId, { coordination: null })).coordination).toBeNull();
    });
  });
}
