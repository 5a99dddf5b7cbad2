import { capText, MAX_ERROR_CHARS, recordsCountedAtPrepare, withJobSpan, type Backend, type JobRecord, type Logger } from '@djc/core';
import { aggregateOutputs } from './aggregate.js';
import { gatherDeadLetters } from './dead-letters.js';
import { completeManifest } from './manifest.js';
import { notifyJobEnd } from './notify.js';

/** How many failed tasks the job tolerates. */
export function toleratedFailures(job: JobRecord): number {
  const tf = job.config.tolerated_failure;
  return 'count' in tf ? tf.count : Math.floor((job.tasks.total * tf.percent) / 100);
}

/**
 * Ends a job whose tasks are all terminal: FAILED if more tasks failed than
 * tolerated (the result is not written, so a partial result never looks
 * whole), else aggregate the outputs and SUCCEEDED. Then notify.
 *
 * A job split by bytes learns its record counts only from its tasks: the
 * manifest is rewritten with them, and once every batch is counted the
 * job's `records.total` is set to the exact total. Under
 * on_bad_record: dead_letter, the tasks' bad records are gathered into the
 * job's dead-letter file (`djc results JOB --bad-records`).
 */
export async function finalizeJob(backend: Backend, jobId: string, log: Logger): Promise<JobRecord> {
  const job = await withJobSpan(jobId, 'finalize', {}, () => finalizeOutcome(backend, jobId, log), (j) => ({ 'djc.outcome': j.status }));
  log.info({ jobId, status: job.status }, 'job ended');
  await notifyJobEnd(job, log);
  return job;
}

/** Aggregates (or not) and writes the job's final status. */
async function finalizeOutcome(backend: Backend, jobId: string, log: Logger): Promise<JobRecord> {
  let job = await backend.state.transitionJob(jobId, ['RUNNING', 'FINALIZING'], 'FINALIZING');
  const counted = recordsCountedAtPrepare(job) ? null : await completeManifest(backend, job, log);
  const total = counted === null ? {} : { recordsTotal: counted };
  await gatherDeadLetters(backend, job);
  const failed = job.tasks.failed + job.tasks.cancelled;
  const allowed = toleratedFailures(job);
  if (failed > allowed) {
    job = await backend.state.transitionJob(jobId, ['FINALIZING'], 'FAILED', {
      ...total,
      endedAt: new Date().toISOString(),
      error: await failureSummary(backend, job, failed, allowed),
    });
  } else {
    try {
      const outputPath = await aggregateOutputs(backend, job, log);
      job = await backend.state.transitionJob(jobId, ['FINALIZING'], 'SUCCEEDED', {
        ...total,
        endedAt: new Date().toISOString(),
        outputPath,
        error: failed > 0 ? `${failed} of ${job.tasks.total} tasks failed (tolerated_failure allows ${allowed})` : null,
      });
    } catch (e) {
      log.error({ jobId, err: e }, 'aggregation failed');
      job = await backend.state.transitionJob(jobId, ['FINALIZING'], 'FAILED', {
        ...total,
        endedAt: new Date().toISOString(),
        error: `aggregating the outputs failed: ${(e as Error).message}`,
      });
    }
  }
  return job;
}

async function failureSummary(backend: Backend, job: JobRecord, failed: number, allowed: number): Promise<string> {
  // Cancelled tasks (a fail-fast end, a cancel, a retry of some tasks) count as failed; say so.
  const c = job.tasks.cancelled;
  const what = c === 0 ? `${failed} of ${job.tasks.total} tasks failed` : `${failed} of ${job.tasks.total} tasks failed or were cancelled (${c} cancelled)`;
  return withFailedTasks(backend, job.jobId, `${what} (tolerated_failure allows ${allowed})`);
}

/** `reason`, then " — " and the first (up to 3) failed tasks with their errors, if any, within MAX_ERROR_CHARS. */
export async function withFailedTasks(backend: Backend, jobId: string, reason: string): Promise<string> {
  const sample = await backend.state.listTasks(jobId, { status: 'FAILED', limit: 3 });
  // Each sample gets its share of the stored error, so one long message cannot hide the others.
  const share = Math.floor((MAX_ERROR_CHARS - 200 - Math.min(reason.length, 1000)) / Math.max(1, sample.length));
  const first = sample.map((t) => `task ${t.taskId}: ${capText(t.error ?? 'failed', share - 20)}`).join('; ');
  return `${reason}${first ? ` — ${first}` : ''}`;
}
