/** StateStore contract, part 3: reclaimTasks, cancelTasks, resetTasks. */
import { describe, expect, it } from 'vitest';
import type { StateStore, TaskOutcome } from '../ports/state-store.js';
import { rejectionOf } from './fixtures.js';
import { conflictStatus, expectDjcError, jobWithTasks } from './contract-harness.js';

const OK: TaskOutcome = { status: 'SUCCEEDED', outputKey: 'out', outputKind: 'raw', records: 1 };
const FAIL: TaskOutcome = { status: 'FAILED', error: 'boom', kind: 'error' };

export function describeBulkTaskCases(store: () => StateStore): void {
  describeReclaim(store);
  describeCancelAndReset(store);
}

function describeReclaim(store: () => StateStore): void {
  describe('reclaimTasks', () => {
    it('by expiry: only leases expired before the cut-off go to RETRY_WAIT', async () => {
      const jobId = await jobWithTasks(store(), 3);
      const t0 = 1_000_000;
      await store().claimTask(jobId, 0, { owner: 'w1', leaseMs: 1_000, maxAttempts: 3, now: t0 });
      await store().claimTask(jobId, 1, { owner: 'w2', leaseMs: 60_000, maxAttempts: 3, now: t0 });
      expect(await store().reclaimTasks(jobId, { expiredBefore: t0 + 500, reason: 'lease expired', maxAttempts: 3, notBefore: 0 })).toEqual([]);
      const nb = Date.now() + 5_000;
      const got = await store().reclaimTasks(jobId, { expiredBefore: t0 + 2_000, reason: 'lease expired', maxAttempts: 3, notBefore: nb });
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ taskId: 0, status: 'RETRY_WAIT', error: 'lease expired', notBefore: nb, leaseOwner: null, attempts: 1 });
      expect(await store().getTask(jobId, 0)).toEqual(got[0]);
      expect((await store().getTask(jobId, 1))?.status).toBe('RUNNING');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ total: 3, pending: 1, running: 1, retrying: 1 });
      expectDjcError(await rejectionOf(store().completeTask(jobId, 0, { owner: 'w1', attempt: 1 }, OK)), 'LEASE_LOST');
    });

    it('by owner: every RUNNING task of the dead worker; FAILED when the budget is spent', async () => {
      const jobId = await jobWithTasks(store(), 4);
      await store().claimTask(jobId, 0, { owner: 'dead', leaseMs: 60_000, maxAttempts: 1 });
      await store().claimTask(jobId, 1, { owner: 'dead', leaseMs: 60_000, maxAttempts: 1 });
      await store().completeTask(jobId, 1, { owner: 'dead', attempt: 1 }, { status: 'RETRY_WAIT', error: 'x', kind: 'error' });
      await store().claimTask(jobId, 1, { owner: 'dead', leaseMs: 60_000, maxAttempts: 3 });
      await store().claimTask(jobId, 2, { owner: 'alive', leaseMs: 60_000, maxAttempts: 1 });
      const got = await store().reclaimTasks(jobId, { owner: 'dead', reason: 'worker dead', maxAttempts: 2, notBefore: 0 });
      const byId = new Map(got.map((t) => [t.taskId, t]));
      expect([...byId.keys()].sort()).toEqual([0, 1]);
      expect(byId.get(0)).toMatchObject({ status: 'RETRY_WAIT', attempts: 1, error: 'worker dead' });
      expect(byId.get(1)).toMatchObject({ status: 'FAILED', attempts: 2, error: 'worker dead' });
      expect(byId.get(1)?.endedAt).not.toBeNull();
      expect((await store().getTask(jobId, 2))?.status).toBe('RUNNING');
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 4, pending: 1, claimed: 0, running: 1, retrying: 1, succeeded: 0, failed: 1, cancelled: 0 });
    });
  });
}

function describeCancelAndReset(store: () => StateStore): void {
  describe('cancelTasks and resetTasks', () => {
    it('cancelTasks ends every non-terminal task and nothing else; counters exact', async () => {
      const jobId = await jobWithTasks(store(), 5);
      await store().claimTask(jobId, 0, { owner: 'w', leaseMs: 60_000, maxAttempts: 3 });
      await store().completeTask(jobId, 0, { owner: 'w', attempt: 1 }, OK);
      await store().claimTask(jobId, 1, { owner: 'w', leaseMs: 60_000, maxAttempts: 3 });
      await store().claimTask(jobId, 2, { owner: 'w', leaseMs: 60_000, maxAttempts: 3 });
      await store().completeTask(jobId, 2, { owner: 'w', attempt: 1 }, { status: 'RETRY_WAIT', error: 'x', kind: 'error' });
      await store().claimTask(jobId, 3, { owner: 'w', leaseMs: 60_000, maxAttempts: 3 });
      await store().completeTask(jobId, 3, { owner: 'w', attempt: 1 }, FAIL);
      expect(await store().cancelTasks(jobId)).toBe(3);
      const statuses = (await store().listTasks(jobId)).map((t) => t.status);
      expect(statuses).toEqual(['SUCCEEDED', 'CANCELLED', 'CANCELLED', 'FAILED', 'CANCELLED']);
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 5, pending: 0, claimed: 0, running: 0, retrying: 0, succeeded: 1, failed: 1, cancelled: 3 });
      expect(await store().cancelTasks(jobId)).toBe(0);
    });

    it('after cancel: claims are refused, heartbeats are false, completes lose the lease', async () => {
      const jobId = await jobWithTasks(store(), 2);
      await store().claimTask(jobId, 0, { owner: 'w', leaseMs: 60_000, maxAttempts: 3 });
      await store().cancelTasks(jobId);
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 1, { owner: 'w', leaseMs: 60_000, maxAttempts: 3 })))).toBe('CANCELLED');
      expect(await store().heartbeat(jobId, 0, { owner: 'w', attempt: 1 }, 60_000)).toBe(false);
      expectDjcError(await rejectionOf(store().completeTask(jobId, 0, { owner: 'w', attempt: 1 }, OK)), 'LEASE_LOST');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ cancelled: 2, succeeded: 0, running: 0 });
    });

    it('resetTasks puts FAILED and CANCELLED tasks back to PENDING with a fresh retry budget', async () => {
      const jobId = await jobWithTasks(store(), 3);
      await store().claimTask(jobId, 0, { owner: 'w', leaseMs: 60_000, maxAttempts: 1 });
      await store().completeTask(jobId, 0, { owner: 'w', attempt: 1 }, FAIL);
      await store().claimTask(jobId, 1, { owner: 'w', leaseMs: 60_000, maxAttempts: 1 });
      await store().completeTask(jobId, 1, { owner: 'w', attempt: 1 }, OK);
      await store().cancelTasks(jobId);
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 0, { owner: 'w', leaseMs: 60_000, maxAttempts: 1 })))).toBe('FAILED');
      const reset = await store().resetTasks(jobId, ['FAILED', 'CANCELLED']);
      expect(reset.map((t) => [t.taskId, t.status, t.attempts, t.attemptFloor])).toEqual([[0, 'PENDING', 1, 1], [2, 'PENDING', 0, 0]]);
      expect(reset[0]).toMatchObject({ error: null, leaseOwner: null, notBefore: null });
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 3, pending: 2, claimed: 0, running: 0, retrying: 0, succeeded: 1, failed: 0, cancelled: 0 });
      const again = await store().claimTask(jobId, 0, { owner: 'w', leaseMs: 60_000, maxAttempts: 1 });
      expect(again).toMatchObject({ attempts: 2, attemptFloor: 1, status: 'RUNNING' });
      await store().completeTask(jobId, 0, { owner: 'w', attempt: 2 }, FAIL);
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 0, { owner: 'w', leaseMs: 60_000, maxAttempts: 1 })))).toBe('FAILED');
    });

    it('resetTasks with taskIds resets only those of them in the statuses asked for; counters exact', async () => {
      const jobId = await jobWithTasks(store(), 6);
      for (const taskId of [0, 1, 2, 3]) {
        await store().claimTask(jobId, taskId, { owner: 'w', leaseMs: 60_000, maxAttempts: 1 });
        await store().completeTask(jobId, taskId, { owner: 'w', attempt: 1 }, taskId === 3 ? OK : FAIL);
      }
      await store().cancelTasks(jobId); // 4 and 5
      // 1 and 4 are reset; 3 succeeded and 9 does not exist: left alone, no error.
      const reset = await store().resetTasks(jobId, ['FAILED', 'CANCELLED'], { taskIds: [4, 1, 3, 9] });
      expect(reset.map((t) => [t.taskId, t.status, t.attemptFloor])).toEqual([[1, 'PENDING', 1], [4, 'PENDING', 0]]);
      expect((await store().listTasks(jobId)).map((t) => t.status)).toEqual(['FAILED', 'PENDING', 'FAILED', 'SUCCEEDED', 'PENDING', 'CANCELLED']);
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 6, pending: 2, claimed: 0, running: 0, retrying: 0, succeeded: 1, failed: 2, cancelled: 1 });
      expect(await store().resetTasks(jobId, ['FAILED'], { taskIds: [] })).toEqual([]);
      expect((await store().getJob(jobId))?.tasks.failed).toBe(2);
    });

    it('resetTasks of a status the table does not allow throws ILLEGAL_TRANSITION', async () => {
      const jobId = await jobWithTasks(store(), 1);
      expectDjcError(await rejectionOf(store().resetTasks(jobId, ['SUCCEEDED'])), 'ILLEGAL_TRANSITION');
    });
  });
}
