import { asDiskFull, isDiskFull } from '@djc/core';

/**
 * Stops coordinating a job when a write finds its disk full (SQLITE_FULL,
 * ENOSPC, …), wherever that write happened: the liveness mark, the workers
 * record, a monitor tick. Nothing can be recorded then, so the job is left
 * as it is (RUNNING, PREPARING or FINALIZING: resumable once space returns)
 * and the coordinator says why instead of spinning on failing writes.
 */
export interface DiskFullHalt {
  /** Aborts when the caller's signal does, or when a disk-full error is seen. */
  readonly signal: AbortSignal;
  /** The DISK_FULL error that stopped coordinating, if any. */
  readonly error: unknown;
  /** Notes `e`: true (and coordinating stops) when it says the disk is full. */
  see(e: unknown): boolean;
  /** Drops the listener on the caller's signal. */
  dispose(): void;
}

export function diskFullHalt(outer?: AbortSignal): DiskFullHalt {
  const ctl = new AbortController();
  let error: unknown;
  const onAbort = () => ctl.abort(outer?.reason);
  if (outer?.aborted) ctl.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    get error() { return error; },
    see(e) {
      if (!isDiskFull(e)) return false;
      error ??= asDiskFull(e, 'of the backend');
      if (!ctl.signal.aborted) ctl.abort(error);
      return true;
    },
    dispose() { outer?.removeEventListener('abort', onAbort); },
  };
}
