/**
 * Keeps a job's task counters and record counts (processed, bad) in step with its
 * tasks. Called inside the transaction that changes the task rows, so a
 * reader of the job row never sees the two disagree. Every call bumps the
 * job's version. A batch of task changes (claimMany, completeMany) adds its
 * moves up with addMove and writes them in one `apply`.
 */
import type { Statement } from './sqlite-driver.js';
import { TASK_COUNT_KEY } from '../../model/job.js';
import type { TaskStatus } from '../../model/status.js';
import type { Db } from './db.js';
import type { CountDelta } from '../../model/count-delta.js';

export { addMove, type CountDelta } from '../../model/count-delta.js';


const COLUMNS = ['total', 'pending', 'claimed', 'running', 'retrying', 'succeeded', 'failed', 'cancelled'] as const;

export class JobCounters {
  private readonly update: Statement;
  /** One small statement per (from, to) pair: the hot path binds two values. */
  private readonly moves = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    const sets = COLUMNS.map((c) => `tasks_${c} = tasks_${c} + @${c}`).join(', ');
    this.update = db.prepare(
      `UPDATE jobs SET ${sets}, records_processed = records_processed + @processed, records_bad = records_bad + @bad,
        version = version + 1 WHERE job_id = @jobId`,
    );
  }

  apply(jobId: string, delta: CountDelta): void {
    this.update.run({
      jobId,
      total: delta.total ?? 0,
      pending: delta.pending ?? 0,
      claimed: delta.claimed ?? 0,
      running: delta.running ?? 0,
      retrying: delta.retrying ?? 0,
      succeeded: delta.succeeded ?? 0,
      failed: delta.failed ?? 0,
      cancelled: delta.cancelled ?? 0,
      processed: delta.processed ?? 0,
      bad: delta.bad ?? 0,
    });
  }

  /** `apply`, skipped when the delta changes nothing (e.g. a batch whose every claim was refused). */
  applyIfAny(jobId: string, delta: CountDelta): void {
    for (const k in delta) {
      if (delta[k as keyof CountDelta] !== 0) return this.apply(jobId, delta);
    }
  }

  /** One task moved from one status to another, adding `processed` and `bad` records. */
  move(jobId: string, from: TaskStatus, to: TaskStatus, processed = 0, bad = 0): void {
    this.moveStatement(from, to).run(processed, bad, jobId);
  }

  private moveStatement(from: TaskStatus, to: TaskStatus): Statement {
    const key = `${from}>${to}`;
    let stmt = this.moves.get(key);
    if (!stmt) {
      const f = `tasks_${TASK_COUNT_KEY[from]}`;
      const t = `tasks_${TASK_COUNT_KEY[to]}`;
      stmt = this.db.prepare(`UPDATE jobs SET ${f} = ${f} - 1, ${t} = ${t} + 1,
        records_processed = records_processed + ?, records_bad = records_bad + ?, version = version + 1 WHERE job_id = ?`);
      this.moves.set(key, stmt);
    }
    return stmt;
  }
}

