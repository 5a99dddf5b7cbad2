import { TERMINAL_JOB, type Backend, type JobRecord, type Logger } from '@djc/core';
import { cancelJob } from '../job-actions.js';
import { mustGetJob } from '../coordinate-job.js';

/**
 * `djc cancel PIPELINE`: every unfinished stage run is cancelled (a waiting
 * one at once, a running one as `djc cancel` cancels a job), then the
 * pipeline ends CANCELLED. Works with or without a live coordinator: one
 * that runs the pipeline sees it ended and stops.
 */
export async function cancelPipeline(backend: Backend, pipelineId: string, log: Logger): Promise<JobRecord> {
  const pipeline = await mustGetJob(backend, pipelineId);
  if (TERMINAL_JOB.has(pipeline.status)) return pipeline;
  await backend.state.updateJob(pipelineId, { cancelRequested: true });
  const reason = 'the pipeline was cancelled';
  for (const run of await backend.state.listJobs({ parentId: pipelineId })) {
    if (TERMINAL_JOB.has(run.status)) continue;
    if (run.status === 'WAITING') {
      await backend.state.transitionJob(run.jobId, ['WAITING'], 'CANCELLED', { reason, endedAt: new Date().toISOString() }).catch(() => undefined);
    } else {
      await cancelJob(backend, run.jobId, log).catch((e: unknown) => log.warn({ jobId: run.jobId, err: e }, 'cancelling a stage run failed'));
    }
  }
  const now = await mustGetJob(backend, pipelineId);
  if (TERMINAL_JOB.has(now.status)) return now;
  return backend.state.transitionJob(pipelineId, ['SUBMITTED', 'PREPARING', 'RUNNING', 'FINALIZING'], 'CANCELLED', {
    endedAt: new Date().toISOString(), error: 'cancelled by user',
  });
}
