/**
 * Where a job's result is (`djc results`, `GET /v1/jobs/{job}/results`): the
 * job's aggregated output, one task's output, or a pipeline stage's.
 */
import { DjcError, type Backend, type JobRecord } from '@djc/core';

export interface ResultLocation {
  job: JobRecord;
  /** `blob:<key>`, a file path, or `task:<jobId>/<taskId>` for an output kept in the task record. */
  path: string;
  taskId: number | undefined;
  /** The output itself when the task record holds it. */
  inline: Uint8Array | null;
}

/** The result of `resolved` (a pipeline: of its stage `o.stage`), or of its task `o.task`. */
export async function locateResult(backend: Backend, resolved: JobRecord, o: { task?: number; stage?: string } = {}): Promise<ResultLocation> {
  const job = o.stage !== undefined || resolved.kind === 'pipeline' ? await stageRunOf(backend, resolved, o.stage) : resolved;
  if (o.task === undefined) return { job, path: jobResult(job), taskId: undefined, inline: null };
  return { job, ...(await taskResult(backend, job, o.task)) };
}

function jobResult(job: JobRecord): string {
  if (job.status === 'SUCCEEDED' && job.outputPath) return job.outputPath;
  const { jobId } = job;
  if (job.status !== 'SUCCEEDED') {
    throw new DjcError('NOT_FOUND', `job ${jobId} has no result: it is ${job.status}`, { jobId, hint: `djc status ${jobId}` });
  }
  throw new DjcError('NOT_FOUND', `job ${jobId} has no result: its output.aggregate is none`, {
    jobId, hint: `each batch's output: djc results ${jobId} --task N (task ids: djc tasks ${jobId})`,
  });
}

/**
 * Where a task's output is: `blob:<key>`, or `task:<jobId>/<taskId>` for
 * a small output kept in the task record itself (then `inline` holds it).
 */
async function taskResult(backend: Backend, job: JobRecord, taskId: number): Promise<{ path: string; taskId: number; inline: Uint8Array | null }> {
  const { jobId } = job;
  const task = await backend.state.getTask(jobId, taskId);
  if (!task) throw new DjcError('NOT_FOUND', `job ${jobId} has no task ${taskId}`, { jobId, taskId, hint: `djc tasks ${jobId} lists its tasks` });
  if (task.status === 'SUCCEEDED' && task.inlineOutput !== null) return { path: `task:${jobId}/${taskId}`, taskId, inline: task.inlineOutput };
  if (task.status !== 'SUCCEEDED' || !task.outputKey) {
    throw new DjcError('NOT_FOUND', `task ${taskId} of job ${jobId} has no output: it is ${task.status}`, {
      jobId, taskId, hint: `djc tasks ${jobId}; djc logs ${jobId} --task ${taskId}`,
    });
  }
  return { path: `blob:${task.outputKey}`, taskId, inline: null };
}

/** `--stage X` of a pipeline: X's one run (a sweep's points are named by their ids). */
export async function stageRunOf(backend: Backend, pipeline: JobRecord, stage: string | undefined): Promise<JobRecord> {
  if (pipeline.kind !== 'pipeline' || !pipeline.pipeline) {
    throw new DjcError('USAGE', `${pipeline.jobId} is not a pipeline: --stage names a stage of a pipeline`, { hint: `djc results ${pipeline.jobId}` });
  }
  const stages = pipeline.pipeline.order;
  if (stage === undefined) {
    throw new DjcError('USAGE', `pipeline ${pipeline.jobId} has no result of its own: each stage has one`, {
      jobId: pipeline.jobId, hint: `name a stage: djc results ${pipeline.jobId} --stage ${stages[stages.length - 1] ?? 'STAGE'} (stages: ${stages.join(', ')})`,
    });
  }
  if (!stages.includes(stage)) {
    throw new DjcError('USAGE', `pipeline ${pipeline.jobId} has no stage "${stage}"`, { hint: `its stages: ${stages.join(', ')}` });
  }
  const runs = (await backend.state.listJobs({ parentId: pipeline.jobId })).filter((r) => r.stage?.name === stage);
  if (runs.length !== 1) {
    throw new DjcError('USAGE', `stage ${stage} of ${pipeline.jobId} has ${runs.length} points, each with its own result`, {
      hint: `name one by its id: ${runs.slice(0, 3).map((r) => `djc results ${r.jobId}`).join(', ')}${runs.length > 3 ? ', …' : ''} (djc status ${pipeline.jobId} lists them)`,
    });
  }
  return runs[0]!;
}
