import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, isDjcError } from '../../errors.js';
import type { Backend } from '../../ports/backend.js';
import type { JointOps } from '../../ports/joint-ops.js';
import type { TaskRecord } from '../../model/job.js';
import { testBatches, testJob } from '../../testing/fixtures.js';
import { useLocalJob } from '../../testing/local-job.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';
import { openDatabase } from './db.js';
import { join } from 'node:path';
import type { SqliteTaskQueue } from './sqlite-task-queue.js';
import type { SqliteDriverName } from './sqlite-driver.js';

const OK = { status: 'SUCCEEDED' as const, inlineOutput: new Uint8Array([120, 10]), outputKind: 'raw' as const, records: 1 };

describe.each(sqliteDriversUnderTest())('local joint operations (%s driver)', (driver) => {
  const fx = useLocalJob('djc-joint-', 5, driver as SqliteDriverName);
  let backend: Backend;
  let joint: JointOps;
  let jobId: string;
  const claim = (start: number) => ({ owner: 'w', leaseMs: 60_000, maxAttempts: 3, start });

  beforeEach(() => {
    ({ backend, jobId } = fx);
    joint = backend.joint as JointOps;
  });

  it('writes a chunk of new tasks and their messages in one call: many rows per statement, each task once, its message in its row', async () => {
    const fresh = testJob();
    await backend.state.createJob(fresh);
    // 600: two full multi-row statements and a remainder of single rows.
    const batches = testBatches(600, 10);
    expect(await joint.putTasksAndSend(fresh.jobId, batches)).toBe(600);
    expect((await backend.state.getJob(fresh.jobId))?.tasks).toMatchObject({ total: 600, pending: 600 });
    expect((await backend.state.getTask(fresh.jobId, 609))?.batch).toEqual(batches[599]);
    // Again (a chunk written twice): nothing inserted, nothing sent.
    expect(await joint.putTasksAndSend(fresh.jobId, batches.slice(0, 300))).toBe(0);
    expect(await backend.queue.depth(fresh.jobId)).toMatchObject({ visible: 600 });
    // A send for a task with a message already waiting: still one message (task-row-messages.ts).
    await backend.queue.send([{ v: 1, jobId: fresh.jobId, taskId: 9 + 1 }]);
    expect(await backend.queue.depth(fresh.jobId)).toMatchObject({ visible: 600 });
    const raw = openDatabase(join(backend.location, 'djc.sqlite'));
    try {
      expect(raw.prepare('SELECT count(*) FROM queue WHERE job_id = ?').pluck().get(fresh.jobId)).toBe(0);
      const ids = raw.prepare('SELECT task_id FROM tasks WHERE job_id = ? AND q_at IS NOT NULL ORDER BY task_id').pluck().all(fresh.jobId);
      expect(ids).toEqual(batches.map((b) => b.index));
    } finally {
      raw.close();
    }
    const got = await joint.receiveAndClaim({ jobId: fresh.jobId, max: 3, visibilityMs: 60_000, claim: claim(3) });
    expect(got.messages.map((m) => m.message)).toEqual([10, 11, 12].map((taskId) => ({ v: 1, jobId: fresh.jobId, taskId })));
  });

  it('receives and claims a group in one call: RUNNING as many as start, CLAIMED the rest, a copy unclaimed', async () => {
    await backend.queue.send([0, 1, 2].map((taskId) => ({ v: 1 as const, jobId, taskId })));
    await backend.queue.send([{ v: 1, jobId, taskId: 4, copyOf: 1 }]);
    const got = await joint.receiveAndClaim({ jobId, max: 10, visibilityMs: 60_000, claim: claim(1) });
    expect(got.messages.map((m) => m.message.taskId)).toEqual([0, 1, 2, 4]);
    expect(got.claims.map((c) => (c === null ? null : (c as TaskRecord).status))).toEqual(['RUNNING', 'CLAIMED', 'CLAIMED', null]);
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ running: 1, claimed: 2, pending: 2 });
    expect(await backend.queue.depth(jobId)).toMatchObject({ visible: 0, inFlight: 4 });
    // A second delivery of a claimed task is refused like claimTasks refuses it.
    await backend.queue.send([{ v: 1, jobId, taskId: 0 }]);
    const again = await joint.receiveAndClaim({ jobId, max: 10, visibilityMs: 60_000, claim: claim(1) });
    expect(again.claims[0]).toBeInstanceOf(ConflictError);
  });

  it('deletes the acknowledged messages in the same write, even when nothing is received', async () => {
    await backend.queue.send([0, 1].map((taskId) => ({ v: 1 as const, jobId, taskId })));
    const first = await joint.receiveAndClaim({ jobId, max: 10, visibilityMs: 60_000, claim: claim(2) });
    const acks = first.messages.map((m) => m.receipt);
    const none = await joint.receiveAndClaim({ jobId, max: 10, visibilityMs: 60_000, claim: claim(1), acks: [...acks, 'stale.receipt'] });
    expect(none).toEqual({ messages: [], claims: [] });
    expect(await backend.queue.depth(jobId)).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('ends a group and deletes acknowledged messages in one write, each end checked as completeTasks checks it', async () => {
    await backend.queue.send([0, 1, 2].map((taskId) => ({ v: 1 as const, jobId, taskId })));
    const got = await joint.receiveAndClaim({ jobId, max: 10, visibilityMs: 60_000, claim: claim(3) });
    const results = await joint.completeAndAck(jobId, [
      { taskId: 0, lease: { owner: 'w', attempt: 1 }, outcome: OK },
      { taskId: 1, lease: { owner: 'someone else', attempt: 1 }, outcome: OK },
    ], [got.messages[0]?.receipt ?? '']);
    expect((results[0] as TaskRecord).status).toBe('SUCCEEDED');
    expect(isDjcError(results[1], 'LEASE_LOST')).toBe(true);
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ succeeded: 1, running: 2 });
    expect(await backend.queue.depth(jobId)).toMatchObject({ inFlight: 2 });
  });

  it('acknowledges a SUCCEEDED end that carries its receipt in the same write; a failed end or a lost lease acknowledges nothing', async () => {
    await backend.queue.send([0, 1, 2].map((taskId) => ({ v: 1 as const, jobId, taskId })));
    const got = await joint.receiveAndClaim({ jobId, max: 10, visibilityMs: 60_000, claim: claim(3) });
    const receipt = (i: number) => got.messages[i]?.receipt ?? '';
    const results = await joint.completeAndAck(jobId, [
      { taskId: 0, lease: { owner: 'w', attempt: 1 }, outcome: OK, receipt: receipt(0) },
      { taskId: 1, lease: { owner: 'w', attempt: 1 }, outcome: { status: 'RETRY_WAIT', error: 'x', kind: 'error', notBefore: Date.now() }, receipt: receipt(1) },
      { taskId: 2, lease: { owner: 'someone else', attempt: 1 }, outcome: OK, receipt: receipt(2) },
    ], []);
    expect(results.map((r) => (r instanceof Error ? r.code : r.status))).toEqual(['SUCCEEDED', 'RETRY_WAIT', 'LEASE_LOST']);
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ succeeded: 1, retrying: 1, running: 1 });
    // Task 0's message is gone; 1's (its retry: the worker releases it) and 2's (still running) are in flight.
    expect(await backend.queue.depth(jobId)).toMatchObject({ visible: 0, inFlight: 2, delayed: 0 });
    // The ack was that delivery's: a late plain ack of it finds nothing, and a second receive gets nothing.
    await backend.queue.deleteBatch([receipt(0)]);
    expect(await backend.queue.depth(jobId)).toMatchObject({ inFlight: 2 });
  });

  it('a stale receipt in an end deletes nothing: a newer delivery of the task (its retry sent after a reclaim, or a resend) survives', async () => {
    await backend.queue.send([0, 1].map((taskId) => ({ v: 1 as const, jobId, taskId })));
    const got = await joint.receiveAndClaim({ jobId, max: 1, visibilityMs: 60_000, claim: claim(1) });
    const lost = await joint.receiveAndClaim({ jobId, max: 1, visibilityMs: 60_000, claim: { ...claim(1), owner: 'lost' } });
    const receipt = (i: number) => [...got.messages, ...lost.messages][i]?.receipt ?? '';
    // Task 0: its message is sent again while its attempt runs (a new delivery); the attempt then succeeds.
    await backend.queue.send([{ v: 1, jobId, taskId: 0 }]);
    // Task 1: its lease is taken back (a lost worker) and its retry sent, as the monitor does; the lost worker's end comes late.
    await backend.state.reclaimTasks(jobId, { owner: 'lost', reason: 'worker lost', maxAttempts: 3, notBefore: 0 });
    await backend.queue.send([{ v: 1, jobId, taskId: 1 }]);
    const results = await joint.completeAndAck(jobId, [
      { taskId: 0, lease: { owner: 'w', attempt: 1 }, outcome: OK, receipt: receipt(0) },
      { taskId: 1, lease: { owner: 'lost', attempt: 1 }, outcome: OK, receipt: receipt(1) },
    ], []);
    expect(results.map((r) => (r instanceof Error ? r.code : r.status))).toEqual(['SUCCEEDED', 'LEASE_LOST']);
    // Both newer messages are still there, visible: 0's is dropped by its claim (ended), 1's runs the retry.
    expect(await backend.queue.depth(jobId)).toMatchObject({ visible: 2, inFlight: 0 });
    const again = await joint.receiveAndClaim({ jobId, max: 10, visibilityMs: 60_000, claim: claim(2) });
    expect(again.messages.map((m) => m.message.taskId)).toEqual([0, 1]);
    expect(again.claims[0]).toBeInstanceOf(ConflictError);
    expect((again.claims[1] as TaskRecord).attempts).toBe(2);
  });

  it('writes the ends carried by a receive in its transaction, checked and counted as completeTasks, acks included, one try', async () => {
    await backend.queue.send([0, 1, 2].map((taskId) => ({ v: 1 as const, jobId, taskId })));
    const got = await joint.receiveAndClaim({ jobId, max: 2, visibilityMs: 60_000, claim: claim(2) });
    const receipt = (i: number) => got.messages[i]?.receipt ?? '';
    const next = await joint.receiveAndClaim({
      jobId, max: 10, visibilityMs: 60_000, claim: claim(1), ends: [
        { taskId: 0, lease: { owner: 'w', attempt: 1 }, outcome: OK, receipt: receipt(0) },
        { taskId: 1, lease: { owner: 'w', attempt: 2 }, outcome: OK, receipt: receipt(1) },
      ],
    });
    expect(next.ended?.map((r) => (r instanceof Error ? r.code : r.status))).toEqual(['SUCCEEDED', 'LEASE_LOST']);
    expect(next.messages.map((m) => m.message.taskId)).toEqual([2]);
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ succeeded: 1, running: 2, pending: 2 });
    // Task 0's message went with its end; 1's (its end refused) and 2's (just received) are in flight.
    expect(await backend.queue.depth(jobId)).toMatchObject({ visible: 0, inFlight: 2 });
    // Nothing to receive: the ends are still written, at once (no long poll), and so when told to stop.
    const t0 = Date.now();
    const idle = await joint.receiveAndClaim({
      jobId, max: 10, visibilityMs: 60_000, waitMs: 30_000, claim: claim(1),
      ends: [{ taskId: 1, lease: { owner: 'w', attempt: 1 }, outcome: OK, receipt: receipt(1) }],
    });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(idle).toMatchObject({ messages: [], claims: [] });
    expect(idle.ended?.map((r) => (r instanceof Error ? r.code : r.status))).toEqual(['SUCCEEDED']);
    const stop = new AbortController();
    stop.abort();
    const stopped = await joint.receiveAndClaim({
      jobId, max: 10, visibilityMs: 60_000, signal: stop.signal, claim: claim(1),
      ends: [{ taskId: 2, lease: { owner: 'w', attempt: 1 }, outcome: OK, receipt: next.messages[0]?.receipt ?? '' }],
    });
    expect(stopped.messages).toEqual([]);
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ succeeded: 3, running: 0, pending: 2 });
    expect(await backend.queue.depth(jobId)).toMatchObject({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('receives, deletes and claims nothing when the claim part fails: the transaction is one', async () => {
    await backend.queue.send([0, 1].map((taskId) => ({ v: 1 as const, jobId, taskId })));
    const first = await backend.queue.receive({ jobId, max: 1, visibilityMs: 60_000 });
    const queue = backend.queue as SqliteTaskQueue;
    const failing = queue.receiveWith({ jobId, max: 10, visibilityMs: 60_000 }, [first[0]?.receipt ?? ''], () => {
      throw new Error('claim failed');
    });
    await expect(failing).rejects.toThrow('claim failed');
    // The acknowledged message is still there (in flight) and the other still visible.
    expect(await backend.queue.depth(jobId)).toMatchObject({ visible: 1, inFlight: 1 });
  });
});
