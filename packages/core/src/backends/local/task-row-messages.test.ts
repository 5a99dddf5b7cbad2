import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../ports/backend.js';
import type { JointOps } from '../../ports/joint-ops.js';
import type { TaskMessage } from '../../ports/task-queue.js';
import { tempDir, testBatches, testJob } from '../../testing/fixtures.js';
import { useLocalJob } from '../../testing/local-job.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';
import { createLocalBackend } from './index.js';
import { MIGRATIONS } from './migrations.js';
import { openDatabase } from './db.js';
import { openSqlite, type SqliteDriverName } from './sqlite-driver.js';
import { parseTaskReceipt, taskReceipt } from './task-row-messages.js';

const msg = (jobId: string, taskId: number, copyOf?: number): TaskMessage => ({ v: 1, jobId, taskId, ...(copyOf === undefined ? {} : { copyOf }) });

/** Rows of the queue table and task rows holding a message, read straight from the file. */
function rowsOf(backend: Backend, jobId: string, driver: SqliteDriverName): { queue: number; tasks: number } {
  const raw = openDatabase(join(backend.location, 'djc.sqlite'), { driver });
  try {
    return {
      queue: raw.prepare('SELECT count(*) FROM queue WHERE job_id = ?').pluck().get(jobId) as number,
      tasks: raw.prepare('SELECT count(*) FROM tasks WHERE job_id = ? AND q_at IS NOT NULL').pluck().get(jobId) as number,
    };
  } finally {
    raw.close();
  }
}

describe('task-row receipts', () => {
  it('round-trip, and nothing else parses as one', () => {
    const r = taskReceipt('job.with.dots', 42, 'AbCdEf-_1234');
    expect(parseTaskReceipt(r)).toEqual({ jobId: 'job.with.dots', taskId: 42, tag: 'AbCdEf-_1234' });
    for (const bad of ['12.AbCdEf-_1234', 't.AbCdEf-_1234.j', 'tx.AbCdEf-_1234.j', 't1.short.j', 't1.AbCdEf-_1234.', 'stale-receipt', '']) {
      expect(parseTaskReceipt(bad)).toBeNull();
    }
  });
});

describe.each(sqliteDriversUnderTest())('task-row messages (%s driver)', (driver) => {
  const fx = useLocalJob('djc-taskrow-', 5, driver as SqliteDriverName);
  const q = () => fx.backend.queue;

  it('a plain message for an existing task is its row, not a queue row; a copy and a message for a missing task are queue rows', async () => {
    await q().send([msg(fx.jobId, 0), msg(fx.jobId, 1), msg(fx.jobId, 1, 3), msg(fx.jobId, 99)]);
    expect(rowsOf(fx.backend, fx.jobId, driver as SqliteDriverName)).toEqual({ queue: 2, tasks: 2 });
    const got = await q().receive({ jobId: fx.jobId, max: 10, visibilityMs: 60_000 });
    expect(got.map((m) => m.message)).toEqual([msg(fx.jobId, 0), msg(fx.jobId, 1), msg(fx.jobId, 1, 3), msg(fx.jobId, 99)]);
    expect(got.map((m) => m.receipt.startsWith('t'))).toEqual([true, true, false, false]);
    expect(await q().depth(fx.jobId)).toEqual({ visible: 0, inFlight: 4, delayed: 0, dead: 0 });
    await q().deleteBatch(got.map((m) => m.receipt));
    expect(await q().depth(fx.jobId)).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 0 });
    expect(rowsOf(fx.backend, fx.jobId, driver as SqliteDriverName)).toEqual({ queue: 0, tasks: 0 });
  });

  it('a second send while in flight is a new delivery: the old receipt is stale, the new message is not lost', async () => {
    await q().send([msg(fx.jobId, 2)]);
    const [old] = await q().receive({ jobId: fx.jobId, max: 1, visibilityMs: 60_000 });
    await q().send([msg(fx.jobId, 2)], { delayMs: 60_000 });
    // One message per task: the re-sent one, waiting out its delay (no live delivery).
    expect(await q().depth(fx.jobId)).toEqual({ visible: 0, inFlight: 0, delayed: 1, dead: 0 });
    await q().extend(old!.receipt, 1);
    await q().release(old!.receipt, 0);
    await q().delete(old!.receipt);
    await q().deleteBatch([old!.receipt]);
    await q().deadLetter(old!.receipt, 'late');
    expect(await q().depth(fx.jobId)).toEqual({ visible: 0, inFlight: 0, delayed: 1, dead: 0 });
    expect(await q().withoutMessage(fx.jobId, [2])).toEqual([]);
    // A send sooner than the waiting message makes it visible sooner (never later).
    await q().send([msg(fx.jobId, 2)]);
    const [fresh] = await q().receive({ jobId: fx.jobId, max: 1, visibilityMs: 60_000 });
    expect(fresh).toMatchObject({ message: msg(fx.jobId, 2), receiveCount: 1 });
    expect(fresh!.receipt).not.toBe(old!.receipt);
  });

  it('deleteBatch across receives deletes exactly the deliveries named: a task with another receive\'s tag stays', async () => {
    await q().send([0, 1, 2].map((i) => msg(fx.jobId, i)));
    const r1 = await q().receive({ jobId: fx.jobId, max: 2, visibilityMs: 60_000 });
    const r2 = await q().receive({ jobId: fx.jobId, max: 1, visibilityMs: 60_000 });
    const tag2 = (parseTaskReceipt(r2[0]!.receipt) as { tag: string }).tag;
    const fake = taskReceipt(fx.jobId, 1, tag2);
    await q().deleteBatch([r1[0]!.receipt, r2[0]!.receipt, fake]);
    expect(await q().depth(fx.jobId)).toEqual({ visible: 0, inFlight: 1, delayed: 0, dead: 0 });
    expect(await q().withoutMessage(fx.jobId, [0, 1, 2])).toEqual([0, 2]);
  });

  it('a joint receive marks every received row once: those the group claims in its UPDATE, a refused one apart', async () => {
    const joint = fx.backend.joint as JointOps;
    const claim = { owner: 'w', leaseMs: 60_000, maxAttempts: 3, start: 1 };
    await fx.backend.state.claimTasks(fx.jobId, [1], claim);
    await q().send([0, 1, 2, 3].map((i) => msg(fx.jobId, i)));
    const got = await joint.receiveAndClaim({ jobId: fx.jobId, max: 10, visibilityMs: 60_000, claim });
    expect(got.messages.map((m) => [m.message.taskId, m.receiveCount])).toEqual([[0, 1], [1, 1], [2, 1], [3, 1]]);
    expect(got.claims.map((c) => (c instanceof Error ? 'refused' : c?.status))).toEqual(['RUNNING', 'refused', 'CLAIMED', 'CLAIMED']);
    expect(await q().depth(fx.jobId)).toEqual({ visible: 0, inFlight: 4, delayed: 0, dead: 0 });
    // Each row holds its receipt: the acks clear all four.
    await joint.receiveAndClaim({ jobId: fx.jobId, max: 10, visibilityMs: 60_000, claim, acks: got.messages.map((m) => m.receipt) });
    expect(await q().depth(fx.jobId)).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 0 });
  });

  it('dead-lettering a task-row message moves it to the dead letters; the task then has no live message', async () => {
    await q().send([msg(fx.jobId, 0), msg(fx.jobId, 1)]);
    const [m] = await q().receive({ jobId: fx.jobId, max: 1, visibilityMs: 60_000 });
    await q().deadLetter(m!.receipt, 'failed 3 times');
    expect(await q().depth(fx.jobId)).toEqual({ visible: 1, inFlight: 0, delayed: 0, dead: 1 });
    expect(await q().withoutMessage(fx.jobId, [0, 1, 2])).toEqual([0, 2]);
    expect(rowsOf(fx.backend, fx.jobId, driver as SqliteDriverName)).toEqual({ queue: 1, tasks: 1 });
    await q().deadLetter(m!.receipt, 'again');
    expect((await q().depth(fx.jobId)).dead).toBe(1);
    // Purge drops the live ones, keeps the dead one.
    await q().purgeJob(fx.jobId);
    expect(await q().depth(fx.jobId)).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 1 });
  });

  it('depth counts each source exactly: visible, in flight, delayed (sent late or released), dead', async () => {
    await q().send([0, 1, 2].map((i) => msg(fx.jobId, i)));
    await q().send([msg(fx.jobId, 3), msg(fx.jobId, 50)], { delayMs: 60_000 });
    await q().send([msg(fx.jobId, 4, 1)]);
    const got = await q().receive({ jobId: fx.jobId, max: 3, visibilityMs: 60_000 });
    expect(got.map((m) => m.message.taskId)).toEqual([0, 1, 2]);
    await q().release(got[0]!.receipt, 60_000);
    expect(await q().depth(fx.jobId)).toEqual({ visible: 1, inFlight: 2, delayed: 3, dead: 0 });
    expect(await q().depth()).toEqual({ visible: 1, inFlight: 2, delayed: 3, dead: 0 });
    expect(await q().depth('other')).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 0 });
  });

  it('a receive of every job takes both jobs\' task rows and queue rows, the job visible longest first', async () => {
    const other = testJob();
    await fx.backend.state.createJob(other);
    await fx.backend.state.putTasks(other.jobId, testBatches(3));
    await q().send([msg(fx.jobId, 0)]);
    await new Promise((r) => setTimeout(r, 5));
    await q().send([msg(other.jobId, 1), msg(other.jobId, 7, 1)]);
    await new Promise((r) => setTimeout(r, 5));
    await q().send([msg(fx.jobId, 3)]);
    const first = await q().receive({ max: 1, visibilityMs: 60_000 });
    const rest = await q().receive({ max: 10, visibilityMs: 60_000 });
    expect(first.map((m) => `${m.message.jobId === fx.jobId ? 'a' : 'b'}${m.message.taskId}`)).toEqual(['a0']);
    expect(rest.map((m) => `${m.message.jobId === fx.jobId ? 'a' : 'b'}${m.message.taskId}`)).toEqual(['b1', 'b7', 'a3']);
    expect(await q().receive({ max: 10, visibilityMs: 60_000 })).toEqual([]);
  });

  it('putTasksAndSend writes the message in the task row; the retry path (end, then release with a delay) keeps it', async () => {
    const job = testJob();
    await fx.backend.state.createJob(job);
    const joint = fx.backend.joint as JointOps;
    expect(await joint.putTasksAndSend(job.jobId, testBatches(3))).toBe(3);
    expect(rowsOf(fx.backend, job.jobId, driver as SqliteDriverName)).toEqual({ queue: 0, tasks: 3 });
    const claim = { owner: 'w', leaseMs: 60_000, maxAttempts: 3, start: 1 };
    const got = await joint.receiveAndClaim({ jobId: job.jobId, max: 1, visibilityMs: 60_000, claim });
    const lease = { owner: 'w', attempt: 1 };
    await joint.completeAndAck(job.jobId, [{ taskId: 0, lease, outcome: { status: 'RETRY_WAIT', error: 'x', kind: 'error', notBefore: Date.now() + 60_000 } }], []);
    await q().release(got.messages[0]!.receipt, 60_000);
    expect(await q().depth(job.jobId)).toEqual({ visible: 2, inFlight: 0, delayed: 1, dead: 0 });
    expect(await q().withoutMessage(job.jobId, [0, 1, 2])).toEqual([]);
  });
});

describe.each(sqliteDriversUnderTest())('migration 23 (%s driver)', (driver) => {
  it('moves every live plain queue row of an existing task into its row, as a new delivery; copies, dead letters and orphans stay', async () => {
    const tmp = await tempDir();
    const { db: old } = openSqlite(join(tmp.dir, 'djc.sqlite'), { driver });
    for (const m of MIGRATIONS.slice(0, 22)) old.exec(m);
    old.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (22)`);
    old.prepare(`INSERT INTO jobs (job_id, name, status, backend, config, config_path, mode, created_at)
      VALUES ('j', 'old', 'RUNNING', 'local', '{}', '/x.yaml', 'run', '2026-01-01T00:00:00.000Z')`).run();
    for (const t of [0, 1, 2, 3, 4]) old.prepare(`INSERT INTO tasks (job_id, task_id, status, batch) VALUES ('j', ?, 'PENDING', '[]')`).run(t);
    const put = old.prepare('INSERT INTO queue (job_id, task_id, body, visible_at, receive_count, receipt, dead) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const body = (t: number, copyOf?: number) => JSON.stringify(msg('j', t, copyOf));
    const now = Date.now();
    put.run('j', 0, body(0), now - 10, 0, null, 0); // visible
    put.run('j', 1, body(1), now + 60_000, 2, '2.tag', 0); // in flight
    put.run('j', 1, body(1), now - 5, 0, null, 0); // a second message of task 1
    put.run('j', 2, body(2), now + 60_000, 0, null, 0); // delayed
    put.run('j', 3, body(3, 1), now - 10, 0, null, 0); // a copy
    put.run('j', 4, body(4), now - 10, 3, null, 1); // dead
    put.run('j', 9, body(9), now - 10, 0, null, 0); // no such task
    old.close();
    const backend = createLocalBackend({ home: tmp.dir, driver });
    try {
      expect(rowsOf(backend, 'j', driver as SqliteDriverName)).toEqual({ queue: 3, tasks: 3 });
      expect(await backend.queue.depth('j')).toEqual({ visible: 4, inFlight: 0, delayed: 1, dead: 1 });
      // Task 3's copy message counts as its message, as before.
      expect(await backend.queue.withoutMessage('j', [0, 1, 2, 3, 4])).toEqual([4]);
      const got = await backend.queue.receive({ jobId: 'j', max: 10, visibilityMs: 60_000 });
      expect(got.map((m) => [m.message.taskId, m.message.copyOf, m.receiveCount])).toEqual([[0, undefined, 1], [3, 1, 1], [9, undefined, 1], [1, undefined, 3]]);
      // The old in-flight receipt names no message now.
      await backend.queue.delete('2.tag');
      expect((await backend.queue.depth('j')).inFlight).toBe(4);
    } finally {
      await backend.close();
      await tmp.cleanup();
    }
  });
});
