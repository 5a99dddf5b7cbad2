import { formatDuration, TERMINAL_JOB, type Backend, type JobRecord, type JobStatus, type Logger } from '@djc/core';
import { stopJob } from './stop-job.js';

/** Statuses a job times out from (a FINALIZING job has run every task: it is let finish). */
const EXPIRES_FROM: readonly JobStatus[] = ['SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING', 'PAUSED'];

/**
 * When the job's `deadline` passes (epoch ms), or null without one. It runs
 * from the submit (createdAt), or from the last `djc retry`, which gives a
 * re-opened job its deadline again.
 */
export function deadlineOf(job: JobRecord): { at: number; from: string; fromWhat: string } | null {
  const limit = job.config.deadline;
  if (limit === undefined || job.kind === 'pipeline') return null;
  const retry = job.retries.at(-1)?.at;
  const from = retry ?? job.createdAt;
  return { at: Date.parse(from) + limit, from, fromWhat: retry ? 'its last retry' : 'its submit' };
}

/**
 * Ends the job TIMEOUT if its deadline has passed: stopped like a cancel
 * (tasks cancelled, workers stopped, Slurm arrays scancelled), with an
 * `error` that names the deadline. Returns the ended job, or null when
 * nothing happened (no deadline, not passed, ended or finalizing). Called
 * every monitor tick for a coordinated job, and by the daemon loop for jobs
 * no one coordinates (QUEUED, PAUSED).
 */
export async function expireDeadline(backend: Backend, job: JobRecord, log: Logger, now = Date.now()): Promise<JobRecord | null> {
  const d = deadlineOf(job);
  if (d === null || now < d.at || TERMINAL_JOB.has(job.status) || !EXPIRES_FROM.includes(job.status)) return null;
  const limit = formatDuration(job.config.deadline ?? 0);
  const error = `deadline ${limit} passed: the job had to end by ${new Date(d.at).toISOString()} (${limit} after ${d.fromWhat} at ${d.from}); it was stopped ${job.status}`;
  const ended = await stopJob(backend, job.jobId, { to: 'TIMEOUT', from: EXPIRES_FROM, error }, log);
  if (ended) log.info({ jobId: job.jobId, deadline: job.config.deadline, status: job.status }, 'job timed out');
  return ended;
}
