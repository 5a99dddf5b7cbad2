import { ConflictError, DjcError, TERMINAL_JOB, type Backend, type JobRecord, type JobStatus } from '@djc/core';
import { mustGetJob } from './coordinate-job.js';

/** Statuses a job can be paused from (the transition table allows PAUSED from each). */
const PAUSABLE: readonly JobStatus[] = ['SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING'];

/** What pause or resume did: the job (a pipeline: the pipeline) and, for a pipeline, its stage runs changed. */
export interface PauseOutcome {
  job: JobRecord;
  runs: JobRecord[];
}

/**
 * `djc pause`: the job goes PAUSED. Its workers stop claiming, give back
 * the tasks they hold ahead (no attempt counted), let their running attempts
 * finish, then exit; its coordinator releases them and waits (`djc run`) or
 * leaves the job to the daemon until `djc resume`. Pausing a PAUSED job does
 * nothing. A pipeline pauses its stage runs that are under way (the
 * pipeline itself stays RUNNING). An ended job, a WAITING one and a
 * FINALIZING one cannot be paused (USAGE, exit 2, saying why).
 */
export async function pauseJob(backend: Backend, jobId: string): Promise<PauseOutcome> {
  const job = await mustGetJob(backend, jobId);
  if (job.kind === 'pipeline') {
    refuseEnded(job, 'paused');
    const runs = await backend.state.listJobs({ parentId: jobId });
    const paused = await changeEach(runs.filter((r) => PAUSABLE.includes(r.status)), (r) => pauseOne(backend, r));
    return { job, runs: paused };
  }
  return { job: await pauseOne(backend, job), runs: [] };
}

/**
 * `djc resume`: a PAUSED job goes QUEUED; its coordinator (the `djc run`
 * process waiting on it, or the daemon) grants it workers again. A job that
 * is not paused and has not ended is left as it is. A pipeline resumes its
 * PAUSED stage runs.
 */
export async function resumeJob(backend: Backend, jobId: string): Promise<PauseOutcome> {
  const job = await mustGetJob(backend, jobId);
  if (job.kind === 'pipeline') {
    refuseEnded(job, 'resumed');
    const runs = await backend.state.listJobs({ parentId: jobId });
    const resumed = await changeEach(runs.filter((r) => r.status === 'PAUSED'), (r) => resumeOne(backend, r));
    return { job, runs: resumed };
  }
  return { job: await resumeOne(backend, job), runs: [] };
}

async function pauseOne(backend: Backend, job: JobRecord): Promise<JobRecord> {
  refuseEnded(job, 'paused');
  if (job.status === 'PAUSED') return job;
  if (!PAUSABLE.includes(job.status)) {
    const why = job.status === 'FINALIZING'
      ? 'every task has run and its result is being gathered; it ends in a moment'
      : 'it waits for its dependencies and starts nothing until they end; cancel it instead';
    throw new DjcError('USAGE', `job ${job.jobId} is ${job.status} and cannot be paused: ${why}`, { jobId: job.jobId });
  }
  return moveOrRetry(backend, job, PAUSABLE, 'PAUSED', {
    reason: `paused (djc pause) at ${new Date().toISOString()}; djc resume ${job.jobId} queues it again`,
  }, () => pauseOne);
}

async function resumeOne(backend: Backend, job: JobRecord): Promise<JobRecord> {
  refuseEnded(job, 'resumed');
  if (job.status !== 'PAUSED') return job;
  return moveOrRetry(backend, job, ['PAUSED'], 'QUEUED', { reason: 'resumed; waiting for workers' }, () => resumeOne);
}

/** The move, or (the job changed status meanwhile) the same action again on the job as it is now. */
async function moveOrRetry(
  backend: Backend, job: JobRecord, from: readonly JobStatus[], to: JobStatus, patch: { reason: string },
  again: () => (backend: Backend, job: JobRecord) => Promise<JobRecord>,
): Promise<JobRecord> {
  try {
    return await backend.state.transitionJob(job.jobId, from, to, patch);
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    return again()(backend, await mustGetJob(backend, job.jobId));
  }
}

function refuseEnded(job: JobRecord, what: 'paused' | 'resumed'): void {
  if (!TERMINAL_JOB.has(job.status)) return;
  throw new DjcError('USAGE', `job ${job.jobId} has ended (${job.status}) and cannot be ${what}`, {
    jobId: job.jobId, hint: job.status === 'SUCCEEDED' ? undefined : `djc retry ${job.jobId} re-runs its failed and cancelled tasks`,
  });
}

async function changeEach(runs: JobRecord[], fn: (r: JobRecord) => Promise<JobRecord>): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  for (const r of runs) out.push(await fn(r).catch(() => r));
  return out;
}
