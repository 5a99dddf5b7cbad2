/**
 * Prepare's task rows: many rows per INSERT statement. At 1,000,000
 * one-record tasks a statement per row was most of prepare's SQLite time
 * (a call into SQLite per row, each binding and stepping alone); GROUP rows
 * per statement bind at once and step once. Idempotent: INSERT OR IGNORE
 * keeps a task that exists (a resumed prepare), and only inserted rows are
 * counted. The job id and q_at are the same in every row: each is a named
 * parameter bound once per statement (@j, @q), not a value per row (a job
 * id converted to UTF-8 256 times per statement was ~0.25 s of a 1M
 * prepare). Named first, then the positional values: the order both
 * drivers take (node:sqlite wants the object first).
 */
import type { Statement } from './sqlite-driver.js';
import type { BatchDescriptor } from '../../model/batch.js';
import type { Db } from './db.js';
import type { JobCounters } from './job-counters.js';
import type { SqliteJobOps } from './sqlite-job-ops.js';
import type { JobFiles } from './sqlite-job-files.js';
import { noJob } from '../store-errors.js';

/** Rows per multi-row statement: 2 values each + 2 shared, well under SQLite's 32,766 parameters (and 999 before 3.32). */
const GROUP = 256;
const ROW = "(@j, ?, 'PENDING', ?, @q)";
/** q_at: the row's own queue message (task-row-messages.ts), visible then; NULL: none. */
const INSERT = 'INSERT OR IGNORE INTO tasks (job_id, task_id, status, batch, q_at) VALUES ';

export class SqliteTaskInserts {
  private readonly group: Statement;
  private readonly one: Statement;

  constructor(db: Db, private readonly jobs: SqliteJobOps, private readonly counters: JobCounters, private readonly files: JobFiles) {
    this.group = db.prepare(INSERT + Array<string>(GROUP).fill(ROW).join(', '));
    this.one = db.prepare(INSERT + ROW);
  }

  /**
   * Inserts the PENDING tasks that do not exist yet; counts only those. Run
   * inside a transaction. With `messageAt`, each inserted row carries its
   * queue message, visible then (JointOps.putTasksAndSend).
   */
  put(jobId: string, batches: readonly BatchDescriptor[], messageAt: number | null = null): number {
    if (this.jobs.status(jobId) === null) throw noJob(jobId);
    const rows = this.files.pack(jobId, batches);
    let inserted = 0;
    let i = 0;
    const shared = { j: jobId, q: messageAt };
    const values: unknown[] = new Array<unknown>(GROUP * 2);
    for (; i + GROUP <= batches.length; i += GROUP) {
      for (let k = 0; k < GROUP; k++) {
        values[2 * k] = (batches[i + k] as BatchDescriptor).index;
        values[2 * k + 1] = rows[i + k];
      }
      inserted += this.group.run(shared, ...values).changes;
    }
    for (; i < batches.length; i++) inserted += this.one.run(shared, (batches[i] as BatchDescriptor).index, rows[i]).changes;
    if (inserted > 0) this.counters.apply(jobId, { total: inserted, pending: inserted });
    return inserted;
  }
}
