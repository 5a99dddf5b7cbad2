/**
 * `djc submit --after JOB[,JOB] [--after-any]` (Slurm's afterok/afterany),
 * decided from the dependencies' records: ready, skipped at once (afterok:
 * one failed, was cancelled or skipped; or no longer exists), or still
 * waiting, with the reason people see in `djc status`. Never waits for a
 * dependency that cannot end well.
 */
import type { AfterDependency, JobRecord } from '@djc/core';
import { TERMINAL_JOB } from '@djc/core/read';

export type AfterDecision = { kind: 'ready' } | { kind: 'skip'; reason: string } | { kind: 'wait'; reason: string };

/** `deps[i]` is the record of `after.jobIds[i]`, or null if it does not exist (any more). */
export function afterDecision(after: AfterDependency, deps: readonly (JobRecord | null)[]): AfterDecision {
  const missing = after.jobIds.find((_, i) => !deps[i]);
  if (missing !== undefined) return { kind: 'skip', reason: `dependency ${missing} does not exist (any more)` };
  const jobs = deps as readonly JobRecord[];
  if (after.mode === 'ok') {
    const bad = jobs.find((j) => TERMINAL_JOB.has(j.status) && j.status !== 'SUCCEEDED');
    if (bad) return { kind: 'skip', reason: `dependency ${bad.jobId} ${bad.status}${after.jobIds.length > 1 ? ' (--after needs every one to succeed)' : ''}` };
  }
  const open = jobs.filter((j) => !TERMINAL_JOB.has(j.status));
  if (open.length === 0) return { kind: 'ready' };
  return { kind: 'wait', reason: `waiting for ${open.map((j) => `${j.jobId} (${j.status})`).join(', ')}` };
}
