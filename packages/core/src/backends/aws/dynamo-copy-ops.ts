/**
 * Speculative copies (compute.speculate) on DynamoDB: the copy's lease is a
 * map attribute `copy` {owner, attempt, leaseExpiresAt} on the task item;
 * the attempt it copied keeps `lease_owner` with its number in
 * `lease_attempt` (attempts moved on to the copy's). Requests:
 * - requestCopy: 1 — TransactWriteItems [Update task guarded by RUNNING,
 *   the attempt, no lease_attempt and no speculation].
 * - claimCopy: 2 — a consistent GetItem, then TransactWriteItems [Update
 *   task guarded by what was read; ConditionCheck job not cancelled, not
 *   terminal]. No counter moves: the task stays RUNNING.
 * - a copy's heartbeat: 1 more after the attempt's lease guard failed.
 */
import type { TaskRecord } from '../../model/job.js';
import type { ClaimRequest, LeaseRef } from '../../ports/state-store.js';
import { taskConflict } from '../store-errors.js';
import { jobCondition } from './dynamo-counters.js';
import { isRaceCode, txFailed } from './dynamo-errors.js';
import { ExprBuilder, UpdateBuilder } from './dynamo-expressions.js';
import { leaseGuard, jobRefused } from './dynamo-lease-changes.js';
import { transact, type DynamoContext, type Io, type TxItem } from './dynamo-request.js';
import { isTaskId, jobKey, taskKey } from './dynamo-schema.js';
import { applyPatch, taskUpdate, type TaskPatch } from './dynamo-task-change.js';
import type { DynamoTaskOps } from './dynamo-task-ops.js';

function jobCheck(ctx: DynamoContext, jobId: string): TxItem {
  const b = new ExprBuilder();
  return { ConditionCheck: { TableName: ctx.table, Key: jobKey(jobId), ConditionExpression: jobCondition(b, 'claimable'), ...b.params() } };
}

export async function requestCopy(ctx: DynamoContext, jobId: string, taskId: number, attempt: number, io: Io): Promise<boolean> {
  if (!isTaskId(taskId)) return false;
  const guard = {
    status: 'RUNNING' as const, attempts: attempt,
    extra: (b: ExprBuilder) => `attribute_not_exists(${b.name('lease_attempt')}) AND attribute_not_exists(${b.name('speculation')})`,
  };
  const res = await transact(ctx, [taskUpdate(ctx, jobId, taskId, { speculation: 'requested' }, guard), jobCheck(ctx, jobId)], io);
  if (res.ok) return true;
  const codes = res.reasons.map((r) => r.code);
  if (codes.includes('ConditionalCheckFailed') && codes.every(isRaceCode)) return false;
  throw txFailed(ctx.what, codes, jobId);
}

export async function claimCopy(
  ctx: DynamoContext, tasks: DynamoTaskOps, jobId: string, taskId: number, copyOf: number, req: ClaimRequest, io: Io,
): Promise<TaskRecord> {
  const now = req.now ?? Date.now();
  const task = await tasks.get(jobId, taskId, io);
  if (!task) throw taskConflict(jobId, taskId, null, 'no such task', { reason: 'missing' });
  if (task.status !== 'RUNNING' || task.attempts !== copyOf || task.leaseAttempt !== undefined || task.speculation !== 'requested') {
    throw taskConflict(jobId, taskId, task.status, `has no copy of attempt ${copyOf} to start`, { reason: 'copy' });
  }
  const copy = { owner: req.owner, attempt: task.attempts + 1, leaseExpiresAt: now + req.leaseMs };
  const patch: TaskPatch = {
    leaseAttempt: task.attempts, attempts: task.attempts + 1, attemptFloor: task.attemptFloor + 1, copy, speculation: 'running',
  };
  const guard = { ...leaseGuard(task), attemptFloor: task.attemptFloor };
  const res = await transact(ctx, [taskUpdate(ctx, jobId, taskId, patch, guard), jobCheck(ctx, jobId)], io);
  if (res.ok) return { ...applyPatch(task, patch), leaseOwner: req.owner, leaseExpiresAt: copy.leaseExpiresAt };
  const [t, j] = res.reasons;
  if (j?.code === 'ConditionalCheckFailed') throw jobRefused(jobId, taskId, task, j.item);
  if (t?.code === 'ConditionalCheckFailed') throw taskConflict(jobId, taskId, task.status, `has no copy of attempt ${copyOf} to start (it changed)`, { reason: 'copy' });
  throw txFailed(ctx.what, res.reasons.map((r) => r.code), jobId);
}

/** Extends a copy's lease while it holds (the task RUNNING, the same copy owner and attempt) and the job goes on. */
export async function copyHeartbeat(ctx: DynamoContext, jobId: string, taskId: number, lease: LeaseRef, leaseMs: number, io: Io): Promise<boolean> {
  const b = new UpdateBuilder();
  const path = (k: string) => `${b.name('copy')}.${b.name(k)}`;
  const expires = b.value(Date.now() + leaseMs);
  const condition = `${b.eq('status', 'RUNNING')} AND ${path('owner')} = ${b.value(lease.owner)} AND ${path('attempt')} = ${b.value(lease.attempt)}`;
  const beat: TxItem = {
    Update: {
      TableName: ctx.table, Key: taskKey(jobId, taskId), UpdateExpression: `SET ${path('leaseExpiresAt')} = ${expires}`,
      ConditionExpression: condition, ...b.params(),
    },
  };
  const res = await transact(ctx, [beat, jobCheck(ctx, jobId)], io);
  if (res.ok) return true;
  const codes = res.reasons.map((r) => r.code);
  if (codes.includes('ConditionalCheckFailed') && codes.every(isRaceCode)) return false;
  throw txFailed(ctx.what, codes, jobId);
}
