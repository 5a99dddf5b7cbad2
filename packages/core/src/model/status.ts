/**
 * Job and task statuses and the one transition table every state change goes
 * through. Backends call `assertTaskTransition`/`assertJobTransition` before
 * writing; anything not in the table is rejected, never silently written.
 */
import { DjcError } from '../errors.js';

export const JOB_STATUSES = [
  'SUBMITTED', 'PREPARING', 'RUNNING', 'FINALIZING', 'SUCCEEDED', 'FAILED', 'CANCELLED',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TASK_STATUSES = [
  'PENDING', 'RUNNING', 'RETRY_WAIT', 'SUCCEEDED', 'FAILED', 'CANCELLED',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

const JOB_TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  SUBMITTED: ['PREPARING', 'CANCELLED', 'FAILED'],
  PREPARING: ['PREPARING', 'RUNNING', 'FAILED', 'CANCELLED'],
  RUNNING: ['FINALIZING', 'FAILED', 'CANCELLED'],
  FINALIZING: ['FINALIZING', 'SUCCEEDED', 'FAILED', 'CANCELLED'],
  // A finished job re-opens only through `djc retry` (failed tasks re-run).
  SUCCEEDED: ['RUNNING'],
  FAILED: ['RUNNING'],
  CANCELLED: ['RUNNING'],
};

const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  PENDING: ['RUNNING', 'CANCELLED'],
  // → PENDING: a stopping worker gives its attempt back (releaseTask); the
  // attempt is refunded, not retried, so it neither waits nor counts.
  RUNNING: ['SUCCEEDED', 'RETRY_WAIT', 'FAILED', 'CANCELLED', 'PENDING'],
  RETRY_WAIT: ['RUNNING', 'CANCELLED', 'FAILED'],
  SUCCEEDED: [],
  // `djc retry` puts failed and cancelled tasks back in the queue.
  FAILED: ['PENDING'],
  CANCELLED: ['PENDING'],
};

export const TERMINAL_JOB: ReadonlySet<JobStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
export const TERMINAL_TASK: ReadonlySet<TaskStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

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
