/**
 * Which workers to take back for a job that cannot start (preemption): from
 * jobs of lower priority that allow it, lowest priority first, then the
 * youngest (last queued), one worker at a time, just enough for the job's
 * want, or for as many of its workers as taking all of them would fit (at
 * least one; otherwise nothing is taken). Capacity already stopping in the
 * pool counts as coming, so a tick does not preempt again for what a
 * previous tick already asked.
 */
import { copyFree, fitCount, give, plus, type Free } from './capacity.js';
import type { PoolState } from './pool-state.js';
import type { JobDemand, Preemption } from './types.js';

/** Workers of each job already chosen this tick (not chosen twice). */
export type Taken = Map<string, number>;

export function choosePreemptions(job: JobDemand, state: PoolState, jobs: readonly JobDemand[], taken: Taken): Preemption[] {
  const want = job.wantWorkers - job.heldWorkers;
  const coming = plus(state.free, state.stopping);
  if (fitCount(coming, job.perWorker) >= 1) return [];
  const victims = jobs
    .filter((v) => v.pool === job.pool && v.preemptible && v.priority < job.priority && available(v, taken) > 0)
    .sort((a, b) => a.priority - b.priority || b.queuedAt - a.queuedAt || (a.jobId < b.jobId ? 1 : -1));
  const all = pick(victims, coming, job, Infinity, taken);
  const reachable = fitCount(all.free, job.perWorker);
  if (reachable < 1) return [];
  const chosen = pick(victims, coming, job, Math.min(want, reachable), taken);
  for (const p of chosen.preemptions) taken.set(p.jobId, (taken.get(p.jobId) ?? 0) + p.workers);
  return chosen.preemptions;
}

function available(v: JobDemand, taken: Taken): number {
  return v.heldWorkers - (v.stoppingWorkers ?? 0) - (taken.get(v.jobId) ?? 0);
}

function pick(victims: readonly JobDemand[], start: Free, job: JobDemand, target: number, taken: Taken) {
  const free = copyFree(start);
  const preemptions: Preemption[] = [];
  for (const v of victims) {
    if (fitCount(free, job.perWorker) >= target) break;
    let n = 0;
    while (n < available(v, taken) && fitCount(free, job.perWorker) < target) {
      give(free, v.perWorker, 1);
      n++;
    }
    if (n > 0) preemptions.push({ jobId: v.jobId, workers: n, forJobId: job.jobId });
  }
  return { free, preemptions };
}
