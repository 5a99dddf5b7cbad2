/**
 * The grant order: effective priority (priority plus one class per aging
 * interval waited) descending, then the owner's decayed usage ascending (fair
 * share), then submit time, then job id. Jobs that hold workers and want more
 * take part in the same order; only jobs holding none age, since the age term
 * is there so that a waiting job does not starve.
 */
import type { JobDemand, SchedulerSnapshot } from './types.js';

/** Priority points gained per aging interval waited (one class). */
export const AGING_STEP = 10;

export function effectivePriority(job: JobDemand, now: number, agingIntervalMs: number): number {
  if (job.heldWorkers > 0 || !(agingIntervalMs > 0)) return job.priority;
  const steps = Math.floor(Math.max(0, now - job.queuedAt) / agingIntervalMs);
  return job.priority + AGING_STEP * steps;
}

export interface Ordered {
  job: JobDemand;
  effective: number;
  usage: number;
}

/** The jobs that want more workers than they hold, in grant order (sorted once). */
export function grantOrder(snapshot: SchedulerSnapshot): Ordered[] {
  const { now, usage, settings } = snapshot;
  const out: Ordered[] = [];
  for (const job of snapshot.jobs) {
    if (job.wantWorkers <= job.heldWorkers) continue;
    out.push({ job, effective: effectivePriority(job, now, settings.agingIntervalMs), usage: usage[job.owner] ?? 0 });
  }
  return out.sort(compareOrdered);
}

function compareOrdered(a: Ordered, b: Ordered): number {
  return (
    b.effective - a.effective ||
    a.usage - b.usage ||
    a.job.submittedAt - b.job.submittedAt ||
    (a.job.jobId < b.job.jobId ? -1 : a.job.jobId > b.job.jobId ? 1 : 0)
  );
}
