/**
 * Waiting for SQLite's write lock. Several processes share one file, and a
 * transaction that finds the lock taken gets SQLITE_BUSY. SQLite's own busy
 * handler (busy_timeout) sleeps 1, 2, 5, 10… ms between tries; with workers
 * holding the lock for ~50 µs per commit, that granularity costs far more
 * than the work. So after opening, the connection runs with busy_timeout=0
 * and every statement or transaction goes through `withLock`: it retries the
 * whole transaction with sub-millisecond sleeps for up to SPIN_MS (blocking,
 * like busy_timeout would), then yields to the event loop with longer pauses,
 * for LOCK_WAIT_MS in all. Only then does SQLITE_BUSY surface, as
 * BACKEND_UNAVAILABLE.
 */
import { asDiskFull, DjcError } from '../../errors.js';
import { sqlitePrimaryCode } from './sqlite-error-code.js';

/** Total time a statement waits for the lock before failing. */
export const LOCK_WAIT_MS = 5000;
/** Longest stretch spent spinning without yielding to the event loop. */
const SPIN_MS = 50;

const CELL = new Int32Array(new SharedArrayBuffer(4));

/** SQLITE_BUSY or SQLITE_LOCKED (extended codes included), from either driver. */
export function isBusyError(e: unknown): boolean {
  const code = sqlitePrimaryCode(e);
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function sleepSync(ms: number): void {
  Atomics.wait(CELL, 0, 0, ms);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function unavailable(e: unknown): DjcError {
  return new DjcError('BACKEND_UNAVAILABLE', `the local database stayed locked for ${LOCK_WAIT_MS / 1000} s`, {
    cause: e,
    hint: 'another djc process holds a long write lock on DJC_HOME/djc.sqlite; retry, or stop stuck djc processes',
  });
}

const BUSY = Symbol('busy');

/** Runs `run` until it does not hit SQLITE_BUSY or `ms` pass; BUSY if it still does. */
function spin<T>(run: () => T, ms: number): T | typeof BUSY {
  try {
    return run();
  } catch (e) {
    if (!isBusyError(e)) throw e;
  }
  // Retries: no stack is captured for the errors they build (that capture was most of the cost of a
  // busy error, and a busy error's stack is never read). An error other than busy gets one here.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return retry(run, performance.now() + ms);
  } catch (e) {
    Error.stackTraceLimit = limit;
    if (e instanceof Error) Error.captureStackTrace(e);
    throw e;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function retry<T>(run: () => T, deadline: number): T | typeof BUSY {
  let pause = 0.02;
  for (;;) {
    if (performance.now() >= deadline) return BUSY;
    sleepSync(pause * (0.5 + Math.random()));
    pause = Math.min(pause * 1.5, 1);
    try {
      return run();
    } catch (e) {
      if (!isBusyError(e)) throw e;
    }
  }
}

/** Runs `run` (one statement or one whole transaction), waiting for the lock as described above. */
export async function withLock<T>(run: () => T): Promise<T> {
  try {
    return await lockedRun(run);
  } catch (e) {
    // A full disk says so (DISK_FULL, exit 3), whichever driver and statement met it.
    throw asDiskFull(e, 'of the local database (DJC_HOME)');
  }
}

async function lockedRun<T>(run: () => T): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let round = 0; ; round++) {
    const r = spin(run, SPIN_MS);
    if (r !== BUSY) return r;
    if (Date.now() >= deadline) {
      try {
        return run();
      } catch (e) {
        throw isBusyError(e) ? unavailable(e) : e;
      }
    }
    await sleep(Math.min(5 * 2 ** round, 100) * (0.5 + Math.random()));
  }
}

/** The synchronous twin of `withLock`, for opening the file (constructors are sync). */
export function withLockSync<T>(run: () => T): T {
  const r = spin(run, LOCK_WAIT_MS);
  if (r !== BUSY) return r;
  try {
    return run();
  } catch (e) {
    throw isBusyError(e) ? unavailable(e) : e;
  }
}
