/** Task rows: idempotent bulk insert (prepare) and reads. */
import type { Statement } from './sqlite-driver.js';
import type { TaskRecord } from '../../model/job.js';
import type { BatchDescriptor } from '../../model/batch.js';
import type { ListTasksOptions, ReusedTask } from '../../ports/state-store.js';
import type { Db } from './db.js';
import type { JobCounters } from './job-counters.js';
import type { SqliteJobOps } from './sqlite-job-ops.js';
import { noJob } from '../store-errors.js';
import { toTaskRecord, type TaskRow } from './state-rows.js';

export class SqliteTaskOps {
  private readonly insert: Statement;
  private readonly insertReused: Statement;
  private readonly select: Statement;
  private readonly listAll: Statement;
  private readonly listByStatus: Statement;

  constructor(db: Db, private readonly jobs: SqliteJobOps, private readonly counters: JobCounters) {
    this.insert = db.prepare(
      "INSERT OR IGNORE INTO tasks (job_id, task_id, status, batch) VALUES (?, ?, 'PENDING', ?)",
    );
    this.insertReused = db.prepare(
      `INSERT OR IGNORE INTO tasks (job_id, task_id, status, batch, output_key, output_inline, output_kind, records, bad, ended_at, reused_from)
       VALUES (?, ?, 'SUCCEEDED', ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.select = db.prepare('SELECT * FROM tasks WHERE job_id = ? AND task_id = ?');
    this.listAll = db.prepare('SELECT * FROM tasks WHERE job_id = ? AND task_id > ? ORDER BY task_id LIMIT ?');
    this.listByStatus = db.prepare(
      'SELECT * FROM tasks WHERE job_id = ? AND status = ? AND task_id > ? ORDER BY task_id LIMIT ?',
    );
  }

  /** Inserts the tasks that do not exist yet; counts only those. Run inside a transaction. */
  put(jobId: string, batches: readonly BatchDescriptor[]): number {
    if (this.jobs.status(jobId) === null) throw noJob(jobId);
    let inserted = 0;
    for (const b of batches) {
      inserted += this.insert.run(jobId, b.index, JSON.stringify(b)).changes;
    }
    if (inserted > 0) this.counters.apply(jobId, { total: inserted, pending: inserted });
    return inserted;
  }

  /** Inserts SUCCEEDED tasks with their earlier outputs (per-batch re-use); counts only those inserted. Run inside a transaction. */
  putReused(jobId: string, tasks: readonly ReusedTask[]): number {
    if (this.jobs.status(jobId) === null) throw noJob(jobId);
    const endedAt = new Date().toISOString();
    const delta = { total: 0, succeeded: 0, processed: 0, bad: 0 };
    for (const { batch, from } of tasks) {
      const inline = from.inlineOutput === null ? null : Buffer.from(from.inlineOutput);
      const reusedFrom = JSON.stringify({ jobId: from.jobId, taskId: from.taskId });
      const n = this.insertReused.run(jobId, batch.index, JSON.stringify(batch), from.outputKey, inline, from.outputKind, from.records ?? 0, from.bad ?? 0, endedAt, reusedFrom).changes;
      if (n === 0) continue;
      delta.total += 1;
      delta.succeeded += 1;
      delta.processed += from.records ?? 0;
      delta.bad += from.bad ?? 0;
    }
    if (delta.total > 0) this.counters.apply(jobId, delta);
    return delta.total;
  }

  get(jobId: string, taskId: number): TaskRecord | null {
    const row = this.select.get(jobId, taskId) as TaskRow | undefined;
    return row ? toTaskRecord(row) : null;
  }

  list(jobId: string, opts: ListTasksOptions = {}): TaskRecord[] {
    const after = opts.after ?? -1;
    const limit = opts.limit ?? -1;
    const rows = (opts.status
      ? this.listByStatus.all(jobId, opts.status, after, limit)
      : this.listAll.all(jobId, after, limit)) as TaskRow[];
    return rows.map(toTaskRecord);
  }
}
