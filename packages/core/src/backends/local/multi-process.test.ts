import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, testBatches, testJob } from '../../testing/fixtures.js';
import { createLocalBackend } from './index.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';

const run = promisify(execFile);
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CHILD = fileURLToPath(new URL('../../testing/race-worker.ts', import.meta.url));

interface Counts {
  driver: string;
  succeeded: number;
  dropped: number;
  errors: string[];
}

describe.each(sqliteDriversUnderTest())('local backend, several processes on one file (%s driver)', (driver) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('4 processes race over 500 tasks (each message sent twice, a queue row and a task row): every task SUCCEEDED exactly once', async () => {
    const tmp = await tempDir('djc-mp-');
    cleanups.push(tmp.cleanup);
    const home = join(tmp.dir, 'home');
    const backend = createLocalBackend({ home, driver });
    cleanups.unshift(() => backend.close());
    const job = testJob();
    await backend.state.createJob(job);
    await backend.state.transitionJob(job.jobId, ['SUBMITTED'], 'PREPARING');
    const msgs = Array.from({ length: 500 }, (_, taskId) => ({ v: 1 as const, jobId: job.jobId, taskId }));
    // Twice, from both sources: sent before the tasks exist, queue rows; after, the task rows' own messages.
    await backend.queue.send(msgs);
    await backend.state.putTasks(job.jobId, testBatches(500, 0, 1));
    await backend.state.transitionJob(job.jobId, ['PREPARING'], 'RUNNING');
    await backend.queue.send(msgs);

    const children = [1, 2, 3, 4].map((i) =>
      run(process.execPath, ['--import', TSX, CHILD, home, job.jobId, `worker-${i}`], {
        timeout: 60_000, env: { ...process.env, DJC_SQLITE_DRIVER: driver },
      }),
    );
    const results = (await Promise.all(children)).map((r) => JSON.parse(r.stdout) as Counts);

    expect(results.map((r) => r.driver)).toEqual([driver, driver, driver, driver]);
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(results.reduce((n, r) => n + r.succeeded, 0)).toBe(500);
    expect(results.reduce((n, r) => n + r.dropped, 0)).toBe(500);
    const tasks = await backend.state.listTasks(job.jobId);
    expect(tasks.every((t) => t.status === 'SUCCEEDED' && t.attempts === 1)).toBe(true);
    const j = await backend.state.getJob(job.jobId);
    expect(j?.tasks).toEqual({ total: 500, pending: 0, claimed: 0, running: 0, retrying: 0, succeeded: 500, failed: 0, cancelled: 0 });
    expect(j?.records.processed).toBe(500);
    expect(await backend.queue.depth(job.jobId)).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 0 });
    expect(await backend.blobs.list(`jobs/${job.jobId}/outputs/`)).toHaveLength(500);
  });
});
