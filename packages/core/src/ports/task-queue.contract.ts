/**
 * The TaskQueue contract: every backend runs this suite. `make` returns a
 * fresh, empty queue per test. Times are multiples of `unitMs`, so a backend
 * with coarse visibility timers (SQS counts whole seconds) can pass 1000.
 */
import { describe, expect, it } from 'vitest';
import type { TaskMessage, TaskQueue } from './task-queue.js';
import { sleep } from '../testing/fixtures.js';
import { useFixture, type Made } from '../testing/contract-harness.js';

export type TaskQueueFixture = Made & { queue: TaskQueue };

export interface TaskQueueContractOptions {
  /** The time unit of the suite (default 100 ms). */
  unitMs?: number;
  /** The backend filters receive and depth by jobId (default true). */
  filtersByJob?: boolean;
  /** withoutMessage can look messages up by task (default true); false: it answers null. */
  findsMessagesByTask?: boolean;
}

const msg = (jobId: string, taskId: number): TaskMessage => ({ v: 1, jobId, taskId });

export function describeTaskQueueContract(name: string, make: () => Promise<TaskQueueFixture>, opts: TaskQueueContractOptions = {}): void {
  const u = opts.unitMs ?? 100;
  describe(`TaskQueue contract: ${name}`, () => {
    const fx = useFixture(make);
    const q = () => fx().queue;
    describeDelivery(q, u);
    describeReceipts(q, u);
    describeLongPoll(q, u);
    describeJobs(q, u, opts);
  });
}

function describeDelivery(q: () => TaskQueue, u: number): void {
  describe('delivery and visibility', () => {
    it('delivers a sent message once until its visibility timeout ends, then again', async () => {
      await q().send([msg('job-a', 0)]);
      const [first, ...rest] = await q().receive({ max: 10, visibilityMs: 6 * u });
      expect(rest).toEqual([]);
      expect(first).toMatchObject({ message: { v: 1, jobId: 'job-a', taskId: 0 }, receiveCount: 1 });
      expect(await q().receive({ max: 10, visibilityMs: 6 * u })).toEqual([]);
      await sleep(7 * u);
      const again = await q().receive({ max: 10, visibilityMs: 6 * u });
      expect(again).toHaveLength(1);
      expect(again[0]?.receiveCount).toBe(2);
      expect(again[0]?.receipt).not.toBe(first?.receipt);
    });

    it('receives at most `max` messages, in send order', async () => {
      await q().send([0, 1, 2, 3, 4].map((i) => msg('job-a', i)));
      const a = await q().receive({ max: 3, visibilityMs: 10 * u });
      const b = await q().receive({ max: 3, visibilityMs: 10 * u });
      expect(a.map((m) => m.message.taskId)).toEqual([0, 1, 2]);
      expect(b.map((m) => m.message.taskId)).toEqual([3, 4]);
    });

    it('send with delayMs hides the message for the delay', async () => {
      await q().send([msg('job-a', 0)], { delayMs: 6 * u });
      expect(await q().receive({ max: 1, visibilityMs: u })).toEqual([]);
      expect((await q().depth()).delayed).toBe(1);
      await sleep(7 * u);
      expect(await q().receive({ max: 1, visibilityMs: u })).toHaveLength(1);
    });

    it('extend keeps a delivery hidden past its first timeout', async () => {
      await q().send([msg('job-a', 0)]);
      const [m] = await q().receive({ max: 1, visibilityMs: 4 * u });
      await q().extend(m!.receipt, 14 * u);
      await sleep(6 * u);
      expect(await q().receive({ max: 1, visibilityMs: u })).toEqual([]);
      expect((await q().depth()).inFlight).toBe(1);
    });

    it('release makes a delivery visible again after the delay', async () => {
      await q().send([msg('job-a', 0), msg('job-a', 1)]);
      const [m0, m1] = await q().receive({ max: 2, visibilityMs: 50 * u });
      await q().release(m0!.receipt, 0);
      await q().release(m1!.receipt, 6 * u);
      const now = await q().receive({ max: 2, visibilityMs: 50 * u });
      expect(now.map((m) => [m.message.taskId, m.receiveCount])).toEqual([[0, 2]]);
      // A released message waiting out its delay is `delayed` here and `inFlight` on SQS.
      const d = await q().depth();
      expect([d.visible, d.inFlight + d.delayed]).toEqual([0, 2]);
      await sleep(7 * u);
      const later = await q().receive({ max: 2, visibilityMs: 50 * u });
      expect(later.map((m) => [m.message.taskId, m.receiveCount])).toEqual([[1, 2]]);
    });
  });
}

function describeReceipts(q: () => TaskQueue, u: number): void {
  describe('delete and dead letters', () => {
    it('delete removes a message for good', async () => {
      await q().send([msg('job-a', 0)]);
      const [m] = await q().receive({ max: 1, visibilityMs: u });
      await q().delete(m!.receipt);
      await sleep(2 * u);
      expect(await q().receive({ max: 1, visibilityMs: u })).toEqual([]);
      expect(await q().depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 0 });
    });

    it('deleteBatch removes several deliveries at once and skips stale receipts', async () => {
      await q().send([msg('job-a', 0), msg('job-a', 1), msg('job-a', 2)]);
      const got = await q().receive({ max: 3, visibilityMs: 50 * u });
      expect(got).toHaveLength(3);
      await q().deleteBatch([got[0]!.receipt, got[2]!.receipt, 'stale-receipt', `${got[1]!.receipt}x`]);
      expect(await q().depth()).toEqual({ visible: 0, inFlight: 1, delayed: 0, dead: 0 });
      await q().deleteBatch([]);
      await q().deleteBatch([got[1]!.receipt]);
      expect(await q().depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 0 });
    });

    it('a stale receipt (message received again since) does not delete the newer delivery', async () => {
      await q().send([msg('job-a', 0)]);
      const [old] = await q().receive({ max: 1, visibilityMs: u });
      await sleep(2 * u);
      const [fresh] = await q().receive({ max: 1, visibilityMs: 50 * u });
      await q().delete(old!.receipt);
      expect((await q().depth()).inFlight).toBe(1);
      await q().delete(fresh!.receipt);
      expect((await q().depth()).inFlight).toBe(0);
    });

    it('deadLetter moves a delivery out of reach and counts it as dead', async () => {
      await q().send([msg('job-a', 0), msg('job-a', 1)]);
      const [m] = await q().receive({ max: 1, visibilityMs: u });
      await q().deadLetter(m!.receipt, 'failed 3 times');
      await sleep(2 * u);
      const rest = await q().receive({ max: 10, visibilityMs: 10 * u });
      expect(rest.map((r) => r.message.taskId)).toEqual([1]);
      expect(await q().depth()).toEqual({ visible: 0, inFlight: 1, delayed: 0, dead: 1 });
    });

    it('depth counts visible and in-flight messages', async () => {
      await q().send([0, 1, 2].map((i) => msg('job-a', i)));
      expect(await q().depth()).toEqual({ visible: 3, inFlight: 0, delayed: 0, dead: 0 });
      await q().receive({ max: 2, visibilityMs: 10 * u });
      expect(await q().depth()).toEqual({ visible: 1, inFlight: 2, delayed: 0, dead: 0 });
    });
  });
}

function describeLongPoll(q: () => TaskQueue, u: number): void {
  describe('long poll', () => {
    it('returns early when a message arrives during the wait', async () => {
      const started = Date.now();
      const pending = q().receive({ max: 1, visibilityMs: 10 * u, waitMs: 20 * u });
      await sleep(u);
      await q().send([msg('job-a', 5)]);
      const got = await pending;
      expect(got.map((m) => m.message.taskId)).toEqual([5]);
      expect(Date.now() - started).toBeLessThan(10 * u);
    });

    it('waits out waitMs on an empty queue, and returns [] when the signal aborts', async () => {
      const started = Date.now();
      expect(await q().receive({ max: 1, visibilityMs: u, waitMs: 2 * u })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * u - 20);
      const ac = new AbortController();
      const t0 = Date.now();
      setTimeout(() => ac.abort(), u);
      expect(await q().receive({ max: 1, visibilityMs: u, waitMs: 50 * u, signal: ac.signal })).toEqual([]);
      expect(Date.now() - t0).toBeLessThan(20 * u);
    });
  });
}

function describeJobs(q: () => TaskQueue, u: number, opts: TaskQueueContractOptions): void {
  describe('jobs', () => {
    it('purgeJob drops the queued messages of one job only', async () => {
      await q().send([msg('job-a', 0), msg('job-b', 0), msg('job-a', 1)]);
      await q().receive({ max: 1, visibilityMs: 10 * u });
      await q().purgeJob('job-a');
      await sleep(u);
      const left = await q().receive({ max: 10, visibilityMs: 10 * u, });
      expect(left.map((m) => m.message.jobId)).toEqual(['job-b']);
    });

    it('withoutMessage names the tasks with no live message (exact), or null where the backend cannot look them up', async () => {
      await q().send([msg('job-a', 0), msg('job-a', 1), msg('job-a', 2), msg('job-b', 3)]);
      await q().send([msg('job-a', 4)], { delayMs: 50 * u });
      const [got] = await q().receive({ max: 1, visibilityMs: 50 * u, jobId: 'job-a' });
      const missing = await q().withoutMessage('job-a', [0, 1, 2, 3, 4, 5]);
      if (opts.findsMessagesByTask === false) {
        expect(missing).toBeNull();
        return;
      }
      // Visible, in flight and delayed messages count; job-b's task 3 is not job-a's.
      expect(missing).toEqual([3, 5]);
      await q().delete(got!.receipt);
      const [next] = await q().receive({ max: 1, visibilityMs: 50 * u, jobId: 'job-a' });
      await q().deadLetter(next!.receipt, 'failed');
      expect(await q().withoutMessage('job-a', [0, 1, 2, 4])).toEqual([got!.message.taskId, next!.message.taskId].sort());
      expect(await q().withoutMessage('job-a', [])).toEqual([]);
    });

    if (opts.filtersByJob === false) {
      // A shared queue (SQS) cannot select by job: the filter is a hint, and
      // every message still arrives exactly once to someone.
      it('receive with a jobId may return any job\'s messages; none is lost', async () => {
        await q().send([msg('job-a', 0), msg('job-b', 0), msg('job-a', 1), msg('job-b', 1)]);
        const got = [];
        for (let i = 0; i < 5 && got.length < 4; i++) got.push(...(await q().receive({ max: 10, visibilityMs: 10 * u, jobId: 'job-b', waitMs: u })));
        expect(got.map((m) => `${m.message.jobId}/${m.message.taskId}`).sort()).toEqual(['job-a/0', 'job-a/1', 'job-b/0', 'job-b/1']);
      });
    } else {
      it('receive and depth filter by jobId', async () => {
        await q().send([msg('job-a', 0), msg('job-b', 0), msg('job-a', 1), msg('job-b', 1)]);
        const b = await q().receive({ max: 10, visibilityMs: 10 * u, jobId: 'job-b' });
        expect(b.map((m) => [m.message.jobId, m.message.taskId])).toEqual([['job-b', 0], ['job-b', 1]]);
        expect(await q().depth('job-b')).toMatchObject({ visible: 0, inFlight: 2 });
        expect(await q().depth('job-a')).toMatchObject({ visible: 2, inFlight: 0 });
        expect(await q().receive({ max: 10, visibilityMs: u, jobId: 'job-c', waitMs: u })).toEqual([]);
      });
    }
  });
}
