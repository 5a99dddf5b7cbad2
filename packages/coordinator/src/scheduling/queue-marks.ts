/** What a tick writes on the job records of jobs that wait: QUEUED with a reason, or FAILED when they can never start. */
import type { Backend, JobRecord, Logger } from '@djc/core';
import type { WaitReason } from '../scheduler/types.js';

/**
 * A job that gets no workers this tick: SUBMITTED → QUEUED with the reason
 * (its queuedAt: its submit time, so its age counts from there); a QUEUED
 * one gets the new reason when its kind (code) changed since `lastCode` (the
 * numbers in it move every time the queue does: they live in the queue
 * document, which `djc status` shows, so 10,000 queued jobs are not
 * rewritten each tick); one that can never fit its pool → FAILED with the
 * numbers. Returns the code now on the record.
 */
export async function markWaiting(backend: Backend, job: JobRecord, reason: WaitReason, log: Logger, lastCode?: string): Promise<string | undefined> {
  try {
    if (reason.code === 'never_fits') {
      if (job.status !== 'SUBMITTED' && job.status !== 'QUEUED') return;
      const need = reason.need;
      const error = `one worker can never start: ${reason.message} (needs ${need.cpus} cpus, ${need.gpus} GPUs per worker); lower compute.resources or give the coordinator more capacity`;
      await backend.state.transitionJob(job.jobId, ['SUBMITTED', 'QUEUED'], 'FAILED', { error, endedAt: new Date().toISOString(), reason: null });
      log.warn({ jobId: job.jobId, error }, 'job can never fit');
      return undefined;
    }
    if (job.status === 'SUBMITTED') {
      await backend.state.transitionJob(job.jobId, ['SUBMITTED'], 'QUEUED', { reason: reason.message, queuedAt: job.queuedAt ?? job.createdAt });
      return reason.code;
    }
    if (job.status === 'QUEUED' && lastCode !== reason.code && job.reason !== reason.message) {
      await backend.state.updateJob(job.jobId, { reason: reason.message });
    }
    return job.status === 'QUEUED' ? reason.code : lastCode;
  } catch (e) {
    // Cancelled or changed meanwhile: the next tick sees it as it is.
    log.debug({ jobId: job.jobId, err: e }, 'marking a waiting job failed');
    return lastCode;
  }
}

/**
 * Jobs whose workers were all taken back (preemption) while work remains:
 * RUNNING → QUEUED ("preempted by JOB"), their age counting from now. Their
 * coordinator keeps following them; a later grant takes them back to
 * RUNNING. `jobs` is updated with the records written.
 */
export async function requeuePreempted(
  backend: Backend, preempted: Map<string, string>, jobs: Map<string, JobRecord>, held: (jobId: string) => number, log: Logger,
): Promise<void> {
  for (const [jobId, forJobId] of preempted) {
    const job = jobs.get(jobId);
    if (!job || job.status !== 'RUNNING') {
      preempted.delete(jobId);
      continue;
    }
    if (held(jobId) > 0) continue;
    preempted.delete(jobId);
    const t = job.tasks;
    if (t.pending + t.retrying + t.claimed + t.running === 0) continue;
    const by = jobs.get(forJobId)?.name ?? forJobId;
    try {
      const queued = await backend.state.transitionJob(jobId, ['RUNNING'], 'QUEUED', {
        reason: `preempted by ${by} (${forJobId})`, queuedAt: new Date().toISOString(),
      });
      jobs.set(jobId, queued);
      log.info({ jobId, for: forJobId }, 'job preempted to the queue');
    } catch (e) {
      log.debug({ jobId, err: e }, 'queueing a preempted job failed');
    }
  }
}
