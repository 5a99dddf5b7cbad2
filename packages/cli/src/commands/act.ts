import { DjcError, parseTaskRanges } from '@djc/core';
import { formatSetting } from '../format.js';
import { coordinatorAlive, resolveJob, retryJob, toleratedFailures, type RetryOutcome } from '@djc/coordinator';
import { withJobs, type Cli } from '../context.js';
import type { LocalJobService } from '../local-job-service.js';
import { RemoteJobService } from '../remote/remote-job-service.js';
import { coordinateHere } from './run.js';
import { adoptHere, orphaned } from './adopt-orphan.js';

export async function cancelCommand(cli: Cli, ref: string): Promise<number> {
  return withJobs(cli, async (jobs) => {
    const { doc, runs } = await jobs.cancel(ref);
    if (cli.opts.json) cli.json(doc);
    else cli.out(`${doc.jobId} ${doc.status}`);
    // A pipeline cancels every unfinished stage run with it.
    if (runs && !cli.opts.json) for (const run of runs) cli.out(`  ${run.jobId} ${run.status}`);
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
  return withJobs(cli, async (jobs) => {
    if (jobs instanceof RemoteJobService) return retryRemote(cli, jobs, ref, { set, task: o.task, error: o.error });
    const backend = await (jobs as LocalJobService).backend();
    const target = await resolveJob(backend, ref);
    if (target.kind === 'pipeline') {
      if (taskIds !== undefined || o.error !== undefined) throw new DjcError('USAGE', '--task and --error choose tasks of one job; a pipeline retries the failed tasks of every failed stage', { hint: `djc retry ${target.jobId}, or djc retry STAGE-RUN --task …` });
      const { retryPipelineHere } = await import('./retry-pipeline.js');
      return retryPipelineHere(cli, backend, target, { set, detach: o.detach });
    }
    const { jobId } = target;
    if (await orphaned(backend, target)) {
      if (taskIds !== undefined || o.error !== undefined || set.length > 0) {
        throw new DjcError('USAGE', `job ${jobId} is ${target.status} and nobody coordinates it: --set, --task and --error apply to a finished job only`, {
          jobId, hint: `djc retry ${jobId} (without them) coordinates it here; retry the failed tasks once it has ended`,
        });
      }
      return adoptHere(cli, backend, target, 'retry');
    }
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

/** Over the API the re-run is left to the coordinator, as with --detach; the coordinator answers with the job and its status. */
async function retryRemote(cli: Cli, jobs: RemoteJobService, ref: string, o: { set: string[]; task?: string; error?: string }): Promise<number> {
  const { jobId, status } = await jobs.retry(ref, o);
  cli.err(`djc: ${jobId} re-runs its ${o.task === undefined && o.error === undefined ? 'failed and cancelled' : 'chosen'} tasks on the coordinator at ${jobs.where} (${status}); follow it with: djc wait ${jobId}`);
  if (cli.opts.json) cli.json({ jobId, status });
  else cli.out(jobId);
  return 0;
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
