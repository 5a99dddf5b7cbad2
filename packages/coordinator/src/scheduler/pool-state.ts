/**
 * One pool during a tick: what is free now, when held workers are expected
 * to free (for the reservation and the start estimates), and the head job's
 * reservation once a job of the pool could not start.
 */
import { copyFree, freeCapacity, give, type Free } from './capacity.js';
import type { JobDemand, PoolCapacity, WorkerResources } from './types.js';

/** `workers` workers of size `per` expected to free at epoch ms `at`. */
export interface Release {
  at: number;
  per: WorkerResources;
  workers: number;
}

export interface Reservation {
  jobId: string;
  /** When one worker of the head fits, from the known release times; null when a needed release has no estimate. */
  startAt: number | null;
  /** startAt is exact: every worker held in the pool has an estimate (else it is only an upper bound). */
  exact: boolean;
  /** Capacity the head will not need at startAt: what a backfilled job that outlives startAt may use. */
  extra: Free;
}

export interface PoolState {
  capacity: PoolCapacity;
  free: Free;
  /** Capacity of workers asked to stop (preempted) and not yet exited: it frees soon, for the job it was taken for. */
  stopping: Free;
  releases: Release[];
  /** Jobs holding workers with no estimate of when they free. */
  unknownReleases: number;
  head: Reservation | null;
  /** Waiting jobs of the pool so far in grant order (positions). */
  waiting: number;
}

export function poolStates(pools: readonly PoolCapacity[], jobs: readonly JobDemand[], now: number): Map<string, PoolState> {
  const out = new Map<string, PoolState>();
  for (const capacity of pools) {
    const stopping: Free = { cpus: 0, memoryBytes: 0, gpus: 0, workers: 0 };
    out.set(capacity.pool, { capacity, free: freeCapacity(capacity, jobs), stopping, releases: [], unknownReleases: 0, head: null, waiting: 0 });
  }
  for (const job of jobs) {
    const state = out.get(job.pool);
    if (!state || job.heldWorkers <= 0) continue;
    give(state.stopping, job.perWorker, Math.min(job.heldWorkers, job.stoppingWorkers ?? 0));
    addHolder(state, job.perWorker, job.heldWorkers, job.remainingMs, now);
  }
  return out;
}

/** Record that `workers` workers of size `per` are held and (when known) free after `durationMs`. */
export function addHolder(state: PoolState, per: WorkerResources, workers: number, durationMs: number | null, now: number): void {
  if (durationMs === null) state.unknownReleases++;
  else state.releases.push({ at: now + Math.max(0, durationMs), per, workers });
}

/**
 * The head job's reservation (EASY backfill): the earliest time one of its
 * workers fits as the held workers free, and the capacity it will not need
 * then. Without an exact time, `extra` is only what is free now beyond the
 * head's need, so a backfilled job can never take what the head waits for.
 */
export function reserve(state: PoolState, jobId: string, per: WorkerResources): Reservation {
  const acc = copyFree(state.free);
  let startAt: number | null = null;
  for (const r of [...state.releases].sort((a, b) => a.at - b.at)) {
    give(acc, r.per, r.workers);
    if (fitsOne(acc, per)) {
      startAt = r.at;
      break;
    }
  }
  const exact = startAt !== null && state.unknownReleases === 0;
  const base = exact ? acc : state.free;
  const extra: Free = {
    cpus: Math.max(0, base.cpus - per.cpus),
    memoryBytes: Math.max(0, base.memoryBytes - per.memoryBytes),
    gpus: Math.max(0, base.gpus - per.gpus),
    workers: Math.max(0, base.workers - 1),
  };
  return { jobId, startAt, exact, extra };
}

export function fitsOne(free: Free, per: WorkerResources): boolean {
  const e = 1e-9;
  return free.workers >= 1 && free.cpus + e >= per.cpus && free.memoryBytes >= per.memoryBytes && free.gpus >= per.gpus;
}

/**
 * The reservation of a head that starts as soon as workers already asked to
 * stop have exited (preemption): no backfilled job may end "before" it, and
 * only what will be free then beyond its worker is spare.
 */
export function reserveSoon(job: JobDemand, coming: Free, now: number): Reservation {
  const per = job.perWorker;
  const extra: Free = {
    cpus: Math.max(0, coming.cpus - per.cpus),
    memoryBytes: Math.max(0, coming.memoryBytes - per.memoryBytes),
    gpus: Math.max(0, coming.gpus - per.gpus),
    workers: Math.max(0, coming.workers - 1),
  };
  return { jobId: job.jobId, startAt: now, exact: true, extra };
}
