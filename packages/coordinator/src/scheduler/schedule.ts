/**
 * The scheduler's decision for one tick: `schedule(snapshot)` is pure.
 * First version: jobs in priority order (then submit time), each granted as
 * many whole workers as fit in its pool, up to wantWorkers - heldWorkers.
 */
import { fitCount, freeCapacity, neverFits, take, type Free } from './capacity.js';
import type { Decision, JobDemand, SchedulerSnapshot, WaitReason } from './types.js';

export function schedule(snapshot: SchedulerSnapshot): Decision {
  const free = new Map<string, Free>();
  for (const pool of snapshot.pools) free.set(pool.pool, freeCapacity(pool, snapshot.jobs));
  const order = snapshot.jobs
    .filter((job) => job.wantWorkers > job.heldWorkers)
    .sort((a, b) => b.priority - a.priority || a.submittedAt - b.submittedAt || cmp(a.jobId, b.jobId));
  const decision: Decision = { grants: [], preemptions: [], waiting: new Map(), order: order.map((j) => j.jobId), reservation: null };
  const ahead = new Map<string, number>();
  for (const job of order) {
    const pool = snapshot.pools.find((p) => p.pool === job.pool);
    const poolFree = free.get(job.pool);
    const n = pool && poolFree && !neverFits(pool, job.perWorker) ? Math.min(job.wantWorkers - job.heldWorkers, fitCount(poolFree, job.perWorker)) : 0;
    if (n > 0 && poolFree) {
      take(poolFree, job.perWorker, n);
      decision.grants.push({ jobId: job.jobId, workers: n });
      continue;
    }
    const jobsAhead = ahead.get(job.pool) ?? 0;
    ahead.set(job.pool, jobsAhead + 1);
    decision.waiting.set(job.jobId, simpleReason(job, poolFree, jobsAhead, !pool || neverFits(pool, job.perWorker)));
  }
  return decision;
}

function simpleReason(job: JobDemand, free: Free | undefined, jobsAhead: number, never: boolean): WaitReason {
  const f = free ?? { cpus: 0, memoryBytes: 0, gpus: 0, workers: 0 };
  return {
    code: never ? 'never_fits' : jobsAhead > 0 ? 'priority' : 'resources',
    message: never ? `one worker asks more than the ${job.pool} pool has` : `needs ${job.perWorker.cpus} cpus, ${Math.max(0, f.cpus)} free; ${jobsAhead} jobs ahead`,
    position: jobsAhead + 1,
    jobsAhead,
    need: { ...job.perWorker },
    free: { cpus: Math.max(0, f.cpus), memoryBytes: Math.max(0, f.memoryBytes), gpus: Math.max(0, f.gpus) },
    estimatedStartMs: null,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
