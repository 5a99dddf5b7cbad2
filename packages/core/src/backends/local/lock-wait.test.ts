import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, testBatches, testJob } from '../../testing/fixtures.js';
import type { Backend } from '../../ports/backend.js';
import { createLocalBackend } from './index.js';
import type { SqliteDriverName } from './sqlite-driver.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';

/** Another connection (in a worker thread, with the same driver) holds the write lock for `holdMs`. */
const HOLDER = `
const { workerData, parentPort } = require('node:worker_threads');
const db = workerData.sqlite === 'node:sqlite'
  ? new (require('node:sqlite').DatabaseSync)(workerData.file)
  : new (require(workerData.sqlite))(workerData.file);
db.exec('BEGIN IMMEDIATE');
db.prepare("UPDATE jobs SET error = 'held' WHERE job_id = ?").run(workerData.jobId);
parentPort.postMessage('locked');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
db.exec('COMMIT');
db.close();
`;

function holdLock(driver: SqliteDriverName, file: string, jobId: string, holdMs: number): Promise<Worker> {
  const sqlite = driver === 'node' ? 'node:sqlite' : createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(HOLDER, { eval: true, workerData: { sqlite, file, jobId, holdMs } });
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  });
}

describe.each(sqliteDriversUnderTest())('local backend, waiting for the write lock (%s driver)', (driver) => {
  let backend: Backend | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await backend?.close();
    await cleanup?.();
  });

  it('a write waits while another connection holds the lock, then succeeds (no SQLITE_BUSY)', async () => {
    const tmp = await tempDir('djc-lock-');
    cleanup = tmp.cleanup;
    backend = createLocalBackend({ home: tmp.dir, driver });
    const job = testJob();
    await backend.state.createJob(job);
    await backend.state.putTasks(job.jobId, testBatches(2));
    const holder = await holdLock(driver, join(tmp.dir, 'djc.sqlite'), job.jobId, 400);
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    const t0 = Date.now();
    const [claimed, sent] = await Promise.all([
      backend.state.claimTask(job.jobId, 0, { owner: 'w', leaseMs: 10_000, maxAttempts: 1 }),
      backend.queue.send([{ v: 1, jobId: job.jobId, taskId: 1 }]),
    ]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(claimed.attempts).toBe(1);
    expect(sent).toBeUndefined();
    await exited;
    const j = await backend.state.getJob(job.jobId);
    expect(j).toMatchObject({ error: 'held', tasks: { running: 1, pending: 1 } });
    expect((await backend.queue.depth()).visible).toBe(1);
  });

  it('reads are not blocked by a writer (WAL)', async () => {
    const tmp = await tempDir('djc-lock-');
    cleanup = tmp.cleanup;
    backend = createLocalBackend({ home: tmp.dir, driver });
    const job = testJob();
    await backend.state.createJob(job);
    const holder = await holdLock(driver, join(tmp.dir, 'djc.sqlite'), job.jobId, 400);
    const t0 = Date.now();
    expect((await backend.state.getJob(job.jobId))?.error).toBeNull();
    expect(Date.now() - t0).toBeLessThan(200);
    await new Promise((resolve) => holder.once('exit', resolve));
  });
});
