/**
 * The worker-death limit (compute.max_worker_deaths), in two rules:
 * - a RATE: at most `count` deaths (default 2 × workers + 3) within the last
 *   `per` (default 10s), so a long job with occasional deaths runs on;
 * - NO PROGRESS: at most `count` workers that CRASHED (exited with an error
 *   or by a fault signal such as SIGSEGV or SIGABRT; not killed, not
 *   cancelled) while the job finished no task,
 *   so a crash loop slower than the rate (workers that take seconds to start
 *   and fail, Slurm array tasks replaced once per poll) still ends. Workers
 *   killed mid-task are bounded by their tasks' retries instead.
 * The times live on the job record (JobRecord.coordination) so the next
 * coordinator continues both counts instead of starting a fresh budget.
 */
import { formatDuration, type JobRecord } from '@djc/core';

/** Signals a process raises itself by failing (not sent to it to stop it). */
const FAULTS = new Set(['SIGSEGV', 'SIGABRT', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGSYS', 'SIGTRAP']);
const FAULT_NUMBERS = new Set([11, 6, 7, 4, 8, 31, 5]);

/** Whether a worker that ended so crashed by itself (an exit code, or a fault signal by name or number). */
export function isCrash(signal: string | number | null): boolean {
  return signal === null || (typeof signal === 'string' ? FAULTS.has(signal) : FAULT_NUMBERS.has(signal));
}

export interface DeathLimit {
  count: number;
  per: number;
}

/** The job's limit for `workers` workers (the most it held at once). */
export function deathLimit(job: JobRecord, workers: number): DeathLimit {
  const cfg = job.config.compute.max_worker_deaths;
  return { count: cfg?.count ?? workers * 2 + 3, per: cfg?.per ?? 10_000 };
}

/** A job's worker deaths as one dispatcher follows them. */
export class WorkerDeaths {
  /** Tasks finished (succeeded or failed) when last observed; null before the first look. */
  private done: number | null = null;
  /** When the job last finished a task, as observed (0: not since this coordinator started). */
  private progressAt = 0;

  /** Epoch ms, oldest first: every death, and those that were crashes (JobRecord.coordination of the job). */
  constructor(private deaths: number[], private crashes: number[] = []) {}

  /** A worker died; `crash`: it failed by itself (isCrash), was not stopped. */
  add(crash: boolean, now = Date.now()): void {
    this.deaths.push(now);
    if (crash) this.crashes.push(now);
  }

  /** Notes the job's finished tasks: a change since the last look is progress. */
  observe(job: JobRecord, now = Date.now()): void {
    const done = job.tasks.succeeded + job.tasks.failed;
    if (this.done !== null && done !== this.done) this.progressAt = now;
    this.done = done;
  }

  /** Which limit the deaths passed, in words ("12 worker deaths within 10s, more than …"), or null. */
  overLimit(limit: DeathLimit, now = Date.now()): string | null {
    const recent = this.deaths.filter((t) => t > now - limit.per).length;
    const per = formatDuration(limit.per);
    if (recent > limit.count) {
      return `${recent} worker deaths within ${per}, more than compute.max_worker_deaths allows (${limit.count} per ${per})`;
    }
    const stalled = this.crashes.filter((t) => t > this.progressAt).length;
    if (stalled > limit.count) {
      return `${stalled} workers crashed while no task finished, more than compute.max_worker_deaths allows (${limit.count})`;
    }
    return null;
  }

  /** What either rule still counts, to keep on the job record. */
  kept(limit: DeathLimit, now = Date.now()): { workerDeaths: number[]; workerCrashes: number[] } {
    this.deaths = this.deaths.filter((t) => t > now - limit.per);
    this.crashes = this.crashes.filter((t) => t > this.progressAt);
    return { workerDeaths: [...this.deaths], workerCrashes: [...this.crashes] };
  }
}
