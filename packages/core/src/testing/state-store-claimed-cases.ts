/**
 * StateStore contract, part 6: CLAIMED tasks (taken ahead by a worker and
 * held, not started): claimTasks with `start`, their start (a TaskStart in
 * completeTasks), an end written together with the start, heartbeat,
 * release and reclaim (the attempt number handed back: they never ran), and
 * cancel.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../errors.js';
import type { TaskRecord } from '../model/job.js';
import { HELD_REFUND_NOTE, type ClaimResult, type StateStore, type TaskOutcome } from '../ports/state-store.js';
import { rejectionOf } from './fixtures.js';
import { conflictStatus, expectConflict, expectDjcError, jobWithTasks } from './contract-harness.js';

const CLAIM = { owner: 'w1', leaseMs: 30_000, maxAttempts: 2 };
const OK: TaskOutcome = { status: 'SUCCEEDED', inlineOutput: new Uint8Array([120]), outputKind: 'raw', records: 1 };
const lease = (attempt = 1, owner = 'w1') => ({ owner, attempt });
const iso = (ms: number) => new Date(ms).toISOString();

function claimed(r: ClaimResult | undefined): TaskRecord {
  if (!r || r instanceof ConflictError) throw new Error(`expected a claimed task, got ${String(r)}`);
  return r;
}

/** A job of `n` tasks whose first is claimed RUNNING and the next `held` CLAIMED by w1 at `now`. */
async function heldJob(store: StateStore, n: number, held: number, now = Date.now()): Promise<string> {
  const jobId = await jobWithTasks(store, n);
  await store.claimTasks(jobId, Array.from({ length: held + 1 }, (_, i) => i), { ...CLAIM, now, start: 1 });
  return jobId;
}

export function describeClaimedCases(store: () => StateStore): void {
  describeClaimAhead(store);
  describeStart(store);
  describeGoingBack(store);
}

function describeClaimAhead(store: () => StateStore): void {
  describe('CLAIMED: claimTasks with start', () => {
    it('claims the first `start` positions RUNNING and the rest CLAIMED, each with a lease and an attempt; counters apart', async () => {
      const jobId = await jobWithTasks(store(), 5);
      const now = Date.now();
      const results = await store().claimTasks(jobId, [2, 0, 4, 1], { ...CLAIM, now, start: 1 });
      const [run, ...held] = results.map(claimed);
      expect(run).toMatchObject({ taskId: 2, status: 'RUNNING', attempts: 1, leaseOwner: 'w1', claimedAt: iso(now), startedAt: iso(now) });
      for (const t of held) {
        expect(t).toMatchObject({ status: 'CLAIMED', attempts: 1, attemptFloor: 0, leaseOwner: 'w1', leaseExpiresAt: now + 30_000, worker: 'w1' });
        expect(t).toMatchObject({ claimedAt: iso(now), startedAt: null, endedAt: null });
        expect(await store().getTask(jobId, t.taskId)).toEqual(t);
      }
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 5, pending: 1, claimed: 3, running: 1, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 });
      expect((await store().listTasks(jobId, { status: 'CLAIMED' })).map((t) => t.taskId)).toEqual([0, 1, 4]);
    });

    it('start counts positions: a refused id still uses its place; without start every task is RUNNING', async () => {
      const jobId = await jobWithTasks(store(), 4);
      await store().claimTask(jobId, 0, { ...CLAIM, owner: 'w2' });
      const r = await store().claimTasks(jobId, [0, 1, 2], { ...CLAIM, start: 1 });
      expect(conflictStatus(r[0])).toBe('RUNNING');
      expect(r.slice(1).map((x) => claimed(x).status)).toEqual(['CLAIMED', 'CLAIMED']);
      expect(claimed((await store().claimTasks(jobId, [3], CLAIM))[0]).status).toBe('RUNNING');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 0, claimed: 2, running: 2 });
    });

    it('a group of PENDING and due RETRY_WAIT tasks: start counts positions across both; counters move from each', async () => {
      const jobId = await jobWithTasks(store(), 4);
      const t1 = await store().claimTask(jobId, 1, CLAIM);
      await store().completeTask(jobId, 1, lease(t1.attempts), { status: 'RETRY_WAIT', error: 'e', kind: 'error' });
      const now = Date.now();
      const r = (await store().claimTasks(jobId, [1, 0, 2, 3], { ...CLAIM, now, start: 2 })).map(claimed);
      expect(r.map((t) => [t.taskId, t.status, t.attempts])).toEqual([[1, 'RUNNING', 2], [0, 'RUNNING', 1], [2, 'CLAIMED', 1], [3, 'CLAIMED', 1]]);
      expect(r.map((t) => t.startedAt)).toEqual([iso(now), iso(now), null, null]);
      for (const t of r) expect(await store().getTask(jobId, t.taskId)).toEqual(t);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 0, retrying: 0, claimed: 2, running: 2 });
    });

    it('a CLAIMED task is refused to another claim, like a RUNNING one (a duplicate delivery)', async () => {
      const jobId = await heldJob(store(), 3, 1);
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 1, { ...CLAIM, owner: 'w2' })))).toBe('CLAIMED');
      expect(conflictStatus((await store().claimTasks(jobId, [1], { ...CLAIM, owner: 'w2' }))[0])).toBe('CLAIMED');
      expect(await store().getTask(jobId, 1)).toMatchObject({ status: 'CLAIMED', leaseOwner: 'w1', attempts: 1 });
    });

    it('a job that ended (TIMEOUT) takes no claim and keeps no lease; counters unchanged', async () => {
      const jobId = await heldJob(store(), 3, 1);
      await store().transitionJob(jobId, ['SUBMITTED'], 'TIMEOUT');
      const [r] = await store().claimTasks(jobId, [2], CLAIM);
      expect(expectConflict(r).details).toMatchObject({ status: 'PENDING', reason: 'job', jobStatus: 'TIMEOUT' });
      expect(await store().heartbeat(jobId, 1, lease(), 60_000)).toBe(false);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 1, claimed: 1, running: 1 });
    });

    it('heartbeat keeps a CLAIMED task\'s lease; another owner or attempt gets false', async () => {
      const jobId = await heldJob(store(), 2, 1, Date.now() - 20_000);
      expect(await store().heartbeat(jobId, 1, lease(), 60_000)).toBe(true);
      expect((await store().getTask(jobId, 1))?.leaseExpiresAt).toBeGreaterThan(Date.now() + 50_000);
      expect(await store().heartbeat(jobId, 1, lease(1, 'w2'), 60_000)).toBe(false);
      expect(await store().heartbeat(jobId, 1, lease(2), 60_000)).toBe(false);
      expect((await store().getTask(jobId, 1))?.status).toBe('CLAIMED');
    });
  });
}

function describeStart(store: () => StateStore): void {
  describe('CLAIMED: start and end', () => {
    it('a TaskStart moves CLAIMED → RUNNING with the handler\'s start time; counters move', async () => {
      const now = Date.now();
      const jobId = await heldJob(store(), 3, 2, now);
      const [started] = await store().completeTasks(jobId, [{ taskId: 1, lease: lease(), startedAt: now + 1_234 }]);
      expect(started).toMatchObject({ taskId: 1, status: 'RUNNING', attempts: 1, leaseOwner: 'w1', claimedAt: iso(now), startedAt: iso(now + 1_234) });
      expect(await store().getTask(jobId, 1)).toEqual(started);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 0, claimed: 1, running: 2 });
      const [done] = await store().completeTasks(jobId, [{ taskId: 1, lease: lease(), outcome: OK }]);
      expect(done).toMatchObject({ status: 'SUCCEEDED', startedAt: iso(now + 1_234) });
    });

    it('a start is LEASE_LOST unless the task is CLAIMED under that lease; the others in the write still apply', async () => {
      const jobId = await heldJob(store(), 5, 3);
      const at = Date.now();
      const r = await store().completeTasks(jobId, [
        { taskId: 0, lease: lease(), startedAt: at }, // RUNNING already
        { taskId: 1, lease: lease(1, 'w2'), startedAt: at },
        { taskId: 2, lease: lease(2), startedAt: at },
        { taskId: 4, lease: lease(), startedAt: at }, // PENDING
        { taskId: 3, lease: lease(), startedAt: at },
      ]);
      for (const e of r.slice(0, 4)) expectDjcError(e, 'LEASE_LOST');
      expect(r[4]).toMatchObject({ taskId: 3, status: 'RUNNING' });
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 1, claimed: 2, running: 2 });
    });

    it('an end of a task still CLAIMED starts and ends it in one write, with the startedAt it carries', async () => {
      const now = Date.now();
      const jobId = await heldJob(store(), 4, 3, now);
      const fail: TaskOutcome = { status: 'FAILED', error: 'boom', kind: 'error', exitCode: 2 };
      const r = await store().completeTasks(jobId, [
        { taskId: 1, lease: lease(), outcome: OK, startedAt: now + 500 },
        { taskId: 2, lease: lease(), outcome: fail, startedAt: now + 600 },
        { taskId: 3, lease: lease(), startedAt: now + 700 },
        { taskId: 0, lease: lease(), outcome: OK, startedAt: now + 10 },
      ]);
      expect(r[0]).toMatchObject({ taskId: 1, status: 'SUCCEEDED', claimedAt: iso(now), startedAt: iso(now + 500), leaseOwner: null });
      expect(r[1]).toMatchObject({ taskId: 2, status: 'FAILED', startedAt: iso(now + 600), exitCode: 2 });
      expect(r[2]).toMatchObject({ taskId: 3, status: 'RUNNING', startedAt: iso(now + 700) });
      // A RUNNING task's end replaces the claim time it started with by the handler's start.
      expect(r[3]).toMatchObject({ taskId: 0, status: 'SUCCEEDED', claimedAt: iso(now), startedAt: iso(now + 10) });
      for (const t of r) expect(await store().getTask(jobId, (t as TaskRecord).taskId)).toEqual(t);
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 4, pending: 0, claimed: 0, running: 1, retrying: 0, succeeded: 2, failed: 1, cancelled: 0 });
      expect((await store().getJob(jobId))?.records.processed).toBe(2);
    });

    it('completeTask of a task still CLAIMED ends it too (its startedAt is the end time)', async () => {
      const jobId = await heldJob(store(), 2, 1);
      const done = await store().completeTask(jobId, 1, lease(), { status: 'RETRY_WAIT', error: 'x', kind: 'error' });
      expect(done).toMatchObject({ status: 'RETRY_WAIT', attempts: 1 });
      expect(done.startedAt).toBe(done.endedAt);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ claimed: 0, running: 1, retrying: 1 });
    });
  });
}

function describeGoingBack(store: () => StateStore): void {
  describe('CLAIMED: going back without spending an attempt', () => {
    it('releaseTask gives a CLAIMED task back: PENDING, its attempt number handed back, no end time', async () => {
      const jobId = await heldJob(store(), 2, 1);
      const back = await store().releaseTask(jobId, 1, lease(), 'given back before it started');
      expect(back).toMatchObject({ status: 'PENDING', attempts: 0, attemptFloor: 0, leaseOwner: null, startedAt: null, endedAt: null, error: 'given back before it started' });
      expect(await store().getTask(jobId, 1)).toEqual(back);
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 1, claimed: 0, running: 1 });
      const again = await store().claimTask(jobId, 1, { ...CLAIM, owner: 'w2', maxAttempts: 1 });
      expect(again).toMatchObject({ status: 'RUNNING', attempts: 1, attemptFloor: 0, leaseOwner: 'w2' });
      // The old holder's writes name it as the owner: they lose to the new claim of the same number.
      expectDjcError((await store().completeTasks(jobId, [{ taskId: 1, lease: lease(), startedAt: Date.now() }]))[0], 'LEASE_LOST');
      expectDjcError((await store().completeTasks(jobId, [{ taskId: 1, lease: lease(), outcome: OK }]))[0], 'LEASE_LOST');
      expectDjcError(await rejectionOf(store().releaseTask(jobId, 1, lease(), 'late')), 'LEASE_LOST');
      expect(await store().heartbeat(jobId, 1, lease(), 60_000)).toBe(false);
      expect(await store().getTask(jobId, 1)).toMatchObject({ status: 'RUNNING', leaseOwner: 'w2', attempts: 1 });
    });

    it('a held task given back after an attempt failed keeps that attempt counted', async () => {
      const jobId = await jobWithTasks(store(), 1);
      await store().claimTask(jobId, 0, CLAIM);
      await store().completeTask(jobId, 0, lease(), { status: 'RETRY_WAIT', error: 'boom', kind: 'error' });
      expect(claimed((await store().claimTasks(jobId, [0], { ...CLAIM, start: 0 }))[0])).toMatchObject({ status: 'CLAIMED', attempts: 2 });
      expect(await store().releaseTask(jobId, 0, lease(2), 'back')).toMatchObject({ status: 'PENDING', attempts: 1, attemptFloor: 0 });
      expect(await store().claimTask(jobId, 0, CLAIM)).toMatchObject({ status: 'RUNNING', attempts: 2 });
      await store().completeTask(jobId, 0, lease(2), { status: 'RETRY_WAIT', error: 'boom', kind: 'error' });
      // Two attempts ran and failed: the budget of 2 is spent.
      expect(conflictStatus(await rejectionOf(store().claimTask(jobId, 0, CLAIM)))).toBe('RETRY_WAIT');
    });

    it('reclaimTasks by owner: the running attempt is spent, the CLAIMED ones go back to PENDING without an attempt', async () => {
      const jobId = await heldJob(store(), 5, 3);
      await store().claimTask(jobId, 4, { ...CLAIM, owner: 'alive' });
      const got = await store().reclaimTasks(jobId, { owner: 'w1', reason: 'worker lost: killed', maxAttempts: 1, notBefore: 0 });
      expect(got.map((t) => [t.taskId, t.status, t.attempts, t.attemptFloor])).toEqual([[0, 'FAILED', 1, 0], [1, 'PENDING', 0, 0], [2, 'PENDING', 0, 0], [3, 'PENDING', 0, 0]]);
      expect(got[1]).toMatchObject({ leaseOwner: null, leaseExpiresAt: null, notBefore: null, error: `worker lost: killed${HELD_REFUND_NOTE}` });
      for (const t of got) expect(await store().getTask(jobId, t.taskId)).toEqual(t);
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 5, pending: 3, claimed: 0, running: 1, retrying: 0, succeeded: 0, failed: 1, cancelled: 0 });
      // maxAttempts 1, and no attempt was counted: the task can run.
      expect(await store().claimTask(jobId, 1, { ...CLAIM, owner: 'alive', maxAttempts: 1 })).toMatchObject({ status: 'RUNNING', attempts: 1, attemptFloor: 0 });
      expectDjcError((await store().completeTasks(jobId, [{ taskId: 2, lease: lease(), outcome: OK }]))[0], 'LEASE_LOST');
    });

    it('reclaimTasks by expiry takes CLAIMED tasks whose lease ran out, and leaves the others', async () => {
      const t0 = 1_000_000;
      const jobId = await jobWithTasks(store(), 3);
      await store().claimTasks(jobId, [0, 1], { ...CLAIM, leaseMs: 1_000, now: t0, start: 0 });
      await store().claimTasks(jobId, [2], { ...CLAIM, owner: 'w2', now: Date.now(), start: 0 });
      const got = await store().reclaimTasks(jobId, { expiredBefore: t0 + 2_000, reason: 'lease expired', maxAttempts: 2, notBefore: 0 });
      expect(got.map((t) => [t.taskId, t.status, t.attempts])).toEqual([[0, 'PENDING', 0], [1, 'PENDING', 0]]);
      expect((await store().getTask(jobId, 2))?.status).toBe('CLAIMED');
      expect((await store().getJob(jobId))?.tasks).toMatchObject({ pending: 2, claimed: 1, running: 0 });
    });

    it('cancelTasks cancels CLAIMED tasks; their holder\'s heartbeat, start and end then lose', async () => {
      const jobId = await heldJob(store(), 3, 1);
      expect(await store().cancelTasks(jobId)).toBe(3);
      expect((await store().getJob(jobId))?.tasks).toEqual({ total: 3, pending: 0, claimed: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 3 });
      expect(await store().heartbeat(jobId, 1, lease(), 60_000)).toBe(false);
      const r = await store().completeTasks(jobId, [{ taskId: 1, lease: lease(), startedAt: Date.now() }]);
      expectDjcError(r[0], 'LEASE_LOST');
      expectDjcError(await rejectionOf(store().releaseTask(jobId, 1, lease(), 'x')), 'LEASE_LOST');
    });
  });
}
