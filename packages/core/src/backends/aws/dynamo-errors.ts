/** The errors the DynamoDB state store raises, worded as the local store words them. */
import { ConflictError, DjcError } from '../../errors.js';
import { throttleHint } from './errors.js';

export { leaseLost, noJob, taskConflict } from '../store-errors.js';

export function badTaskId(jobId: string, taskId: number): DjcError {
  return new DjcError('INTERNAL', `task id ${taskId} of job ${jobId} is not an integer in 0..9999999999`, { jobId, taskId });
}

const RACE_CODES = new Set(['None', 'ConditionalCheckFailed', 'TransactionConflict']);

/** Cancellation reasons of a throttled transaction item (retried with backoff in dynamo-request.ts). */
export const THROTTLE_CODES: ReadonlySet<string> = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * A transaction that could not be completed. Still cancelled by
 * TransactionConflict or throttling after the retries: BACKEND_UNAVAILABLE
 * (the table is too busy; NOT a ConflictError, which callers read as
 * "someone else won" — a worker would drop its message). Kept losing
 * condition races: ConflictError. Any other reason (ValidationError,
 * ItemCollectionSizeLimitExceeded, …): INTERNAL.
 */
export function txFailed(what: string, codes: readonly string[], jobId?: string): DjcError {
  const list = [...new Set(codes)].filter((c) => c !== 'None').join(', ') || 'no reason given';
  const fields = { jobId, details: { codes } };
  if (codes.some((c) => THROTTLE_CODES.has(c))) {
    return new DjcError('BACKEND_UNAVAILABLE', `${what}: throttled on TransactWriteItems (${list}) on job ${jobId ?? '?'}`, {
      ...fields, hint: throttleHint(what),
    });
  }
  if (!codes.every((c) => RACE_CODES.has(c))) {
    return new DjcError('INTERNAL', `${what}: a transaction was cancelled (${list})`, fields);
  }
  if (codes.includes('TransactionConflict')) {
    return new DjcError('BACKEND_UNAVAILABLE', `${what} is too busy: transactions on job ${jobId ?? '?'} kept conflicting (TransactWriteItems)`, {
      ...fields, hint: 'retry; if it persists, run fewer workers per job (every task move also updates the job item)',
    });
  }
  return new ConflictError(`${what}: a transaction kept losing races (${list})`, fields);
}

/** True if every cancellation code is one the retry loops handle. */
export function isRaceCode(code: string): boolean {
  return RACE_CODES.has(code);
}
