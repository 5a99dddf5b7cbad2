import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isDjcError, type Backend, type StateStore, type TaskOutcome } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { tempDir, testBatches, testJob } from '../../core/src/testing/fixtures.js';
import { COMMIT_WAIT_MS, Committer } from './committer.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let backend: Backend;
let jobId: string;
/** completeTasks calls, by how many completions each wrote. */
let writes: number[];
let state: StateStore;

const OK: TaskOutcome = { status: 'SUCCEEDED', inlineOutput: new Uint8Array([120, 10]), outputKind: 'raw', records: 1 };
const lease = (attempt = 1) => ({ owner: 'w', attempt });

beforeEach(async () => {
  tmp = await tempDir('djc-committer-');
  backend = createLocalBackend({ home: tmp.dir });
  const job = testJob();
  await backend.state.createJob(job);
  await backend.state.putTasks(job.jobId, testBatches(6));
  await backend.state.claimTasks(job.jobId, [0, 1, 2, 3, 4, 5], { owner: 'w', leaseMs: 60_000, maxAttempts: 3 });
  jobId = job.jobId;
  writes = [];
  const real = backend.state;
  state = new Proxy(real, {
    get: (target, prop) => (prop === 'completeTasks'
      ? (id: string, cs: readonly unknown[]) => { writes.push(cs.length); return target.completeTasks(id, cs as never); }
      : Reflect.get(target, prop, target)),
  });
});
/** Another job whose first `n` tasks worker h holds CLAIMED. */
async function reopen(n: number): Promise<{ jobId: string }> {
  const job = testJob();
  await backend.state.createJob(job);
  await backend.state.putTasks(job.jobId, testBatches(n));
  await backend.state.claimTasks(job.jobId, Array.from({ length: n }, (_, i) => i), { owner: 'h', leaseMs: 60_000, maxAttempts: 3, start: 0 });
  return { jobId: job.jobId };
}

afterEach(async () => {
  vi.restoreAllMocks();
  await backend.close();
  await tmp.cleanup();
});

describe('Committer', () => {
  it('writes the completions that end while the worker is busy together, and at once when it is not', async () => {
    let busy = true;
    const c = new Committer(state, () => busy);
    const first = [0, 1, 2].map((taskId) => c.complete(jobId, taskId, lease(), OK));
    busy = false;
    const last = c.complete(jobId, 3, lease(), OK);
    const done = await Promise.all([...first, last]);
    expect(done.map((t) => [t.taskId, t.status])).toEqual([[0, 'SUCCEEDED'], [1, 'SUCCEEDED'], [2, 'SUCCEEDED'], [3, 'SUCCEEDED']]);
    expect(writes).toEqual([4]);
    expect(await c.complete(jobId, 4, lease(), OK)).toMatchObject({ taskId: 4, status: 'SUCCEEDED' });
    expect(writes).toEqual([4, 1]);
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ succeeded: 5, running: 1 });
  });

  it('a busy worker\'s completion is still written after a short wait', async () => {
    const c = new Committer(state, () => true);
    expect(await c.complete(jobId, 0, lease(), OK)).toMatchObject({ status: 'SUCCEEDED' });
    expect(writes).toEqual([1]);
  });

  it('a held task\'s start waits; its completion replaces it: one write, the start time kept', async () => {
    const other = await reopen(2);
    const c = new Committer(state, () => false);
    const t0 = Date.now() - 5_000;
    // The committer's clock stands still until the start of 1 may go (a loaded machine must not age it meanwhile).
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const startA = c.start(other.jobId, 0, { owner: 'h', attempt: 1 }, t0);
    const startB = c.start(other.jobId, 1, { owner: 'h', attempt: 1 }, t0 + 1);
    expect(writes).toEqual([]); // a start alone does not flush, even when the worker looks idle
    const done = await c.complete(other.jobId, 0, { owner: 'h', attempt: 1 }, OK);
    expect(writes).toEqual([1]); // the end of 0 with its start; the start of 1 waits half of COMMIT_WAIT_MS
    expect(done).toMatchObject({ status: 'SUCCEEDED', startedAt: new Date(t0).toISOString() });
    expect(await startA).toMatchObject({ status: 'SUCCEEDED' });
    now += COMMIT_WAIT_MS;
    expect(await startB).toMatchObject({ status: 'RUNNING', startedAt: new Date(t0 + 1).toISOString() });
    vi.restoreAllMocks();
    expect(writes).toEqual([1, 1]);
    expect((await backend.state.getJob(other.jobId))?.tasks).toMatchObject({ claimed: 0, running: 1, succeeded: 1 });
  });

  it('a start alone is written after a short wait; a start whose lease went rejects with LEASE_LOST', async () => {
    const other = await reopen(2);
    await backend.state.releaseTask(other.jobId, 1, { owner: 'h', attempt: 1 }, 'gone');
    const c = new Committer(state, () => true);
    // Both starts are added at one instant of the committer's clock, then both may go: a loaded machine that stalls
    // between the two calls past half of COMMIT_WAIT_MS must not split them into two writes (it did once, [1, 1]).
    let now = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const ok = c.start(other.jobId, 0, { owner: 'h', attempt: 1 }, now);
    const gone = c.start(other.jobId, 1, { owner: 'h', attempt: 1 }, now).then(() => null, (e: unknown) => e);
    now += COMMIT_WAIT_MS;
    expect(await ok).toMatchObject({ status: 'RUNNING' });
    expect(isDjcError(await gone, 'LEASE_LOST')).toBe(true);
    expect(writes).toEqual([2]);
  });

  it('an end whose start is being written waits for that write: one task\'s writes never race', async () => {
    const other = await reopen(1);
    const c = new Committer(state, () => true);
    const t0 = Date.now() - 1_000;
    const started = c.start(other.jobId, 0, { owner: 'h', attempt: 1 }, t0);
    await new Promise((r) => setTimeout(r, 30)); // the start's write is under way now (or done)
    const done = await c.complete(other.jobId, 0, { owner: 'h', attempt: 1 }, OK, t0);
    expect(await started).toMatchObject({ status: 'RUNNING' });
    expect(done).toMatchObject({ status: 'SUCCEEDED', startedAt: new Date(t0).toISOString() });
    expect(writes).toEqual([1, 1]);
  });

  it('a lease that no longer holds rejects that completion alone', async () => {
    let busy = true;
    const c = new Committer(state, () => busy);
    const stale = c.complete(jobId, 0, lease(2), OK).then(() => null, (e: unknown) => e);
    busy = false;
    const fine = c.complete(jobId, 1, lease(), OK);
    expect(await fine).toMatchObject({ taskId: 1, status: 'SUCCEEDED' });
    expect(isDjcError(await stale, 'LEASE_LOST')).toBe(true);
    expect(writes).toEqual([2]);
    expect((await backend.state.getTask(jobId, 0))?.status).toBe('RUNNING');
  });

  it('deletes the waiting acknowledgements with the next group where the backend writes both at once', async () => {
    const joint = backend.joint;
    if (joint === undefined) throw new Error('the local backend has joint operations');
    await backend.queue.send([{ v: 1, jobId, taskId: 0 }, { v: 1, jobId, taskId: 1 }]);
    const got = await backend.queue.receive({ jobId, max: 2, visibilityMs: 60_000 });
    const calls: number[] = [];
    const counted = { ...joint, completeAndAck: (id: string, ws: never, acks: readonly string[]) => { calls.push(acks.length); return joint.completeAndAck(id, ws, acks); } };
    const waiting = got.map((m) => m.receipt);
    const c = new Committer(state, () => false, { joint: counted, waiting });
    expect(await c.complete(jobId, 0, lease(), OK)).toMatchObject({ status: 'SUCCEEDED' });
    expect(calls).toEqual([2]);
    expect(waiting).toEqual([]);
    expect(await backend.queue.depth(jobId)).toMatchObject({ visible: 0, inFlight: 0 });
    // Nothing waiting: still the joint write (it would carry a receipt), no acks.
    expect(await c.complete(jobId, 1, lease(), OK)).toMatchObject({ status: 'SUCCEEDED' });
    expect(calls).toEqual([2, 0]);
    expect(writes).toEqual([]);
  });

  it('acknowledges a SUCCEEDED end with its own write where it can, and leaves an idle one to the next receive', async () => {
    const joint = backend.joint;
    if (joint === undefined) throw new Error('the local backend has joint operations');
    const job = testJob();
    await backend.state.createJob(job);
    await joint.putTasksAndSend(job.jobId, testBatches(5));
    const claim = { owner: 'w', leaseMs: 60_000, maxAttempts: 3, start: 2 };
    const got = await joint.receiveAndClaim({ jobId: job.jobId, max: 2, visibilityMs: 60_000, claim });
    const receipt = (i: number) => got.messages[i]?.receipt ?? '';
    const calls: number[] = [];
    const counted = { ...joint, completeAndAck: (id: string, ws: never, acks: readonly string[]) => { calls.push(acks.length); return joint.completeAndAck(id, ws, acks); } };
    const waiting: string[] = [];
    const c = new Committer(state, () => false, { joint: counted, waiting });
    // The worker is idle: the completion waits for the loop's receive, which writes it first in its transaction.
    const first = c.complete(job.jobId, 0, lease(), OK, undefined, receipt(0));
    const taken = c.takeEnds(job.jobId);
    expect(taken?.writes.map((w) => [w.taskId, w.receipt])).toEqual([[0, receipt(0)]]);
    const next = await joint.receiveAndClaim({ jobId: job.jobId, max: 2, visibilityMs: 60_000, claim, ends: taken?.writes ?? [] });
    taken?.settle(next.ended);
    expect(await first).toMatchObject({ taskId: 0, status: 'SUCCEEDED' });
    expect(next.messages.map((m) => m.message.taskId)).toEqual([2, 3]);
    expect(calls).toEqual([]);
    // Its message went with the end: tasks 1, 2, 3 in flight, 4 visible; nothing left to acknowledge.
    expect(await backend.queue.depth(job.jobId)).toMatchObject({ visible: 1, inFlight: 3 });
    expect(waiting).toEqual([]);
    // No receive takes it: written alone, its ack in the same write; a failed end acknowledges nothing.
    expect(await c.complete(job.jobId, 1, lease(), OK, undefined, receipt(1))).toMatchObject({ status: 'SUCCEEDED' });
    const failed = { status: 'FAILED' as const, error: 'x', kind: 'error' as const };
    expect(await c.complete(job.jobId, 2, lease(), failed, undefined, next.messages[0]?.receipt)).toMatchObject({ status: 'FAILED' });
    expect(calls).toEqual([0, 0]);
    expect(await backend.queue.depth(job.jobId)).toMatchObject({ visible: 1, inFlight: 2 });
    expect((await backend.state.getJob(job.jobId))?.tasks).toMatchObject({ succeeded: 2, failed: 1, running: 1, pending: 1 });
  });

  it('without joint writes, leaves the receipt of an end written SUCCEEDED to the loop', async () => {
    const waiting: string[] = [];
    const c = new Committer(state, () => false, { waiting });
    expect(await c.complete(jobId, 0, lease(), OK, undefined, 'r0')).toMatchObject({ status: 'SUCCEEDED' });
    const failed = { status: 'FAILED' as const, error: 'x', kind: 'error' as const };
    expect(await c.complete(jobId, 1, lease(), failed, undefined, 'r1')).toMatchObject({ status: 'FAILED' });
    await expect(c.complete(jobId, 2, lease(2), OK, undefined, 'r2')).rejects.toThrow();
    expect(c.takeEnds(jobId)).toBeNull();
    expect(waiting).toEqual(['r0']);
    expect(writes).toEqual([1, 1, 1]);
  });
});
