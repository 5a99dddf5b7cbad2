import { backoffDelay, type Backend, type JobRecord, type Logger, type TaskRecord } from '@djc/core';
import type { Dispatcher } from './dispatch/dispatcher.js';
import { failFastReason } from './fail-fast.js';

/** `fail`: the job must end FAILED now, for this reason (its workers are stuck, or it failed fast). */
export type TickResult = 'running' | 'done' | 'cancelled' | { fail: string };

/**
 * One monitoring pass over a running job: reclaim the tasks of workers the
 * dispatcher saw die and of leases that expired (running ones spend their
 * attempt; held ones, never started, come back without one), re-enqueue
 * them, and say whether the job is done, cancelled, stuck, or can no longer
 * succeed (fail_fast).
 */
export async function monitorTick(backend: Backend, jobId: string, dispatcher: Dispatcher, log: Logger): Promise<TickResult> {
  let job = await backend.state.getJob(jobId);
  if (!job || job.status === 'CANCELLED' || job.cancelRequested) return 'cancelled';
  const losses = await dispatcher.poll(job);
  // Kept on the job (fenced, through the claim), so a new coordinator continues the death window.
  const kept = losses.length > 0 ? dispatcher.coordination?.(jobId) : null;
  if (kept) await backend.state.updateJob(jobId, { coordination: kept });
  let reclaimed = 0;
  for (const loss of losses) {
    reclaimed += (await reclaim(backend, job, { owner: loss.workerId, reason: `worker lost: ${loss.reason}` }, log)).length;
  }
  reclaimed += (await reclaimExpired(backend, job, log)).length;
  if (losses.length > 0 || reclaimed > 0) job = (await backend.state.getJob(jobId)) ?? job;
  const t = job.tasks;
  if (job.status === 'RUNNING' && t.pending + t.claimed + t.running + t.retrying === 0) return 'done';
  const hopeless = failFastReason(job);
  if (hopeless) return { fail: hopeless };
  const stuck = dispatcher.stuckReason(jobId);
  return stuck ? { fail: stuck } : 'running';
}

/** Reclaims the tasks whose lease expired (their worker stopped heartbeating) and re-enqueues them. */
export function reclaimExpired(backend: Backend, job: JobRecord, log: Logger): Promise<TaskRecord[]> {
  return reclaim(backend, job, { expiredBefore: Date.now(), reason: 'worker lost: lease expired (the worker stopped heartbeating)' }, log);
}

async function reclaim(
  backend: Backend, job: JobRecord, by: { owner?: string; expiredBefore?: number; reason: string }, log: Logger,
): Promise<TaskRecord[]> {
  const delay = backoffDelay(1, job.config.retry.backoff);
  const changed = await backend.state.reclaimTasks(job.jobId, {
    ...by,
    maxAttempts: job.config.retry.max_attempts,
    notBefore: Date.now() + delay,
  });
  const retry = changed.filter((t) => t.status === 'RETRY_WAIT');
  if (retry.length > 0) {
    await backend.queue.send(retry.map((t) => ({ v: 1 as const, jobId: job.jobId, taskId: t.taskId })), { delayMs: delay });
  }
  // Tasks the worker held but had not started are PENDING again (no attempt counted): they may run at once.
  const held = changed.filter((t) => t.status === 'PENDING');
  if (held.length > 0) await backend.queue.send(held.map((t) => ({ v: 1 as const, jobId: job.jobId, taskId: t.taskId })));
  if (changed.length > 0) log.warn({ jobId: job.jobId, tasks: changed.map((t) => t.taskId), reason: by.reason }, 'tasks reclaimed');
  return changed;
}
