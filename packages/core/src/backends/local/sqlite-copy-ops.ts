/**
 * Speculative copies (compute.speculate) on SQLite: a second lease on a
 * RUNNING task beside its attempt's. The attempt keeps `lease_owner` with
 * its number in `lease_attempt` (attempts moved on to the copy's number);
 * the copy holds `copy_owner` / `copy_attempt` / `copy_expires_at`. Each
 * call runs inside the store's IMMEDIATE transaction, like SqliteLeaseOps.
 */
import type { Statement } from './sqlite-driver.js';
import type { TaskRecord } from '../../model/job.js';
import { TERMINAL_JOB, type JobStatus, type TaskStatus } from '../../model/status.js';
import type { ClaimRequest, LeaseRef } from '../../ports/state-store.js';
import type { Db } from './db.js';
import { taskConflict } from '../store-errors.js';
import { capError } from '../../util/cap-text.js';
import { toTaskRecord, type TaskRow } from './state-rows.js';
import type { JobFiles } from './sqlite-job-files.js';

/** What a lease check reads of a task: both leases and the speculation state. */
export interface LeaseRow {
  status: TaskStatus;
  attempts: number;
  lease_owner: string | null;
  lease_attempt: number | null;
  copy_owner: string | null;
  copy_attempt: number | null;
  speculation: string | null;
}

/** Which of a task's leases `lease` is: the attempt's (`lease`), the copy's, or neither. */
export function leaseSlot(row: LeaseRow | undefined, lease: LeaseRef): 'lease' | 'copy' | null {
  if (!row) return null;
  if (row.lease_owner === lease.owner && (row.lease_attempt ?? row.attempts) === lease.attempt) return 'lease';
  if (row.status === 'RUNNING' && row.copy_owner === lease.owner && row.copy_attempt === lease.attempt) return 'copy';
  return null;
}

/** True when the SUCCEEDED end written by `slot` is a copy's (the copy slot, or a copy promoted to the lease). */
export function copyWins(row: LeaseRow, slot: 'lease' | 'copy'): boolean {
  return slot === 'copy' || (row.speculation === 'running' && row.lease_attempt === null && row.copy_owner === null);
}

interface CopyCheckRow {
  status: TaskStatus;
  attempts: number;
  lease_attempt: number | null;
  speculation: string | null;
  job_status: JobStatus;
  cancel_requested: number;
}

const JOB_LIVE = `EXISTS (SELECT 1 FROM jobs WHERE job_id = @jobId AND cancel_requested = 0
  AND status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED'))`;

export class SqliteCopyOps {
  private readonly request: Statement;
  private readonly check: Statement;
  private readonly claim: Statement;
  private readonly beat: Statement;
  private readonly dropCopy: Statement;
  private readonly promote: Statement;

  constructor(db: Db, private readonly files: JobFiles) {
    this.request = db.prepare(`UPDATE tasks SET speculation = 'requested'
      WHERE job_id = @jobId AND task_id = @taskId AND status = 'RUNNING' AND attempts = @attempt
        AND lease_attempt IS NULL AND speculation IS NULL AND ${JOB_LIVE}`);
    this.check = db.prepare(`SELECT t.status, t.attempts, t.lease_attempt, t.speculation, j.status AS job_status, j.cancel_requested
      FROM tasks t JOIN jobs j ON j.job_id = t.job_id WHERE t.job_id = ? AND t.task_id = ?`);
    // Every right-hand side reads the row as it was: copy_attempt is the old attempts + 1.
    this.claim = db.prepare(`UPDATE tasks SET lease_attempt = attempts, attempts = attempts + 1, attempt_floor = attempt_floor + 1,
        copy_owner = @owner, copy_attempt = attempts + 1, copy_expires_at = @expiresAt, speculation = 'running'
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    this.beat = db.prepare(`UPDATE tasks SET copy_expires_at = @expiresAt
      WHERE job_id = @jobId AND task_id = @taskId AND status = 'RUNNING' AND copy_owner = @owner AND copy_attempt = @attempt
        AND ${JOB_LIVE}`);
    this.dropCopy = db.prepare(`UPDATE tasks SET copy_owner = NULL, copy_attempt = NULL, copy_expires_at = NULL,
        speculation = 'lost', error = @error
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    // The copy carries on as the task's attempt: its number is attempts, so lease_attempt is cleared.
    this.promote = db.prepare(`UPDATE tasks SET lease_owner = copy_owner, lease_attempt = NULL, lease_expires_at = copy_expires_at,
        worker = copy_owner, copy_owner = NULL, copy_attempt = NULL, copy_expires_at = NULL, error = @error
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
  }

  /** StateStore.requestCopy. */
  requestCopy(jobId: string, taskId: number, attempt: number): boolean {
    return this.request.run({ jobId, taskId, attempt }).changes === 1;
  }

  /** StateStore.claimCopy. */
  claimCopy(jobId: string, taskId: number, copyOf: number, req: ClaimRequest): TaskRecord {
    const now = req.now ?? Date.now();
    const row = this.check.get(jobId, taskId) as CopyCheckRow | undefined;
    if (!row) throw taskConflict(jobId, taskId, null, 'no such task', { reason: 'missing' });
    if (row.cancel_requested !== 0 || TERMINAL_JOB.has(row.job_status)) {
      throw taskConflict(jobId, taskId, row.status, `the job is ${row.cancel_requested !== 0 ? 'being cancelled' : row.job_status}`, { reason: 'job' });
    }
    if (row.status !== 'RUNNING' || row.attempts !== copyOf || row.lease_attempt !== null || row.speculation !== 'requested') {
      throw taskConflict(jobId, taskId, row.status, `has no copy of attempt ${copyOf} to start`, { reason: 'copy' });
    }
    const updated = this.claim.get({ jobId, taskId, owner: req.owner, expiresAt: now + req.leaseMs }) as TaskRow;
    return { ...toTaskRecord(updated, this.files), leaseOwner: req.owner, leaseExpiresAt: now + req.leaseMs };
  }

  /** Extends the copy's lease; false when `lease` is not the copy's. */
  heartbeat(jobId: string, taskId: number, lease: LeaseRef, leaseMs: number): boolean {
    return this.beat.run({ jobId, taskId, owner: lease.owner, attempt: lease.attempt, expiresAt: Date.now() + leaseMs }).changes === 1;
  }

  /**
   * One of the two leases ends without a result (it failed, or was given
   * back) while the other runs: only that lease goes; the task stays RUNNING.
   * Null when there is no other lease (the caller ends the task as usual).
   */
  dropOne(jobId: string, taskId: number, row: LeaseRow, slot: 'lease' | 'copy', reason: string): TaskRecord | null {
    if (slot === 'copy') return toTaskRecord(this.dropCopy.get({ jobId, taskId, error: capError(reason) }) as TaskRow, this.files);
    if (row.copy_owner === null) return null;
    return toTaskRecord(this.promote.get({ jobId, taskId, error: capError(reason) }) as TaskRow, this.files);
  }
}
