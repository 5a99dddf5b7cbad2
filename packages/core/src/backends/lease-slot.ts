/**
 * Which lease of a task a worker's LeaseRef is, on both backends: the
 * attempt's (`lease`: its owner, and its number: `leaseAttempt` while a
 * speculative copy runs, else `attempts`) or the copy's (`copy`), or none.
 */
import type { TaskRecord } from '../model/job.js';
import type { LeaseRef } from '../ports/state-store.js';

export type LeaseSlot = 'lease' | 'copy';

export function leaseSlotOf(task: TaskRecord | null, lease: LeaseRef): LeaseSlot | null {
  if (task === null) return null;
  if (task.leaseOwner === lease.owner && (task.leaseAttempt ?? task.attempts) === lease.attempt) return 'lease';
  if (task.status === 'RUNNING' && task.copy?.owner === lease.owner && task.copy.attempt === lease.attempt) return 'copy';
  return null;
}

/** True when a SUCCEEDED end by `slot` is a copy's: the copy's lease, or a copy promoted to the task's lease after its attempt failed. */
export function copyWinsFrom(task: TaskRecord, slot: LeaseSlot): boolean {
  return slot === 'copy' || (task.speculation === 'running' && task.leaseAttempt === undefined && task.copy === undefined);
}
