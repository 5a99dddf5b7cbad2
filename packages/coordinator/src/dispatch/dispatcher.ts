import type { JobRecord } from '@djc/core';

/** A worker that stopped while it may have held tasks. */
export interface WorkerLoss {
  workerId: string;
  /** e.g. "worker process exited with signal SIGKILL". */
  reason: string;
}

/**
 * Starts and follows the workers of a job. Implementations: local child
 * processes (here); Slurm arrays and external workers later.
 */
export interface Dispatcher {
  /** Starts the job's workers. */
  start(job: JobRecord): Promise<void>;
  /**
   * Called on every monitor tick with the fresh job record: reports workers
   * that died since the last call (so their tasks are reclaimed at once) and
   * replaces them while work remains, within a restart budget.
   */
  poll(job: JobRecord): Promise<WorkerLoss[]>;
  /** Why the job cannot make progress (e.g. every worker keeps dying), or null. */
  stuckReason(jobId: string): string | null;
  /** Stops the job's workers: SIGTERM, then SIGKILL after graceMs. */
  stop(jobId: string, graceMs?: number): Promise<void>;
}
