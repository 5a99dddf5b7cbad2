/**
 * Changes to many tasks of a job: reclaim the attempts of vanished workers,
 * cancel, and reset failed or cancelled tasks for `djc retry`. Candidates are
 * found by a Query (reclaim: the sparse `running` index, so the ~200 ms
 * reclaim loop reads only the job's leased tasks, RUNNING or CLAIMED; cancel/reset: the job's
 * partition, page by page, filtered by status), then written with
 * dynamo-bulk-tx.ts: each task write is guarded by the state it was read in,
 * and its counter move is applied in the same transaction. A reset (`djc
 * retry`) also renews the TTL of the finished tasks it leaves alone when
 * they would expire within half the retention, found in the same Query.
 */
import type { TaskRecord } from '../../model/job.js';
import { assertTaskTransition, TERMINAL_TASK, type TaskStatus } from '../../model/status.js';
import { HELD_REFUND_NOTE, type ReclaimRequest } from '../../ports/state-store.js';
import { applyBulk, type BulkOp } from './dynamo-bulk-tx.js';
import { ExprBuilder } from './dynamo-expressions.js';
import { toTaskRecord } from './dynamo-items.js';
import { queryPages, type DynamoContext, type Io, type Item, type QueryInput } from './dynamo-request.js';
import { expirySk, INDEX, jobPk, MAX_TASK_ID, runningPk, taskKey, taskSk, TTL_ATTRIBUTE } from './dynamo-schema.js';
import { taskChange, type TaskChange, type TaskTable } from './dynamo-task-change.js';

const LIVE: readonly TaskStatus[] = ['PENDING', 'CLAIMED', 'RUNNING', 'RETRY_WAIT'];

export class DynamoBulkOps {
  constructor(private readonly ctx: DynamoContext) {}

  async reclaim(jobId: string, req: ReclaimRequest, io: Io, fence?: number): Promise<TaskRecord[]> {
    if (req.expiredBefore === undefined && req.owner === undefined) return [];
    const endedAt = new Date().toISOString();
    const ops: BulkOp<TaskRecord>[] = [];
    for await (const page of queryPages(this.ctx, runningQuery(jobId, req), io)) {
      for (const item of page) ops.push(this.op(this.reclaimChange(toTaskRecord(item, this.ctx.what), req, endedAt)));
    }
    const done = await applyBulk(this.ctx, jobId, ops, io, fence);
    return done.sort((a, b) => a.taskId - b.taskId);
  }

  /** Every PENDING, CLAIMED, RUNNING or RETRY_WAIT task → CANCELLED; returns how many changed. */
  async cancel(jobId: string, io: Io, fence?: number): Promise<number> {
    const endedAt = new Date().toISOString();
    const cancelOp = (task: TaskRecord): BulkOp<TaskRecord> => {
      const patch = { status: 'CANCELLED' as const, leaseOwner: null, leaseExpiresAt: null, notBefore: null, endedAt };
      // Guarded by the status alone: the counter move is exact whatever else changed; a task
      // that moved meanwhile (e.g. PENDING → RUNNING) is cancelled from its new status.
      return this.op(taskChange(this.ctx, task, patch, { status: task.status }), (current) => {
        const now = current ? toTaskRecord(current, this.ctx.what) : null;
        return now && LIVE.includes(now.status) ? cancelOp(now) : null;
      });
    };
    let changed = 0;
    for await (const page of queryPages(this.ctx, partitionQuery(jobId, LIVE), io)) {
      const ops = page.map((item) => cancelOp(toTaskRecord(item, this.ctx.what)));
      changed += (await applyBulk(this.ctx, jobId, ops, io, fence)).length;
    }
    return changed;
  }

  /**
   * Tasks in `statuses` (and in `taskIds`, when given) → PENDING with
   * attemptFloor = attempts; returns them in id order. The job's other finished tasks that would expire within
   * half the retention get a full retention from now (the job is about to
   * run again and aggregate their outputs).
   */
  async reset(jobId: string, statuses: readonly TaskStatus[], io: Io, taskIds?: readonly number[]): Promise<TaskRecord[]> {
    const wanted = [...new Set(statuses)];
    const only = taskIds === undefined ? null : new Set(taskIds);
    for (const s of wanted) assertTaskTransition(s, 'PENDING', { jobId });
    if (wanted.length === 0) return [];
    const nowSec = Math.floor(Date.now() / 1000);
    const renew = this.ctx.retentionSeconds > 0
      ? { statuses: [...TERMINAL_TASK].filter((s) => !wanted.includes(s)), before: nowSec + Math.floor(this.ctx.retentionSeconds / 2), to: nowSec + this.ctx.retentionSeconds }
      : null;
    const done: TaskRecord[] = [];
    for await (const page of queryPages(this.ctx, partitionQuery(jobId, wanted, renew ?? undefined), io)) {
      const ops = page.flatMap((item): BulkOp<TaskRecord | null>[] => {
        const task = toTaskRecord(item, this.ctx.what);
        // A task of a wanted status that was not asked for stays as it is, like the other finished ones.
        if (wanted.includes(task.status) && (only === null || only.has(task.taskId))) return [this.op(resetChange(this.ctx, task))];
        return renew ? [this.renewOp(task, renew)] : [];
      });
      for (const t of await applyBulk(this.ctx, jobId, ops, io)) if (t) done.push(t);
    }
    return done.sort((a, b) => a.taskId - b.taskId);
  }

  /** A new expiry for a finished task, if it is still in that status and due to expire before `before`; dropped otherwise. */
  private renewOp(task: TaskRecord, renew: Renewal): BulkOp<null> {
    const b = new ExprBuilder();
    const condition = `${b.eq('status', task.status)} AND ${b.name(TTL_ATTRIBUTE)} < ${b.value(renew.before)}`;
    const tx = {
      Update: {
        TableName: this.ctx.table, Key: taskKey(task.jobId, task.taskId), UpdateExpression: `SET ${b.name(TTL_ATTRIBUTE)} = ${b.value(renew.to)}`,
        ConditionExpression: condition, ...b.params(), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
    return { tx, delta: {}, result: null, retry: () => null };
  }

  /** RUNNING → RETRY_WAIT or FAILED (the attempt is spent); CLAIMED → PENDING, its attempt number handed back (it never started). */
  private reclaimChange(task: TaskRecord, req: ReclaimRequest, endedAt: string): TaskChange {
    // The index copy may be stale: the write re-checks status, attempt, owner and the reclaim criterion.
    const extra = (b: ExprBuilder) => [
      ...(req.expiredBefore !== undefined ? [`${b.name('lease_expires_at')} < ${b.value(req.expiredBefore)}`] : []),
      ...(req.owner !== undefined ? [b.eq('lease_owner', req.owner)] : []),
    ].join(' OR ');
    const guard = { status: task.status, attempts: task.attempts, attemptFloor: task.attemptFloor, leaseOwner: task.leaseOwner ?? '', extra };
    if (task.status === 'CLAIMED') {
      const refund = {
        status: 'PENDING' as const, attempts: task.attempts - 1, leaseOwner: null, leaseExpiresAt: null,
        error: `${req.reason}${HELD_REFUND_NOTE}`, failureKind: null, exitCode: null, notBefore: null,
      };
      return taskChange(this.ctx, task, refund, guard);
    }
    const status: TaskStatus = task.attempts - task.attemptFloor >= req.maxAttempts ? 'FAILED' : 'RETRY_WAIT';
    const patch = {
      status, leaseOwner: null, leaseExpiresAt: null, error: req.reason, failureKind: 'worker_lost', exitCode: null,
      notBefore: status === 'RETRY_WAIT' ? req.notBefore : null, endedAt,
    };
    return taskChange(this.ctx, task, patch, guard);
  }

  /** A bulk op of one change; dropped when its condition fails unless `retry` says otherwise. */
  private op(change: TaskChange, retry: (current: Item | null) => BulkOp<TaskRecord> | null = () => null): BulkOp<TaskRecord> {
    return { tx: change.tx, delta: change.delta, result: change.after, retry };
  }
}

function resetChange(ctx: TaskTable, task: TaskRecord): TaskChange {
  const patch = {
    status: 'PENDING' as const, attemptFloor: task.attempts, leaseOwner: null, leaseExpiresAt: null, notBefore: null,
    error: null, failureKind: null, exitCode: null, outputKey: null, inlineOutput: null, outputKind: null, claimedAt: null, startedAt: null, endedAt: null,
  };
  return taskChange(ctx, task, patch, { status: task.status, attempts: task.attempts });
}

/** The job's RUNNING tasks that match the reclaim criteria, from the sparse `running` index. */
function runningQuery(jobId: string, req: ReclaimRequest): QueryInput {
  const b = new ExprBuilder();
  let key = `${b.name('gsi3pk')} = ${b.value(runningPk(jobId))}`;
  let filter: string | undefined;
  if (req.owner === undefined && req.expiredBefore !== undefined) {
    key += ` AND ${b.name('gsi3sk')} < ${b.value(expirySk(req.expiredBefore))}`;
  } else if (req.expiredBefore === undefined) {
    filter = b.eq('lease_owner', req.owner);
  } else {
    // A filter may not name the index's keys: use the lease attribute itself.
    filter = `${b.name('lease_expires_at')} < ${b.value(req.expiredBefore)} OR ${b.eq('lease_owner', req.owner)}`;
  }
  return { IndexName: INDEX.running, KeyConditionExpression: key, ...(filter ? { FilterExpression: filter } : {}), ...b.params() };
}

/** Finished tasks whose expiry a reset renews: in these statuses, expiring before `before` (epoch s), renewed `to`. */
interface Renewal {
  statuses: TaskStatus[];
  before: number;
  to: number;
}

/** The job's tasks in these statuses (and those due for renewal), in id order, read consistently. */
function partitionQuery(jobId: string, statuses: readonly TaskStatus[], renew?: Renewal): QueryInput {
  const b = new ExprBuilder();
  const key = `${b.name('pk')} = ${b.value(jobPk(jobId))} AND ${b.name('sk')} BETWEEN ${b.value(taskSk(0))} AND ${b.value(taskSk(MAX_TASK_ID))}`;
  let filter = b.in('status', statuses);
  if (renew && renew.statuses.length > 0) {
    filter = `${filter} OR (${b.in('status', renew.statuses)} AND ${b.name(TTL_ATTRIBUTE)} < ${b.value(renew.before)})`;
  }
  return { KeyConditionExpression: key, FilterExpression: filter, ...b.params(), ConsistentRead: true };
}
