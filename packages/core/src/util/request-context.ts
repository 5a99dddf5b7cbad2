/**
 * Which job the current async call chain works for, so that code far below
 * (an SDK middleware counting requests) can attribute its work without every
 * call passing a job id. Backed by AsyncLocalStorage: the context follows
 * awaits, timers and promise callbacks started inside `withJob`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface RequestContext {
  jobId: string | undefined;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn` on behalf of `jobId` (undefined: on behalf of no job, e.g. to
 * detach work from an enclosing job). Nested calls override the outer job.
 */
export function withJob<T>(jobId: string | undefined, fn: () => T): T {
  return storage.run({ jobId }, fn);
}

/** The job the current call chain works for, or undefined outside any `withJob`. */
export function currentJobId(): string | undefined {
  return storage.getStore()?.jobId;
}
