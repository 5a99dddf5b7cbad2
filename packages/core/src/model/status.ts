/**
 * Job and task statuses and the one transition table every state change goes
 * through. Backends call `assertTaskTransition`/`assertJobTransition` before
 * writing; anything not in the table is rejected, never silently written.
 *
 * Task statuses: PENDING (waiting in the queue) → CLAIMED (taken ahead by a
 * worker, waiting there for a free slot; not started) → RUNNING (its handler
 * runs) → SUCCEEDED | RETRY_WAIT (failed, will run again after a backoff) |
 * FAILED | CANCELLED. A worker claims a task RUNNING directly when it has a
 * free slot for it.
 */
import { DjcError } from '../errors.js';

/**
 * Job statuses. WAITING: a stage run (or a `djc submit --after` job) whose
 * dependencies have not all ended; it carries a `reason`. SKIPPED: terminal,
 * it never ran because a dependency failed, was cancelled or was skipped
 * (its `reason` names which).
 *
 * Scheduling (coordinator/src/scheduler): QUEUED: submitted (prepared or
 * not) and waiting for the scheduler to grant it workers; its `reason` says
 * why in words and numbers. PAUSED: `djc pause`; no attempt starts, its
 * workers are given back; `djc resume` queues it again. TIMEOUT: terminal,
 * its `deadline` passed and it was stopped like a cancel.
 */
export const JOB_STATUSES = [
  'WAITING', 'SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING', 'PAUSED', 'FINALIZING',
  'SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED', 'TIMEOUT',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TASK_STATUSES = [
  'PENDING', 'CLAIMED', 'RUNNING', 'RETRY_WAIT', 'SUCCEEDED', 'FAILED', 'CANCELLED',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

const JOB_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  // Ready (→ SUBMITTED), or never to run (→ SKIPPED, → CANCELLED).
  WAITING: ['SUBMITTED', 'SKIPPED', 'CANCELLED'],
  // → QUEUED: the scheduler has no workers for it yet; → FAILED: it can never fit the capacity.
  SUBMITTED: ['WAITING', 'QUEUED', 'PREPARING', 'CANCELLED', 'FAILED', 'PAUSED', 'TIMEOUT'],
  // Granted workers: → PREPARING (not prepared yet) or → RUNNING (prepared: preempted or resumed before).
  QUEUED: ['QUEUED', 'PREPARING', 'RUNNING', 'PAUSED', 'CANCELLED', 'FAILED', 'TIMEOUT'],
  // → SKIPPED: an N-to-N stage run streaming from an upstream that failed (on_upstream_failure: skip).
  PREPARING: ['PREPARING', 'QUEUED', 'RUNNING', 'PAUSED', 'FAILED', 'CANCELLED', 'SKIPPED', 'TIMEOUT'],
  // → QUEUED: every worker it held was taken back (preemption) while work remains.
  RUNNING: ['QUEUED', 'PAUSED', 'FINALIZING', 'FAILED', 'CANCELLED', 'TIMEOUT'],
  // `djc resume` → QUEUED.
  PAUSED: ['QUEUED', 'CANCELLED', 'FAILED', 'TIMEOUT'],
  FINALIZING: ['FINALIZING', 'SUCCEEDED', 'FAILED', 'CANCELLED'],
  // A finished job re-opens only through `djc retry` (failed tasks re-run).
  SUCCEEDED: ['RUNNING'],
  FAILED: ['RUNNING'],
  CANCELLED: ['RUNNING'],
  TIMEOUT: ['RUNNING'],
  // `djc retry` of a pipeline re-opens the stages it skipped.
  SKIPPED: ['WAITING'],
};

const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  // → CLAIMED: a worker takes the task ahead of a free slot and holds it
  // (claimTasks with `start`); → RUNNING: it starts at once.
  PENDING: ['CLAIMED', 'RUNNING', 'CANCELLED'],
  // A held task starts (→ RUNNING, its real start time), or goes back
  // (→ PENDING: given back, or its worker died or its lease ran out) with
  // its attempt number handed back: it never ran. A start written together
  // with the attempt's end passes through RUNNING in that one write.
  CLAIMED: ['RUNNING', 'PENDING', 'CANCELLED'],
  // → PENDING: a stopping worker gives its attempt back (releaseTask); the
  // attempt is refunded, not retried, so it neither waits nor counts.
  RUNNING: ['SUCCEEDED', 'RETRY_WAIT', 'FAILED', 'CANCELLED', 'PENDING'],
  RETRY_WAIT: ['CLAIMED', 'RUNNING', 'CANCELLED', 'FAILED'],
  SUCCEEDED: [],
  // `djc retry` puts failed and cancelled tasks back in the queue.
  FAILED: ['PENDING'],
  CANCELLED: ['PENDING'],
};

export const TERMINAL_JOB: ReadonlySet<JobStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED', 'TIMEOUT']);
export const TERMINAL_TASK: ReadonlySet<TaskStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
/** Statuses in which a worker holds the task's lease: taken ahead and waiting (CLAIMED), or running. */
export const LEASED_TASK: ReadonlySet<TaskStatus> = new Set(['CLAIMED', 'RUNNING']);

export function canJobTransition(from: JobStatus, to: JobStatus): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

export function canTaskTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

export function assertJobTransition(from: JobStatus, to: JobStatus, jobId?: string): void {
  if (!canJobTransition(from, to)) {
    throw new DjcError('ILLEGAL_TRANSITION', `job ${jobId ?? ''} cannot go from ${from} to ${to}`.replace('  ', ' '), { jobId });
  }
}

export function assertTaskTransition(from: TaskStatus, to: TaskStatus, ids: { jobId?: string; taskId?: number } = {}): void {
  if (!canTaskTransition(from, to)) {
    throw new DjcError('ILLEGAL_TRANSITION', `task ${ids.taskId ?? '?'} of job ${ids.jobId ?? '?'} cannot go from ${from} to ${to}`, ids);
  }
}
