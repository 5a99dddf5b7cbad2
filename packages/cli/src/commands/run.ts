import { loadJobFile, type Backend, type JobRecord } from '@djc/core';
import { cancelJob, coordinateJob, coordinatorName, submitJob } from '@djc/coordinator';
import { dispatcherFor, withBackend, type Cli } from '../context.js';
import { dispatchNote, externalWorker, printExternalWorker } from '../dispatch-note.js';
import { displayOutput, elapsed, taskSummary } from '../format.js';
import { startProgress } from '../progress.js';
import { statusDocument } from '../status-document.js';
import { printWarnings } from './validate.js';

export interface RunOptions {
  set?: string[];
}

/** `djc run`: submit, coordinate in this process, wait; exit by the job's outcome. */
export async function runCommand(cli: Cli, file: string, o: RunOptions): Promise<number> {
  const loaded = await loadJobFile(file, { set: o.set, checkHandlers: true });
  printWarnings(cli, loaded.warnings);
  return withBackend(cli, async (backend) => {
    const job = await submitJob(backend, loaded, 'run');
    cli.err(`djc: job ${job.jobId} submitted (${dispatchNote(job)})`);
    const external = externalWorker(cli, backend, job);
    if (external) printExternalWorker(cli, external);
    return coordinateHere(cli, backend, job.jobId);
  });
}

/**
 * Coordinates a job in this process with a progress display, and prints the
 * outcome. Ctrl-C cancels the job (exit 130); `djc retry` resumes it.
 */
export async function coordinateHere(cli: Cli, backend: Backend, jobId: string): Promise<number> {
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    cli.err(`\ndjc: interrupted; cancelling ${jobId} (resume the unfinished tasks with: djc retry ${jobId})`);
    void cancelJob(backend, jobId, cli.log).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const progress = startProgress(backend, jobId, { tty: process.stderr.isTTY === true, quiet: cli.opts.json === true });
  let final: JobRecord;
  try {
    final = await coordinateJob(backend, jobId, {
      dispatcher: dispatcherFor(cli, backend), log: cli.log, owner: coordinatorName('djc run'),
    });
  } finally {
    await progress.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  printOutcome(cli, final);
  if (interrupted) return 130;
  return final.status === 'SUCCEEDED' ? 0 : 1;
}

export function printOutcome(cli: Cli, job: JobRecord): void {
  if (cli.opts.json) {
    cli.json(statusDocument(job));
    return;
  }
  cli.out(`${job.jobId} ${job.status} in ${elapsed(job)}: ${taskSummary(job.tasks)}; ${job.records.processed.toLocaleString('en-US')} records`);
  if (job.outputPath) cli.out(`output: ${displayOutput(job.outputPath)}`);
  if (job.error) cli.out(`${job.status === 'SUCCEEDED' ? 'note' : 'error'}: ${job.error}`);
  if (job.status === 'FAILED' && job.tasks.failed > 0) {
    cli.out(`see: djc tasks ${job.jobId} --status failed; re-run only the failed tasks: djc retry ${job.jobId}`);
  }
}
