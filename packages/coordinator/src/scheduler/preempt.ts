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
  /** Per pool and priority, what all candidates below that priority could give back (cleared when workers are taken). */
  below: Map<string, Free>;
}

export function noneTaken(): Taken {
  return { workers: new Map(), exhaustedAt: new Map(), below: new Map() };
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

export interface PreemptionChoice {
  preemptions: Preemption[];
  /** What will be free once the workers already stopping and those chosen have exited; null when preempting cannot make room. */
  coming: Free | null;
}

/** `candidates`: the pool's list from preemptionCandidates. */
export function choosePreemptions(job: JobDemand, state: PoolState, candidates: readonly JobDemand[], taken: Taken): PreemptionChoice {
  const want = job.wantWorkers - job.heldWorkers;
  const coming = plus(state.free, state.stopping);
  if (fitCount(coming, job.perWorker) >= 1) return { preemptions: [], coming };
  const none = { preemptions: [], coming: null };
  if (job.priority <= (taken.exhaustedAt.get(job.pool) ?? -Infinity)) return none;
  const below = availableBelow(job, candidates, taken);
  if (below.workers <= 0) {
    taken.exhaustedAt.set(job.pool, job.priority);
    return none;
  }
  const reachable = fitCount(plus(coming, below), job.perWorker);
  if (reachable < 1) return none;
  const victims = candidates.filter((v) => v.priority < job.priority && available(v, taken) > 0);
  const chosen = pick(victims, coming, job, Math.min(want, reachable), taken);
  for (const p of chosen.preemptions) taken.workers.set(p.jobId, (taken.workers.get(p.jobId) ?? 0) + p.workers);
  taken.below.clear();
  return { preemptions: chosen.preemptions, coming: chosen.free };
}

/** What every candidate of lower priority than `job` could still give back (cached per priority until workers are taken). */
function availableBelow(job: JobDemand, candidates: readonly JobDemand[], taken: Taken): Free {
  const key = `${job.pool}\u0000${job.priority}`;
  let sum = taken.below.get(key);
  if (sum) return sum;
  sum = { cpus: 0, memoryBytes: 0, gpus: 0, workers: 0 };
  for (const v of candidates) {
    if (v.priority >= job.priority) break;
    give(sum, v.perWorker, available(v, taken));
  }
  taken.below.set(key, sum);
  return sum;
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
