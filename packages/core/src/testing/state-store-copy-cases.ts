/** StateStore contract: speculative copies (requestCopy, claimCopy, and both leases through heartbeat/complete/release). */
import { describe, expect, it } from 'vitest';
import type { StateStore, TaskOutcome } from '../ports/state-store.js';
import { rejectionOf } from './fixtures.js';
import { expectDjcError, jobWithTasks } from './contract-harness.js';

const CLAIM = { owner: 'slow', leaseMs: 30_000, maxAttempts: 1 };
const COPY = { owner: 'fast', leaseMs: 30_000, maxAttempts: 1 };
const ok = (key: string): TaskOutcome => ({ status: 'SUCCEEDED', outputKey: key, outputKind: 'raw', records: 1 });
const FAIL: TaskOutcome = { status: 'RETRY_WAIT', error: 'boom', kind: 'error' };
const slow = { owner: 'slow', attempt: 1 };
const fast = { owner: 'fast', attempt: 2 };

/** A job whose task 0 runs attempt 1 (worker "slow") with a copy (attempt 2, worker "fast") beside it. */
async function copied(store: StateStore): Promise<string> {
  const jobId = await jobWithTasks(store, 2);
  await store.claimTask(jobId, 0, CLAIM);
  expect(await store.requestCopy(jobId, 0, 1)).toBe(true);
  const copy = await store.claimCopy(jobId, 0, 1, COPY);
  expect(copy).toMatchObject({ status: 'RUNNING', attempts: 2, attemptFloor: 1, leaseOwner: 'fast', speculation: 'running' });
  return jobId;
}

export function describeCopyCases(store: () => StateStore): void {
  describe('speculative copies', () => {
    it('asks for at most one copy per attempt, only of a RUNNING attempt', async () => {
      const jobId = await jobWithTasks(store(), 2);
      expect(await store().requestCopy(jobId, 0, 1)).toBe(false); // PENDING
      await store().claimTask(jobId, 0, CLAIM);
      expect(await store().requestCopy(jobId, 0, 2)).toBe(false); // not that attempt
      expect(await store().requestCopy(jobId, 0, 1)).toBe(true);
      expect(await store().requestCopy(jobId, 0, 1)).toBe(false);
      expect(await store().getTask(jobId, 0)).toMatchObject({ status: 'RUNNING', speculation: 'requested', attempts: 1 });
      await store().claimCopy(jobId, 0, 1, COPY);
      expect(await store().requestCopy(jobId, 0, 2)).toBe(false); // a copy's attempt is not copied again
      expectDjcError(await rejectionOf(store().claimCopy(jobId, 0, 1, { ...COPY, owner: 'third' })), 'CONFLICT');
      expectDjcError(await rejectionOf(store().claimCopy(jobId, 1, 1, COPY)), 'CONFLICT'); // never asked for
    });

    it('both leases hold; the copy committing first wins, the attempt it copied is fenced off', async () => {
      const jobId = await copied(store());
      expect(await store().heartbeat(jobId, 0, slow, 30_000)).toBe(true);
      expect(await store().heartbeat(jobId, 0, fast, 30_000)).toBe(true);
      expect(await store().heartbeat(jobId, 0, { owner: 'fast', attempt: 1 }, 30_000)).toBe(false);
      const done = await store().completeTask(jobId, 0, fast, ok('out/fast'));
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2, worker: 'fast', outputKey: 'out/fast', speculation: 'won' });
      expect(await store().heartbeat(jobId, 0, slow, 30_000)).toBe(false);
      expectDjcError(await rejectionOf(store().completeTask(jobId, 0, slow, ok('out/slow'))), 'LEASE_LOST');
      expect(await store().getTask(jobId, 0)).toMatchObject({ status: 'SUCCEEDED', outputKey: 'out/fast', worker: 'fast' });
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ running: 0, succeeded: 1, pending: 1 });
      expect((await store().getJob(jobId))?.records.processed).toBe(1);
    });

    it('the attempt committing first wins; the copy is fenced off (completeTasks too)', async () => {
      const jobId = await copied(store());
      const [done] = await store().completeTasks(jobId, [{ taskId: 0, lease: slow, outcome: ok('out/slow') }]);
      expect(done).toMatchObject({ status: 'SUCCEEDED', outputKey: 'out/slow', worker: 'slow', speculation: 'lost' });
      const [late] = await store().completeTasks(jobId, [{ taskId: 0, lease: fast, outcome: ok('out/fast') }]);
      expectDjcError(late, 'LEASE_LOST');
      expect((await store().getJob(jobId))?.records.processed).toBe(1);
    });

    it('a failure of one drops only its lease: the task runs on under the other', async () => {
      const jobId = await copied(store());
      const left = await store().completeTask(jobId, 0, slow, FAIL);
      expect(left).toMatchObject({ status: 'RUNNING', leaseOwner: 'fast', attempts: 2 });
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ running: 1, retrying: 0 });
      expect(await store().heartbeat(jobId, 0, slow, 30_000)).toBe(false);
      expect(await store().heartbeat(jobId, 0, fast, 30_000)).toBe(true);
      expect(await store().completeTask(jobId, 0, fast, ok('out/fast'))).toMatchObject({ status: 'SUCCEEDED', speculation: 'won', worker: 'fast' });

      const other = await copied(store());
      expect(await store().releaseTask(other, 0, fast, 'stopping')).toMatchObject({ status: 'RUNNING', leaseOwner: 'slow', speculation: 'lost' });
      expect(await store().heartbeat(other, 0, fast, 30_000)).toBe(false);
      expect(await store().completeTask(other, 0, slow, FAIL)).toMatchObject({ status: 'RETRY_WAIT', speculation: 'lost' });
    });

    it('a new claim clears what a copy left', async () => {
      const jobId = await copied(store());
      await store().completeTask(jobId, 0, slow, FAIL);
      await store().completeTask(jobId, 0, fast, FAIL);
      const again = await store().claimTask(jobId, 0, { ...CLAIM, maxAttempts: 3 });
      expect(again.attempts).toBe(3);
      expect(again.speculation).toBeUndefined();
      expect(again.copy).toBeUndefined();
      expect(await store().requestCopy(jobId, 0, 3)).toBe(true);
    });
  });
}
