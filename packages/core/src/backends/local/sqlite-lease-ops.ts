/**
 * The worker's hot path: claim a task or several (take the lease, RUNNING or
 * CLAIMED), heartbeat (extend it), start a held task (CLAIMED → RUNNING),
 * complete (end the attempt while the lease holds; `endedAt` is the end of
 * the latest attempt, so a RETRY_WAIT task has one too), release (give the
 * attempt back, refunded, while the lease holds). Each call runs inside one
 * IMMEDIATE transaction opened by the store, with statements prepared once.
 *
 * A claim is one UPDATE whose WHERE holds every claim rule (status, the
 * job live, due, budget left); only a refused claim reads the row, to say
 * why. An end is one UPDATE too when it is the usual one (the attempt's
 * own lease, no speculative copy): the lease check is in its WHERE; any
 * other end reads the row first (a lost lease, a copy's lease). So does a
 * held task's start (CLAIMED → RUNNING). claimMany
 * and completeMany add the job's counter changes up and write them once
 * per call (job-counters.ts), not once per task. The claim and the usual
 * end bind by position and return only the columns they do not set
 * (lease-rows.ts): they run once per task.
 */
import type { Statement } from './sqlite-driver.js';
import type { TaskRecord } from '../../model/job.js';
import { assertTaskTransition, LEASED_TASK, TERMINAL_JOB, type JobStatus, type TaskStatus } from '../../model/status.js';
import {
  MAX_TASK_BATCH, type ClaimRequest, type ReclaimRequest, type ClaimResult, type CompleteResult, type LeaseRef, type LeaseWrite, type TaskOutcome,
} from '../../ports/state-store.js';
import { ConflictError, isDjcError } from '../../errors.js';
import type { Db } from './db.js';
import { addMove, type CountDelta, type JobCounters } from './job-counters.js';
import { leaseLost, taskConflict, tooManyClaims } from '../store-errors.js';
import { toTaskRecord, type TaskRow } from './state-rows.js';
import type { JobFiles } from './sqlite-job-files.js';
import { END_PARAMS, END_SET, endValues, inlineOf, plainEndParams } from './task-end-values.js';
import { CLAIM_RETURNS, claimedRow, END_RETURNS, endedRow, START_RETURNS, startedRow } from './lease-rows.js';
import { positional, type PositionalStatement } from './positional-params.js';
import { CLAIM_DUE, CLAIM_SET, ClaimGroup, type GroupMark } from './claim-group.js';
import { EndOrder } from './end-order.js';
import { parseTaskReceipt } from './task-row-messages.js';
import { copyWins, leaseSlot, type LeaseRow, type SqliteCopyOps } from './sqlite-copy-ops.js';

/** The job takes claims and heartbeats: not being cancelled, not ended (TERMINAL_JOB, as checkClaimable and DynamoDB say). */
const JOB_LIVE = `EXISTS (SELECT 1 FROM jobs WHERE job_id = @jobId AND cancel_requested = 0
  AND status NOT IN (${[...TERMINAL_JOB].map((s) => `'${s}'`).join(', ')}))`;

/** A SUCCEEDED end's task-row receipt tag to clear with the end (`done` once cleared there). */
interface EndAck {
  tag: string;
  done: boolean;
}

/** The task-row receipt of this task as an EndAck; null for any other receipt (a copy's queue row), undefined for none. */
function endAck(jobId: string, taskId: number, receipt: string | undefined): EndAck | null | undefined {
  if (receipt === undefined) return undefined;
  const r = parseTaskReceipt(receipt);
  return r !== null && r.jobId === jobId && r.taskId === taskId ? { tag: r.tag, done: false } : null;
}

/** The parameters of a claim, in the order claimRow binds them. */
const CLAIM_PARAMS = ['jobId', 'taskId', 'status', 'owner', 'expiresAt', 'claimedAt', 'startedAt', 'now', 'maxAttempts'] as const;

/** The parameters of the plain start, in the order start binds them. */
const START_PARAMS = ['startedAt', 'jobId', 'taskId', 'owner', 'attempt'] as const;

/** The statuses a task is claimed from, the usual one first. */
const CLAIMABLE = ['PENDING', 'RETRY_WAIT'] as const;

interface ClaimCheckRow {
  status: TaskStatus;
  attempts: number;
  attempt_floor: number;
  not_before: number | null;
  job_status: JobStatus;
  cancel_requested: number;
}


export class SqliteLeaseOps {
  private readonly claimCheck: Statement;
  /** The claim of a PENDING task, and of a RETRY_WAIT one (the status it left decides the counters). */
  private readonly claimWrite: Record<'PENDING' | 'RETRY_WAIT', PositionalStatement>;
  /** The claim of a group's PENDING tasks in one UPDATE (claim-group.ts). */
  private readonly group: ClaimGroup;
  private readonly leaseCheck: Statement;
  private readonly completeWrite: Statement;
  private readonly plainEnd: Record<'CLAIMED' | 'RUNNING', PositionalStatement>;
  /** plainEnd that also deletes the task-row message of a given receipt (completeMany's acks). */
  private readonly ackedEnd: Record<'CLAIMED' | 'RUNNING', PositionalStatement>;
  private readonly releaseWrite: Statement;
  private readonly startWrite: Statement;
  /** The usual start, with its lease check in the WHERE (START_PARAMS, by position). */
  private readonly plainStart: PositionalStatement;
  private readonly beat: Statement;
  private readonly lostProbe: Statement;
  /** Which status each end tries first (end-order.ts). */
  private readonly endOrder = new EndOrder();

  constructor(db: Db, private readonly counters: JobCounters, private readonly copies: SqliteCopyOps, private readonly files: JobFiles) {
    this.claimCheck = db.prepare(`SELECT t.status, t.attempts, t.attempt_floor, t.not_before,
        j.status AS job_status, j.cancel_requested
      FROM tasks t JOIN jobs j ON j.job_id = t.job_id WHERE t.job_id = ? AND t.task_id = ?`);
    // Bound by position (CLAIM_PARAMS), returning only what it does not set, as an array (lease-rows.ts).
    const claimWrite = (from: TaskStatus) => positional(db, `UPDATE tasks SET status = @status, started_at = @startedAt, ${CLAIM_SET}
      WHERE job_id = @jobId AND task_id = @taskId AND status = '${from}' AND ${CLAIM_DUE} AND ${JOB_LIVE}
      RETURNING ${CLAIM_RETURNS}`, CLAIM_PARAMS);
    this.claimWrite = { PENDING: claimWrite('PENDING'), RETRY_WAIT: claimWrite('RETRY_WAIT') };
    this.group = new ClaimGroup(db, JOB_LIVE);
    this.leaseCheck = db.prepare(`SELECT status, attempts, lease_owner, lease_attempt, copy_owner, copy_attempt, speculation
      FROM tasks WHERE job_id = ? AND task_id = ?`);
    this.completeWrite = db.prepare(`${END_SET} WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    // The usual end, with its lease check in the WHERE: the attempt's own lease of a task never speculated.
    // Bound by position (END_PARAMS), returning only what it does not write, as an array (lease-rows.ts).
    const plainEnd = (from: TaskStatus) => positional(db, `${END_SET} WHERE job_id = @jobId AND task_id = @taskId
        AND status = '${from}' AND lease_owner = @owner AND coalesce(lease_attempt, attempts) = @attempt
        AND copy_owner IS NULL AND speculation IS NULL RETURNING ${END_RETURNS}`, END_PARAMS);
    this.plainEnd = { CLAIMED: plainEnd('CLAIMED'), RUNNING: plainEnd('RUNNING') };
    // The same end acknowledging its task-row message (task-row-messages.ts) in this UPDATE: q_at and q_receipt
    // cleared while the live delivery is the one acknowledged (@ackTag), as the queue's delete would; a newer
    // delivery (a reclaimed task's retry sent meanwhile) is left alone.
    const ackedEnd = (from: TaskStatus) => positional(db, `${END_SET},
        q_at = CASE WHEN q_receipt = @ackTag THEN NULL ELSE q_at END, q_receipt = CASE WHEN q_receipt = @ackTag THEN NULL ELSE q_receipt END
      WHERE job_id = @jobId AND task_id = @taskId
        AND status = '${from}' AND lease_owner = @owner AND coalesce(lease_attempt, attempts) = @attempt
        AND copy_owner IS NULL AND speculation IS NULL RETURNING ${END_RETURNS}`, [...END_PARAMS, 'ackTag']);
    this.ackedEnd = { CLAIMED: ackedEnd('CLAIMED'), RUNNING: ackedEnd('RUNNING') };
    // A RUNNING attempt is refunded (its number stays spent); a CLAIMED one never started:
    // its number is handed back and its ended_at stays as it was.
    this.releaseWrite = db.prepare(`UPDATE tasks SET status = 'PENDING',
        attempt_floor = CASE WHEN status = 'RUNNING' THEN attempt_floor + 1 ELSE attempt_floor END,
        attempts = CASE WHEN status = 'RUNNING' THEN attempts ELSE attempts - 1 END,
        lease_owner = NULL, lease_expires_at = NULL, lease_attempt = NULL, not_before = NULL, error = @error, failure_kind = NULL,
        exit_code = NULL, ended_at = CASE WHEN status = 'RUNNING' THEN @endedAt ELSE ended_at END
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    this.startWrite = db.prepare(`UPDATE tasks SET status = 'RUNNING', started_at = @startedAt
      WHERE job_id = @jobId AND task_id = @taskId RETURNING *`);
    // The start of a held task under its own lease, never speculated, in one write (as plainEnd): one held task
    // in four starts so at concurrency 10. Any other start reads the row first (start's checkLease).
    this.plainStart = positional(db, `UPDATE tasks SET status = 'RUNNING', started_at = @startedAt
      WHERE job_id = @jobId AND task_id = @taskId AND status = 'CLAIMED' AND lease_owner = @owner
        AND coalesce(lease_attempt, attempts) = @attempt AND copy_owner IS NULL AND speculation IS NULL
      RETURNING ${START_RETURNS}`, START_PARAMS);
    // The test of SqliteBulkTaskOps.reclaim's selectLost, for one row: read outside any transaction.
    this.lostProbe = db.prepare(`SELECT 1 FROM tasks INDEXED BY tasks_leased
      WHERE job_id = @jobId AND status IN ('RUNNING', 'CLAIMED')
        AND ((@expiredBefore IS NOT NULL AND lease_expires_at < @expiredBefore)
          OR (@owner IS NOT NULL AND lease_owner = @owner))
      LIMIT 1`);
    this.beat = db.prepare(`UPDATE tasks SET lease_expires_at = @expiresAt
      WHERE job_id = @jobId AND task_id = @taskId AND status IN ('RUNNING', 'CLAIMED') AND lease_owner = @owner AND coalesce(lease_attempt, attempts) = @attempt
        AND ${JOB_LIVE}`);
  }

  /** Claims one task: RUNNING (it starts now), else CLAIMED (held). */
  claim(jobId: string, taskId: number, req: ClaimRequest, startNow = true): TaskRecord {
    const { row, from } = this.claimRow(jobId, taskId, req, startNow);
    this.counters.move(jobId, from, row.status);
    if (row.status === 'RUNNING') this.endOrder.started(jobId, taskId);
    return toTaskRecord(row, this.files);
  }

  /**
   * Claims each task as `claim` does, inside the caller's transaction; a
   * refusal is a result, not a throw. The first `req.start` positions start
   * now (RUNNING), the rest are CLAIMED. A repeated id meets the first one's
   * claim or its refusal.
   */
  claimMany(jobId: string, taskIds: readonly number[], req: ClaimRequest, mark?: GroupMark & { others(ids: number[]): void }): ClaimResult[] {
    if (taskIds.length > MAX_TASK_BATCH) throw tooManyClaims(jobId, taskIds.length, MAX_TASK_BATCH);
    const start = req.start ?? taskIds.length;
    const now = req.now ?? Date.now();
    const delta: CountDelta = {};
    const grouped = taskIds.length > 1 ? this.claimGroup(jobId, taskIds, { ...req, now }, start, mark) : null;
    // `mark`: the group's UPDATE marked the messages of the rows it claimed; the others are marked apart.
    if (mark !== undefined) {
      const others = grouped === null ? [...taskIds] : taskIds.filter((id) => !grouped.has(id));
      if (others.length > 0) mark.others(others);
    }
    const results = taskIds.map((taskId, i): ClaimResult => {
      try {
        const first = grouped?.get(taskId);
        if (first !== undefined && grouped?.delete(taskId)) {
          addMove(delta, 'PENDING', first.status);
          if (first.status === 'RUNNING') this.endOrder.started(jobId, taskId);
          return toTaskRecord(first, this.files);
        }
        // Not claimed by the group (or a repeated id): claimed alone, or refused with the reason.
        const { row, from } = this.claimRow(jobId, taskId, { ...req, now }, i < start);
        addMove(delta, from, row.status);
        if (row.status === 'RUNNING') this.endOrder.started(jobId, taskId);
        return toTaskRecord(row, this.files);
      } catch (e) {
        if (e instanceof ConflictError) return e;
        throw e;
      }
    });
    this.counters.applyIfAny(jobId, delta);
    return results;
  }

  /**
   * The group's PENDING tasks claimed in one write (claim-group.ts): the
   * first `start` positions RUNNING, the others CLAIMED. Returns the rows
   * by task id; a task missing from it is claimed alone (claimRow).
   */
  private claimGroup(jobId: string, taskIds: readonly number[], req: ClaimRequest & { now: number }, start: number, mark?: GroupMark): Map<number, TaskRow> {
    assertTaskTransition('PENDING', 'RUNNING', { jobId });
    assertTaskTransition('PENDING', 'CLAIMED', { jobId });
    const claimedAt = new Date(req.now).toISOString();
    const common = { owner: req.owner, expiresAt: req.now + req.leaseMs, claimedAt };
    const got = this.group.claim(jobId, taskIds, taskIds.slice(0, start), { ...common, now: req.now, maxAttempts: req.maxAttempts }, mark);
    const rows = new Map<number, TaskRow>();
    for (const [taskId, g] of got) {
      rows.set(taskId, claimedRow(jobId, taskId, { ...common, status: g.status, startedAt: g.status === 'RUNNING' ? claimedAt : null }, g.got));
    }
    return rows;
  }

  /** The claimed row and the status it left; a refusal throws the ConflictError that says why. */
  private claimRow(jobId: string, taskId: number, req: ClaimRequest, startNow: boolean): { row: TaskRow; from: TaskStatus } {
    const now = req.now ?? Date.now();
    const at = new Date(now).toISOString();
    const set = { status: startNow ? 'RUNNING' : 'CLAIMED', owner: req.owner, expiresAt: now + req.leaseMs, claimedAt: at, startedAt: startNow ? at : null } as const;
    for (const from of CLAIMABLE) {
      assertTaskTransition(from, set.status, { jobId, taskId });
      const got = this.claimWrite[from].get([jobId, taskId, set.status, set.owner, set.expiresAt, set.claimedAt, set.startedAt, now, req.maxAttempts]);
      if (got !== undefined) return { row: claimedRow(jobId, taskId, set, got), from };
    }
    const check = this.claimCheck.get(jobId, taskId) as ClaimCheckRow | undefined;
    this.checkClaimable(jobId, taskId, check, req, now);
    throw taskConflict(jobId, taskId, check?.status ?? null, 'could not be claimed', { reason: 'status' });
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

  /**
   * Whether reclaimTasks(jobId, req) would find a task to reclaim now: the
   * coordinator's tick asks first, so a tick with nothing expired or lost
   * (nearly every one) takes no write lock.
   */
  anyLost(jobId: string, req: ReclaimRequest): boolean {
    if (req.expiredBefore === undefined && req.owner === undefined) return false;
    return this.lostProbe.get({ jobId, expiredBefore: req.expiredBefore ?? null, owner: req.owner ?? null }) !== undefined;
  }

  heartbeat(jobId: string, taskId: number, lease: LeaseRef, leaseMs: number): boolean {
    const info = this.beat.run({ jobId, taskId, owner: lease.owner, attempt: lease.attempt, expiresAt: Date.now() + leaseMs });
    return info.changes === 1 || this.copies.heartbeat(jobId, taskId, lease, leaseMs);
  }

  /**
   * Ends the attempt; a task still CLAIMED starts and ends in this one write
   * (CLAIMED → RUNNING → outcome). Of a task with a speculative copy, an end
   * without a result only drops that lease (SqliteCopyOps.dropOne).
   */
  complete(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome, startedAt?: number, delta?: CountDelta, ack?: EndAck): TaskRecord {
    const inline = inlineOf(outcome, { jobId, taskId });
    const succeeded = outcome.status === 'SUCCEEDED';
    const values = endValues(outcome, inline, startedAt);
    const count = (from: TaskStatus, row: TaskRow) => {
      this.count(jobId, delta, from, outcome.status, succeeded ? outcome.records : 0, succeeded ? (outcome.bad ?? 0) : 0);
      return toTaskRecord(row, this.files);
    };
    for (const from of this.endOrder.take(jobId, taskId)) {
      if (from === 'CLAIMED') assertTaskTransition('CLAIMED', 'RUNNING', { jobId, taskId });
      assertTaskTransition('RUNNING', outcome.status, { jobId, taskId });
      const params = plainEndParams(values, jobId, taskId, lease.owner, lease.attempt);
      const got = ack === undefined ? this.plainEnd[from].get(params) : this.ackedEnd[from].get([...params, ack.tag]);
      if (got !== undefined) {
        if (ack !== undefined) ack.done = true;
        return count(from, endedRow(jobId, taskId, values, got));
      }
    }
    // Not the plain case: a lost lease (throws), or a task with a speculative copy.
    const { status: from, slot, row } = this.checkLease(jobId, taskId, lease);
    if (!succeeded) {
      const dropped = this.copies.dropOne(jobId, taskId, row, slot, outcome.error);
      if (dropped) return dropped;
    }
    const worker = slot === 'copy' ? lease.owner : null;
    const copyWon = succeeded && copyWins(row, slot) ? 1 : 0;
    return count(from, this.completeWrite.get({ ...values, jobId, taskId, worker, copyWon }) as TaskRow);
  }


  /** A held task's handler started: CLAIMED → RUNNING while the lease holds. */
  start(jobId: string, taskId: number, lease: LeaseRef, startedAt: number, delta?: CountDelta): TaskRecord {
    assertTaskTransition('CLAIMED', 'RUNNING', { jobId, taskId });
    const at = new Date(startedAt).toISOString();
    const got = this.plainStart.get([at, jobId, taskId, lease.owner, lease.attempt]);
    let updated: TaskRow;
    if (got !== undefined) updated = startedRow(jobId, taskId, at, got);
    else {
      // Not the plain case: a lost lease (throws), or a copy's lease.
      this.checkLease(jobId, taskId, lease, 'CLAIMED');
      updated = this.startWrite.get({ jobId, taskId, startedAt: at }) as TaskRow;
    }
    this.count(jobId, delta, 'CLAIMED', 'RUNNING');
    this.endOrder.started(jobId, taskId);
    return toTaskRecord(updated, this.files);
  }

  /**
   * Writes each end or start as `complete` or `start` does, inside the
   * caller's transaction; a lost lease or a refused output is a result, not
   * a throw. With `unacked` (JointOps' writes), a SUCCEEDED end with a
   * receipt acknowledges its message: in the end's UPDATE when the receipt
   * is this task's task-row delivery and the end is the plain one; else the
   * receipt is pushed to `unacked` for the caller to delete in the same
   * transaction.
   */
  completeMany(jobId: string, writes: readonly LeaseWrite[], unacked?: string[]): CompleteResult[] {
    if (writes.length > MAX_TASK_BATCH) throw tooManyClaims(jobId, writes.length, MAX_TASK_BATCH);
    const delta: CountDelta = {};
    const results = writes.map((w): CompleteResult => {
      try {
        if (w.outcome === undefined) return this.start(jobId, w.taskId, w.lease, w.startedAt, delta);
        const ack = unacked === undefined || w.outcome.status !== 'SUCCEEDED' ? undefined : endAck(jobId, w.taskId, w.receipt);
        const record = this.complete(jobId, w.taskId, w.lease, w.outcome, w.startedAt, delta, ack ?? undefined);
        if (ack !== undefined && (ack === null || !ack.done) && w.receipt !== undefined) unacked?.push(w.receipt);
        return record;
      } catch (e) {
        if (isDjcError(e, 'LEASE_LOST') || isDjcError(e, 'INTERNAL')) return e;
        throw e;
      }
    });
    this.counters.applyIfAny(jobId, delta);
    return results;
  }

  /** One task moved: written now, or added to `delta` (written once by the caller). */
  private count(jobId: string, delta: CountDelta | undefined, from: TaskStatus, to: TaskStatus, processed = 0, bad = 0): void {
    if (!delta) return this.counters.move(jobId, from, to, processed, bad);
    addMove(delta, from, to);
    if (processed !== 0) delta.processed = (delta.processed ?? 0) + processed;
    if (bad !== 0) delta.bad = (delta.bad ?? 0) + bad;
  }

  release(jobId: string, taskId: number, lease: LeaseRef, reason: string): TaskRecord {
    const { status: from, slot, row } = this.checkLease(jobId, taskId, lease);
    const dropped = this.copies.dropOne(jobId, taskId, row, slot, reason);
    if (dropped) return dropped;
    assertTaskTransition(from, 'PENDING', { jobId, taskId });
    const updated = this.releaseWrite.get({ jobId, taskId, error: reason, endedAt: new Date().toISOString() }) as TaskRow;
    this.counters.move(jobId, from, 'PENDING');
    return toTaskRecord(updated, this.files);
  }

  /**
   * The task's status if `lease` holds it (RUNNING or CLAIMED, or only
   * `status` when given; same owner, same attempt), and which lease it is
   * (the attempt's, or a speculative copy's); LEASE_LOST otherwise.
   */
  private checkLease(
    jobId: string, taskId: number, lease: LeaseRef, status?: TaskStatus,
  ): { status: TaskStatus; slot: 'lease' | 'copy'; row: LeaseRow } {
    const row = this.leaseCheck.get(jobId, taskId) as LeaseRow | undefined;
    const held = row !== undefined && (status === undefined ? LEASED_TASK.has(row.status) : row.status === status);
    const slot = held ? leaseSlot(row, lease) : null;
    if (!row || slot === null) {
      throw leaseLost(jobId, taskId, {
        status: row?.status ?? null, attempts: row?.attempts ?? null, owner: row?.lease_owner ?? null, lease,
      });
    }
    return { status: row.status, slot, row };
  }
}
