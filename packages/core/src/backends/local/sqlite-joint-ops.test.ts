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
