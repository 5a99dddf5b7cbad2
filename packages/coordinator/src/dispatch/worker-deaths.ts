/**
 * The worker-death limit as a RATE (compute.max_worker_deaths): deaths
 * within the last `per` ms, at most `count` (default 2 × workers + 3). The
 * death times live on the job record (JobRecord.coordination) so the next
 * coordinator continues the window instead of starting a fresh budget.
 */
import { formatDuration, type JobRecord } from '@djc/core';

export interface DeathLimit {
  count: number;
  per: number;
}

/** The job's limit for `workers` workers (the most it held at once). */
export function deathLimit(job: JobRecord, workers: number): DeathLimit {
  const cfg = job.config.compute.max_worker_deaths;
  return { count: cfg?.count ?? workers * 2 + 3, per: cfg?.per ?? 10_000 };
}

/** The deaths still inside the window at `now` (oldest first). */
export function recentDeaths(deaths: readonly number[], limit: DeathLimit, now = Date.now()): number[] {
  return deaths.filter((t) => t > now - limit.per);
}

/** Whether more workers died within the window than the limit allows. */
export function overLimit(deaths: readonly number[], limit: DeathLimit, now = Date.now()): boolean {
  return recentDeaths(deaths, limit, now).length > limit.count;
}

/** "12 worker deaths within 10s, more than compute.max_worker_deaths allows (11 per 10s)". */
export function deathLimitReason(deaths: readonly number[], limit: DeathLimit, now = Date.now()): string {
  const per = formatDuration(limit.per);
  return `${recentDeaths(deaths, limit, now).length} worker deaths within ${per}, more than compute.max_worker_deaths allows (${limit.count} per ${per})`;
}
