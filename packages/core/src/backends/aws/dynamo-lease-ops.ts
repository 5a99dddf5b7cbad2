/**
 * The worker's hot path. Requests per call:
 * - claimTask: 2 — a consistent GetItem of the task (its status decides
 *   which counter moves, and the retry budget and notBefore are checked on
 *   it), then one TransactWriteItems [Update task guarded by the status,
 *   attempts and attempt_floor that were read; Update job counters guarded
 *   by "not cancel_requested, not terminal"]. A lost race is explained from
 *   the failed items' ALL_OLD images, without another read.
 * - claimTasks: 2 for up to MAX_TASK_BATCH tasks (dynamo-claim-many.ts).
 * - heartbeat: 1 — TransactWriteItems [Update task lease guarded by RUNNING
 *   or CLAIMED + owner + attempt; ConditionCheck job not cancel_requested,
 *   not terminal].
 * - completeTask: 2 — GetItem (the record to return), then TransactWriteItems
 *   [Update task guarded by RUNNING + owner + attempt; job counters]. The
 *   GetItem is skipped when this store claimed the task (see `held`). An
 *   inline output is a binary attribute of the task item (`output_inline`).
 * - completeTasks: 1 for up to MAX_TASK_BATCH ends and starts of tasks this
 *   store claimed, +1 BatchGetItem for others (dynamo-complete-many.ts).
 * - releaseTask: as completeTask; the Update is also guarded by
 *   attempt_floor, which it raises by one (the refund of a RUNNING attempt;
 *   a CLAIMED one hands its attempt number back instead).
 * A task still CLAIMED is held like a RUNNING one by these writes.
 */
import type { TaskRecord } from '../../model/job.js';
import { LEASED_TASK } from '../../model/status.js';
import type { ClaimRequest, ClaimResult, CompleteResult, LeaseRef, LeaseWrite, TaskOutcome } from '../../ports/state-store.js';
import { completeMany } from './dynamo-complete-many.js';
import { ConflictError } from '../../errors.js';
import { claimMany } from './dynamo-claim-many.js';
import { checkClaimable, claimChange, completeChange, dropChange, jobRefused, leaseGuard } from './dynamo-lease-changes.js';
import { leaseSlotOf, type LeaseSlot } from '../lease-slot.js';
import { copyHeartbeat } from './dynamo-copy-ops.js';
import { counterUpdate, jobCondition } from './dynamo-counters.js';
import { isRaceCode, leaseLost, noJob, txFailed } from './dynamo-errors.js';
import { ExprBuilder } from './dynamo-expressions.js';
import { toTaskRecord } from './dynamo-items.js';
import { transact, type DynamoContext, type Io, type TxItem } from './dynamo-request.js';
import { isTaskId, jobKey } from './dynamo-schema.js';
import { taskChange, taskUpdate, type TaskChange, type TaskPatch, type TaskTable } from './dynamo-task-change.js';
import type { DynamoTaskOps } from './dynamo-task-ops.js';
import { checkedInlineOutput } from '../inline-output.js';

/** Reads + writes before a claim or complete that keeps losing races gives up. */
const TRIES = 5;

/** Claimed tasks remembered per store instance (the worker's own leases); oldest dropped past this. */
const MAX_HELD = 10_000;

export class DynamoLeaseOps {
  /**
   * Tasks this instance claimed, as the claim wrote them: the first guess of
   * `complete`, which saves a read per task. A stale guess only fails the
   * conditional write, which then re-reads the task from the failure.
   */
  private readonly held = new Map<string, TaskRecord>();

  constructor(private readonly ctx: DynamoContext, private readonly tasks: DynamoTaskOps) {}

  private remember(task: TaskRecord): void {
    if (this.held.size >= MAX_HELD) this.held.delete(this.held.keys().next().value as string);
    this.held.set(`${task.jobId}/${task.taskId}`, task);
  }

  async claim(jobId: string, taskId: number, req: ClaimRequest, io: Io): Promise<TaskRecord> {
    const now = req.now ?? Date.now();
    let task = await this.tasks.get(jobId, taskId, io);
    for (let attempt = 1; ; attempt++) {
      checkClaimable(jobId, taskId, task, req, now);
      const change = claimChange(this.ctx, task, req, now);
      const res = await transact(this.ctx, [change.tx, counterUpdate(this.ctx.table, jobId, change.delta, 'claimable')], io);
      if (res.ok) {
        this.remember(change.after);
        return change.after;
      }
      const [t, j] = res.reasons;
      if (t?.code === 'ConditionalCheckFailed' && attempt < TRIES) {
        task = t.item ? toTaskRecord(t.item, this.ctx.what) : null; // re-check against what won
        continue;
      }
      if (j?.code === 'ConditionalCheckFailed') throw jobRefused(jobId, taskId, task, j.item);
      throw txFailed(this.ctx.what, res.reasons.map((r) => r.code), jobId);
    }
  }

  /** claimTasks (dynamo-claim-many.ts); the claimed tasks are remembered, as claim's are. */
  async claimMany(jobId: string, taskIds: readonly number[], req: ClaimRequest, io: Io): Promise<ClaimResult[]> {
    const results = await claimMany(this.ctx, jobId, taskIds, req, io);
    for (const r of results) if (!(r instanceof ConflictError)) this.remember(r);
    return results;
  }

  async heartbeat(jobId: string, taskId: number, lease: LeaseRef, leaseMs: number, io: Io): Promise<boolean> {
    if (!isTaskId(taskId)) return false;
    // The attempt's number is lease_attempt while a speculative copy runs beside it, else attempts.
    const guard = {
      status: [...LEASED_TASK], leaseOwner: lease.owner,
      extra: (e: ExprBuilder) => `(attribute_not_exists(${e.name('lease_attempt')}) AND ${e.eq('attempts', lease.attempt)}) OR ${e.eq('lease_attempt', lease.attempt)}`,
    };
    const b = new ExprBuilder();
    const jobCheck: TxItem = {
      ConditionCheck: { TableName: this.ctx.table, Key: jobKey(jobId), ConditionExpression: jobCondition(b, 'claimable'), ...b.params() },
    };
    const beat = taskUpdate(this.ctx, jobId, taskId, { leaseExpiresAt: Date.now() + leaseMs }, guard);
    const res = await transact(this.ctx, [beat, jobCheck], io);
    if (res.ok) return true;
    const codes = res.reasons.map((r) => r.code);
    const old = res.reasons[0]?.item ? toTaskRecord(res.reasons[0].item, this.ctx.what) : null;
    if (leaseSlotOf(old, lease) === 'copy') return copyHeartbeat(this.ctx, jobId, taskId, lease, leaseMs, io);
    if (codes.includes('ConditionalCheckFailed') && codes.every(isRaceCode)) return false;
    throw txFailed(this.ctx.what, codes, jobId);
  }

  async complete(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome, io: Io): Promise<TaskRecord> {
    checkedInlineOutput(outcome, { jobId, taskId });
    return this.endAttempt(jobId, taskId, lease, (task, slot) => completeChange(this.ctx, task, outcome, undefined, slot), io);
  }

  /**
   * completeTasks (dynamo-complete-many.ts), starting from the records this
   * store's claims and starts wrote; a started task is remembered as started.
   */
  async completeMany(jobId: string, writes: readonly LeaseWrite[], io: Io): Promise<CompleteResult[]> {
    const guesses = writes.map(({ taskId, lease }) => {
      const key = `${jobId}/${taskId}`;
      const guess = this.held.get(key);
      this.held.delete(key);
      return guess && guess.leaseOwner === lease.owner && guess.attempts === lease.attempt ? guess : null;
    });
    const results = await completeMany(this.ctx, jobId, writes, guesses, io);
    results.forEach((r, i) => {
      if (writes[i]?.outcome === undefined && !(r instanceof Error)) this.remember(r);
    });
    return results;
  }

  release(jobId: string, taskId: number, lease: LeaseRef, reason: string, io: Io): Promise<TaskRecord> {
    return this.endAttempt(jobId, taskId, lease, (task, slot) => dropChange(this.ctx, task, slot, reason) ?? releaseChange(this.ctx, task, reason), io);
  }

  /** Writes `changeOf(task)` while `lease` holds the task; LEASE_LOST once it does not. */
  private async endAttempt(
    jobId: string, taskId: number, lease: LeaseRef, changeOf: (task: TaskRecord, slot: LeaseSlot) => TaskChange, io: Io,
  ): Promise<TaskRecord> {
    const key = `${jobId}/${taskId}`;
    const guess = this.held.get(key);
    this.held.delete(key);
    let task = guess && guess.leaseOwner === lease.owner && guess.attempts === lease.attempt ? guess : await this.tasks.get(jobId, taskId, io);
    for (let attempt = 1; ; attempt++) {
      const slot = task && LEASED_TASK.has(task.status) ? leaseSlotOf(task, lease) : null;
      if (!task || slot === null) {
        throw leaseLost(jobId, taskId, { status: task?.status ?? null, attempts: task?.attempts ?? null, owner: task?.leaseOwner ?? null, lease });
      }
      const change = changeOf(task, slot);
      const res = await transact(this.ctx, [change.tx, counterUpdate(this.ctx.table, jobId, change.delta)], io);
      if (res.ok) return change.after;
      const [t, j] = res.reasons;
      if (t?.code === 'ConditionalCheckFailed' && attempt < TRIES) {
        task = t.item ? toTaskRecord(t.item, this.ctx.what) : null;
        continue;
      }
      if (j?.code === 'ConditionalCheckFailed') throw noJob(jobId);
      throw txFailed(this.ctx.what, res.reasons.map((r) => r.code), jobId);
    }
  }
}

/**
 * RUNNING → PENDING with the attempt refunded (attempt_floor + 1; the number
 * stays spent). CLAIMED → PENDING with the attempt number handed back
 * (attempts - 1): it never started, so its endedAt stays too.
 */
function releaseChange(ctx: TaskTable, task: TaskRecord, reason: string): TaskChange {
  const back = task.status === 'RUNNING'
    ? { attemptFloor: task.attemptFloor + 1, endedAt: new Date().toISOString() }
    : { attempts: task.attempts - 1 };
  const patch: TaskPatch & { status: 'PENDING' } = {
    status: 'PENDING', ...back, leaseAttempt: null, leaseOwner: null, leaseExpiresAt: null, notBefore: null, error: reason, failureKind: null, exitCode: null,
  };
  return taskChange(ctx, task, patch, { ...leaseGuard(task), attemptFloor: task.attemptFloor });
}
