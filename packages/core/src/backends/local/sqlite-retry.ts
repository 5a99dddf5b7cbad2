/**
 * SQLITE_BUSY handling. `busy_timeout` makes SQLite wait for the write lock;
 * the few cases it does not cover (WAL recovery, a lock held past the
 * timeout) surface as SQLITE_BUSY* / SQLITE_LOCKED*, and the whole
 * transaction is simply run again after a short, jittered pause.
 */
import { DjcError } from '../../errors.js';

const MAX_RETRIES = 8;

export function isBusyError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function backoffMs(attempt: number): number {
  return Math.min(500, 5 * 2 ** attempt) * (0.5 + Math.random());
}

function unavailable(e: unknown): DjcError {
  return new DjcError('BACKEND_UNAVAILABLE', 'the local database stayed locked by another process', {
    cause: e,
    hint: 'another djc process holds a long write lock on DJC_HOME/djc.sqlite; retry, or stop stuck djc processes',
  });
}

/** Runs `run` (one whole transaction), again on SQLITE_BUSY, a few times. */
export async function retryBusy<T>(run: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return run();
    } catch (e) {
      if (!isBusyError(e)) throw e;
      if (attempt >= MAX_RETRIES) throw unavailable(e);
      await sleep(backoffMs(attempt));
    }
  }
}

/** The synchronous twin of `retryBusy`, for opening the file (constructors are sync). */
export function retryBusySync<T>(run: () => T): T {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      return run();
    } catch (e) {
      if (!isBusyError(e)) throw e;
      if (attempt >= MAX_RETRIES) throw unavailable(e);
      Atomics.wait(cell, 0, 0, backoffMs(attempt));
    }
  }
}

const CELL = new Int32Array(new SharedArrayBuffer(4));

/** Spins for the write lock with sub-millisecond sleeps (busy_timeout's first sleep is a whole 1 ms). */
export function spinImmediate<T>(run: () => T, maxMs = 5000): T {
  const deadline = performance.now() + maxMs;
  let wait = 0.02;
  for (;;) {
    try {
      return run();
    } catch (e) {
      if (!isBusyError(e) || performance.now() > deadline) throw e;
      Atomics.wait(CELL, 0, 0, wait * (0.5 + Math.random()));
      wait = Math.min(wait * 1.5, 2);
    }
  }
}
