import type { CoordinationState, JobRecord, WorkersRecord } from '@djc/core';

/** A worker that stopped while it may have held tasks. */
export interface WorkerLoss {
  workerId: string;
  /** e.g. "worker process exited with signal SIGKILL". */
  reason: string;
}

export interface StopOptions {
  /**
   * How long running workers get to finish (or give back) their attempts
   * before they are killed (default: local 20 s, Slurm 10 s).
   */
  graceMs?: number;
  /**
   * The coordinator is going away but the job is not over (daemon shutdown):
   * leave workers that outlive this process (a Slurm array) for the next
   * coordinator to adopt.
   */
  detach?: boolean;
  /**
   * Another coordinator claimed the job (fence/job-claim.ts): stop following
   * it and touch no worker (no signal, no scancel); its workers go on for
   * the job's new coordinator.
   */
  leave?: boolean;
}

/**
 * What one granted worker holds: its share of the pool (the job's
 * compute.resources) and, on the local pool, the CPU and GPU ids it is
 * bound to (empty: not pinned).
 */
export interface WorkerBinding {
  cpus: number;
  memoryBytes: number;
  gpus: number;
  cpuIds: number[];
  gpuIds: number[];
}

export interface StartOptions {
  /**
   * The scheduler's grant: one binding per worker to start ([]: start none
   * yet, grow() adds them). Absent: compute.workers workers, each holding
   * the job's compute.resources (no scheduler in front).
   */
  workers?: WorkerBinding[];
}

/** A worker a job holds now (started and not exited, or a slot kept to replace one that died). */
export interface HeldWorker {
  /** null: a slot kept for a replacement, no process yet. */
  workerId: string | null;
  binding: WorkerBinding;
  /** Asked to stop (shrink): it still holds its binding until it exits. */
  stopping: boolean;
}

/**
 * Starts and follows the workers of a job: local child processes, a Slurm
 * job array, or nothing (external workers started by the user). The
 * scheduler decides how many workers each job holds: start() with its
 * grant, then grow() and shrink() by count; held() is what it holds.
 */
export interface Dispatcher {
  /** Starts the job's workers, or adopts the ones a previous coordinator (or warm) started. */
  start(job: JobRecord, opts?: StartOptions): Promise<void>;
  /** Starts one more worker per binding for a job it follows (a grant). */
  grow(jobId: string, workers: readonly WorkerBinding[]): Promise<void>;
  /**
   * Asks `count` of the job's workers to stop (preemption): SIGTERM with the
   * grace period, so their running attempts finish or are given back
   * (refunded). They hold their bindings until they exit. Returns how many
   * were asked (a dispatcher that cannot stop single workers returns 0).
   */
  shrink(jobId: string, count: number): Promise<number>;
  /** What the job holds now, for the scheduler's snapshot ([] for a job it does not follow). */
  held(jobId: string): HeldWorker[];
  /** Calls `listener` whenever a worker of any job it follows exits (capacity to grant again at once). */
  onRelease(listener: () => void): void;
  /**
   * Starts the workers of a job that is not ready yet (a WAITING stage run
   * whose upstream runs its last tasks), so they are up when its first task
   * comes; they wait meanwhile, and exit when the job ends without running
   * (SKIPPED, CANCELLED). start() adopts them. Absent where starting workers
   * early is not cheap (Slurm, external workers), or returns false where the
   * job's dispatcher does not (routing). `opts` as for start(): behind the
   * scheduler, no workers (the scheduler grants them).
   */
  warm?(job: JobRecord, opts?: StartOptions): Promise<boolean>;
  /**
   * Called on every monitor tick with the fresh job record: reports workers
   * that died since the last call (so their tasks are reclaimed at once) and
   * replaces them while work remains, within a restart budget.
   */
  poll(job: JobRecord): Promise<WorkerLoss[]>;
  /** Why the job cannot make progress (e.g. every worker keeps dying), or null. */
  stuckReason(jobId: string): string | null;
  /**
   * What the next coordinator must continue (the recent worker deaths of
   * the job), to keep on the job record; null for a job it does not follow.
   * start() reads it back from the record. Absent where nothing is kept.
   */
  coordination?(jobId: string): CoordinationState | null;
  /** The workers as last seen, to record on the job for `djc status`; null for a job it does not follow. */
  describe(jobId: string): WorkersRecord | null;
  /** Stops following the job and stops its workers (unless detach); returns the workers' final view. */
  stop(jobId: string, opts?: StopOptions): Promise<WorkersRecord | null>;
}

/** "2 running, 2 pending (Resources), 1 failed (NonZeroExitCode)" from worker groups. */
export function groupSummary(groups: WorkersRecord['groups']): string {
  if (groups.length === 0) return 'no workers';
  return groups.map((g) => `${g.count} ${g.state.toLowerCase()}${g.reason ? ` (${g.reason})` : ''}`).join(', ');
}
