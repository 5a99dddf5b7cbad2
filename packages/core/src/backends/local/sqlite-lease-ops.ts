/**
 * The worker's hot path: claim a task or several (take the lease), heartbeat (extend
 * it), complete (end the attempt while the lease holds; `endedAt` is the
 * end of the latest attempt, so a RETRY_WAIT task has one too), release
 * (give the attempt back, refunded, while the lease holds). Each call runs
 * inside one IMMEDIATE transaction opened by the store, with statements
 * prepared once.
 */
import type { Statement } from './sqlite-driver.js';
import type { TaskRecord } from '../../model/job.js';
import { assertTaskTransition, TERMINAL_JOB, type JobStatus, type TaskStatus } from '../../model/status.js';
import {
  MAX_TASK_BATCH, type ClaimRequest, type ClaimResult, type CompleteResult, type LeaseRef, type TaskCompletion, type TaskOutcome,
} from '../../ports/state-store.js';
import { ConflictError, isDjcError } from '../../errors.js';
import type { Db } from './db.js';
import type { JobCounters } from './job-counters.js';
import { leaseLost, taskConflict, tooManyClaims } from '../store-errors.js';
import { capError } from '../../util/cap-text.js';
import { toTaskRecord, type TaskRow } from './state-rows.js';
import { checkedInlineOutput } from '../inline-output.js';

interface ClaimCheckRow {
  status: TaskStatus;
  attempts: number;
  attempt_floor: number;
  not_before: number | null;
  job_status: JobStatus;
  cancel_requested: number;
}

interface LeaseRow {
  status: TaskStatus;
  attempts: number;
  lease_owner: string | null;
}

export class SqliteLeaseOps {
  private readonly claimCheck: Statement;
  private readonly claimWrite: Statement;
  private readonly leaseCheck: Statement;
  private readonly completeWrite: Statement;
  private readonly releaseWrite: Statement;
  private readonly beat: Statement;

  constructor(db: Db, private readonly counters: JobCounters) {
    this.claimCheck = db.prepare(`SELECT t.status, t.attempts, t.attempt_floor, t.not_before,
        j.status AS job_status, j.cancel_requested
      FROM tasks t JOIN jobs j ON j.job_id = t.job_id WHERE t.job_id = ? AND t.task_id = ?`);
    this.claimWrite = db.prepare(`UPDATE tasks SET status = 'RUNNING', attempts = attempts + 1,
        lease_owner = @owner, lease_expires_at = @expiresAt, worker = @owner, started_at = @startedAt,
        ended_at = NULL, error = NULL, failure_kind = NULL, exit_code = NULL, not_before = NULL
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    this.leaseCheck = db.prepare('SELECT status, attempts, lease_owner FROM tasks WHERE job_id = ? AND task_id = ?');
    this.completeWrite = db.prepare(`UPDATE tasks SET status = @status, lease_owner = NULL, lease_expires_at = NULL,
        error = @error, failure_kind = @kind, exit_code = @exitCode, not_before = @notBefore,
        output_key = @outputKey, output_inline = @outputInline, output_kind = @outputKind, records = @records, bad = @bad,
        ended_at = @endedAt
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    this.releaseWrite = db.prepare(`UPDATE tasks SET status = 'PENDING', attempt_floor = attempt_floor + 1,
        lease_owner = NULL, lease_expires_at = NULL, not_before = NULL, error = @error, failure_kind = NULL,
        exit_code = NULL, ended_at = @endedAt
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    this.beat = db.prepare(`UPDATE tasks SET lease_expires_at = @expiresAt
      WHERE job_id = @jobId AND task_id = @taskId AND status = 'RUNNING' AND lease_owner = @owner AND attempts = @attempt
        AND EXISTS (SELECT 1 FROM jobs WHERE job_id = @jobId AND cancel_requested = 0
                    AND status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED'))`);
  }

  claim(jobId: string, taskId: number, req: ClaimRequest): TaskRecord {
    const now = req.now ?? Date.now();
    const row = this.claimCheck.get(jobId, taskId) as ClaimCheckRow | undefined;
    this.checkClaimable(jobId, taskId, row, req, now);
    const status = (row as ClaimCheckRow).status;
    assertTaskTransition(status, 'RUNNING', { jobId, taskId });
    const updated = this.claimWrite.get({
      jobId, taskId, owner: req.owner, expiresAt: now + req.leaseMs, startedAt: new Date(now).toISOString(),
    }) as TaskRow;
    this.counters.move(jobId, status, 'RUNNING');
    return toTaskRecord(updated);
  }

  /**
   * Claims each task as `claim` does, inside the caller's transaction; a
   * refusal is a result, not a throw. A repeated id meets the first one's
   * claim (RUNNING) or its refusal.
   */
  claimMany(jobId: string, taskIds: readonly number[], req: ClaimRequest): ClaimResult[] {
    if (taskIds.length > MAX_TASK_BATCH) throw tooManyClaims(jobId, taskIds.length, MAX_TASK_BATCH);
    return taskIds.map((taskId) => {
      try {
        return this.claim(jobId, taskId, req);
      } catch (e) {
        if (e instanceof ConflictError) return e;
        throw e;
      }
    });
  }

  private checkClaimable(jobId: string, taskId: number, row: ClaimCheckRow | undefined, req: ClaimRequest, now: number): void {
    if (!row) throw taskConflict(jobId, taskId, null, 'no such task', { reason: 'missing' });
    const { status } = row;
    if (status !== 'PENDING' && status !== 'RETRY_WAIT') {
      throw taskConflict(jobId, taskId, status, `is ${status}, not PENDING or RETRY_WAIT`, { reason: 'status' });
    }
    if (row.cancel_requested !== 0 || TERMINAL_JOB.has(row.job_status)) {
      const why = row.cancel_requested !== 0 ? 'the job is being cancelled' : `the job is ${row.job_status}`;
      throw taskConflict(jobId, taskId, status, why, { reason: 'job', jobStatus: row.job_status });
    }
    if (row.not_before !== null && row.not_before > now) {
      throw taskConflict(jobId, taskId, status, `not due before ${new Date(row.not_before).toISOString()}`, {
        reason: 'not_due', notBefore: row.not_before,
      });
    }
    const used = row.attempts - row.attempt_floor;
    if (used >= req.maxAttempts) {
      throw taskConflict(jobId, taskId, status, `retry budget spent (${used} of ${req.maxAttempts} attempts)`, {
        reason: 'budget', attempts: row.attempts,
      });
    }
  }

  heartbeat(jobId: string, taskId: number, lease: LeaseRef, leaseMs: number): boolean {
    const info = this.beat.run({ jobId, taskId, owner: lease.owner, attempt: lease.attempt, expiresAt: Date.now() + leaseMs });
    return info.changes === 1;
  }

  complete(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome): TaskRecord {
    const inline = inlineOf(outcome, { jobId, taskId });
    this.checkLease(jobId, taskId, lease);
    assertTaskTransition('RUNNING', outcome.status, { jobId, taskId });
    const succeeded = outcome.status === 'SUCCEEDED';
    const updated = this.completeWrite.get({
      jobId,
      taskId,
      status: outcome.status,
      error: succeeded ? null : capError(outcome.error),
      kind: succeeded ? null : outcome.kind,
      exitCode: succeeded ? null : (outcome.exitCode ?? null),
      notBefore: outcome.status === 'RETRY_WAIT' ? (outcome.notBefore ?? null) : null,
      outputKey: succeeded ? (outcome.outputKey ?? null) : null,
      outputInline: inline,
      outputKind: succeeded ? outcome.outputKind : null,
      records: succeeded ? outcome.records : null,
      bad: succeeded ? (outcome.bad ?? 0) : null,
      endedAt: new Date().toISOString(),
    }) as TaskRow;
    this.counters.move(jobId, 'RUNNING', outcome.status, succeeded ? outcome.records : 0, succeeded ? (outcome.bad ?? 0) : 0);
    return toTaskRecord(updated);
  }

  /**
   * Ends each attempt as `complete` does, inside the caller's transaction;
   * a lost lease or a refused output is a result, not a throw.
   */
  completeMany(jobId: string, completions: readonly TaskCompletion[]): CompleteResult[] {
    if (completions.length > MAX_TASK_BATCH) throw tooManyClaims(jobId, completions.length, MAX_TASK_BATCH);
    return completions.map(({ taskId, lease, outcome }) => {
      try {
        return this.complete(jobId, taskId, lease, outcome);
      } catch (e) {
        if (isDjcError(e, 'LEASE_LOST') || isDjcError(e, 'INTERNAL')) return e;
        throw e;
      }
    });
  }

  release(jobId: string, taskId: number, lease: LeaseRef, reason: string): TaskRecord {
    this.checkLease(jobId, taskId, lease);
    assertTaskTransition('RUNNING', 'PENDING', { jobId, taskId });
    const updated = this.releaseWrite.get({ jobId, taskId, error: reason, endedAt: new Date().toISOString() }) as TaskRow;
    this.counters.move(jobId, 'RUNNING', 'PENDING');
    return toTaskRecord(updated);
  }

  /** Throws LEASE_LOST unless `lease` holds the task (RUNNING, same owner, same attempt). */
  private checkLease(jobId: string, taskId: number, lease: LeaseRef): void {
    const row = this.leaseCheck.get(jobId, taskId) as LeaseRow | undefined;
    if (!row || row.status !== 'RUNNING' || row.lease_owner !== lease.owner || row.attempts !== lease.attempt) {
      throw leaseLost(jobId, taskId, {
        status: row?.status ?? null, attempts: row?.attempts ?? null, owner: row?.lease_owner ?? null, lease,
      });
    }
  }
}

/** The outcome's inline output as SQLite binds it (a Buffer), or null; refuses one over the limit. */
function inlineOf(outcome: TaskOutcome, at: { jobId: string; taskId: number }): Buffer | null {
  const bytes = checkedInlineOutput(outcome, at);
  return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
