import type { Backend, JobConfig, JobRecord } from '@djc/core';
import { DjcError, PRIORITY_CLASSES, TERMINAL_JOB } from '@djc/core/read';
import { mustGetJob } from '../resolve-job.js';

export type Priority = JobConfig['priority'];

/** "high", "urgent", "25", "-5" → a priority; anything else is a usage error naming `flag`. */
export function parsePriority(text: string, flag = 'priority'): Priority {
  const value = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim();
  // By hand, as the config schema's PrioritySchema says: zod stays off the submit path (issue 14).
  if (typeof value === 'string' ? Object.hasOwn(PRIORITY_CLASSES, value) : Number.isSafeInteger(value) && value >= -1000 && value <= 1000) return value as Priority;
  throw new DjcError('USAGE', `${flag}: expected low, normal, high, urgent or an integer from -1000 to 1000, found ${JSON.stringify(text)}`, {
    hint: 'e.g. --priority high, or djc priority JOB 25',
  });
}

/**
 * Changes a job's priority (`djc priority`): rewrites config.priority in one
 * atomic settings write (persisted on both backends; the daemon orders by it
 * from its next tick). A pipeline: the pipeline and each of its runs that
 * has not ended. A job that has ended cannot be changed (exit 2).
 */
export async function setPriority(backend: Backend, jobId: string, priority: Priority): Promise<{ job: JobRecord; from: Priority; changed: number }> {
  const job = await mustGetJob(backend, jobId);
  if (TERMINAL_JOB.has(job.status)) {
    throw new DjcError('USAGE', `job ${jobId} has ended (${job.status}): its priority no longer matters`, { jobId, hint: 'djc retry re-runs it with the priority it has' });
  }
  const targets = [job, ...(job.kind === 'pipeline' ? (await backend.state.listJobs({ parentId: jobId })).filter((r) => !TERMINAL_JOB.has(r.status)) : [])];
  let last = job;
  for (const t of targets) {
    const written = await backend.state.updateJob(t.jobId, { settings: { config: { ...t.config, priority }, retries: t.retries } });
    if (t.jobId === jobId) last = written;
  }
  return { job: last, from: job.config.priority, changed: targets.length };
}
