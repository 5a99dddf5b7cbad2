import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { blobKeys, DjcError, TERMINAL_JOB, type Backend, type JobRecord } from '@djc/core';
import { resolveJob } from '@djc/coordinator';
import { withBackend, type Cli } from '../context.js';

export interface ResultsOptions {
  /** Print where it is instead of the content. */
  path?: boolean;
  /** One task's committed output instead of the job's result. */
  task?: number;
  /** The job's dead-letter file (input.on_bad_record: dead_letter) instead of its result. */
  badRecords?: boolean;
  /** A pipeline's stage: the result of its run. */
  stage?: string;
}

/**
 * `djc results JOB`: the job's result on stdout. `--task N`: the output of
 * one succeeded task (its batch), whatever `output.aggregate` says; the way
 * to read the outputs of a job with `aggregate: none`. Locations of results
 * kept in the blob store read `blob:<key>`; a task output small enough to
 * be kept in its task record reads `task:<jobId>/<taskId>`.
 */
export async function resultsCommand(cli: Cli, ref: string | undefined, o: ResultsOptions): Promise<number> {
  return withBackend(cli, async (backend) => {
    const resolved = await resolveJob(backend, ref);
    const job = o.stage !== undefined || resolved.kind === 'pipeline' ? await stageRunOf(backend, resolved, o.stage) : resolved;
    const { jobId } = job;
    if (o.badRecords) return printDeadLetters(cli, backend, job);
    const { path, taskId, inline } = o.task === undefined ? { path: jobResult(job), taskId: undefined, inline: null } : await taskResult(backend, job, o.task);
    if (cli.opts.json || o.path) {
      if (cli.opts.json) cli.json({ jobId, ...(taskId === undefined ? {} : { taskId }), status: job.status, output: { path } });
      else cli.out(path);
      return 0;
    }
    if (inline) {
      await writeStdout(inline);
      return 0;
    }
    const stream: Readable | null = path.startsWith('blob:') ? await backend.blobs.getStream(path.slice(5)) : createReadStream(path);
    if (!stream) throw new DjcError('NOT_FOUND', `${path} is missing from the blob store`, { jobId, taskId });
    await pipeline(stream, process.stdout, { end: false });
    return 0;
  });
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

function writeStdout(data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
}

/** `djc results JOB --bad-records`: the job's dead-letter file, once the job has ended. */
async function printDeadLetters(cli: Cli, backend: Backend, job: JobRecord): Promise<number> {
  const { jobId } = job;
  const policy = job.config.input.on_bad_record;
  if (policy !== 'dead_letter') {
    const what = policy === 'skip' ? `${job.records.bad} bad records were skipped and not kept` : 'a bad record fails its task';
    throw new DjcError('NOT_FOUND', `job ${jobId} keeps no bad records: its input.on_bad_record is ${policy} (${what})`, {
      jobId, hint: 'set input.on_bad_record: dead_letter to keep them',
    });
  }
  if (!TERMINAL_JOB.has(job.status)) {
    throw new DjcError('NOT_FOUND', `job ${jobId} is ${job.status}: its bad records are gathered when it ends`, { jobId, hint: `djc wait ${jobId}` });
  }
  const key = blobKeys.jobDeadLetters(jobId);
  if (cli.opts.json) {
    const size = await backend.blobs.size(key);
    cli.json({ jobId, status: job.status, badRecords: { count: job.records.bad, blob: size === null ? null : key, bytes: size ?? 0 } });
    return 0;
  }
  const stream = await backend.blobs.getStream(key);
  if (stream) await pipeline(stream, process.stdout, { end: false });
  return 0;
}

/** `--stage X` of a pipeline: X's one run (a sweep's points are named by their ids). */
async function stageRunOf(backend: Backend, pipeline: JobRecord, stage: string | undefined): Promise<JobRecord> {
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
