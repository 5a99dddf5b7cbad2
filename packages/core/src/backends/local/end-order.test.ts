import { beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../ports/backend.js';
import type { TaskRecord } from '../../model/job.js';
import { testBatches } from '../../testing/fixtures.js';
import { useLocalJob } from '../../testing/local-job.js';
import { EndOrder } from './end-order.js';

const OK = { status: 'SUCCEEDED' as const, inlineOutput: new Uint8Array([120, 10]), outputKind: 'raw' as const, records: 1 };

describe('EndOrder', () => {
  it('tries RUNNING first for a task this connection started, once; CLAIMED first otherwise', () => {
    const order = new EndOrder();
    order.started('j', 1);
    expect(order.take('j', 1)).toEqual(['RUNNING', 'CLAIMED']);
    expect(order.take('j', 1)).toEqual(['CLAIMED', 'RUNNING']);
    order.started('j', 2);
    expect(order.take('k', 2)).toEqual(['CLAIMED', 'RUNNING']);
    expect(order.take('j', 3)).toEqual(['CLAIMED', 'RUNNING']);
  });

  it('keeps a bounded number of tasks', () => {
    const order = new EndOrder();
    for (let i = 0; i < 5000; i++) order.started('j', i);
    expect(order.take('j', 0)).toEqual(['CLAIMED', 'RUNNING']);
    expect(order.take('j', 4999)).toEqual(['RUNNING', 'CLAIMED']);
  });
});

describe('the end of a task whichever status it is tried from first', () => {
  const fx = useLocalJob('djc-end-order-', 3);
  let backend: Backend;
  let jobId: string;
  const claim = (start: number) => ({ owner: 'w', leaseMs: 60_000, maxAttempts: 3, start });
  const end = (t: TaskRecord) => backend.state.completeTasks(jobId, [{ taskId: t.taskId, lease: { owner: 'w', attempt: t.attempts }, outcome: OK }]);

  beforeEach(() => {
    ({ backend, jobId } = fx);
  });

  it('ends RUNNING and CLAIMED tasks with exact counters, also when the order it remembers is stale', async () => {
    const ids = testBatches(3).map((b) => b.index);
    const claimed = (await backend.state.claimTasks(jobId, ids, claim(1))) as TaskRecord[];
    expect(claimed.map((t) => t.status)).toEqual(['RUNNING', 'CLAIMED', 'CLAIMED']);
    // Remembered RUNNING, then given back and claimed again CLAIMED: the remembered order is wrong for it.
    const [first, second, third] = claimed as [TaskRecord, TaskRecord, TaskRecord];
    await backend.state.releaseTask(jobId, first.taskId, { owner: 'w', attempt: first.attempts }, 'test');
    const again = (await backend.state.claimTasks(jobId, [first.taskId], claim(0)))[0] as TaskRecord;
    expect(again.status).toBe('CLAIMED');
    // Started by this connection: its end tries RUNNING first.
    await backend.state.completeTasks(jobId, [{ taskId: second.taskId, lease: { owner: 'w', attempt: second.attempts }, startedAt: Date.now() }]);
    for (const t of [again, second, third]) {
      const [r] = await end(t);
      expect(r).toMatchObject({ taskId: t.taskId, status: 'SUCCEEDED' });
    }
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ total: 3, pending: 0, claimed: 0, running: 0, succeeded: 3 });
  });
});
