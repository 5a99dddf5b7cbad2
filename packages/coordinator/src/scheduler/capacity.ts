/**
 * Free capacity of one pool as a vector (cpus, memory, gpus, worker slots),
 * and how many workers of a given size fit in it. Pools without a limit on
 * a dimension hold Infinity there.
 */
import type { JobDemand, PoolCapacity, WorkerResources } from './types.js';

export interface Free extends WorkerResources {
  workers: number;
}

/** Float slack so 0.1 + 0.2 cpus still fit in 0.3. */
const EPS = 1e-9;

/** What is free in `pool` given the workers the jobs hold now. */
export function freeCapacity(pool: PoolCapacity, jobs: readonly JobDemand[]): Free {
  const free: Free = { cpus: pool.cpus, memoryBytes: pool.memoryBytes, gpus: pool.gpus, workers: pool.maxWorkers };
  for (const job of jobs) if (job.pool === pool.pool && job.heldWorkers > 0) take(free, job.perWorker, job.heldWorkers);
  return free;
}

/** Subtract `n` workers of size `per` (may go negative when a pool shrank). */
export function take(free: Free, per: WorkerResources, n: number): void {
  free.cpus -= per.cpus * n;
  free.memoryBytes -= per.memoryBytes * n;
  free.gpus -= per.gpus * n;
  free.workers -= n;
}

/** Add `n` workers of size `per` back. */
export function give(free: Free, per: WorkerResources, n: number): void {
  take(free, per, -n);
}

/** How many workers of size `per` fit in `free` (Infinity when nothing limits it). */
export function fitCount(free: Free, per: WorkerResources): number {
  let n = Math.floor(free.workers + EPS);
  n = Math.min(n, per1(free.cpus, per.cpus), per1(free.memoryBytes, per.memoryBytes), per1(free.gpus, per.gpus));
  return Math.max(0, n);
}

function per1(free: number, need: number): number {
  if (need <= 0 || free === Infinity) return Infinity;
  return Math.floor(free / need + EPS);
}

/** Does one worker of size `per` exceed the pool's total (so it can never start)? */
export function neverFits(pool: PoolCapacity, per: WorkerResources): boolean {
  return per.cpus > pool.cpus + EPS || per.memoryBytes > pool.memoryBytes || per.gpus > pool.gpus || pool.maxWorkers < 1;
}

export function copyFree(free: Free): Free {
  return { ...free };
}

/** free + other, dimension by dimension. */
export function plus(free: Free, other: Free): Free {
  return {
    cpus: free.cpus + other.cpus,
    memoryBytes: free.memoryBytes + other.memoryBytes,
    gpus: free.gpus + other.gpus,
    workers: free.workers + other.workers,
  };
}
