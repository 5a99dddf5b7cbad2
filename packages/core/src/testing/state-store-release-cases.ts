/** StateStore contract, part 4: releaseTask (a stopping worker gives its attempt back). */
import { describe, expect, it } from 'vitest';
import type { StateStore, TaskOutcome } from '../ports/state-store.js';
import { rejectionOf } from './fixtures.js';
import { conflictStatus, expectDjcError, jobWithTasks } from './contract-harness.js';

const CLAIM = { owner: 'worker-1', leaseMs: 30_000, maxAttempts: 1 };
const OK: TaskOutcome = { status: 'SUCCEEDED', outputKey: 'out/0', outputKind: 'raw', records: 1 };
const WHY = 'attempt given back: worker stopping';

export function describeReleaseCases(store: () => StateStore): void {
  describe('releaseTask', () => {
    it('RUNNING → PENDING: lease cleared, reason recorded, attempt refunded; counters move in the same step', async () => {
      const jobId = await jobWithTasks(store(), 2);
      const t = await store().claimTask(jobId, 0, CLAIM);
      const r = await store().releaseTask(jobId, 0, { owner: 'worker-1', attempt: t.attempts }, WHY);
      expect(r).toMatchObject({
        status: 'PENDING', attempts: 1, attemptFloor: 1, leaseOwner: null, leaseExpiresAt: null, notBefore: null,
        error: WHY, exitCode: null, outputKey: null, records: null,
      });
      expect(r.endedAt).not.toBeNull();
      expect(await store().getTask(jobId, 0)).toEqual(r);
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 2, pending: 2, claimed: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 });
    });

    it('the refund keeps the budget: with maxAttempts 1 the task can be claimed again, at once, with a NEW attempt number', async () => {
      const jobId = await jobWithTasks(store(), 1);
      await store().claimTask(jobId, 0, CLAIM);
      await store().releaseTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, WHY);
      const again = await store().claimTask(jobId, 0, { ...CLAIM, owner: 'worker-2' });
      expect(again).toMatchObject({ status: 'RUNNING', attempts: 2, attemptFloor: 1, leaseOwner: 'worker-2', error: null });
      // The given-back attempt is fenced off: its number is never handed out again.
      expectDjcError(await rejectionOf(store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, OK)), 'LEASE_LOST');
      expectDjcError(await rejectionOf(store().releaseTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, WHY)), 'LEASE_LOST');
      const done = await store().completeTask(jobId, 0, { owner: 'worker-2', attempt: 2 }, OK);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, attemptFloor: 1 });
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 0, running: 0, succeeded: 1 });
    });

    it('only refunds: an attempt that failed before still counts', async () => {
      const jobId = await jobWithTasks(store(), 1);
      const budget = { ...CLAIM, maxAttempts: 2 };
      await store().claimTask(jobId, 0, budget);
      await store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, { status: 'RETRY_WAIT', error: 'boom', kind: 'error' });
      await store().claimTask(jobId, 0, budget);
      await store().releaseTask(jobId, 0, { owner: 'worker-1', attempt: 2 }, WHY);
      expect(await store().claimTask(jobId, 0, budget)).toMatchObject({ attempts: 3, attemptFloor: 1 });
      await store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 3 }, { status: 'RETRY_WAIT', error: 'boom', kind: 'error' });
      // Two attempts failed: the budget of 2 is spent, the given-back one aside.
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 0, budget)))).toBe('RETRY_WAIT');
      expect(await store().getTask(jobId, 0)).toMatchObject({ status: 'RETRY_WAIT', attempts: 3, attemptFloor: 1 });
    });

    it('throws LEASE_LOST and changes nothing for another owner, a stale attempt, a finished, reclaimed or cancelled task', async () => {
      const jobId = await jobWithTasks(store(), 4);
      await store().claimTask(jobId, 0, CLAIM);
      expectDjcError(await rejectionOf(store().releaseTask(jobId, 0, { owner: 'worker-2', attempt: 1 }, WHY)), 'LEASE_LOST');
      expectDjcError(await rejectionOf(store().releaseTask(jobId, 0, { owner: 'worker-1', attempt: 2 }, WHY)), 'LEASE_LOST');
      expect(await store().getTask(jobId, 0)).toMatchObject({ status: 'RUNNING', attemptFloor: 0, leaseOwner: 'worker-1' });

      await store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, OK);
      expectDjcError(await rejectionOf(store().releaseTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, WHY)), 'LEASE_LOST');

      await store().claimTask(jobId, 1, { ...CLAIM, owner: 'dead' });
      await store().reclaimTasks(jobId, { owner: 'dead', reason: 'worker dead', maxAttempts: 3, notBefore: 0 });
      expectDjcError(await rejectionOf(store().releaseTask(jobId, 1, { owner: 'dead', attempt: 1 }, WHY)), 'LEASE_LOST');

      await store().claimTask(jobId, 2, CLAIM);
      await store().cancelTasks(jobId);
      expectDjcError(await rejectionOf(store().releaseTask(jobId, 2, { owner: 'worker-1', attempt: 1 }, WHY)), 'LEASE_LOST');
      expectDjcError(await rejectionOf(store().releaseTask(jobId, 9, { owner: 'worker-1', attempt: 1 }, WHY)), 'LEASE_LOST');

      expect((await store().getTask(jobId, 1))?.attemptFloor).toBe(0);
      expect((await store().getTask(jobId, 2))).toMatchObject({ status: 'CANCELLED', attemptFloor: 0 });
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 4, pending: 0, claimed: 0, running: 0, retrying: 0, succeeded: 1, failed: 0, cancelled: 3 });
    });

    it('of a release racing a reclaim of the same attempt exactly one wins; counters stay exact', async () => {
      const jobId = await jobWithTasks(store(), 1);
      await store().claimTask(jobId, 0, CLAIM);
      const [released, reclaimed] = await Promise.allSettled([
        store().releaseTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, WHY),
        store().reclaimTasks(jobId, { owner: 'worker-1', reason: 'worker dead', maxAttempts: 3, notBefore: 0 }),
      ]);
      const t = await store().getTask(jobId, 0);
      const counts = (await store().getJob(jobId))?.tasks;
      if (released.status === 'fulfilled') {
        expect(reclaimed).toMatchObject({ status: 'fulfilled', value: [] });
        expect(t).toMatchObject({ status: 'PENDING', attemptFloor: 1 });
        expect(counts).toMatchObject({ pending: 1, running: 0, retrying: 0 });
      } else {
        expectDjcError(released.reason, 'LEASE_LOST');
        expect(t).toMatchObject({ status: 'RETRY_WAIT', attemptFloor: 0 });
        expect(counts).toMatchObject({ pending: 0, running: 0, retrying: 1 });
      }
    });
  });
}
