/** Task rows: re-used tasks' insert (prepare; PENDING ones: sqlite-task-inserts.ts) and reads. */
import type { Statement } from './sqlite-driver.js';
import type { TaskRecord } from '../../model/job.js';
import type { ListTasksOptions, ReusedTask, TaskOutputRef } from '../../ports/state-store.js';
import type { OutputKind } from '../../model/job.js';
import type { Db } from './db.js';
import type { JobCounters } from './job-counters.js';
import type { SqliteJobOps } from './sqlite-job-ops.js';
import { noJob } from '../store-errors.js';
import { toTaskRecord, type TaskRow } from './state-rows.js';
import type { JobFiles } from './sqlite-job-files.js';

export class SqliteTaskOps {
  private readonly insertReused: Statement;
  private readonly select: Statement;
  private readonly listAll: Statement;
  private readonly listByStatus: Statement;
  private readonly listOutputRows: Statement;

  constructor(db: Db, private readonly jobs: SqliteJobOps, private readonly counters: JobCounters, private readonly files: JobFiles) {
    this.insertReused = db.prepare(
      `INSERT OR IGNORE INTO tasks (job_id, task_id, status, batch, output_key, output_inline, output_kind, records, bad, ended_at, reused_from)
       VALUES (?, ?, 'SUCCEEDED', ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.select = db.prepare('SELECT * FROM tasks WHERE job_id = ? AND task_id = ?');
    this.listAll = db.prepare('SELECT * FROM tasks WHERE job_id = ? AND task_id > ? ORDER BY task_id LIMIT ?');
    this.listByStatus = db.prepare(
      'SELECT * FROM tasks WHERE job_id = ? AND status = ? AND task_id > ? ORDER BY task_id LIMIT ?',
    );
    // As arrays (raw): finalize reads every succeeded task's row; on node:sqlite a row object each cost ~1.5x the CPU (NOTES).
    this.listOutputRows = db.prepare(`SELECT task_id, output_key, output_inline, output_kind FROM tasks
      WHERE job_id = ? AND status = 'SUCCEEDED' AND task_id > ? ORDER BY task_id LIMIT ?`).raw();
  }

  /** Inserts SUCCEEDED tasks with their earlier outputs (per-batch re-use); counts only those inserted. Run inside a transaction. */
  putReused(jobId: string, tasks: readonly ReusedTask[]): number {
    if (this.jobs.status(jobId) === null) throw noJob(jobId);
    const endedAt = new Date().toISOString();
    const delta = { total: 0, succeeded: 0, processed: 0, bad: 0 };
    const rows = this.files.pack(jobId, tasks.map((t) => t.batch));
    for (const [i, { batch, from }] of tasks.entries()) {
      const inline = from.inlineOutput === null ? null : Buffer.from(from.inlineOutput);
      const reusedFrom = JSON.stringify({ jobId: from.jobId, taskId: from.taskId });
      const n = this.insertReused.run(jobId, batch.index, rows[i], from.outputKey, inline, from.outputKind, from.records ?? 0, from.bad ?? 0, endedAt, reusedFrom).changes;
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
    return row ? toTaskRecord(row, this.files) : null;
  }

  list(jobId: string, opts: ListTasksOptions = {}): TaskRecord[] {
    const after = opts.after ?? -1;
    const limit = opts.limit ?? -1;
    const rows = (opts.status
      ? this.listByStatus.all(jobId, opts.status, after, limit)
      : this.listAll.all(jobId, after, limit)) as TaskRow[];
    return rows.map((r) => toTaskRecord(r, this.files));
  }

  listOutputs(jobId: string, opts: Omit<ListTasksOptions, 'status'> = {}): TaskOutputRef[] {
    const rows = this.listOutputRows.all(jobId, opts.after ?? -1, opts.limit ?? -1) as OutputRow[];
    return rows.map(([taskId, outputKey, inline, outputKind]) => ({ taskId, outputKey, inlineOutput: inline ?? null, outputKind }));
  }
}

/** A listOutputRows row (raw): task_id, output_key, output_inline, output_kind. */
type OutputRow = [number, string | null, Uint8Array | null, OutputKind | null];
