/** StateStore contract, part 5: claimTasks and completeTasks (several claims or completions of one job in one atomic write). */
import { describe, expect, it } from 'vitest';
import { ConflictError, DjcError } from '../errors.js';
import type { TaskRecord } from '../model/job.js';
import { MAX_INLINE_OUTPUT_BYTES, MAX_TASK_BATCH, type ClaimResult, type CompleteResult, type StateStore, type TaskOutcome } from '../ports/state-store.js';
import { rejectionOf } from './fixtures.js';
import { conflictStatus, expectDjcError, jobWithTasks } from './contract-harness.js';

const CLAIM = { owner: 'worker-1', leaseMs: 30_000, maxAttempts: 2 };

function claimed(r: ClaimResult | undefined): TaskRecord {
  if (!r || r instanceof ConflictError) throw new Error(`expected a claimed task, got ${String(r)}`);
  return r;
}

export function describeBatchCases(store: () => StateStore): void {
  describeClaimTasks(store);
  describeCompleteTasks(store);
}

function describeClaimTasks(store: () => StateStore): void {
  describe('claimTasks', () => {
    it('claims several tasks at once, in the order asked; each holds a lease; counters move exactly', async () => {
      const jobId = await jobWithTasks(store(), 5);
      const now = Date.now();
      const results = await store().claimTasks(jobId, [3, 0, 4], { ...CLAIM, now });
      expect(results.map((r) => claimed(r).taskId)).toEqual([3, 0, 4]);
      for (const r of results) {
        expect(r).toMatchObject({ status: 'RUNNING', attempts: 1, leaseOwner: 'worker-1', leaseExpiresAt: now + 30_000, worker: 'worker-1' });
        expect(await store().getTask(jobId, claimed(r).taskId)).toEqual(r);
      }
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ total: 5, pending: 2, running: 3 });
      const done = await store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, { status: 'SUCCEEDED', inlineOutput: new Uint8Array([1]), outputKind: 'raw', records: 1 });
      expect(done.status).toBe('SUCCEEDED');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 2, running: 2, succeeded: 1 });
    });

    it('refuses each task claimTask would refuse, and claims the others', async () => {
      const jobId = await jobWithTasks(store(), 5);
      await store().claimTask(jobId, 0, { ...CLAIM, owner: 'worker-2' }); // RUNNING elsewhere
      const t1 = await store().claimTask(jobId, 1, CLAIM);
      await store().completeTask(jobId, 1, { owner: 'worker-1', attempt: t1.attempts }, { status: 'RETRY_WAIT', error: 'e', kind: 'error', notBefore: Date.now() + 60_000 });
      for (let attempt = 1; attempt <= 2; attempt++) {
        await store().claimTask(jobId, 2, CLAIM);
        await store().completeTask(jobId, 2, { owner: 'worker-1', attempt }, { status: 'RETRY_WAIT', error: 'e', kind: 'error' });
      }
      const before = (await store().getJob(jobId))?.tasks;
      const results = await store().claimTasks(jobId, [0, 1, 2, 3, 99, 4], CLAIM);
      expect(conflictStatus(results[0])).toBe('RUNNING');
      expect(conflictStatus(results[1])).toBe('RETRY_WAIT'); // not due yet
      expect(conflictStatus(results[2])).toBe('RETRY_WAIT'); // retry budget spent
      expect(claimed(results[3]).taskId).toBe(3);
      expect(conflictStatus(results[4])).toBeNull(); // no such task
      expect(claimed(results[5]).taskId).toBe(4);
      expect((await store().getTask(jobId, 0))?.leaseOwner).toBe('worker-2');
      expect((await store().getJob(jobId))?.tasks).toEqual({ ...before, pending: (before?.pending ?? 0) - 2, running: (before?.running ?? 0) + 2 });
    });

    it('a task listed twice is claimed once and refused as RUNNING the second time', async () => {
      const jobId = await jobWithTasks(store(), 2);
      const results = await store().claimTasks(jobId, [1, 1, 0], CLAIM);
      expect(claimed(results[0])).toMatchObject({ taskId: 1, attempts: 1 });
      expect(conflictStatus(results[1])).toBe('RUNNING');
      expect(claimed(results[2]).taskId).toBe(0);
      expect((await store().getTask(jobId, 1))?.attempts).toBe(1);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 0, running: 2 });
    });

    it('refuses every task of a job being cancelled; nothing moves', async () => {
      const jobId = await jobWithTasks(store(), 3);
      await store().updateJob(jobId, { cancelRequested: true });
      const results = await store().claimTasks(jobId, [0, 1, 2], CLAIM);
      expect(results.map(conflictStatus)).toEqual(['PENDING', 'PENDING', 'PENDING']);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 3, running: 0 });
      expect((await store().getTask(jobId, 0))?.attempts).toBe(0);
    });

    it('duplicate deliveries: claims racing on the same tasks claim each task exactly once', async () => {
      const jobId = await jobWithTasks(store(), 6);
      const owners = ['w-a', 'w-b', 'w-c'];
      const all = await Promise.all(owners.map((owner, i) => store().claimTasks(jobId, [0, 1, 2, 3, 4, 5].map((n) => (n + i) % 6), { ...CLAIM, owner })));
      const winners = all.flat().filter((r): r is TaskRecord => !(r instanceof ConflictError));
      expect(winners.map((t) => t.taskId).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      for (const t of winners) expect((await store().getTask(jobId, t.taskId))?.leaseOwner).toBe(t.leaseOwner);
      for (const r of all.flat()) if (r instanceof ConflictError) expect(conflictStatus(r)).toBe('RUNNING');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 0, running: 6 });
    });

    it(`takes at most MAX_TASK_BATCH (${MAX_TASK_BATCH}) tasks`, async () => {
      const jobId = await jobWithTasks(store(), 1);
      const ids = Array.from({ length: MAX_TASK_BATCH + 1 }, (_, i) => i);
      expectDjcError(await rejectionOf(store().claimTasks(jobId, ids, CLAIM)), 'INTERNAL');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 1, running: 0 });
    });
  });
}

const OK = (records: number): TaskOutcome => ({ status: 'SUCCEEDED', inlineOutput: new TextEncoder().encode(`${records}\n`), outputKind: 'raw', records });

function written(r: CompleteResult | undefined): TaskRecord {
  if (!r || r instanceof DjcError) throw new Error(`expected a written task, got ${String(r)}`);
  return r;
}

function describeCompleteTasks(store: () => StateStore): void {
  describe('completeTasks', () => {
    it('ends several attempts at once, each as completeTask would; counters and records move exactly', async () => {
      const jobId = await jobWithTasks(store(), 5);
      const claims = (await store().claimTasks(jobId, [0, 1, 2, 3], CLAIM)).map(claimed);
      const lease = (t: TaskRecord) => ({ owner: 'worker-1', attempt: t.attempts });
      const [t0, t1, t2, t3] = claims as [TaskRecord, TaskRecord, TaskRecord, TaskRecord];
      const nb = Date.now() + 60_000;
      const results = await store().completeTasks(jobId, [
        { taskId: 2, lease: lease(t2), outcome: OK(5) },
        { taskId: 0, lease: lease(t0), outcome: OK(7) },
        { taskId: 1, lease: lease(t1), outcome: { status: 'RETRY_WAIT', error: 'exit code 3', kind: 'exit_code', exitCode: 3, notBefore: nb } },
        { taskId: 3, lease: lease(t3), outcome: { status: 'FAILED', error: 'bad', kind: 'error' } },
      ]);
      expect(results.map((r) => [written(r).taskId, written(r).status])).toEqual([[2, 'SUCCEEDED'], [0, 'SUCCEEDED'], [1, 'RETRY_WAIT'], [3, 'FAILED']]);
      expect(written(results[0])).toMatchObject({ records: 5, outputKey: null, leaseOwner: null, leaseExpiresAt: null });
      expect(Buffer.from(written(results[0]).inlineOutput ?? []).toString()).toBe('5\n');
      expect(written(results[2])).toMatchObject({ notBefore: nb, error: 'exit code 3', exitCode: 3 });
      for (const r of results) expect(await store().getTask(jobId, written(r).taskId)).toEqual(r);
      const j = await store().getJob(jobId);
      expect(j?.tasks).toEqual({ total: 5, pending: 1, claimed: 0, running: 0, retrying: 1, succeeded: 2, failed: 1, cancelled: 0 });
      expect(j?.records.processed).toBe(12);
    });

    it('a lease that no longer holds is LEASE_LOST for that task alone; the others are written', async () => {
      const jobId = await jobWithTasks(store(), 3);
      await store().claimTasks(jobId, [0, 1, 2], CLAIM);
      await store().reclaimTasks(jobId, { owner: 'worker-1', reason: 'lost', maxAttempts: 3, notBefore: 0 });
      const again = claimed((await store().claimTasks(jobId, [1], { ...CLAIM, owner: 'worker-2' }))[0]);
      await store().claimTasks(jobId, [0, 2], CLAIM);
      const results = await store().completeTasks(jobId, [
        { taskId: 0, lease: { owner: 'worker-1', attempt: 2 }, outcome: OK(1) },
        { taskId: 1, lease: { owner: 'worker-1', attempt: 1 }, outcome: OK(1) }, // reclaimed, now worker-2's
        { taskId: 2, lease: { owner: 'worker-1', attempt: 1 }, outcome: OK(1) }, // an older attempt
      ]);
      expect(written(results[0]).status).toBe('SUCCEEDED');
      expectDjcError(results[1], 'LEASE_LOST');
      expectDjcError(results[2], 'LEASE_LOST');
      expect(await store().getTask(jobId, 1)).toMatchObject({ status: 'RUNNING', leaseOwner: 'worker-2', attempts: again.attempts });
      expect(await store().getTask(jobId, 2)).toMatchObject({ status: 'RUNNING', attempts: 2 });
      const j = await store().getJob(jobId);
      expect(j?.tasks).toMatchObject({ running: 2, succeeded: 1 });
      expect(j?.records.processed).toBe(1);
    });

    it('a task listed twice is written once and LEASE_LOST the second time; an oversized inline output is refused alone', async () => {
      const jobId = await jobWithTasks(store(), 2);
      const [a, b] = (await store().claimTasks(jobId, [0, 1], CLAIM)).map(claimed) as [TaskRecord, TaskRecord];
      const big: TaskOutcome = { status: 'SUCCEEDED', inlineOutput: new Uint8Array(MAX_INLINE_OUTPUT_BYTES + 1), outputKind: 'raw', records: 1 };
      const results = await store().completeTasks(jobId, [
        { taskId: 0, lease: { owner: 'worker-1', attempt: a.attempts }, outcome: OK(3) },
        { taskId: 0, lease: { owner: 'worker-1', attempt: a.attempts }, outcome: OK(3) },
        { taskId: 1, lease: { owner: 'worker-1', attempt: b.attempts }, outcome: big },
      ]);
      expect(written(results[0]).status).toBe('SUCCEEDED');
      expectDjcError(results[1], 'LEASE_LOST');
      expectDjcError(results[2], 'INTERNAL');
      expect(await store().getTask(jobId, 1)).toMatchObject({ status: 'RUNNING', inlineOutput: null });
      const j = await store().getJob(jobId);
      expect(j?.tasks).toMatchObject({ running: 1, succeeded: 1 });
      expect(j?.records.processed).toBe(3);
    });

    it(`takes at most MAX_TASK_BATCH (${MAX_TASK_BATCH}) completions`, async () => {
      const jobId = await jobWithTasks(store(), 1);
      const t = await store().claimTask(jobId, 0, CLAIM);
      const many = Array.from({ length: MAX_TASK_BATCH + 1 }, () => ({ taskId: 0, lease: { owner: 'worker-1', attempt: t.attempts }, outcome: OK(1) }));
      expectDjcError(await rejectionOf(store().completeTasks(jobId, many)), 'INTERNAL');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ running: 1, succeeded: 0 });
    });
  });
}
