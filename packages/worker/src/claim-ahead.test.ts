import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, createLogger, type Backend, type JobConfig, type TaskRecord } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { tempDir, testBatches, testJob } from '../../core/src/testing/fixtures.js';
import { claimAhead, heldClaim, isHeld, putBack } from './claim-ahead.js';
import { JobCache } from './job-cache.js';
import type { AttemptDeps } from './run-attempt.js';

const LEASE_MS = 3_000;

let tmp: Awaited<ReturnType<typeof tempDir>>;
let backend: Backend;
let deps: AttemptDeps;
let jobId: string;

beforeEach(async () => {
  tmp = await tempDir('djc-claim-ahead-');
  backend = createLocalBackend({ home: tmp.dir });
  const job = testJob();
  const config: JobConfig = { ...job.config, compute: { ...job.config.compute, lease: LEASE_MS } };
  await backend.state.createJob({ ...job, config });
  await backend.state.transitionJob(job.jobId, ['SUBMITTED'], 'PREPARING');
  await backend.state.transitionJob(job.jobId, ['PREPARING'], 'RUNNING');
  await backend.state.putTasks(job.jobId, testBatches(4));
  await backend.queue.send([0, 1, 2, 3].map((taskId) => ({ v: 1 as const, jobId: job.jobId, taskId })));
  jobId = job.jobId;
  deps = {
    backend, jobs: new JobCache(backend.state), workerId: 'w-1', log: createLogger({ name: 'test', level: 'silent' }),
    runner: undefined as never, tmpRoot: tmp.dir, shutdown: new AbortController().signal, ack: () => undefined,
    complete: (id, taskId, lease, outcome) => backend.state.completeTask(id, taskId, lease, outcome),
    start: async (id, taskId, lease, startedAt) => {
      const [r] = await backend.state.completeTasks(id, [{ taskId, lease, startedAt }]);
      if (r instanceof Error) throw r;
      return r as TaskRecord;
    },
  };
});
afterEach(async () => {
  await backend.close();
  await tmp.cleanup();
});

const receiveAll = () => backend.queue.receive({ max: 10, visibilityMs: LEASE_MS });

describe('claimAhead', () => {
  it('claims the received tasks together; a task another worker runs is refused', async () => {
    await backend.state.claimTask(jobId, 2, { owner: 'w-2', leaseMs: LEASE_MS, maxAttempts: 3 });
    const held = await claimAhead(deps, await receiveAll(), 4);
    expect(held.map((h) => h.msg.message.taskId).sort()).toEqual([0, 1, 2, 3]);
    for (const h of held) {
      const r = h.claim?.result;
      if (h.msg.message.taskId === 2) expect(r).toBeInstanceOf(ConflictError);
      else expect(r).toMatchObject({ status: 'RUNNING', leaseOwner: 'w-1', attempts: 1 });
    }
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ pending: 0, claimed: 0, running: 4 });
  });

  it('claims as many RUNNING as there are free slots and holds the rest as CLAIMED, RUNNING first', async () => {
    const held = await claimAhead(deps, await receiveAll(), 1);
    expect(held.map((h) => [h.msg.message.taskId, (h.claim?.result as TaskRecord).status, isHeld(h)])).toEqual([
      [0, 'RUNNING', false], [1, 'CLAIMED', true], [2, 'CLAIMED', true], [3, 'CLAIMED', true],
    ]);
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ pending: 0, claimed: 3, running: 1 });
  });

  it('a task that waited past a third of its lease is heartbeated before it starts; a lost lease refuses it', async () => {
    const held = await claimAhead(deps, await receiveAll(), 0);
    const [a, b] = held;
    if (!a?.claim || !b?.claim) throw new Error('expected claims');
    a.claim.at -= LEASE_MS; // as if it had waited a whole lease
    b.claim.at -= LEASE_MS;
    const claimed = a.claim.result as TaskRecord;
    await backend.state.heartbeat(jobId, claimed.taskId, { owner: 'w-1', attempt: claimed.attempts }, 1); // nearly run out
    const task = (await heldClaim(deps, a)?.()) as TaskRecord;
    expect(task.taskId).toBe(claimed.taskId);
    expect((await backend.state.getTask(jobId, task.taskId))?.leaseExpiresAt).toBeGreaterThanOrEqual(Date.now() + LEASE_MS - 1_000);
    await backend.state.reclaimTasks(jobId, { owner: 'w-1', reason: 'test', maxAttempts: 3, notBefore: 0 });
    await expect(heldClaim(deps, b)?.()).rejects.toBeInstanceOf(ConflictError);
  });

  it('putBack gives a task claimed ahead back without counting an attempt, and makes its message visible at once', async () => {
    const held = await claimAhead(deps, await receiveAll(), 1);
    for (const h of held) await putBack(deps, h, 'its worker stopped');
    const tasks = await backend.state.listTasks(jobId);
    // Task 0 was claimed to run (RUNNING): refunded, its number spent; the held ones hand theirs back.
    expect(tasks.map((t) => [t.status, t.attempts, t.attemptFloor])).toEqual([['PENDING', 1, 1], ['PENDING', 0, 0], ['PENDING', 0, 0], ['PENDING', 0, 0]]);
    expect(tasks[1]?.error).toBe('given back before it started: its worker stopped; no attempt is counted');
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ pending: 4, claimed: 0, running: 0 });
    expect((await receiveAll()).length).toBe(4);
  });
});
