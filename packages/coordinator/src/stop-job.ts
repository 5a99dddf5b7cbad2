import { ConflictError, type Backend, type JobRecord, type JobStatus, type Logger } from '@djc/core';
import { notifyJobEnd } from './notify.js';
import { createSlurmCli } from './dispatch/slurm/slurm-cli.js';

/** How a job is stopped before its end: `djc cancel` (CANCELLED) or its deadline (TIMEOUT). */
export interface StopReason {
  to: 'CANCELLED' | 'TIMEOUT';
  /** The statuses it may be stopped from (the transition table allows `to` from each). */
  from: readonly JobStatus[];
  /** The job's `error`: why it stopped. */
  error: string;
}

/**
 * Stops a job that has not ended: it ends `to` at once (with
 * cancelRequested, so no claim succeeds and workers exit), its unfinished
 * tasks are CANCELLED (running attempts lose their lease and abandon),
 * queued messages are dropped, its Slurm arrays are scancelled and its
 * notifications fire. Returns null if the job was no longer in `from`
 * (it ended, or moved on, meanwhile): nothing was changed then.
 */
export async function stopJob(backend: Backend, jobId: string, why: StopReason, log: Logger): Promise<JobRecord | null> {
  let ended: JobRecord;
  try {
    ended = await backend.state.transitionJob(jobId, why.from, why.to, {
      cancelRequested: true, endedAt: new Date().toISOString(), error: why.error,
    });
  } catch (e) {
    if (e instanceof ConflictError) return null;
    throw e;
  }
  await backend.state.cancelTasks(jobId);
  await backend.queue.purgeJob(jobId);
  await cancelSlurmArrays(ended, log);
  await notifyJobEnd(ended, log);
  return ended;
}

/**
 * scancel of the job's worker arrays, at once. Best effort: where Slurm's
 * commands are missing (cancelling from a laptop on the aws backend), the
 * coordinator cancels them when it sees the job end.
 */
async function cancelSlurmArrays(job: JobRecord, log: Logger): Promise<void> {
  const ids = job.workers?.dispatcher === 'slurm' ? job.workers.slurmJobIds : [];
  if (ids.length === 0) return;
  await createSlurmCli().cancel(ids).catch((e: unknown) => log.warn({ err: e, jobId: job.jobId, ids }, 'scancel of the worker arrays failed; the coordinator will retry'));
}
