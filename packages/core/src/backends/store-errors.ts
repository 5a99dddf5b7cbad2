/** The errors every StateStore raises, worded once so both backends fail the same way. */
import { ConflictError, DjcError } from '../errors.js';
import type { TaskStatus } from '../model/status.js';

export function noJob(jobId: string): DjcError {
  return new DjcError('NOT_FOUND', `no job ${jobId}`, { jobId, hint: 'djc list shows jobs' });
}

/** A conditional task write that did not hold; `details.status` is the task's status now (null if absent). */
export function taskConflict(jobId: string, taskId: number, status: TaskStatus | null, why: string, extra: object = {}): ConflictError {
  return new ConflictError(`task ${taskId} of job ${jobId}: ${why}`, { jobId, taskId, details: { status, ...extra } });
}

export function leaseLost(jobId: string, taskId: number, details: object): DjcError {
  return new DjcError('LEASE_LOST', `task ${taskId} of job ${jobId}: the lease no longer holds`, { jobId, taskId, details });
}

/** claimTasks or completeTasks was given more tasks than MAX_TASK_BATCH. */
export function tooManyClaims(jobId: string, n: number, max: number): DjcError {
  return new DjcError('INTERNAL', `job ${jobId}: claimTasks and completeTasks take at most ${max} tasks at once, got ${n}`, { jobId });
}

/** The refusal of a task id listed again in one claimTasks call, given what the first listing got. */
export function repeatedClaim(jobId: string, taskId: number, first: unknown): ConflictError {
  if (first instanceof ConflictError) return first;
  return taskConflict(jobId, taskId, 'RUNNING', 'is RUNNING, not PENDING or RETRY_WAIT', { reason: 'status' });
}
