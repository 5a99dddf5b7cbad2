/**
 * The scheduler's contract. The scheduler grants *workers* to jobs; it does
 * not look inside tasks. Decisions are pure: `schedule(snapshot)`
 * (scheduler/schedule.ts) reads a snapshot of the pools, the jobs that want
 * workers and the owners' recent usage, and returns what to start, what to
 * take back and why every waiting job waits. The daemon (and `djc run`, for
 * its one job) builds the snapshot, applies the decision through the
 * dispatchers, and writes the queue document (QueueDocument) that `djc queue`
 * and `djc status` read.
 *
 * Additive changes only (new optional fields): the daemon, the policy and
 * the queue view are built against these names.
 */
import type { DispatcherName, JobStatus } from '@djc/core';

/** What one worker of a job needs (compute.resources, memory in bytes). */
export interface WorkerResources {
  cpus: number;
  memoryBytes: number;
  gpus: number;
}

/**
 * What one pool can hold at once. The local pool is the machine (or what
 * `djc coordinator --cpus/--memory/--gpus` declare); Slurm and external pools
 * count workers only (maxWorkers; Infinity: unlimited, Slurm admits itself)
 * and have cpus/memoryBytes/gpus Infinity.
 */
export interface PoolCapacity {
  pool: DispatcherName;
  cpus: number;
  memoryBytes: number;
  gpus: number;
  maxWorkers: number;
}

/** A job that holds workers or wants some. */
export interface JobDemand {
  jobId: string;
  name: string;
  pool: DispatcherName;
  status: JobStatus;
  /** The submitting user, or the value of the label the daemon's settings name (fair share). */
  owner: string;
  /** Numeric priority (PRIORITY_CLASSES: low 10, normal 20, high 30, urgent 40; or the integer given). Higher first. */
  priority: number;
  /** Epoch ms it was submitted (ties, and the age term). */
  submittedAt: number;
  /** Epoch ms it last entered the queue (submitted, resumed, or preempted to zero workers): the age term counts from here. */
  queuedAt: number;
  perWorker: WorkerResources;
  /** compute.workers: the most it may hold. */
  maxWorkers: number;
  /** Workers it can use now: min(maxWorkers, tasks not yet started + workers busy). 0: it needs none (draining). */
  wantWorkers: number;
  /** Workers it holds now (started and not yet exited). */
  heldWorkers: number;
  /**
   * Of heldWorkers, those already asked to stop (preempted, still within
   * their grace period). They are not preempted again, and the capacity they
   * free is counted as coming for the job they were taken for. Default 0.
   */
  stoppingWorkers?: number;
  /**
   * Estimated ms until its held workers are all free, from its recent
   * throughput (tasks left × mean task time / workers), or null when not
   * known yet. Backfill's shadow time and the queue's "est. start" use it.
   */
  remainingMs: number | null;
  /** Estimated run time of a waiting job once started (from its tasks and a recent mean), or null. */
  runMs: number | null;
  /** May its workers be taken back for an urgent job (preemption)? */
  preemptible: boolean;
}

export interface OwnerQuota {
  /** Most jobs of this owner running at once. */
  maxJobs?: number;
  /** Most CPUs this owner's workers hold at once (local pool). */
  cpus?: number;
}

export interface SchedulerSettings {
  /** A waiting job gains one class (10 priority points) per this many ms waited, so nothing starves. */
  agingIntervalMs: number;
  /** Usage (CPU-seconds of held workers) halves every this many ms. */
  fairShareHalfLifeMs: number;
  /** Most jobs holding workers at once (null: no limit). */
  maxJobs: number | null;
  /** Per-owner limits, by owner. */
  quotas: Record<string, OwnerQuota>;
  /** Priorities at or above which a job that cannot start takes workers back from lower ones (null: preemption off). */
  preemptAtOrAbove: number | null;
}

export interface SchedulerSnapshot {
  now: number;
  pools: PoolCapacity[];
  jobs: JobDemand[];
  /** Decayed usage per owner (CPU-seconds, half-life applied up to `now`). */
  usage: Record<string, number>;
  settings: SchedulerSettings;
}

/** Start this many more workers for a job. */
export interface Grant {
  jobId: string;
  workers: number;
}

/** Ask this many of a job's workers to stop (their running attempts finish within the grace period or are given back). */
export interface Preemption {
  jobId: string;
  workers: number;
  /** The job they are taken back for. */
  forJobId: string;
}

export type WaitCode =
  | 'resources' // not enough free capacity
  | 'priority' // jobs ahead of it take what frees first
  | 'reservation' // capacity is held for the head job (backfill would delay it)
  | 'max_jobs' // the daemon's max_jobs is reached
  | 'quota' // its owner's quota is reached
  | 'never_fits'; // one worker asks more than the pool has

/** Why a job waits, in words and numbers. */
export interface WaitReason {
  code: WaitCode;
  /** One line for humans: "needs 4 cpus, 1 free; 2 jobs ahead; est. start in ~3m from recent throughput". */
  message: string;
  /** 1-based position among the waiting jobs of its pool, in grant order. */
  position: number;
  jobsAhead: number;
  /** What one worker needs, and what is free in its pool now. */
  need: WorkerResources;
  free: WorkerResources;
  /** Estimated ms until it starts, or null when nothing running gives an estimate. */
  estimatedStartMs: number | null;
}

export interface Decision {
  grants: Grant[];
  preemptions: Preemption[];
  /** Every job that wants workers and gets none this tick, with why. */
  waiting: Map<string, WaitReason>;
  /** Job ids that want workers, in grant order (effective priority, fair share, submit time). */
  order: string[];
  /** The head job's reservation (backfill): when it is expected to start; null without one. */
  reservation: { jobId: string; startAt: number } | null;
}

/** One worker's hold on a pool: defined in the core model (WorkersRecord.allocations), re-exported here. */
export type { WorkerAllocation } from '@djc/core';

/** The queue as the daemon last decided it: written by the daemon, read by `djc queue` and `djc status`. */
export interface QueueDocument {
  /** Format version of the stored document (1); a reader refuses others. */
  version?: number;
  /** ISO time of the decision. */
  at: string;
  /** Who wrote it ("djc coordinator on host (pid N)"). */
  coordinator: string;
  pools: (PoolCapacity & { used: WorkerResources & { workers: number } })[];
  jobs: QueueEntry[];
  /** The head job's reservation (backfill may not delay it), from Decision.reservation; absent or null without one. */
  reservation?: { jobId: string; startAt: string } | null;
  /** Per priority class ("urgent", "high", "normal", "low", or the integer), over jobs started in the last hour. */
  classes: { priority: string; queued: number; running: number; waitP50Ms: number | null; waitP95Ms: number | null }[];
}

export interface QueueEntry {
  jobId: string;
  name: string;
  status: JobStatus;
  owner: string;
  /** As given ("high", or the integer), and the effective value with the age term. */
  priority: string;
  effectivePriority: number;
  position: number | null;
  resources: WorkerResources;
  workersHeld: number;
  workersWanted: number;
  submittedAt: string;
  /** For a waiting job; null for a running one. */
  reason: WaitReason | null;
}
