/**
 * A PAUSED job under its coordinator (coordinate-job.ts). Its workers see
 * the status, stop claiming, give back the tasks they hold ahead and exit
 * once their running attempts end; the coordinator watches for that (and
 * for leases that expire meanwhile), then releases the workers. A `djc run`
 * (or a pipeline's stage run) then waits until the job is resumed
 * (→ QUEUED) and grants it workers again itself; a daemon's job is left to
 * the daemon. The deadline keeps running while a job is paused.
 */
import { blobKeys, ConflictError, DjcError, type Backend, type JobRecord, type Logger, type WorkersRecord } from '@djc/core';
import type { Dispatcher } from './dispatch/dispatcher.js';
import { expireDeadline } from './deadline.js';
import { reclaimExpired } from './monitor.js';

export interface PauseWatch {
  dispatcher: Dispatcher;
  log: Logger;
  tickMs: number;
  signal?: AbortSignal;
}

/**
 * Waits until no task of the paused job is RUNNING or CLAIMED, then stops
 * its workers (idle by then, so none is cut short). Returns the job as it is
 * then; early if it stopped being PAUSED (resumed, cancelled, timed out)
 * or the coordinator is stopping.
 */
export async function releaseWhilePaused(
  backend: Backend, jobId: string, w: PauseWatch, record: (view: WorkersRecord | null) => Promise<void>,
): Promise<JobRecord> {
  for (;;) {
    const job = await current(backend, jobId);
    if (job.status !== 'PAUSED' || w.signal?.aborted) return job;
    const expired = await expireDeadline(backend, job, w.log);
    if (expired) return expired;
    await reclaimExpired(backend, job, w.log);
    if (job.tasks.running + job.tasks.claimed === 0) {
      // The workers' final view (stop of a job it no longer follows: null, nothing recorded).
      await record(await w.dispatcher.stop(jobId));
      return current(backend, jobId);
    }
    await sleep(w.tickMs, w.signal);
  }
}

/** True when the daemon, not this coordinator, takes the job up again on resume (a daemon's top-level job). */
export function leftToDaemon(job: JobRecord): boolean {
  return job.mode === 'daemon' && job.parentId === null;
}

/** Waits while the job is PAUSED (its deadline may end it meanwhile); returns it once it is not, or on abort. */
export async function waitWhilePaused(backend: Backend, jobId: string, w: PauseWatch): Promise<JobRecord> {
  for (;;) {
    const job = await current(backend, jobId);
    if (job.status !== 'PAUSED' || w.signal?.aborted) return job;
    const expired = await expireDeadline(backend, job, w.log);
    if (expired) return expired;
    await sleep(w.tickMs, w.signal);
  }
}

/**
 * A QUEUED job given workers: → RUNNING if it was prepared (its manifest is
 * written last by prepare), else → PREPARING (prepare is idempotent and
 * resumes). If it moved meanwhile, the job as it is now.
 */
export async function admitQueued(backend: Backend, job: JobRecord): Promise<JobRecord> {
  if (job.status !== 'QUEUED') return job;
  const prepared = (await backend.blobs.size(blobKeys.manifest(job.jobId))) !== null;
  try {
    return await backend.state.transitionJob(job.jobId, ['QUEUED'], prepared ? 'RUNNING' : 'PREPARING', { reason: null });
  } catch (e) {
    if (e instanceof ConflictError) return current(backend, job.jobId);
    throw e;
  }
}

async function current(backend: Backend, jobId: string): Promise<JobRecord> {
  const job = await backend.state.getJob(jobId);
  if (!job) throw new DjcError('NOT_FOUND', `no job ${jobId}`, { jobId });
  return job;
}

/** Waits `ms`, or until `signal` aborts; the abort listener goes with the wait. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
