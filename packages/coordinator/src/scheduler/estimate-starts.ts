/**
 * When each waiting job of a pool is expected to start: the held workers
 * free at their estimated times (from recent throughput), and the waiting
 * jobs take what frees in grant order, no backfill, each as many workers as
 * fit up to its want, held for its estimated run time. One pass over a heap
 * of release times; a job the known releases never make room for has no
 * estimate, nor has anything behind it.
 */
import { copyFree, fitCount, give, take } from './capacity.js';
import { MinHeap } from './min-heap.js';
import type { PoolState, Release } from './pool-state.js';
import type { JobDemand } from './types.js';

export function estimateStarts(state: PoolState, waiting: readonly JobDemand[], now: number): Map<string, number | null> {
  const out = new Map<string, number | null>();
  const heap = new MinHeap<Release>();
  for (const r of state.releases) heap.push({ at: r.at, value: r });
  const free = copyFree(state.free);
  let t = now;
  let stuck = false;
  for (const job of waiting) {
    while (!stuck && fitCount(free, job.perWorker) < 1) {
      const next = heap.pop();
      if (!next) stuck = true;
      else {
        t = Math.max(t, next.at);
        give(free, next.value.per, next.value.workers);
      }
    }
    if (stuck) {
      out.set(job.jobId, null);
      continue;
    }
    out.set(job.jobId, t - now);
    const n = Math.min(job.wantWorkers - job.heldWorkers, fitCount(free, job.perWorker));
    take(free, job.perWorker, n);
    const runMs = job.heldWorkers > 0 ? (job.remainingMs ?? job.runMs) : job.runMs;
    if (runMs !== null) heap.push({ at: t + runMs, value: { at: t + runMs, per: job.perWorker, workers: n } });
  }
  return out;
}
