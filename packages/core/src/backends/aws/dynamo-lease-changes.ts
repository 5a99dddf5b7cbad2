/**
 * The checks and writes of claims and completions, shared by the single
 * (dynamo-lease-ops.ts) and the batched (dynamo-claim-many.ts,
 * dynamo-complete-many.ts) lease operations.
 */
import type { TaskRecord } from '../../model/job.js';
import type { ClaimRequest, TaskOutcome } from '../../ports/state-store.js';
import { taskConflict } from './dynamo-errors.js';
import type { Item } from './dynamo-request.js';
import { applyPatch, taskChange, taskUpdate, type TaskChange, type TaskGuard, type TaskPatch, type TaskTable } from './dynamo-task-change.js';
import type { ExprBuilder } from './dynamo-expressions.js';
import { copyWinsFrom, type LeaseSlot } from '../lease-slot.js';

/** Throws the ConflictError the local store throws for a task that cannot be claimed now. */
export function checkClaimable(jobId: string, taskId: number, task: TaskRecord | null, req: ClaimRequest, now: number): asserts task is TaskRecord {
  if (!task) throw taskConflict(jobId, taskId, null, 'no such task', { reason: 'missing' });
  const { status } = task;
  if (status !== 'PENDING' && status !== 'RETRY_WAIT') {
    throw taskConflict(jobId, taskId, status, `is ${status}, not PENDING or RETRY_WAIT`, { reason: 'status' });
  }
  if (task.notBefore !== null && task.notBefore > now) {
    throw taskConflict(jobId, taskId, status, `not due before ${new Date(task.notBefore).toISOString()}`, {
      reason: 'not_due', notBefore: task.notBefore,
    });
  }
  const used = task.attempts - task.attemptFloor;
  if (used >= req.maxAttempts) {
    throw taskConflict(jobId, taskId, status, `retry budget spent (${used} of ${req.maxAttempts} attempts)`, {
      reason: 'budget', attempts: task.attempts,
    });
  }
}

export function jobRefused(jobId: string, taskId: number, task: TaskRecord, job: Item | null) {
  if (!job) return taskConflict(jobId, taskId, task.status, 'the job does not exist', { reason: 'job', jobStatus: null });
  const why = job.cancel_requested === true ? 'the job is being cancelled' : `the job is ${String(job.status)}`;
  return taskConflict(jobId, taskId, task.status, why, { reason: 'job', jobStatus: job.status });
}

/** PENDING|RETRY_WAIT → RUNNING (`start`: it starts now) or CLAIMED (held), with a new attempt number and lease. */
export function claimChange(ctx: TaskTable, task: TaskRecord, req: ClaimRequest, now: number, start = true): TaskChange {
  const at = new Date(now).toISOString();
  const patch = {
    status: start ? 'RUNNING' as const : 'CLAIMED' as const, attempts: task.attempts + 1, leaseOwner: req.owner,
    leaseExpiresAt: now + req.leaseMs, worker: req.owner, claimedAt: at, startedAt: start ? at : null, endedAt: null,
    error: null, failureKind: null, exitCode: null, notBefore: null, usage: null, leaseAttempt: null, copy: null, speculation: null,
  };
  return taskChange(ctx, task, patch, { status: task.status, attempts: task.attempts, attemptFloor: task.attemptFloor });
}

/**
 * The guard of a write that needs the lease of the record given: its status
 * (RUNNING or CLAIMED), owner and attempt, and its speculative copy as read
 * (none, or the same owner and attempt).
 */
export function leaseGuard(task: TaskRecord): TaskGuard {
  const copy = task.copy;
  const extra = (b: ExprBuilder) => (copy
    ? `${b.name('copy')}.${b.name('owner')} = ${b.value(copy.owner)} AND ${b.name('copy')}.${b.name('attempt')} = ${b.value(copy.attempt)}`
    : `attribute_not_exists(${b.name('copy')})`);
  return { status: task.status, leaseOwner: task.leaseOwner ?? '', attempts: task.attempts, extra };
}

/**
 * One of a task's two leases (an attempt and its speculative copy) ends
 * without a result while the other runs: only that lease goes, the task
 * stays RUNNING (the copy takes the task's lease if the attempt ended).
 * Null when the task has no copy (the caller ends the task as usual).
 */
export function dropChange(ctx: TaskTable, task: TaskRecord, slot: LeaseSlot, reason: string): TaskChange | null {
  const copy = task.copy;
  if (!copy) return null;
  const patch: TaskPatch = slot === 'copy'
    ? { copy: null, speculation: 'lost', error: reason }
    : { leaseOwner: copy.owner, leaseAttempt: null, leaseExpiresAt: copy.leaseExpiresAt, worker: copy.owner, copy: null, error: reason };
  const tx = taskUpdate(ctx, task.jobId, task.taskId, patch, leaseGuard(task));
  return { taskId: task.taskId, from: task.status, to: task.status, tx, after: applyPatch(task, patch), delta: {} };
}

/** The fields a task's end clears of a speculative copy, and its speculation state when it had one. */
function copyEnd(task: TaskRecord, slot: LeaseSlot, succeeded: boolean): TaskPatch {
  const speculation = task.speculation === undefined ? undefined : succeeded && copyWinsFrom(task, slot) ? 'won' as const : 'lost' as const;
  return {
    leaseAttempt: null, copy: null, ...(speculation ? { speculation } : {}),
    ...(slot === 'copy' && task.copy ? { worker: task.copy.owner } : {}),
  };
}

/**
 * RUNNING → the outcome's status, guarded by the lease of the record given;
 * a CLAIMED record starts and ends in this one write (via RUNNING).
 * `startedAt` (epoch ms) replaces the stored start; a CLAIMED record
 * without one gets the end time.
 */
export function completeChange(ctx: TaskTable, task: TaskRecord, outcome: TaskOutcome, startedAt?: number, slot: LeaseSlot = 'lease'): TaskChange {
  if (outcome.status !== 'SUCCEEDED') {
    const dropped = dropChange(ctx, task, slot, outcome.error);
    if (dropped) return dropped;
  }
  const endedAt = new Date().toISOString();
  const start = startedAt !== undefined ? new Date(startedAt).toISOString() : (task.startedAt ?? endedAt);
  const ended = { leaseOwner: null, leaseExpiresAt: null, startedAt: start, endedAt, usage: outcome.usage ?? null, ...copyEnd(task, slot, outcome.status === 'SUCCEEDED') };
  const via = task.status === 'CLAIMED' ? 'RUNNING' as const : undefined;
  if (outcome.status === 'SUCCEEDED') {
    const patch: TaskPatch & { status: 'SUCCEEDED' } = {
      ...ended, status: 'SUCCEEDED', outputKey: outcome.outputKey ?? null, inlineOutput: outcome.inlineOutput ?? null,
      outputKind: outcome.outputKind, records: outcome.records,
      bad: outcome.bad ?? 0,
      error: null, failureKind: null, exitCode: null, notBefore: null,
    };
    return taskChange(ctx, task, patch, leaseGuard(task), { processed: outcome.records, bad: outcome.bad ?? 0 }, via);
  }
  const patch: TaskPatch & { status: 'RETRY_WAIT' | 'FAILED' } = {
    ...ended, status: outcome.status, error: outcome.error, failureKind: outcome.kind, exitCode: outcome.exitCode ?? null,
    notBefore: outcome.status === 'RETRY_WAIT' ? (outcome.notBefore ?? null) : null, outputKey: null, inlineOutput: null, outputKind: null,
    records: null,
    bad: null,
  };
  return taskChange(ctx, task, patch, leaseGuard(task), {}, via);
}

/** A held task's start: CLAIMED → RUNNING with its handler's start time, guarded by the lease. */
export function startChange(ctx: TaskTable, task: TaskRecord, startedAt: number): TaskChange {
  return taskChange(ctx, task, { status: 'RUNNING', startedAt: new Date(startedAt).toISOString() }, leaseGuard(task));
}
