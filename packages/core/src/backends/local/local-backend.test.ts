import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeStateStoreContract } from '../../ports/state-store.contract.js';
import { describeTaskQueueContract } from '../../ports/task-queue.contract.js';
import { describeBlobStoreContract } from '../../ports/blob-store.contract.js';
import { rejectionOf, tempDir, testBatches, testJob } from '../../testing/fixtures.js';
import { expectDjcError } from '../../testing/contract-harness.js';
import type { Backend } from '../../ports/backend.js';
import { createLocalBackend } from './index.js';
import { MIGRATIONS } from './migrations.js';
import { openSqlite, type SqliteDriverName } from './sqlite-driver.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';

const DRIVERS = sqliteDriversUnderTest();

async function localFixture(driver: SqliteDriverName) {
  const tmp = await tempDir('djc-local-');
  const backend = createLocalBackend({ home: join(tmp.dir, 'home'), driver });
  return {
    backend,
    store: backend.state,
    queue: backend.queue,
    blobs: backend.blobs,
    cleanup: async () => {
      await backend.close();
      await tmp.cleanup();
    },
  };
}

for (const driver of DRIVERS) {
  describeStateStoreContract(`local (SQLite, ${driver} driver)`, () => localFixture(driver));
  describeTaskQueueContract(`local (SQLite, ${driver} driver)`, () => localFixture(driver), { unitMs: 50 });
}
describeBlobStoreContract('local (directory)', () => localFixture(DRIVERS[0] as SqliteDriverName));

describe.each(DRIVERS)('local backend (%s driver)', (driver) => {
  const open: { backend: Backend; cleanup(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const f of open.splice(0)) await f.cleanup();
  });
  const fixture = async () => {
    const f = await localFixture(driver);
    open.push(f);
    return f;
  };

  it('keeps everything under DJC_HOME and tells workers how to reach it', async () => {
    const { backend } = await fixture();
    const home = backend.workerEnv().DJC_HOME as string;
    expect(backend.name).toBe('local');
    expect(backend.workerEnv()).toEqual({ DJC_BACKEND: 'local', DJC_HOME: home, DJC_SQLITE_DRIVER: driver });
    await backend.blobs.put('jobs/j/manifest.json', '{}');
    expect(existsSync(join(home, 'djc.sqlite'))).toBe(true);
    expect(existsSync(join(home, 'blobs', 'jobs', 'j', 'manifest.json'))).toBe(true);
  });

  it('opens the file in WAL mode at the current schema version, and survives a reopen', async () => {
    const { backend } = await fixture();
    const home = backend.workerEnv().DJC_HOME as string;
    const job = testJob();
    await backend.state.createJob(job);
    await backend.state.putTasks(job.jobId, testBatches(3));
    await backend.close();
    await backend.close();
    const again = createLocalBackend({ home, driver });
    open.push({ backend: again, cleanup: () => again.close() });
    expect((await again.state.getJob(job.jobId))?.tasks.total).toBe(3);
    const { db } = openSqlite(join(home, 'djc.sqlite'), { driver, readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT max(version) FROM schema_version').pluck().get()).toBe(MIGRATIONS.length);
    db.close();
  });

  it('upgrades a file written by an older schema, keeping its jobs', async () => {
    const tmp = await tempDir();
    const home = tmp.dir;
    const { db: old } = openSqlite(join(home, 'djc.sqlite'), { driver });
    old.exec(MIGRATIONS[0] as string);
    old.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1)');
    old.prepare(`INSERT INTO jobs (job_id, name, status, backend, config, config_path, mode, created_at)
      VALUES ('old-1', 'old', 'SUCCEEDED', 'local', '{}', '/x.yaml', 'run', '2026-01-01T00:00:00.000Z')`).run();
    old.close();
    const backend = createLocalBackend({ home, driver });
    open.push({ backend, cleanup: async () => { await backend.close(); await tmp.cleanup(); } });
    expect(await backend.state.getJob('old-1')).toMatchObject({ name: 'old', status: 'SUCCEEDED', coordinator: null });
    const mark = { owner: 'test', seenAt: 1 };
    expect((await backend.state.updateJob('old-1', { coordinator: mark })).coordinator).toEqual({ ...mark, epoch: 0 });
    // The i13-fence migration's epoch works on an upgraded file.
    expect((await backend.state.claimJob('old-1', 'claimer')).coordinator).toMatchObject({ owner: 'claimer', epoch: 1 });
  });

  it('queue depth: a released delivery waiting out its delay is delayed, not in flight', async () => {
    const { backend } = await fixture();
    await backend.queue.send([0, 1, 2].map((taskId) => ({ v: 1 as const, jobId: 'j', taskId })));
    await backend.queue.send([{ v: 1, jobId: 'j', taskId: 3 }], { delayMs: 60_000 });
    const [m0, m1] = await backend.queue.receive({ max: 2, visibilityMs: 60_000 });
    await backend.queue.release(m0!.receipt, 60_000);
    await backend.queue.deadLetter(m1!.receipt, 'poison');
    expect(await backend.queue.depth()).toEqual({ visible: 1, inFlight: 0, delayed: 2, dead: 1 });
    expect(await backend.queue.depth('j')).toEqual({ visible: 1, inFlight: 0, delayed: 2, dead: 1 });
    expect(await backend.queue.depth('other')).toEqual({ visible: 0, inFlight: 0, delayed: 0, dead: 0 });
    await backend.queue.extend(m0!.receipt, 1);
    await backend.queue.delete(m0!.receipt);
    expect((await backend.queue.depth()).delayed).toBe(2);
  });

  it('putTasks for a missing job throws NOT_FOUND', async () => {
    const { backend } = await fixture();
    expectDjcError(await rejectionOf(backend.state.putTasks('nope', testBatches(1))), 'NOT_FOUND');
  });

  it('a claim conflict names why in its details', async () => {
    const { backend } = await fixture();
    const job = testJob();
    await backend.state.createJob(job);
    await backend.state.putTasks(job.jobId, testBatches(1));
    const e = await rejectionOf(backend.state.claimTask(job.jobId, 4, { owner: 'w', leaseMs: 1000, maxAttempts: 1 }));
    expect((e as { details: unknown }).details).toEqual({ status: null, reason: 'missing' });
  });

  it('putTasks inserts thousands of batches in one quick call', async () => {
    const { backend } = await fixture();
    const job = testJob();
    await backend.state.createJob(job);
    const t0 = performance.now();
    expect(await backend.state.putTasks(job.jobId, testBatches(5000))).toBe(5000);
    expect(await backend.state.putTasks(job.jobId, testBatches(5000))).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect((await backend.state.getJob(job.jobId))?.tasks).toMatchObject({ total: 5000, pending: 5000 });
  });

  it('two backends on one home share state: a claim by one is seen by the other', async () => {
    const { backend: a } = await fixture();
    const b = createLocalBackend({ home: a.workerEnv().DJC_HOME as string, driver });
    open.push({ backend: b, cleanup: () => b.close() });
    const job = testJob();
    await a.state.createJob(job);
    await a.state.putTasks(job.jobId, testBatches(1));
    await a.queue.send([{ v: 1, jobId: job.jobId, taskId: 0 }]);
    const [m] = await b.queue.receive({ max: 1, visibilityMs: 10_000 });
    expect(m?.message.taskId).toBe(0);
    await b.state.claimTask(job.jobId, 0, { owner: 'b', leaseMs: 10_000, maxAttempts: 1 });
    expect((await a.state.getTask(job.jobId, 0))?.leaseOwner).toBe('b');
    expect(await a.queue.receive({ max: 1, visibilityMs: 10_000 })).toEqual([]);
  });
});
