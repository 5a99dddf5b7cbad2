/**
 * How a stage ended, from the records of its runs (one per matrix point):
 * null while any run has not ended. A sweep tolerates `tolerated_failure`
 * runs that did not succeed (FAILED, TIMEOUT, CANCELLED or SKIPPED points); past that,
 * the stage FAILED (CANCELLED if no run failed but one was cancelled;
 * SKIPPED if every run was skipped).
 */
import { TERMINAL_JOB } from '@djc/core/read';
import type { JobStatus, SweepSpec } from '@djc/core';

export type StageOutcome = 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'SKIPPED';

/** What the runner knows of one stage run. */
export interface RunState {
  jobId: string;
  status: JobStatus;
  reason: string | null;
  /** Tasks succeeded and in all, for "waiting for clean (RUNNING 40%)"; queued ones (pending, retrying), to see its last stretch. */
  tasks: { total: number; succeeded: number; pending: number; retrying: number };
  /** Workers the run asked for (compute.workers): its last round is when no more tasks than that are queued. */
  workers: number;
  /** Coordinated by this runner right now. */
  active: boolean;
}

export function stageOutcome(runs: readonly RunState[], sweep: SweepSpec | undefined): StageOutcome | null {
  if (runs.length === 0 || runs.some((r) => !TERMINAL_JOB.has(r.status))) return null;
  const bad = runs.filter((r) => r.status !== 'SUCCEEDED');
  if (bad.length <= toleratedRuns(sweep, runs.length)) return 'SUCCEEDED';
  // A run that timed out (its deadline passed) failed, as far as the stages after it are concerned.
  if (bad.some((r) => r.status === 'FAILED' || r.status === 'TIMEOUT')) return 'FAILED';
  if (bad.some((r) => r.status === 'CANCELLED')) return 'CANCELLED';
  return bad.length === runs.length ? 'SKIPPED' : 'FAILED';
}

/** Runs of a stage that may end other than SUCCEEDED while the stage still succeeds. */
export function toleratedRuns(sweep: SweepSpec | undefined, runs: number): number {
  if (!sweep) return 0;
  const t = sweep.toleratedFailure;
  return 'count' in t ? t.count : Math.floor((t.percent / 100) * runs);
}
