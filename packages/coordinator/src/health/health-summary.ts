import type { JobRecord } from '@djc/core';

/** The periodic summary line's figures (pure, from the live jobs and the process's own measures). */
export interface HealthSummary {
  /** Live jobs by status (only statuses with some). */
  jobs: Record<string, number>;
  /** Jobs that ended since the daemon started, by final status. */
  ended: Record<string, number>;
  /** Workers of live jobs by state, as their dispatchers last recorded them (RUNNING, PENDING, …). */
  workers: Record<string, number>;
  rssBytes: number;
  heapUsedBytes: number;
  /** The JS heap V8 has reserved (used or not). */
  heapTotalBytes: number;
  /** Memory of JS objects held outside the heap (Buffers, native handles V8 knows of). */
  externalBytes: number;
  /** Event-loop delay over the period: p99 and max, in ms. */
  eventLoopLagMs: { p99: number; max: number };
}

/** Live jobs by status, and their workers by state. */
export function countLive(live: readonly JobRecord[]): Pick<HealthSummary, 'jobs' | 'workers'> {
  const jobs: Record<string, number> = {};
  const workers: Record<string, number> = {};
  for (const job of live) {
    jobs[job.status] = (jobs[job.status] ?? 0) + 1;
    for (const g of job.workers?.groups ?? []) workers[g.state] = (workers[g.state] ?? 0) + g.count;
  }
  return { jobs: sorted(jobs), workers: sorted(workers) };
}

function sorted(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}
