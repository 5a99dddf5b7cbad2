import { TERMINAL_JOB, type Backend, type JobRecord } from '@djc/core';
import { mustGetJob } from './coordinate-job.js';
import { notifyJobEnd } from './notify.js';
import { createSlurmCli } from './dispatch/slurm/slurm-cli.js';
import type { Logger } from '@djc/core';

/**
 * Cancels a job: no new task starts, running attempts are told to abandon
 * (their next heartbeat fails), queued messages are dropped, and the job
 * ends CANCELLED. Works with or without a live coordinator.
 */
export async function cancelJob(backend: Backend, jobId: string, log: Logger): Promise<JobRecord> {
  const job = await mustGetJob(backend, jobId);
  if (TERMINAL_JOB.has(job.status)) return job;
  await backend.state.updateJob(jobId, { cancelRequested: true });
  await backend.state.cancelTasks(jobId);
  await backend.queue.purgeJob(jobId);
  const ended = await backend.state.transitionJob(jobId, ['WAITING', 'SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING', 'FINALIZING'], 'CANCELLED', {
    endedAt: new Date().toISOString(),
    error: 'cancelled by user',
  });
  await cancelSlurmArrays(job, log);
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
