/**
 * `djc retry JOB` and `djc resume JOB` on a job nobody coordinates (its `djc
 * run` died; no daemon adopts it): the command coordinates it here, as `djc
 * run` would have, instead of refusing (retry) or leaving it waiting
 * (resume). The claim (fence/job-claim.ts) makes this safe even if the old
 * coordinator was only paused: its writes are fenced off from then on.
 */
import { formatDuration, TERMINAL_JOB, type Backend, type JobRecord } from '@djc/core';
import { coordinatorAlive, isOrphaned, lastCoordinated, resumeJob } from '@djc/coordinator';
import type { Cli } from '../context.js';
import { coordinateHere } from './run.js';

/**
 * Whether the job is a `djc run` job, unfinished, whose process went away (no
 * mark for DJC_COORDINATOR_STALE_SECONDS) and that no daemon would adopt
 * (none runs). Submitted jobs are the daemon's, whatever their state.
 */
export async function orphaned(backend: Backend, job: JobRecord): Promise<boolean> {
  if (job.mode !== 'run' || TERMINAL_JOB.has(job.status) || job.status === 'WAITING' || job.kind === 'pipeline' || job.parentId !== null) return false;
  return isOrphaned(job) && !(await coordinatorAlive(backend));
}

/**
 * Whether nobody coordinates the unfinished job now: a `djc run` job whose
 * process went away (no mark for DJC_COORDINATOR_STALE_SECONDS) and no
 * daemon to adopt it; a submitted job with no daemon running.
 */
export async function nobodyCoordinates(backend: Backend, job: JobRecord): Promise<boolean> {
  if (TERMINAL_JOB.has(job.status)) return false;
  if (job.mode === 'run' && !isOrphaned(job)) return false;
  return !(await coordinatorAlive(backend));
}

/** "its coordinator (djc run on h (pid 1)) was last seen 42s ago". */
export function lastSeen(job: JobRecord): string {
  return job.coordinator
    ? `its coordinator (${job.coordinator.owner}) was last seen ${formatDuration(Date.now() - lastCoordinated(job))} ago`
    : 'no coordinator ever marked it';
}

/** Coordinates the orphaned job here (a PAUSED one is resumed first); returns the exit code of `djc run`. */
export async function adoptHere(cli: Cli, backend: Backend, job: JobRecord, command: 'retry' | 'resume'): Promise<number> {
  cli.err(`djc: ${job.jobId} is ${job.status} and nobody coordinates it (${lastSeen(job)}); djc ${command} coordinates it here`);
  if (job.status === 'PAUSED') await resumeJob(backend, job.jobId);
  return coordinateHere(cli, backend, job.jobId);
}
