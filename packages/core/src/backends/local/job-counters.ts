/**
 * Keeps a job's task counters and processed-record count in step with its
 * tasks. Called inside the transaction that changes the task rows, so a
 * reader of the job row never sees the two disagree.
 */
import { TASK_COUNT_KEY, type TaskCounts } from '../../model/job.js';
import type { TaskStatus } from '../../model/status.js';
import type { Db } from './db.js';
import type { Statement } from 'better-sqlite3';

/** Signed changes to a job's counters. */
export type CountDelta = Partial<TaskCounts> & { processed?: number };

const COLUMNS = ['total', 'pending', 'running', 'retrying', 'succeeded', 'failed', 'cancelled'] as const;

export class JobCounters {
  private readonly update: Statement;

  constructor(db: Db) {
    const sets = COLUMNS.map((c) => `tasks_${c} = tasks_${c} + @${c}`).join(', ');
    this.update = db.prepare(
      `UPDATE jobs SET ${sets}, records_processed = records_processed + @processed, version = version + 1 WHERE job_id = @jobId`,
    );
  }

  apply(jobId: string, delta: CountDelta): void {
    this.update.run({
      jobId,
      total: delta.total ?? 0,
      pending: delta.pending ?? 0,
      running: delta.running ?? 0,
      retrying: delta.retrying ?? 0,
      succeeded: delta.succeeded ?? 0,
      failed: delta.failed ?? 0,
      cancelled: delta.cancelled ?? 0,
      processed: delta.processed ?? 0,
    });
  }

  /** `n` tasks moved from one status to another. */
  move(jobId: string, from: TaskStatus, to: TaskStatus, n = 1, processed = 0): void {
    this.apply(jobId, addMove({ processed }, from, to, n));
  }
}

/** Adds "n tasks went from → to" to a delta (for bulk changes). */
export function addMove(delta: CountDelta, from: TaskStatus, to: TaskStatus, n = 1): CountDelta {
  const f = TASK_COUNT_KEY[from];
  const t = TASK_COUNT_KEY[to];
  delta[f] = (delta[f] ?? 0) - n;
  delta[t] = (delta[t] ?? 0) + n;
  return delta;
}
