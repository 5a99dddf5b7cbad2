import type { Backend, JobRecord, Logger } from '@djc/core';
import { ConflictError } from '@djc/core/read';
import { notifyJobEnd } from '../notify.js';
import { afterDecision } from './after-decision.js';

/**
 * Moves a WAITING `--after` job on if its dependencies allow: ready
 * (→ SUBMITTED, the daemon then runs it), skipped (→ SKIPPED with the
 * reason), or still waiting (its reason kept current). Called at submit
 * and on every daemon tick; a lost race changes nothing.
 */
export async function settleAfter(backend: Backend, job: JobRecord, log: Logger): Promise<JobRecord> {
  if (job.status !== 'WAITING' || !job.after) return job;
  const deps = await Promise.all(job.after.jobIds.map((id) => backend.state.getJob(id)));
  const d = afterDecision(job.after, deps);
  try {
    if (d.kind === 'ready') return await backend.state.transitionJob(job.jobId, ['WAITING'], 'SUBMITTED', { reason: null });
    if (d.kind === 'skip') {
      const ended = await backend.state.transitionJob(job.jobId, ['WAITING'], 'SKIPPED', { reason: d.reason, endedAt: new Date().toISOString() });
      await notifyJobEnd(ended, log);
      return ended;
    }
    return d.reason === job.reason ? job : await backend.state.updateJob(job.jobId, { reason: d.reason });
  } catch (e) {
    if (e instanceof ConflictError) return (await backend.state.getJob(job.jobId)) ?? job;
    throw e;
  }
}
