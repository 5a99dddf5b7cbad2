/**
 * A worker of one job outlives a coordinator that dies: it keeps running the
 * job's tasks (a standby or a restarted daemon adopts the job meanwhile).
 * But a job whose coordinator died and was never replaced can stay PREPARING
 * or RUNNING forever, and its workers would poll it forever. The coordinator
 * marks the jobs it coordinates every 2 s (coordinator/src/liveness.ts
 * keepMarking, `job.coordinator.seenAt`); when that mark has not moved for
 * the orphan timeout, as timed by this worker's own clock (no clock skew
 * between hosts), the worker stops taking tasks and exits.
 */
import { formatDuration, parseDuration, TERMINAL_JOB, type JobRecord } from '@djc/core/worker';

/** Without compute.worker_orphan_timeout or DJC_WORKER_ORPHAN_TIMEOUT. */
export const DEFAULT_ORPHAN_TIMEOUT_MS = 5 * 60_000;

/** The job's compute.worker_orphan_timeout, else DJC_WORKER_ORPHAN_TIMEOUT ("90s", "5m", or seconds), else 5 minutes. */
export function orphanTimeoutMs(job: JobRecord, env: NodeJS.ProcessEnv = process.env): number {
  const set = job.config.compute.worker_orphan_timeout;
  if (set !== undefined) return set;
  const fromEnv = env.DJC_WORKER_ORPHAN_TIMEOUT ? parseDuration(env.DJC_WORKER_ORPHAN_TIMEOUT) : null;
  return fromEnv !== null && fromEnv > 0 ? fromEnv : DEFAULT_ORPHAN_TIMEOUT_MS;
}

export class OrphanWatch {
  private mark: number | null | undefined = undefined;
  private movedAt: number;
  /** DJC_WORKER_ORPHAN_TIMEOUT, read once (process.env is a getenv per read, and check runs every loop turn). */
  private readonly env: NodeJS.ProcessEnv = { DJC_WORKER_ORPHAN_TIMEOUT: process.env.DJC_WORKER_ORPHAN_TIMEOUT };

  constructor(private readonly now: () => number = Date.now) {
    this.movedAt = now();
  }

  /**
   * Looks at the job's coordinator mark; returns why the worker should stop
   * (nobody coordinates the job), or null. The clock starts at the worker's
   * start: a mark older than that counts from then.
   */
  check(job: JobRecord): string | null {
    // A WAITING job (a stage run whose workers start early) has no coordinator of its own yet.
    if (TERMINAL_JOB.has(job.status) || job.status === 'WAITING') return null;
    const mark = job.coordinator?.seenAt ?? null;
    if (mark !== this.mark) {
      if (this.mark !== undefined) this.movedAt = this.now();
      this.mark = mark;
    }
    const timeout = orphanTimeoutMs(job, this.env);
    const still = this.now() - this.movedAt;
    if (still <= timeout) return null;
    const who = job.coordinator ? `its coordinator (${job.coordinator.owner}) has not marked it` : 'no coordinator has marked it';
    return `job ${job.jobId} is ${job.status} and ${who} for ${formatDuration(still)} `
      + `(compute.worker_orphan_timeout: ${formatDuration(timeout)}): nobody coordinates it`;
  }
}
