import type { JobRecord } from '@djc/core';
import { toleratedFailures } from './finalize.js';

/**
 * Why a running job should stop at once under `fail_fast` — more tasks
 * have failed (or were cancelled) than `tolerated_failure` allows, so the
 * job can no longer succeed, and some are not finished — or null. FAILED
 * tasks are final (their retry budget is spent), so nothing that is still
 * to run can bring the count back under the limit.
 *
 * A `djc retry` of some tasks (--task, --error) that leaves more failed or
 * cancelled tasks than tolerated could never succeed: the tasks it chose
 * run to the end instead, since running them is what was asked.
 */
export function failFastReason(job: JobRecord): string | null {
  if (!job.config.fail_fast || job.status !== 'RUNNING') return null;
  const t = job.tasks;
  const failed = t.failed + t.cancelled;
  const allowed = toleratedFailures(job);
  const left = t.pending + t.claimed + t.running + t.retrying;
  if (failed <= allowed || left === 0) return null;
  if ((job.retries.at(-1)?.notRetried ?? 0) > allowed) return null;
  const limit = toleratedLimit(job, allowed);
  const what = `${t.failed} of ${t.total} tasks failed${t.cancelled > 0 ? ` (and ${t.cancelled} were cancelled)` : ''}`;
  return `fail fast: ${what}, more than ${limit} allows, so the job cannot succeed; `
    + `its ${left} unfinished task${left === 1 ? ' was' : 's were'} cancelled (djc retry ${job.jobId} re-runs the failed and cancelled tasks; `
    + 'fail_fast: false or --keep-going runs every task)';
}

/** "tolerated_failure: 0" or "tolerated_failure: 5% (2 tasks)". */
function toleratedLimit(job: JobRecord, allowed: number): string {
  const tf = job.config.tolerated_failure;
  return 'count' in tf ? `tolerated_failure: ${tf.count}` : `tolerated_failure: ${tf.percent}% (${allowed} task${allowed === 1 ? '' : 's'})`;
}
