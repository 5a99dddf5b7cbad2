import { DjcError, parseTaskRanges } from '@djc/core';
import { formatSetting } from '../format.js';
import { cancelJob, cancelPipeline, coordinatorAlive, resolveJob, retryJob, toleratedFailures, type RetryOutcome } from '@djc/coordinator';
import { statusDocument } from '../status-document.js';
import { withBackend, type Cli } from '../context.js';
import { coordinateHere } from './run.js';

export async function cancelCommand(cli: Cli, ref: string): Promise<number> {
  return withBackend(cli, async (backend) => {
    const target = await resolveJob(backend, ref);
    // A pipeline cancels every unfinished stage run with it.
    const job = target.kind === 'pipeline' ? await cancelPipeline(backend, target.jobId, cli.log) : await cancelJob(backend, target.jobId, cli.log);
    if (cli.opts.json) cli.json(statusDocument(job));
    else cli.out(`${job.jobId} ${job.status}`);
    if (target.kind === 'pipeline' && !cli.opts.json) {
      for (const run of await backend.state.listJobs({ parentId: target.jobId })) cli.out(`  ${run.jobId} ${run.status}`);
    }
    return 0;
  });
}

export interface RetryCommandOptions {
  detach?: boolean;
  set?: string[];
  task?: string;
  error?: string;
  keepGoing?: boolean;
}

/**
 * `djc retry`: re-run the failed and cancelled tasks of a finished job (or
 * those --task and --error select) under its stored config, patched by
 * --set, then aggregate again. A job started by `djc run` is coordinated
 * here, like run; a submitted one is handed back to the daemon (--detach
 * always).
 */
export async function retryCommand(cli: Cli, ref: string, o: RetryCommandOptions): Promise<number> {
  // Parsed before the backend opens: junk is a usage error, whatever the job.
  const taskIds = o.task === undefined ? undefined : parseTaskRanges(o.task);
  const set = [...(o.set ?? []), ...(o.keepGoing ? ['fail_fast=false'] : [])];
  return withBackend(cli, async (backend) => {
    const target = await resolveJob(backend, ref);
    if (target.kind === 'pipeline') {
      if (taskIds !== undefined || o.error !== undefined) throw new DjcError('USAGE', '--task and --error choose tasks of one job; a pipeline retries the failed tasks of every failed stage', { hint: `djc retry ${target.jobId}, or djc retry STAGE-RUN --task …` });
      const { retryPipelineHere } = await import('./retry-pipeline.js');
      return retryPipelineHere(cli, backend, target, { set, detach: o.detach });
    }
    const { jobId } = target;
    const outcome = await retryJob(backend, jobId, { set, taskIds, taskSpec: o.task, errorPattern: o.error });
    explainRetry(cli, outcome);
    const { job } = outcome;
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

/** Says on stderr which config the re-run uses, what changed, and which tasks run again. */
function explainRetry(cli: Cli, { job, tasks, changes }: RetryOutcome): void {
  cli.err(`djc: re-using the config ${job.jobId} was submitted with (from ${job.configPath}; later edits to that file are not used${job.retries.slice(0, -1).some((r) => r.changes.length > 0) ? '; earlier retries\' --set changes are kept' : ''})`);
  for (const c of changes) cli.err(`djc:   --set ${c.key}: ${formatSetting(c.from, c.unit)} → ${formatSetting(c.to, c.unit)}`);
  if (changes.length === 0) cli.err('djc:   change settings for the re-run with --set KEY=VALUE (e.g. --set compute.timeout=30m)');
  const ids = tasks.slice(0, 20).map((t) => t.taskId).join(', ');
  cli.err(`djc: re-running ${tasks.length} task${tasks.length === 1 ? '' : 's'} of ${job.jobId}${ids ? `: ${ids}${tasks.length > 20 ? ', …' : ''}` : ''}`);
  const left = job.retries.at(-1)?.notRetried ?? 0;
  const allowed = toleratedFailures(job);
  if (left > allowed) {
    cli.err(`djc: note: ${left} failed or cancelled task${left === 1 ? ' is' : 's are'} not re-run, more than tolerated_failure allows (${allowed}): `
      + 'the job ends FAILED whatever these tasks do; they run to the end (fail_fast does not stop them)');
  }
}
