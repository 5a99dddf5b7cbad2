/**
 * A submit tells the daemon at once, instead of waiting for its next poll
 * (up to pollMs, 500 ms): `djc submit` (and the API's POST /v1/jobs) touch
 * `<home>/daemon.wake` after writing the job, and a daemon leading for that
 * home watches the file (inotify, FSEvents) and runs its next tick now.
 *
 * Only a hint: the job is already written, a daemon that misses the touch
 * (another host, a home on a network file system that sends no events)
 * finds it on its next poll as before. Touching costs the submit one
 * utimes call; a home with no daemon watching has no file, and nothing
 * happens.
 */
import { closeSync, openSync, utimesSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@djc/core';
import { homeModes } from '@djc/core/read';

/** The file a daemon watches in its home. */
export const WAKE_FILE = 'daemon.wake';

/** Tells a daemon watching `home` that a job was written (best effort, never throws). */
export function notifySubmitted(home: string): void {
  const now = new Date();
  try {
    utimesSync(join(home, WAKE_FILE), now, now);
  } catch {
    // No daemon ever watched this home (no file), or the home is gone: its poll (if any) finds the job.
  }
}

/**
 * Calls `wake` whenever a submit touches `<home>/daemon.wake` (created when
 * missing); returns what stops watching. A home where watching is not
 * possible logs why once and returns a no-op: the poll still finds jobs.
 */
export function watchSubmits(home: string, wake: () => void, log: Logger): () => void {
  const file = join(home, WAKE_FILE);
  let watcher: FSWatcher;
  try {
    closeSync(openSync(file, 'a', homeModes().file));
    watcher = watch(file, { persistent: false }, () => wake());
  } catch (e) {
    log.warn({ err: e, file }, 'cannot watch for submits: new jobs are found on the next poll');
    return () => undefined;
  }
  watcher.on('error', (e) => {
    log.warn({ err: e, file }, 'watching for submits stopped: new jobs are found on the next poll');
    watcher.close();
  });
  return () => watcher.close();
}
