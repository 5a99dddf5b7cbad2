import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDjcError, type Backend, type StateStore, type TaskOutcome } from '@djc/core';
import { createLocalBackend } from '@djc/core/backends/local';
import { tempDir, testBatches, testJob } from '../../core/src/testing/fixtures.js';
import { Committer } from './committer.js';

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
afterEach(async () => {
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
});
