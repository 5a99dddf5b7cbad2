import { EXIT, formatDuration, DjcError, JOB_STATUSES, TASK_STATUSES } from '@djc/core/read';
import type { JobRecord, TaskStatus } from '@djc/core';
import { homeReason } from '@djc/core/backends/home';
import { statusDocument } from '../status-document.js';
import { withJobs, type Cli } from '../context.js';
import type { JobService } from '../job-service.js';
import { LocalJobService } from '../local-job-service.js';
import { formatJobList, formatStatus, formatTasks } from '../format.js';
import type { WatchEnd } from '../watch-job.js';
import { formatPipelineStatus } from '../pipeline-view.js';
import { formatWhySummary, formatWhyTable } from '../why-view.js';

/** `djc status [JOB]`; `--watch`: the live progress bar until the job ends, then the outcome, exiting as `djc wait` does. */
export async function statusCommand(cli: Cli, ref: string | undefined, o: { watch?: boolean; why?: boolean } = {}): Promise<number> {
  if (o.why && o.watch) throw new DjcError('USAGE', '--why and --watch do not go together', { hint: 'use djc status JOB --why once, or djc tasks JOB --why' });
  return withJobs(cli, async (jobs) => {
    const view = await jobs.status(ref, { details: !o.watch && !cli.opts.json });
    const { job } = view;
    if (o.watch) {
      const [{ createProgressDisplay, progressEveryMs }, { interruptible }] = await Promise.all([import('../progress.js'), import('../watch-job.js')]);
      const display = createProgressDisplay({ quiet: cli.opts.json === true });
      const everyMs = jobs instanceof LocalJobService ? progressEveryMs(await jobs.backend()) : 1000;
      const end = await interruptible((signal) => jobs.watch(job.jobId, { everyMs, signal, onJob: (j) => display.update(j) }));
      display.finish(end.job);
      return endOfWatch(cli, end);
    }
    const why = o.why ? await jobs.why(job.jobId, {}) : null;
    if (cli.opts.json) cli.json(why ? { ...view.doc, why } : view.doc);
    else if (job.kind === 'pipeline') cli.out(formatPipelineStatus(job, view.runs));
    else cli.out(formatStatus(job, view.failures, view.queued) + (why ? `\n\n${formatWhySummary(why)}` : ''));
    return 0;
  });
}

export async function listCommand(cli: Cli, o: { status?: string; limit: number; quiet?: boolean }): Promise<number> {
  const status = o.status ? parseJobStatus(o.status) : undefined;
  return withJobs(cli, async (jobs) => {
    const doc = await jobs.list({ status, limit: o.limit });
    if (cli.opts.json) {
      cli.json(doc);
      return 0;
    }
    if (doc.jobs.length === 0) cli.err(`no ${status ? `${status.toLowerCase()} ` : ''}jobs (searched ${await searched(cli, jobs)})`);
    // Pipelines with their stage runs folded under them.
    else cli.out(o.quiet ? doc.jobs.map((j) => j.jobId).join('\n') : formatJobList(doc.jobs, new Map(doc.jobs.map((j) => [j.jobId, j.stages ?? []]))));
    return 0;
  });
}

/** Where `djc list` looked: the home and why, the backend, or DJC_URL. */
async function searched(cli: Cli, jobs: JobService): Promise<string> {
  if (!(jobs instanceof LocalJobService)) return jobs.where;
  const backend = await jobs.backend();
  return backend.name === 'local' ? `${cli.home}: ${homeReason(cli.resolvedHome)}` : backend.location;
}

export async function tasksCommand(cli: Cli, ref: string | undefined, o: { status?: string; limit?: number; why?: boolean }): Promise<number> {
  const status = o.status ? parseTaskStatus(o.status) : undefined;
  if (o.why) return tasksWhy(cli, ref, { status, limit: o.limit });
  return withJobs(cli, async (jobs) => {
    const { jobId, tasks } = await jobs.tasks(ref, { status, limit: o.limit });
    if (cli.opts.json) cli.json({ tasks });
    else if (tasks.length === 0) cli.err(`no ${status ? `${o.status} ` : ''}tasks in ${jobId}`);
    else cli.out(formatTasks(tasks));
    return 0;
  });
}

/** `djc tasks JOB --why`: why each unfinished task (of `status`, if given) is not running now. */
function tasksWhy(cli: Cli, ref: string | undefined, o: { status?: TaskStatus; limit?: number }): Promise<number> {
  return withJobs(cli, async (jobs) => {
    const doc = await jobs.why(ref, { limit: o.limit });
    const tasks = o.status ? doc.tasks.filter((t) => t.status === o.status) : doc.tasks;
    if (cli.opts.json) cli.json(o.status ? { ...doc, tasks } : doc);
    else if (tasks.length === 0) cli.err(`no unfinished ${o.status ? `${o.status} ` : ''}tasks in ${doc.jobId} (it is ${doc.status})${doc.job ? `; ${doc.job.message}` : ''}`);
    else cli.out(formatWhyTable(doc, tasks));
    if (doc.truncated && !cli.opts.json) cli.err(`djc: listed the first ${doc.tasks.length} unfinished tasks; --limit N lists more`);
    return 0;
  });
}

/**
 * `djc wait`: block until the job ends; exit 0 if it SUCCEEDED, 1 if FAILED,
 * CANCELLED or TIMEOUT; with `--timeout D`, 124 once D has passed (the job goes on).
 */
export async function waitCommand(cli: Cli, ref: string | undefined, o: { interval: number; timeout?: number; orphanGrace?: number }): Promise<number> {
  const timeoutMs = o.timeout ?? 0;
  return withJobs(cli, async (jobs) => {
    const [{ watchForOrphan }, { interruptible }] = await Promise.all([import('./orphan-watch.js'), import('../watch-job.js')]);
    const { job: { jobId } } = await jobs.status(ref);
    // Locally: a job nobody coordinates is said so, and given up on after the grace (exit 3).
    const orphan = jobs instanceof LocalJobService
      ? watchForOrphan(await jobs.backend(), jobId, { everyMs: o.interval, graceMs: o.orphanGrace ?? 60_000, say: (l) => cli.err(l) })
      : null;
    const end = await interruptible((signal) => jobs.watch(jobId, {
      everyMs: o.interval, timeoutMs, signal: orphan ? AbortSignal.any([signal, orphan.signal]) : signal,
    })).finally(() => orphan?.stop());
    const gaveUp = orphan?.error();
    if (gaveUp && end.how === 'interrupted') throw gaveUp;
    if (end.how === 'timed-out') {
      cli.err(`djc: timed out after ${formatDuration(timeoutMs)}: job ${jobId} is still ${end.job.status} (it goes on; djc cancel ${jobId} stops it)`);
      if (cli.opts.json) cli.json(statusDocument(end.job));
      return EXIT.TIMED_OUT;
    }
    return endOfWatch(cli, end);
  });
}

/** The outcome of a job that ended (exit 0 or 1), or 130 for Ctrl-C. */
async function endOfWatch(cli: Cli, end: WatchEnd): Promise<number> {
  if (end.how === 'interrupted') {
    cli.err(`djc: stopped watching; job ${end.job.jobId} goes on (djc cancel ${end.job.jobId} stops it)`);
    return EXIT.INTERRUPTED;
  }
  const { printOutcome } = await import('./run.js');
  printOutcome(cli, end.job);
  return exitFor(end.job);
}

function exitFor(job: JobRecord): number {
  return job.status === 'SUCCEEDED' ? EXIT.OK : EXIT.JOB_FAILED;
}

const TASK_ALIASES: Record<string, TaskStatus> = { retrying: 'RETRY_WAIT', retry: 'RETRY_WAIT' };

export function parseTaskStatus(s: string): TaskStatus {
  const up = TASK_ALIASES[s.toLowerCase()] ?? (s.toUpperCase() as TaskStatus);
  if (!TASK_STATUSES.includes(up)) {
    throw new DjcError('USAGE', `unknown task status "${s}"`, { hint: `use one of: ${TASK_STATUSES.map((x) => (x === 'RETRY_WAIT' ? 'retrying' : x.toLowerCase())).join(', ')}` });
  }
  return up;
}

function parseJobStatus(s: string) {
  const up = s.toUpperCase();
  const all = JOB_STATUSES;
  const hit = all.find((x) => x === up);
  if (!hit) throw new DjcError('USAGE', `unknown job status "${s}"`, { hint: `use one of: ${all.map((x) => x.toLowerCase()).join(', ')}` });
  return hit;
}
