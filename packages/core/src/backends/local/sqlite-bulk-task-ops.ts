/**
 * Changes to many tasks of a job at once, each in one transaction opened by
 * the store: reclaim the attempts of vanished workers, cancel, and reset
 * failed or cancelled tasks for `djc retry`.
 */
import type { Statement } from './sqlite-driver.js';
import type { TaskRecord } from '../../model/job.js';
import { assertTaskTransition, type TaskStatus } from '../../model/status.js';
import { HELD_REFUND_NOTE, type ReclaimRequest } from '../../ports/state-store.js';
import type { Db } from './db.js';
import { addMove, type CountDelta, type JobCounters } from './job-counters.js';
import { toTaskRecord, type TaskRow } from './state-rows.js';
import type { JobFiles } from './sqlite-job-files.js';
import { capError } from '../../util/cap-text.js';

export class SqliteBulkTaskOps {
  private readonly selectLost: Statement;
  private readonly reclaimOne: Statement;
  private readonly refundHeld: Statement;
  private readonly countLive: Statement;
  private readonly cancelLive: Statement;
  private readonly resetByStatus: Statement;

  constructor(db: Db, private readonly counters: JobCounters, private readonly files: JobFiles) {
    this.selectLost = db.prepare(`SELECT task_id, status, attempts, attempt_floor FROM tasks INDEXED BY tasks_leased
      WHERE job_id = @jobId AND status IN ('RUNNING', 'CLAIMED')
        AND ((@expiredBefore IS NOT NULL AND lease_expires_at < @expiredBefore)
          OR (@owner IS NOT NULL AND lease_owner = @owner))
      ORDER BY task_id`);
    this.reclaimOne = db.prepare(`UPDATE tasks SET status = @status, lease_owner = NULL, lease_expires_at = NULL,
        error = @error, failure_kind = 'worker_lost', exit_code = NULL, not_before = @notBefore, ended_at = @endedAt
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    this.refundHeld = db.prepare(`UPDATE tasks SET status = 'PENDING', attempts = attempts - 1,
        lease_owner = NULL, lease_expires_at = NULL, error = @error, failure_kind = NULL, exit_code = NULL, not_before = NULL
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    this.countLive = db.prepare(`SELECT status, count(*) AS n FROM tasks
      WHERE job_id = ? AND status IN ('PENDING', 'CLAIMED', 'RUNNING', 'RETRY_WAIT') GROUP BY status`);
    this.cancelLive = db.prepare(`UPDATE tasks SET status = 'CANCELLED', lease_owner = NULL, lease_expires_at = NULL,
        not_before = NULL, ended_at = ? WHERE job_id = ? AND status IN ('PENDING', 'CLAIMED', 'RUNNING', 'RETRY_WAIT')`);
    this.resetByStatus = db.prepare(`UPDATE tasks SET status = 'PENDING', attempt_floor = attempts,
        lease_owner = NULL, lease_expires_at = NULL, not_before = NULL, error = NULL, failure_kind = NULL,
        exit_code = NULL, output_key = NULL, output_inline = NULL, output_kind = NULL, claimed_at = NULL, started_at = NULL, ended_at = NULL
      WHERE job_id = @jobId AND status = @status
        AND (@ids IS NULL OR task_id IN (SELECT value FROM json_each(@ids))) RETURNING *`);
  }

  /** RUNNING → RETRY_WAIT or FAILED (the attempt is spent); CLAIMED → PENDING, its attempt number handed back (it never started). */
  reclaim(jobId: string, req: ReclaimRequest): TaskRecord[] {
    if (req.expiredBefore === undefined && req.owner === undefined) return [];
    const lost = this.selectLost.all({
      jobId, expiredBefore: req.expiredBefore ?? null, owner: req.owner ?? null,
    }) as Pick<TaskRow, 'task_id' | 'status' | 'attempts' | 'attempt_floor'>[];
    const endedAt = new Date().toISOString();
    const error = capError(req.reason);
    const delta: CountDelta = {};
    const changed = lost.map((t) => {
      const ids = { jobId, taskId: t.task_id };
      if (t.status === 'CLAIMED') {
        assertTaskTransition('CLAIMED', 'PENDING', ids);
        addMove(delta, 'CLAIMED', 'PENDING');
        return this.refundHeld.get({ ...ids, error: capError(`${req.reason}${HELD_REFUND_NOTE}`) }) as TaskRow;
      }
      const status: TaskStatus = t.attempts - t.attempt_floor >= req.maxAttempts ? 'FAILED' : 'RETRY_WAIT';
      assertTaskTransition('RUNNING', status, ids);
      addMove(delta, 'RUNNING', status);
      return this.reclaimOne.get({
        ...ids, status, error, endedAt,
        notBefore: status === 'RETRY_WAIT' ? req.notBefore : null,
      }) as TaskRow;
    });
    if (changed.length > 0) this.counters.apply(jobId, delta);
    return changed.map((r) => toTaskRecord(r, this.files));
  }

  cancel(jobId: string): number {
    const groups = this.countLive.all(jobId) as { status: TaskStatus; n: number }[];
    const delta: CountDelta = {};
    for (const g of groups) {
      assertTaskTransition(g.status, 'CANCELLED', { jobId });
      addMove(delta, g.status, 'CANCELLED', g.n);
    }
    const changed = this.cancelLive.run(new Date().toISOString(), jobId).changes;
    if (changed > 0) this.counters.apply(jobId, delta);
    return changed;
  }

  /** Tasks in `statuses` (and in `taskIds`, when given) → PENDING. */
  reset(jobId: string, statuses: readonly TaskStatus[], taskIds?: readonly number[]): TaskRecord[] {
    let rows: TaskRow[] = [];
    const delta: CountDelta = {};
    const ids = taskIds === undefined ? null : JSON.stringify([...taskIds]);
    for (const status of new Set(statuses)) {
      assertTaskTransition(status, 'PENDING', { jobId });
      const reset = this.resetByStatus.all({ jobId, status, ids }) as TaskRow[];
      if (reset.length > 0) addMove(delta, status, 'PENDING', reset.length);
      rows = rows.concat(reset);
    }
    if (rows.length > 0) this.counters.apply(jobId, delta);
    rows.sort((a, b) => a.task_id - b.task_id);
    return rows.map((r) => toTaskRecord(r, this.files));
  }
}
