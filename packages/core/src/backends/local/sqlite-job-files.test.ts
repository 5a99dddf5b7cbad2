import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchDescriptor } from '../../model/batch.js';
import { tempDir, testJob } from '../../testing/fixtures.js';
import { sqliteDriversUnderTest } from '../../testing/sqlite-drivers.js';
import { createLocalBackend } from './index.js';
import { MIGRATIONS } from './migrations.js';
import { openSqlite, type SqliteDriverName } from './sqlite-driver.js';

const DRIVERS = sqliteDriversUnderTest();

/** Batches of two input files, each with its stat, as prepare writes them. */
function batches(from: number, count: number): BatchDescriptor[] {
  return Array.from({ length: count }, (_, k) => {
    const index = from + k;
    const file = index % 2 === 0 ? '/data/a.jsonl' : '/data/b.jsonl';
    return { index, file, start: index * 10, end: index * 10 + 10, firstRecord: index, records: 1, source: { size: 1000 + (index % 2), mtimeMs: 1764000000000.5 } };
  });
}

describe.each(DRIVERS)('task rows name their input file by number (%s driver)', (driver: SqliteDriverName) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const home = async () => {
    const tmp = await tempDir('djc-files-');
    cleanups.push(tmp.cleanup);
    return join(tmp.dir, 'home');
  };
  const open = (dir: string) => {
    const backend = createLocalBackend({ home: dir, driver });
    cleanups.push(() => backend.close());
    return backend;
  };
  const raw = (dir: string) => {
    const { db } = openSqlite(join(dir, 'djc.sqlite'), { driver, readonly: true });
    cleanups.push(async () => db.close());
    return db;
  };

  it('keeps each file once per job and gives back the whole batch, in this process and another', async () => {
    const dir = await home();
    const backend = open(dir);
    const job = testJob();
    await backend.state.createJob(job);
    expect(await backend.state.putTasks(job.jobId, batches(0, 6))).toBe(6);
    // A resumed prepare: the same batches again and more; the files keep their numbers.
    expect(await backend.state.putTasks(job.jobId, batches(4, 4))).toBe(2);
    const want = batches(0, 8);
    expect((await backend.state.listTasks(job.jobId)).map((t) => t.batch)).toEqual(want);
    expect((await open(dir).state.getTask(job.jobId, 5))?.batch).toEqual(want[5]);
    const db = raw(dir);
    expect(db.prepare('SELECT file_no, path FROM job_files WHERE job_id = ? ORDER BY file_no').all(job.jobId))
      .toEqual([{ file_no: 0, path: '/data/a.jsonl' }, { file_no: 1, path: '/data/b.jsonl' }]);
    const row = db.prepare('SELECT batch FROM tasks WHERE job_id = ? AND task_id = 3').pluck().get(job.jobId) as string;
    expect(row).not.toContain('b.jsonl');
    // The common shape is an array: [start, end, firstRecord, records, file number] (migration 22).
    expect(row).toBe('[30,40,3,1,1]');
  });

  it('packs other shapes as objects, reads both forms and the object rows of migration 21', async () => {
    const dir = await home();
    const backend = open(dir);
    const job = testJob();
    await backend.state.createJob(job);
    const source = { size: 9, mtimeMs: 1764000000000.25 };
    const csv: BatchDescriptor = { index: 0, file: '/d/a.csv', start: 4, end: 9, firstRecord: 0, records: 2, headerEnd: 4, source };
    const bytes: BatchDescriptor = { index: 1, file: '/d/a.csv', start: 9, end: 20, firstRecord: null, records: null, source };
    const odd = { index: 2, file: '/d/a.csv', start: 20, end: 21.5, firstRecord: 1, records: 1, source } as BatchDescriptor;
    const plain: BatchDescriptor = { index: 3, file: '/d/a.csv', start: 21, end: 30, firstRecord: 3, records: 1, source };
    await backend.state.putTasks(job.jobId, [csv, bytes, odd, plain]);
    expect((await backend.state.listTasks(job.jobId)).map((t) => t.batch)).toEqual([csv, bytes, odd, plain]);
    const db = raw(dir);
    const rows = db.prepare('SELECT batch FROM tasks WHERE job_id = ? ORDER BY task_id').pluck().all(job.jobId) as string[];
    expect(rows.map((r) => JSON.parse(r))).toEqual([
      { start: 4, end: 9, firstRecord: 0, records: 2, headerEnd: 4, n: 0 },
      [9, 20, null, null, 0],
      { start: 20, end: 21.5, firstRecord: 1, records: 1, n: 0 },
      [21, 30, 3, 1, 0],
    ]);
    // A row packed as an object by migration 21's djc reads the same.
    const { db: rw } = openSqlite(join(dir, 'djc.sqlite'), { driver });
    cleanups.push(async () => rw.close());
    rw.prepare('UPDATE tasks SET batch = ? WHERE job_id = ? AND task_id = 3').run('{"start":21,"end":30,"firstRecord":3,"records":1,"n":0}', job.jobId);
    expect((await open(dir).state.getTask(job.jobId, 3))?.batch).toEqual(plain);
  });

  it('a claim returns the whole batch', async () => {
    const backend = open(await home());
    const job = testJob();
    await backend.state.createJob(job);
    await backend.state.putTasks(job.jobId, batches(0, 2));
    const claimed = await backend.state.claimTask(job.jobId, 1, { owner: 'w', leaseMs: 60_000, maxAttempts: 3 });
    expect(claimed.batch).toEqual(batches(1, 1)[0]);
  });

  it('an upgraded home reads the task rows written whole before, and packs the new ones', async () => {
    const dir = await home();
    mkdirSync(dir, { mode: 0o700 });
    const before = 20; // the last schema before job_files (migration 21)
    const { db: old } = openSqlite(join(dir, 'djc.sqlite'), { driver });
    for (const m of MIGRATIONS.slice(0, before)) old.exec(m);
    old.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (${before})`);
    old.prepare(`INSERT INTO jobs (job_id, name, status, backend, config, config_path, mode, created_at, tasks_total, tasks_pending)
      VALUES ('old-1', 'old', 'RUNNING', 'local', '{}', '/x.yaml', 'run', '2026-01-01T00:00:00.000Z', 1, 1)`).run();
    const whole = batches(0, 1)[0] as BatchDescriptor;
    old.prepare("INSERT INTO tasks (job_id, task_id, status, batch) VALUES ('old-1', 0, 'PENDING', ?)").run(JSON.stringify(whole));
    old.close();
    const backend = open(dir);
    expect((await backend.state.getTask('old-1', 0))?.batch).toEqual(whole);
    await backend.state.putTasks('old-1', batches(0, 3));
    expect((await backend.state.listTasks('old-1')).map((t) => t.batch)).toEqual(batches(0, 3));
    const db = raw(dir);
    expect(db.prepare('SELECT max(version) FROM schema_version').pluck().get()).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT count(*) FROM job_files WHERE job_id = 'old-1'").pluck().get()).toBe(2);
  });

  it('batches of many files and without a stat keep their whole descriptor', async () => {
    const dir = await home();
    const backend = open(dir);
    const job = testJob();
    await backend.state.createJob(job);
    const many: BatchDescriptor = { index: 0, file: '/d/x', start: 0, end: 3, firstRecord: 0, records: 2, source: { size: 1, mtimeMs: 1 }, files: [{ path: '/d/x', size: 1, mtimeMs: 1 }, { path: '/d/y', size: 2, mtimeMs: 2 }] };
    const bare: BatchDescriptor = { index: 1, file: '/d/z', start: 0, end: 5, firstRecord: 2, records: 1 };
    await backend.state.putTasks(job.jobId, [many, bare]);
    expect((await backend.state.listTasks(job.jobId)).map((t) => t.batch)).toEqual([many, bare]);
    expect(raw(dir).prepare('SELECT count(*) FROM job_files').pluck().get()).toBe(0);
  });
});
