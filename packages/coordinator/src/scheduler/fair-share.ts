/**
 * Fair share: each owner's recent usage in decayed CPU-seconds, from the
 * worker allocations the daemon records. A CPU held for one second counts
 * 1 when it ends now, 1/2 one half-life ago, 1/4 two half-lives ago: the
 * integral of cpus × 2^(-(now - t) / halfLife) over the time the worker
 * ran. A worker still running (endedAt null) counts up to `now`.
 */
import type { WorkerAllocation } from './types.js';

export interface OwnerAllocations {
  owner: string;
  allocations: readonly WorkerAllocation[];
}

/** Decayed CPU-seconds per owner at `now` (epoch ms); halfLifeMs Infinity (or ≤ 0): no decay. */
export function fairShareUsage(jobs: Iterable<OwnerAllocations>, now: number, halfLifeMs: number): Record<string, number> {
  const usage: Record<string, number> = {};
  for (const job of jobs) {
    let sum = usage[job.owner] ?? 0;
    for (const a of job.allocations) sum += decayedCpuSeconds(a, now, halfLifeMs);
    usage[job.owner] = sum;
  }
  return usage;
}

export function decayedCpuSeconds(a: WorkerAllocation, now: number, halfLifeMs: number): number {
  const start = Math.min(Date.parse(a.startedAt), now);
  const end = Math.min(a.endedAt === null ? now : Date.parse(a.endedAt), now);
  if (!(end > start) || !(a.cpus > 0)) return 0;
  if (!(halfLifeMs > 0) || halfLifeMs === Infinity) return (a.cpus * (end - start)) / 1000;
  const k = Math.LN2 / halfLifeMs;
  // ∫ cpus · e^(-k (now - t)) dt from start to end, in seconds.
  return (a.cpus * (Math.exp(-k * (now - end)) - Math.exp(-k * (now - start)))) / k / 1000;
}
