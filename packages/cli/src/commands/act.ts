import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { blobKeys, DjcError, TERMINAL_JOB, type Backend, type JobRecord } from '@djc/core';
import { cancelJob, coordinatorAlive, mustGetJob, reopenFailedTasks } from '@djc/coordinator';
import { statusDocument } from '../status-document.js';
import { withBackend, type Cli } from '../context.js';
import { coordinateHere } from './run.js';

export async function cancelCommand(cli: Cli, jobId: string): Promise<number> {
  return withBackend(cli, async (backend) => {
    const job = await cancelJob(backend, jobId, cli.log);
    if (cli.opts.json) cli.json(statusDocument(job));
    else cli.out(`${job.jobId} ${job.status}`);
    return 0;
  });
}

/**
 * `djc retry`: re-run only the failed (and cancelled) tasks of a finished
 * job, then aggregate again. A job started by `djc run` is coordinated here,
 * like run; a submitted one is handed back to the daemon (--detach always).
 */
export async function retryCommand(cli: Cli, jobId: string, o: { detach?: boolean }): Promise<number> {
  return withBackend(cli, async (backend) => {
    const { job, tasks } = await reopenFailedTasks(backend, jobId);
    cli.err(`djc: re-running ${tasks.length} task${tasks.length === 1 ? '' : 's'} of ${jobId}: ${tasks.slice(0, 20).map((t) => t.taskId).join(', ')}${tasks.length > 20 ? ', …' : ''}`);
    if (o.detach || job.mode === 'daemon') {
      if (job.mode !== 'daemon') await backend.state.updateJob(jobId, { mode: 'daemon' });
      if (!(await coordinatorAlive(backend))) cli.err('djc: warning: no coordinator is running; start one with `djc coordinator`');
      if (cli.opts.json) cli.json({ jobId, status: job.status });
      else cli.out(jobId);
      return 0;
    }
    return coordinateHere(cli, backend, jobId);
  });
}

/** `djc results`: the job's result (or, with --bad-records, its dead letters) on stdout. */
export async function resultsCommand(cli: Cli, jobId: string, o: { path?: boolean; badRecords?: boolean }): Promise<number> {
  return withBackend(cli, async (backend) => {
    const job = await mustGetJob(backend, jobId);
    if (o.badRecords) return printDeadLetters(cli, backend, job);
    if (job.status !== 'SUCCEEDED' || !job.outputPath) {
      const why = job.status !== 'SUCCEEDED' ? `it is ${job.status}` : 'its output.aggregate is none';
      throw new DjcError('NOT_FOUND', `job ${jobId} has no result: ${why}`, { jobId, hint: `djc status ${jobId}` });
    }
    if (cli.opts.json || o.path) {
      if (cli.opts.json) cli.json({ jobId, status: job.status, output: { path: job.outputPath } });
      else cli.out(job.outputPath);
      return 0;
    }
    const stream = job.outputPath.startsWith('blob:')
      ? await backend.blobs.getStream(job.outputPath.slice(5))
      : createReadStream(job.outputPath);
    if (!stream) throw new DjcError('NOT_FOUND', `the result of ${jobId} is missing from the blob store`, { jobId });
    await pipeline(stream, process.stdout, { end: false });
    return 0;
  });
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
