/** Wiring shared by the port contract suites: one fresh fixture per test. */
import { afterEach, beforeEach } from 'vitest';
import { ConflictError, DjcError } from '../errors.js';
import type { StateStore } from '../ports/state-store.js';
import { testBatches, testJob } from './fixtures.js';

export interface Made {
  cleanup(): Promise<void>;
}

/**
 * Calls `make` before each test and `cleanup` after it; returns a getter for
 * the current fixture. `make` must return an isolated instance (own file,
 * table or prefix), because suites check global state such as the
 * coordinator lock and queue depth.
 */
export function useFixture<T extends Made>(make: () => Promise<T>): () => T {
  let current: T | undefined;
  beforeEach(async () => {
    current = await make();
  });
  afterEach(async () => {
    const c = current;
    current = undefined;
    await c?.cleanup();
  });
  return () => {
    if (!current) throw new Error('fixture used outside a test');
    return current;
  };
}

/** Creates a job with `tasks` PENDING tasks (one record each unless told); returns its id. */
export async function jobWithTasks(store: StateStore, tasks: number, records = 1): Promise<string> {
  const job = testJob();
  await store.createJob(job);
  await store.putTasks(job.jobId, testBatches(tasks, 0, records));
  return job.jobId;
}

export function expectConflict(e: unknown): ConflictError {
  if (!(e instanceof ConflictError)) throw new Error(`expected a ConflictError, got ${String(e)}`);
  return e;
}

export function expectDjcError(e: unknown, code: string): DjcError {
  if (!(e instanceof DjcError) || e.code !== code) throw new Error(`expected DjcError ${code}, got ${String(e)}`);
  return e;
}

/** `details.status` of a ConflictError. */
export function conflictStatus(e: unknown): unknown {
  return (expectConflict(e).details as { status?: unknown } | undefined)?.status;
}
