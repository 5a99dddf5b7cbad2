/** StateStore contract, part 2: putTasks, reads, claim, heartbeat, complete. */
import { describe, expect, it } from 'vitest';
import { MAX_INLINE_OUTPUT_BYTES, type StateStore, type TaskOutcome } from '../ports/state-store.js';
import { testBatches, testJob, rejectionOf } from './fixtures.js';
import { conflictStatus, expectConflict, expectDjcError, jobWithTasks } from './contract-harness.js';

const CLAIM = { owner: 'worker-1', leaseMs: 30_000, maxAttempts: 3 };
const OK: TaskOutcome = { status: 'SUCCEEDED', outputKey: 'out/0', outputKind: 'json-lines', records: 7 };
const RETRY = (notBefore?: number): TaskOutcome => ({ status: 'RETRY_WAIT', error: 'exit code 3', kind: 'exit_code', exitCode: 3, notBefore });

export function describeTaskCases(store: () => StateStore): void {
  describePutAndRead(store);
  describeClaim(store);
  describeComplete(store);
}

function describePutAndRead(store: () => StateStore): void {
  describe('putTasks and reads', () => {
    it('inserts PENDING tasks idempotently; counters count only the tasks inserted', async () => {
      const job = testJob();
      await store().createJob(job);
      expect(await store().putTasks(job.jobId, testBatches(5))).toBe(5);
      expect(await store().putTasks(job.jobId, testBatches(5, 3))).toBe(3);
      expect(await store().putTasks(job.jobId, testBatches(8))).toBe(0);
      const j = await store().getJob(job.jobId);
      expect(j?.tasks).toEqual({ total: 8, pending: 8, claimed: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 });
    });

    it('getTask returns the batch as stored; a missing task is null', async () => {
      const jobId = await jobWithTasks(store(), 2);
      const t = await store().getTask(jobId, 1);
      expect(t).toMatchObject({ jobId, taskId: 1, status: 'PENDING', attempts: 0, attemptFloor: 0, leaseOwner: null, worker: null });
      expect(t?.batch).toEqual(testBatches(2, 0, 1)[1]);
      expect(await store().getTask(jobId, 99)).toBeNull();
    });

    it('listTasks pages in task id order with after, limit and a status filter', async () => {
      const job = testJob();
      await store().createJob(job);
      await store().putTasks(job.jobId, testBatches(5, 5));
      await store().putTasks(job.jobId, testBatches(5, 0));
      expect((await store().listTasks(job.jobId)).map((t) => t.taskId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect((await store().listTasks(job.jobId, { after: 3, limit: 4 })).map((t) => t.taskId)).toEqual([4, 5, 6, 7]);
      await store().claimTask(job.jobId, 6, CLAIM);
      await store().claimTask(job.jobId, 2, CLAIM);
      expect((await store().listTasks(job.jobId, { status: 'RUNNING' })).map((t) => t.taskId)).toEqual([2, 6]);
      expect((await store().listTasks(job.jobId, { status: 'PENDING', after: 2, limit: 2 })).map((t) => t.taskId)).toEqual([3, 4]);
    });
  });
}

function describeClaim(store: () => StateStore): void {
  describe('claimTask', () => {
    it('PENDING → RUNNING with attempt 1 and a lease; counters move', async () => {
      const jobId = await jobWithTasks(store(), 3);
      const now = Date.now();
      const t = await store().claimTask(jobId, 0, { ...CLAIM, now });
      expect(t).toMatchObject({ status: 'RUNNING', attempts: 1, leaseOwner: 'worker-1', leaseExpiresAt: now + 30_000, worker: 'worker-1', endedAt: null, error: null });
      expect(t.startedAt).not.toBeNull();
      expect(await store().getTask(jobId, 0)).toEqual(t);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ total: 3, pending: 2, running: 1 });
    });

    it('a second claim of a RUNNING task throws ConflictError with status RUNNING', async () => {
      const jobId = await jobWithTasks(store(), 1);
      await store().claimTask(jobId, 0, CLAIM);
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 0, { ...CLAIM, owner: 'worker-2' })))).toBe('RUNNING');
      expect((await store().getTask(jobId, 0))?.leaseOwner).toBe('worker-1');
    });

    it('duplicate delivery: of two concurrent claims exactly one wins', async () => {
      const jobId = await jobWithTasks(store(), 1);
      const results = await Promise.allSettled(['w-a', 'w-b', 'w-c'].map((owner) => store().claimTask(jobId, 0, { ...CLAIM, owner })));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expectConflict(r.reason);
      const t = await store().getTask(jobId, 0);
      expect(t?.attempts).toBe(1);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 0, running: 1 });
    });

    it('a claim of a missing task throws ConflictError', async () => {
      const jobId = await jobWithTasks(store(), 1);
      expectConflict(await rejectionOf(store().claimTask(jobId, 7, CLAIM)));
    });

    it('respects notBefore of a RETRY_WAIT task', async () => {
      const jobId = await jobWithTasks(store(), 1);
      const t1 = await store().claimTask(jobId, 0, CLAIM);
      const notBefore = Date.now() + 60_000;
      await store().completeTask(jobId, 0, { owner: 'worker-1', attempt: t1.attempts }, RETRY(notBefore));
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 0, { ...CLAIM, now: notBefore - 1 })))).toBe('RETRY_WAIT');
      const t2 = await store().claimTask(jobId, 0, { ...CLAIM, owner: 'worker-2', now: notBefore });
      expect(t2).toMatchObject({ status: 'RUNNING', attempts: 2, leaseOwner: 'worker-2', error: null, exitCode: null });
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ retrying: 0, running: 1 });
    });

    it('refuses a claim once the retry budget is spent', async () => {
      const jobId = await jobWithTasks(store(), 1);
      for (let attempt = 1; attempt <= 2; attempt++) {
        const t = await store().claimTask(jobId, 0, { ...CLAIM, maxAttempts: 2 });
        expect(t.attempts).toBe(attempt);
        await store().completeTask(jobId, 0, { owner: 'worker-1', attempt }, RETRY());
      }
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 0, { ...CLAIM, maxAttempts: 2 })))).toBe('RETRY_WAIT');
      expect((await store().getTask(jobId, 0))?.attempts).toBe(2);
      expect((await store().claimTask(jobId, 0, { ...CLAIM, maxAttempts: 3 })).attempts).toBe(3);
    });

    it('refuses a claim when the job is being cancelled or has finished', async () => {
      const jobId = await jobWithTasks(store(), 2);
      await store().updateJob(jobId, { cancelRequested: true });
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 0, CLAIM)))).toBe('PENDING');
      await store().updateJob(jobId, { cancelRequested: false });
      await store().transitionJob(jobId, ['SUBMITTED'], 'FAILED');
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 1, CLAIM)))).toBe('PENDING');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 2, running: 0 });
    });
  });
}

function describeComplete(store: () => StateStore): void {
  describe('heartbeat and completeTask', () => {
    it('heartbeat extends the lease while it holds, and is false otherwise', async () => {
      const jobId = await jobWithTasks(store(), 1);
      const t = await store().claimTask(jobId, 0, { ...CLAIM, leaseMs: 1_000, now: Date.now() - 5_000 });
      const lease = { owner: 'worker-1', attempt: t.attempts };
      expect(await store().heartbeat(jobId, 0, lease, 60_000)).toBe(true);
      expect((await store().getTask(jobId, 0))?.leaseExpiresAt).toBeGreaterThan(Date.now() + 50_000);
      expect(await store().heartbeat(jobId, 0, { owner: 'worker-2', attempt: 1 }, 60_000)).toBe(false);
      expect(await store().heartbeat(jobId, 0, { owner: 'worker-1', attempt: 2 }, 60_000)).toBe(false);
      expect(await store().heartbeat(jobId, 9, lease, 60_000)).toBe(false);
      await store().completeTask(jobId, 0, lease, OK);
      expect(await store().heartbeat(jobId, 0, lease, 60_000)).toBe(false);
    });

    it('heartbeat is false once the job is being cancelled', async () => {
      const jobId = await jobWithTasks(store(), 1);
      const t = await store().claimTask(jobId, 0, CLAIM);
      await store().updateJob(jobId, { cancelRequested: true });
      expect(await store().heartbeat(jobId, 0, { owner: 'worker-1', attempt: t.attempts }, 60_000)).toBe(false);
    });

    it('SUCCEEDED stores the output and the committed record count, ends the lease, adds records; counters exact', async () => {
      const jobId = await jobWithTasks(store(), 3);
      expect((await store().getTask(jobId, 1))?.records).toBeNull();
      const t = await store().claimTask(jobId, 1, CLAIM);
      const done = await store().completeTask(jobId, 1, { owner: 'worker-1', attempt: t.attempts }, OK);
      expect(done).toMatchObject({ status: 'SUCCEEDED', outputKey: 'out/0', inlineOutput: null, outputKind: 'json-lines', records: 7, leaseOwner: null, leaseExpiresAt: null, worker: 'worker-1', attempts: 1 });
      expect(done.endedAt).not.toBeNull();
      expect(await store().getTask(jobId, 1)).toEqual(done);
      const j = await store().getJob(jobId);
      expect(j?.tasks).toEqual({ total: 3, pending: 2, claimed: 0, running: 0, retrying: 0, succeeded: 1, failed: 0, cancelled: 0 });
      expect(j?.records.processed).toBe(7);
    });

    it('SUCCEEDED with an inline output keeps the bytes in the task (no output key); reads return them', async () => {
      const jobId = await jobWithTasks(store(), 3);
      const bytes = new TextEncoder().encode('{"a":1}\n'.repeat(MAX_INLINE_OUTPUT_BYTES / 8));
      expect(bytes.byteLength).toBe(MAX_INLINE_OUTPUT_BYTES);
      const inline = async (taskId: number, data: Uint8Array) => {
        const t = await store().claimTask(jobId, taskId, CLAIM);
        return store().completeTask(jobId, taskId, { owner: 'worker-1', attempt: t.attempts }, { status: 'SUCCEEDED', inlineOutput: data, outputKind: 'json-lines', records: 3 });
      };
      const done = await inline(0, bytes);
      expect(done).toMatchObject({ status: 'SUCCEEDED', outputKey: null, outputKind: 'json-lines', records: 3 });
      expect(Buffer.from(done.inlineOutput ?? [])).toEqual(Buffer.from(bytes));
      expect(Buffer.from((await store().getTask(jobId, 0))?.inlineOutput ?? [])).toEqual(Buffer.from(bytes));
      // An empty output (a handler that returned []) is an empty inline output, not a missing one.
      expect((await inline(1, new Uint8Array(0))).inlineOutput?.byteLength).toBe(0);
      const listed = await store().listTasks(jobId, { status: 'SUCCEEDED' });
      expect(listed.map((t) => [t.taskId, t.outputKey, t.inlineOutput?.byteLength])).toEqual([[0, null, MAX_INLINE_OUTPUT_BYTES], [1, null, 0]]);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ succeeded: 2, running: 0, pending: 1 });
    });

    it('listOutputs gives the outputs of SUCCEEDED tasks only, in task id order, paged by after and limit', async () => {
      const jobId = await jobWithTasks(store(), 5);
      const end = async (taskId: number, outcome: TaskOutcome) => {
        const t = await store().claimTask(jobId, taskId, { ...CLAIM, maxAttempts: 1 });
        await store().completeTask(jobId, taskId, { owner: 'worker-1', attempt: t.attempts }, outcome);
      };
      await end(3, { status: 'SUCCEEDED', inlineOutput: new TextEncoder().encode('x\n'), outputKind: 'raw', records: 1 });
      await end(0, OK);
      await end(1, { ...RETRY(), status: 'FAILED' });
      await end(4, { status: 'SUCCEEDED', outputKey: 'out/4', outputKind: 'json', records: 1 });
      const all = await store().listOutputs(jobId);
      expect(all.map((o) => [o.taskId, o.outputKey, o.outputKind, o.inlineOutput === null ? null : Buffer.from(o.inlineOutput).toString()]))
        .toEqual([[0, 'out/0', 'json-lines', null], [3, null, 'raw', 'x\n'], [4, 'out/4', 'json', null]]);
      expect((await store().listOutputs(jobId, { after: 0, limit: 1 })).map((o) => o.taskId)).toEqual([3]);
      expect((await store().listOutputs(jobId, { after: 3 })).map((o) => o.taskId)).toEqual([4]);
      expect(await store().listOutputs(jobId, { after: 4 })).toEqual([]);
    });

    it('refuses an inline output over MAX_INLINE_OUTPUT_BYTES, before anything changes', async () => {
      const jobId = await jobWithTasks(store(), 1);
      const t = await store().claimTask(jobId, 0, CLAIM);
      const lease = { owner: 'worker-1', attempt: t.attempts };
      const big: TaskOutcome = { status: 'SUCCEEDED', inlineOutput: new Uint8Array(MAX_INLINE_OUTPUT_BYTES + 1), outputKind: 'raw', records: 1 };
      expectDjcError(await rejectionOf(store().completeTask(jobId, 0, lease, big)), 'INTERNAL');
      expect(await store().getTask(jobId, 0)).toMatchObject({ status: 'RUNNING', inlineOutput: null, outputKey: null });
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ running: 1, succeeded: 0 });
      expect((await store().completeTask(jobId, 0, lease, OK)).outputKey).toBe('out/0');
    });

    it('RETRY_WAIT and FAILED store error and exit code; counters exact', async () => {
      const jobId = await jobWithTasks(store(), 3);
      const nb = Date.now() + 10_000;
      await store().claimTask(jobId, 0, CLAIM);
      const r = await store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, RETRY(nb));
      expect(r).toMatchObject({ status: 'RETRY_WAIT', error: 'exit code 3', exitCode: 3, notBefore: nb, leaseOwner: null, leaseExpiresAt: null });
      await store().claimTask(jobId, 1, CLAIM);
      const f = await store().completeTask(jobId, 1, { owner: 'worker-1', attempt: 1 }, { status: 'FAILED', error: 'handler threw: bad', kind: 'error' });
      expect(f).toMatchObject({ status: 'FAILED', error: 'handler threw: bad', exitCode: null, leaseOwner: null, records: null });
      expect(f.endedAt).not.toBeNull();
      const j = await store().getJob(jobId);
      expect(j?.tasks).toEqual({ total: 3, pending: 1, claimed: 0, running: 0, retrying: 1, succeeded: 0, failed: 1, cancelled: 0 });
      expect(j?.records.processed).toBe(0);
    });

    it('stores the usage an attempt reports, through completeTasks too; the next claim clears it', async () => {
      const jobId = await jobWithTasks(store(), 2);
      const usage = { cpuMs: 1234.5, peakMemoryBytes: 56_789_012, scope: 'process-group' as const };
      await store().claimTask(jobId, 0, CLAIM);
      const r = await store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, { ...RETRY(Date.now() - 1), usage });
      expect(r.usage).toEqual(usage);
      expect((await store().getTask(jobId, 0))?.usage).toEqual(usage);
      const again = await store().claimTask(jobId, 0, CLAIM);
      expect(again.usage).toBeUndefined();
      expect((await store().getTask(jobId, 0))?.usage).toBeUndefined();
      await store().claimTask(jobId, 1, CLAIM);
      const thread = { cpuMs: 3, peakMemoryBytes: 4096, scope: 'thread' as const };
      const [done] = await store().completeTasks(jobId, [{ taskId: 1, lease: { owner: 'worker-1', attempt: 1 }, outcome: { ...OK, usage: thread } }]);
      expect(done).toMatchObject({ status: 'SUCCEEDED', usage: thread });
      expect((await store().listTasks(jobId)).map((t) => t.usage ?? null)).toEqual([null, thread]);
    });

    it('completeTask with a stale attempt, another owner, or twice throws LEASE_LOST', async () => {
      const jobId = await jobWithTasks(store(), 1);
      await store().claimTask(jobId, 0, CLAIM);
      await store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, RETRY());
      await store().claimTask(jobId, 0, { ...CLAIM, owner: 'worker-2' });
      expectDjcError(await rejectionOf(store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 1 }, OK)), 'LEASE_LOST');
      expectDjcError(await rejectionOf(store().completeTask(jobId, 0, { owner: 'worker-1', attempt: 2 }, OK)), 'LEASE_LOST');
      await store().completeTask(jobId, 0, { owner: 'worker-2', attempt: 2 }, OK);
      expectDjcError(await rejectionOf(store().completeTask(jobId, 0, { owner: 'worker-2', attempt: 2 }, OK)), 'LEASE_LOST');
      const j = await store().getJob(jobId);
      expect(j?.tasks).toMatchObject({ succeeded: 1, running: 0, retrying: 0 });
      expect(j?.records.processed).toBe(7);
    });
  });
}
