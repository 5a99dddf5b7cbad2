import { pipeline } from 'node:stream/promises';
import { blobKeys, DjcError, TERMINAL_JOB, type Backend, type JobRecord } from '@djc/core';
import { resolveJob, stageRunOf } from '@djc/coordinator';
import { withJobs, type Cli } from '../context.js';
import { LocalJobService } from '../local-job-service.js';

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
  return withJobs(cli, async (jobs) => {
    if (o.badRecords) {
      if (!(jobs instanceof LocalJobService)) {
        throw new DjcError('USAGE', `--bad-records is not served by the API yet (${jobs.where})`, { hint: 'run it where the backend is reachable: unset DJC_URL' });
      }
      const backend = await jobs.backend();
      const resolved = await resolveJob(backend, ref);
      const job = o.stage !== undefined || resolved.kind === 'pipeline' ? await stageRunOf(backend, resolved, o.stage) : resolved;
      return printDeadLetters(cli, backend, job);
    }
    const result = await jobs.results(ref, o);
    if (cli.opts.json || o.path) {
      if (cli.opts.json) cli.json(result.doc);
      else cli.out(result.doc.output.path);
      return 0;
    }
    const content = await result.open();
    if (content instanceof Uint8Array) await writeStdout(content);
    else await pipeline(content, process.stdout, { end: false });
    return 0;
  });
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

