/** Batching for SQS's ten-entry batch APIs: chunks, bounded concurrency, retry of failed entries. */
import { setTimeout as delay } from 'node:timers/promises';
import { DjcError } from '../../errors.js';

/** SQS takes at most ten entries per batch request. */
export const BATCH_SIZE = 10;
/** Batch requests in flight at once (send, delete, release). */
export const BATCHES_IN_FLIGHT = 8;

const ATTEMPTS = 4;

export interface BatchEntryFailure {
  Id?: string;
  SenderFault?: boolean;
  Code?: string;
  Message?: string;
}

/** `items` in consecutive chunks of `size`. */
export function chunk<T>(items: readonly T[], size = BATCH_SIZE): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` on every item, at most `limit` at once; rejects with the first failure after the running calls settle. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const lanes = Array.from({ length: Math.min(limit, items.length) }, lane);
  const results = await Promise.allSettled(lanes);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

export interface BatchRetryOptions {
  /** `what` of the error messages, e.g. `SQS queue "djc"`. */
  what: string;
  /** Failures to drop silently (e.g. a stale receipt on delete). */
  ignore?: (f: BatchEntryFailure) => boolean;
  signal?: AbortSignal;
}

/**
 * Sends one batch with `call`, then re-sends the entries SQS reported in
 * `Failed` (not the sender's fault) with a short backoff, up to 4 attempts.
 * Throws when an entry fails by the sender's fault or still fails at the end.
 */
export async function sendWithRetry<E extends { Id: string }>(
  entries: E[],
  call: (entries: E[]) => Promise<BatchEntryFailure[] | undefined>,
  opts: BatchRetryOptions,
): Promise<void> {
  let pending = entries;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const failed = ((await call(pending)) ?? []).filter((f) => !opts.ignore?.(f));
    if (failed.length === 0) return;
    const fault = failed.find((f) => f.SenderFault);
    if (fault || attempt >= ATTEMPTS) throw batchError(opts.what, failed, pending.length, fault);
    const ids = new Set(failed.map((f) => f.Id));
    pending = pending.filter((e) => ids.has(e.Id));
    await delay(50 * 2 ** attempt, undefined, { signal: opts.signal });
  }
}

function batchError(what: string, failed: BatchEntryFailure[], of: number, fault: BatchEntryFailure | undefined): DjcError {
  const first = fault ?? failed[0];
  const detail = `${first?.Code ?? 'unknown'}: ${first?.Message ?? ''}`;
  return new DjcError(fault ? 'INTERNAL' : 'BACKEND_UNAVAILABLE', `${what}: ${failed.length} of ${of} batch entries failed (${detail})`, {
    details: failed,
  });
}
