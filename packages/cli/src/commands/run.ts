import { DjcError, EXIT, exitCodeFor, isDiskFull, isDjcError, loadWorkflowFile, type Backend, type JobRecord } from '@djc/core';
import { assertFits, cancelJob, coordinateJob, coordinatorName, parsePriority, poolsOf, submitJob, submitPipeline, type WarmPool } from '@djc/coordinator';
import { join } from 'node:path';
import { createsHome, withBackend, type Cli } from '../context.js';
import { runWarmPool, scheduledDispatcherFor, warmPoolFits } from '../dispatch-context.js';
import { fewerWorkersNote, runCapacity } from '../scheduling-context.js';
import { applyPriority } from './submit.js';
import { dispatchNote, externalWorker, printExternalWorker } from '../dispatch-note.js';
import { displayOutput, elapsed, taskSummary } from '../format.js';
import { startProgress } from '../progress.js';
import { statusDocument } from '../status-document.js';
import { printWarnings } from './validate.js';
import { groupDigits } from '../group-digits.js';

export interface RunOptions {
  set?: string[];
  /** Pipelines: re-use nothing from the cache (runs that succeed are still added to it). */
  fresh?: boolean;
  /** `--priority`: overrides the file's. */
  priority?: string;
}

/** `djc run`: submit, coordinate in this process, wait; exit by the job's (or the pipeline's) outcome. */
export async function runCommand(cli: Cli, file: string, o: RunOptions): Promise<number> {
  const priority = o.priority === undefined ? undefined : parsePriority(o.priority, '--priority');
  // As djc submit: a handler module probed good before, its files unchanged, is not loaded again (a Node start saved).
  const workflow = await loadWorkflowFile(file, { set: o.set, checkHandlers: true, moduleCheckCache: join(cli.home, 'module-probe') });
  applyPriority(workflow, priority);
  // A job whose one worker asks more than this machine has would wait forever: refused, exit 2, with the numbers.
  const { capacity, settings } = runCapacity();
  const where = 'of this machine';
  assertFits(workflow.kind === 'pipeline' ? workflow.pipeline.spec.runs.map((r) => ({ name: r.displayName, config: r.config })) : [{ name: workflow.job.config.name, config: workflow.job.config }], poolsOf(capacity, settings), where);
  if (workflow.kind === 'pipeline') {
    const { pipeline } = workflow;
    printWarnings(cli, pipeline.warnings);
    return withBackend(cli, async (backend) => {
      const { unfinishedPipeline } = await import('./find-unfinished.js');
      const { coordinatePipelineHere } = await import('./run-pipeline.js');
      const resumed = await unfinishedPipeline(backend, pipeline.spec);
      if (resumed) {
        cli.err(`djc: resuming pipeline ${resumed.jobId} (${resumed.status}): the same file, and its coordinator (${resumed.coordinator?.owner ?? 'none'}) stopped`);
        return coordinatePipelineHere(cli, backend, resumed.jobId, { fresh: o.fresh === true });
      }
      const submitted = await submitPipeline(backend, pipeline.spec, pipeline.configPath, 'run', { fresh: o.fresh === true });
      cli.err(`djc: pipeline ${submitted.jobId} submitted (${pipeline.spec.runs.length} stage runs)`);
      return coordinatePipelineHere(cli, backend, submitted.jobId, { fresh: o.fresh === true });
    }, { create: true });
  }
  const loaded = workflow.job;
  printWarnings(cli, loaded.warnings);
  // Asked before the early workers' logs go into the home.
  const newHome = createsHome(cli);
  // The job is valid and fits: its workers start now, while this process opens the home, submits and claims it.
  const early = runWarmPool(cli, loaded.config, capacity);
  try {
    return await withBackend(cli, async (backend) => {
      const job = await submitJob(backend, loaded, 'run');
      cli.err(`djc: job ${job.jobId} submitted (${dispatchNote(job)})`);
      const fewer = fewerWorkersNote(job.config, capacity);
      if (fewer) cli.err(fewer);
      const external = externalWorker(cli, backend, job);
      if (external) printExternalWorker(cli, external);
      const warm = early && warmPoolFits(cli, backend, early) ? early.pool : undefined;
      return coordinateHere(cli, backend, job.jobId, warm);
    }, { create: true, createsHome: newHome });
  } finally {
    // Those the scheduler did not take (or all, when the run failed before it could) end, as their stdin closes.
    await early?.pool.stop();
  }
}

/** After Ctrl-C, how long the coordinator has to wind down before this process exits anyway. */
export const STOP_GRACE_MS = 10_000;

/**
 * Coordinates a job in this process with a progress display, and prints the
 * outcome. Ctrl-C (or SIGTERM) cancels the job and stops coordinating it,
 * splitting the input included (exit 130); `djc retry` resumes it. A second
 * signal, or a coordinator still busy STOP_GRACE_MS after the first (blocked
 * in a read that never returns), ends the process at once by that signal.
 * An input found invalid while splitting it is a config error (exit 2).
 */
export async function coordinateHere(cli: Cli, backend: Backend, jobId: string, warm?: WarmPool): Promise<number> {
  const stop = new AbortController();
  let interrupted = false;
  let prepareError: unknown;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return exitBySignal(signal);
    interrupted = true;
    cli.err(`\ndjc: interrupted; cancelling ${jobId} (resume the unfinished tasks with: djc retry ${jobId})`);
    void cancelJob(backend, jobId, cli.log).catch(() => undefined).finally(() => {
      stop.abort(new Error('cancelled by the user'));
      setTimeout(() => {
        cli.err(`djc: still stopping ${STOP_GRACE_MS / 1000}s after the cancel (blocked in a read?); exiting without waiting`);
        exitBySignal(signal);
      }, STOP_GRACE_MS).unref();
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = startProgress(backend, jobId, { quiet: cli.opts.json === true });
  const scheduled = scheduledDispatcherFor(cli, backend, warm);
  // The backend's file upkeep (local: WAL checkpoints off the busy connections) while this process coordinates.
  const stopUpkeep = backend.startUpkeep?.();
  let final: JobRecord;
  try {
    final = await coordinateJob(backend, jobId, {
      dispatcher: scheduled.dispatcher, log: cli.log, owner: coordinatorName('djc run'), signal: stop.signal,
      onPrepareError: (e) => { prepareError = e; },
    });
  } catch (e) {
    throw isDiskFull(e) ? diskFullError(cli, backend, jobId, e) : e;
  } finally {
    await stopUpkeep?.();
    await scheduled.stop();
    await progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  printOutcome(cli, final);
  if (interrupted) return 130;
  // The job is FAILED, but what failed is its input: say so as any invalid input is said (exit 2, the message, the fix).
  if (isDjcError(prepareError) && exitCodeFor(prepareError) === EXIT.USAGE) throw prepareError;
  return final.status === 'SUCCEEDED' ? 0 : 1;
}

/**
 * A write found the disk full (exit 3): the job is left as it was, workers
 * stopped, to finish once space returns. Says where to free space and how to
 * carry on.
 */
function diskFullError(cli: Cli, backend: Backend, jobId: string, cause: unknown): DjcError {
  const where = backend.name === 'local' ? `the disk of DJC_HOME (${cli.home})` : 'a disk djc writes to';
  return new DjcError('DISK_FULL', `${where} is full: stopped coordinating job ${jobId}, left unfinished to resume`, {
    cause, jobId,
    hint: `free space in ${backend.name === 'local' ? `DJC_HOME (${cli.home})` : 'it'}, then finish the job: djc retry ${jobId} (or let a running djc coordinator adopt it)`,
  });
}

/**
 * Ends the process by `signal` (exit status 128 + its number: 130 for
 * SIGINT), now: process.exit() would wait for a thread-pool thread blocked
 * in a read of a FIFO or a hung mount, forever.
 */
function exitBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

export function printOutcome(cli: Cli, job: JobRecord): void {
  if (cli.opts.json) {
    cli.json(statusDocument(job));
    return;
  }
  cli.out(`${job.jobId} ${job.status} in ${elapsed(job)}: ${taskSummary(job.tasks)}; ${groupDigits(job.records.processed)} records`);
  if (job.outputPath) cli.out(`output: ${displayOutput(job.outputPath)}`);
  if (job.error) cli.out(`${job.status === 'SUCCEEDED' ? 'note' : 'error'}: ${job.error}`);
  if (job.status === 'FAILED' && job.tasks.failed > 0) {
    const which = job.tasks.cancelled > 0 ? 'failed and cancelled' : 'failed';
    cli.out(`see: djc failures ${job.jobId}; re-run only the ${which} tasks: djc retry ${job.jobId}`);
  }
}
