import { beforeEach, describe, expect, it } from 'vitest';
import { isDjcError } from '../../errors.js';
import type { Backend } from '../../ports/backend.js';
import type { TaskRecord } from '../../model/job.js';
import { testBatches } from '../../testing/fixtures.js';
import { useLocalJob } from '../../testing/local-job.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';
import type { SqliteDriverName } from './sqlite-driver.js';

// The start of a held task: one UPDATE with the lease check in its WHERE (the plain case), else the row read first.
describe.each(sqliteDriversUnderTest())('the start of a held task (%s driver)', (driver) => {
  const fx = useLocalJob('djc-start-', 3, driver as SqliteDriverName);
  let backend: Backend;
  let jobId: string;
  const claim = { owner: 'w', leaseMs: 60_000, maxAttempts: 3, start: 0 };
  const start = (t: TaskRecord, attempt = t.attempts) =>
    backend.state.completeTasks(jobId, [{ taskId: t.taskId, lease: { owner: 'w', attempt }, startedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 6) }]);

  beforeEach(() => {
    ({ backend, jobId } = fx);
  });

  it('returns the record getTask reads, RUNNING since startedAt; counters move CLAIMED -> RUNNING', async () => {
    const [held] = (await backend.state.claimTasks(jobId, [testBatches(1)[0]!.index], claim)) as TaskRecord[];
    expect(held?.status).toBe('CLAIMED');
    const [r] = await start(held!);
    expect(r).toMatchObject({ status: 'RUNNING', startedAt: '2026-01-02T03:04:05.006Z', leaseOwner: 'w', attempts: 1 });
    expect(await backend.state.getTask(jobId, held!.taskId)).toEqual(r);
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ pending: 2, claimed: 0, running: 1 });
  });

  it('a lease that does not hold (another attempt, or the task is not CLAIMED) is LEASE_LOST and changes nothing', async () => {
    const ids = testBatches(3).map((b) => b.index);
    const [a, b] = (await backend.state.claimTasks(jobId, ids.slice(0, 2), claim)) as TaskRecord[];
    const [wrong] = await start(a!, a!.attempts + 1);
    expect(isDjcError(wrong, 'LEASE_LOST')).toBe(true);
    await start(b!);
    const [twice] = await start(b!);
    expect(isDjcError(twice, 'LEASE_LOST')).toBe(true);
    expect(await backend.state.getTask(jobId, a!.taskId)).toMatchObject({ status: 'CLAIMED', startedAt: null });
    expect((await backend.state.getJob(jobId))?.tasks).toMatchObject({ pending: 1, claimed: 1, running: 1 });
  });
});
