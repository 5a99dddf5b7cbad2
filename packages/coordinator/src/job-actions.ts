import { TERMINAL_JOB, type Backend, type JobRecord } from '@djc/core';
import type { Logger } from '@djc/core';
import { mustGetJob } from './coordinate-job.js';
import { stopJob } from './stop-job.js';

/**
 * Cancels a job: no new task starts, running attempts are told to abandon
 * (their next heartbeat fails), queued messages are dropped, and the job
 * ends CANCELLED. Works with or without a live coordinator.
 */
export async function cancelJob(backend: Backend, jobId: string, log: Logger): Promise<JobRecord> {
  const job = await mustGetJob(backend, jobId);
  if (TERMINAL_JOB.has(job.status)) return job;
  const ended = await stopJob(backend, jobId, {
    to: 'CANCELLED',
    from: ['WAITING', 'SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING', 'PAUSED', 'FINALIZING'],
    error: 'cancelled by user',
  }, log);
  // Ended some other way meanwhile: that outcome stands.
  return ended ?? mustGetJob(backend, jobId);
}
