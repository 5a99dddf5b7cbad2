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

/**
 * Workers of each job already chosen this tick (not chosen twice), and per
 * pool the highest priority that found nothing left to take (workers are
 * only ever taken, so a job of that priority or lower finds nothing either).
 */
export interface Taken {
  workers: Map<string, number>;
  exhaustedAt: Map<string, number>;
}

export function noneTaken(): Taken {
  return { workers: new Map(), exhaustedAt: new Map() };
}

/**
 * The jobs whose workers may be taken back, per pool, in the order they are
 * taken: lowest priority first, then the youngest. Sorted once per tick.
 */
export function preemptionCandidates(jobs: readonly JobDemand[]): Map<string, JobDemand[]> {
  const out = new Map<string, JobDemand[]>();
  for (const v of jobs) {
    if (!v.preemptible || v.heldWorkers - (v.stoppingWorkers ?? 0) <= 0) continue;
    const list = out.get(v.pool) ?? [];
    list.push(v);
    out.set(v.pool, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.priority - b.priority || b.queuedAt - a.queuedAt || (a.jobId < b.jobId ? 1 : -1));
  return out;
}

/** `candidates`: the pool's list from preemptionCandidates. */
export function choosePreemptions(job: JobDemand, state: PoolState, candidates: readonly JobDemand[], taken: Taken): Preemption[] {
  const want = job.wantWorkers - job.heldWorkers;
  const coming = plus(state.free, state.stopping);
  if (fitCount(coming, job.perWorker) >= 1) return [];
  if (job.priority <= (taken.exhaustedAt.get(job.pool) ?? -Infinity)) return [];
  const victims: JobDemand[] = [];
  for (const v of candidates) {
    if (v.priority >= job.priority) break;
    if (available(v, taken) > 0) victims.push(v);
  }
  if (victims.length === 0) {
    taken.exhaustedAt.set(job.pool, job.priority);
    return [];
  }
  const all = copyFree(coming);
  for (const v of victims) give(all, v.perWorker, available(v, taken));
  const reachable = fitCount(all, job.perWorker);
  if (reachable < 1) return [];
  const chosen = pick(victims, coming, job, Math.min(want, reachable), taken);
  for (const p of chosen.preemptions) taken.workers.set(p.jobId, (taken.workers.get(p.jobId) ?? 0) + p.workers);
  return chosen.preemptions;
}

function available(v: JobDemand, taken: Taken): number {
  return v.heldWorkers - (v.stoppingWorkers ?? 0) - (taken.workers.get(v.jobId) ?? 0);
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
