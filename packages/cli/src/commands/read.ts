import { EXIT, formatDuration, DjcError, JOB_STATUSES, TASK_STATUSES, taskDocument, type JobRecord, type TaskStatus } from '@djc/core';
import { failureReport, resolveJob } from '@djc/coordinator';
import { homeReason } from '@djc/core/backends';
import { statusDocument } from '../status-document.js';
import { queuedReason } from '../queue-reason.js';
import { withBackend, type Cli } from '../context.js';
import { formatJobList, formatStatus, formatTasks } from '../format.js';
import { createProgressDisplay, progressEveryMs } from '../progress.js';
import { interruptible, watchJob, type WatchEnd } from '../watch-job.js';
import { printOutcome } from './run.js';
import { formatPipelineStatus, pipelineDocument } from '../pipeline-view.js';

/** `djc status [JOB]`; `--watch`: the live progress bar until the job ends, then the outcome, exiting as `djc wait` does. */
export async function statusCommand(cli: Cli, ref: string | undefined, o: { watch?: boolean } = {}): Promise<number> {
  return withBackend(cli, async (backend) => {
    const job = await resolveJob(backend, ref);
    if (o.watch) {
      const display = createProgressDisplay({ quiet: cli.opts.json === true });
      const end = await interruptible((signal) => watchJob(backend, job.jobId, {
        everyMs: progressEveryMs(backend), signal, onJob: (j) => display.update(j),
      }));
      display.finish(end.job);
      return endOfWatch(cli, end);
    }
    if (job.kind === 'pipeline') {
      const runs = await backend.state.listJobs({ parentId: job.jobId });
      if (cli.opts.json) cli.json(pipelineDocument(job, runs));
      else cli.out(formatPipelineStatus(job, runs));
      return 0;
    }
    const queued = await queuedReason(backend, job);
    if (cli.opts.json) {
      cli.json({ ...statusDocument(job), ...(queued ? { queueReason: queued } : {}) });
      return 0;
    }
    // The top groups of the first failed tasks: cheap enough for every status call.
    const failures = job.tasks.failed > 0 ? await failureReport(backend, job, { maxTasks: 1000, lastLines: false, maxGroups: 3 }) : undefined;
    cli.out(formatStatus(job, failures, queued?.message));
    return 0;
  });
}

export async function listCommand(cli: Cli, o: { status?: string; limit: number; quiet?: boolean }): Promise<number> {
  const status = o.status ? parseJobStatus(o.status) : undefined;
  return withBackend(cli, async (backend) => {
    const jobs = await backend.state.listJobs({ status, limit: o.limit });
    // Pipelines with their stage runs folded under them (read by parent: no scan).
    const stages = new Map<string, JobRecord[]>();
    for (const j of jobs) if (j.kind === 'pipeline' && !o.quiet) stages.set(j.jobId, await backend.state.listJobs({ parentId: j.jobId }));
    const entry = (j: JobRecord) => ({ jobId: j.jobId, name: j.name, status: j.status, createdAt: j.createdAt, tasks: j.tasks, kind: j.kind });
    if (cli.opts.json) {
      cli.json({ jobs: jobs.map((j) => ({ ...entry(j), ...(stages.has(j.jobId) ? { stages: stages.get(j.jobId)!.map(entry) } : {}) })) });
    } else if (jobs.length === 0) {
      const where = backend.name === 'local' ? `${cli.home}: ${homeReason(cli.resolvedHome)}` : backend.location;
      cli.err(`no ${status ? `${status.toLowerCase()} ` : ''}jobs (searched ${where})`);
    } else cli.out(o.quiet ? jobs.map((j) => j.jobId).join('\n') : formatJobList(jobs, stages));
    return 0;
  });
}

export async function tasksCommand(cli: Cli, ref: string | undefined, o: { status?: string; limit?: number }): Promise<number> {
  const status = o.status ? parseTaskStatus(o.status) : undefined;
  return withBackend(cli, async (backend) => {
    const { jobId } = await resolveJob(backend, ref);
    const tasks = await backend.state.listTasks(jobId, { status, limit: o.limit });
    if (cli.opts.json) cli.json({ tasks: tasks.map(taskDocument) });
    else if (tasks.length === 0) cli.err(`no ${status ? `${o.status} ` : ''}tasks in ${jobId}`);
    else cli.out(formatTasks(tasks));
    return 0;
  });
}

/**
 * `djc wait`: block until the job ends; exit 0 if it SUCCEEDED, 1 if FAILED,
 * CANCELLED or TIMEOUT; with `--timeout D`, 124 once D has passed (the job goes on).
 */
export async function waitCommand(cli: Cli, ref: string | undefined, o: { interval: number; timeout?: number }): Promise<number> {
  const timeoutMs = o.timeout ?? 0;
  return withBackend(cli, async (backend) => {
    const { jobId } = await resolveJob(backend, ref);
    const end = await interruptible((signal) => watchJob(backend, jobId, { everyMs: o.interval, timeoutMs, signal }));
    if (end.how === 'timed-out') {
      cli.err(`djc: timed out after ${formatDuration(timeoutMs)}: job ${jobId} is still ${end.job.status} (it goes on; djc cancel ${jobId} stops it)`);
      if (cli.opts.json) cli.json(statusDocument(end.job));
      return EXIT.TIMED_OUT;
    }
    return endOfWatch(cli, end);
  });
}

/** The outcome of a job that ended (exit 0 or 1), or 130 for Ctrl-C. */
function endOfWatch(cli: Cli, end: WatchEnd): number {
  if (end.how === 'interrupted') {
    cli.err(`djc: stopped watching; job ${end.job.jobId} goes on (djc cancel ${end.job.jobId} stops it)`);
    return EXIT.INTERRUPTED;
  }
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
