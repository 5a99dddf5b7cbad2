/**
 * `djc retry PIPELINE`: re-runs the failed tasks of the stage runs that
 * FAILED (as `djc retry` of each, with its `--set`), re-opens the runs that
 * were SKIPPED after them (SKIPPED → WAITING: they run when their upstreams
 * succeed this time, with the tasks a streaming run had cancelled), and the pipeline itself (→ RUNNING). Runs that
 * SUCCEEDED are kept as they are, results included. A coordinator
 * (`djc retry` here, or the daemon) then drives the pipeline on.
 */
import { DjcError, TERMINAL_JOB, type Backend, type JobRecord } from '@djc/core';
import { mustGetJob } from '../coordinate-job.js';
import { retryJob } from '../retry-job.js';

export interface PipelineRetry {
  pipeline: JobRecord;
  /** Runs whose failed tasks run again, with how many. */
  retried: { run: JobRecord; tasks: number }[];
  /** Runs re-opened to WAITING. */
  reopened: JobRecord[];
  /** FAILED runs left as they were: no failed or cancelled task to re-run (they failed before running any). */
  notRetried: JobRecord[];
}

export async function retryPipeline(backend: Backend, pipelineId: string, o: { set?: readonly string[] } = {}): Promise<PipelineRetry> {
  const pipeline = await mustGetJob(backend, pipelineId);
  if (!TERMINAL_JOB.has(pipeline.status)) {
    throw new DjcError('USAGE', `pipeline ${pipelineId} is ${pipeline.status}; only a finished pipeline can be retried`, {
      jobId: pipelineId, hint: `wait for it (djc wait ${pipelineId}) or cancel it (djc cancel ${pipelineId}) first`,
    });
  }
  const runs = await backend.state.listJobs({ parentId: pipelineId });
  const out: PipelineRetry = { pipeline, retried: [], reopened: [], notRetried: [] };
  for (const run of runs.filter((r) => r.status === 'FAILED' || r.status === 'CANCELLED' || r.status === 'TIMEOUT')) {
    if (run.tasks.failed + run.tasks.cancelled === 0) {
      out.notRetried.push(run);
      continue;
    }
    const r = await retryJob(backend, run.jobId, { set: o.set });
    out.retried.push({ run: r.job, tasks: r.tasks.length });
  }
  for (const run of runs.filter((r) => r.status === 'SKIPPED')) {
    // A streaming run skipped mid-way has tasks it cancelled: they run again with it.
    if (run.tasks.cancelled > 0) await backend.state.resetTasks(run.jobId, ['CANCELLED']);
    out.reopened.push(await backend.state.transitionJob(run.jobId, ['SKIPPED'], 'WAITING', {
      reason: `waiting for ${(run.stage?.needs ?? []).join(', ')}`, endedAt: null,
    }));
  }
  if (out.retried.length + out.reopened.length === 0) {
    throw new DjcError('USAGE', `pipeline ${pipelineId} has no failed tasks or skipped stages to run again`, {
      jobId: pipelineId, hint: out.notRetried.length > 0 ? `${out.notRetried.map((r) => r.name).join(', ')} failed before running any task: run the pipeline again` : undefined,
    });
  }
  out.pipeline = await backend.state.transitionJob(pipelineId, ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMEOUT'], 'RUNNING', {
    endedAt: null, error: null, cancelRequested: false,
  });
  return out;
}
