/** The errors the DynamoDB state store raises, worded as the local store words them. */
import { ConflictError, DjcError } from '../../errors.js';
import type { TaskStatus } from '../../model/status.js';

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

/** A task id that does not fit the 10-digit sort key. */
export function badTaskId(jobId: string, taskId: number): DjcError {
  return new DjcError('INTERNAL', `task id ${taskId} of job ${jobId} is not an integer in 0..9999999999`, { jobId, taskId });
}

const RACE_CODES = new Set(['None', 'ConditionalCheckFailed', 'TransactionConflict']);

/**
 * A transaction that could not be completed. Still cancelled by
 * TransactionConflict after the retries: BACKEND_UNAVAILABLE (the table is
 * too busy; NOT a ConflictError, which callers read as "someone else won"
 * — a worker would drop its message). Kept losing condition races:
 * ConflictError. Any other reason (ValidationError,
 * ItemCollectionSizeLimitExceeded, …): INTERNAL.
 */
export function txFailed(what: string, codes: readonly string[], jobId?: string): DjcError {
  const list = [...new Set(codes)].filter((c) => c !== 'None').join(', ') || 'no reason given';
  const fields = { jobId, details: { codes } };
  if (!codes.every((c) => RACE_CODES.has(c))) {
    return new DjcError('INTERNAL', `${what}: a transaction was cancelled (${list})`, fields);
  }
  if (codes.includes('TransactionConflict')) {
    return new DjcError('BACKEND_UNAVAILABLE', `${what} is too busy: transactions on job ${jobId ?? '?'} kept conflicting`, {
      ...fields, hint: 'retry; if it persists, fewer workers per job spread the load',
    });
  }
  return new ConflictError(`${what}: a transaction kept losing races (${list})`, fields);
}

/** True if every cancellation code is one the retry loops handle. */
export function isRaceCode(code: string): boolean {
  return RACE_CODES.has(code);
}
