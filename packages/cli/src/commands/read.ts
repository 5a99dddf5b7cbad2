import { DjcError, TASK_STATUSES, taskDocument, TERMINAL_JOB, type TaskStatus } from '@djc/core';
import { mustGetJob, resolveJob } from '@djc/coordinator';
import { homeReason } from '@djc/core/backends';
import { statusDocument } from '../status-document.js';
import { withBackend, type Cli } from '../context.js';
import { formatJobList, formatStatus, formatTasks } from '../format.js';
import { printOutcome } from './run.js';

export async function statusCommand(cli: Cli, ref: string | undefined): Promise<number> {
  return withBackend(cli, async (backend) => {
    const job = await resolveJob(backend, ref);
    if (cli.opts.json) cli.json(statusDocument(job));
    else cli.out(formatStatus(job));
    return 0;
  });
}

export async function listCommand(cli: Cli, o: { status?: string; limit: number; quiet?: boolean }): Promise<number> {
  const status = o.status ? parseJobStatus(o.status) : undefined;
  return withBackend(cli, async (backend) => {
    const jobs = await backend.state.listJobs({ status, limit: o.limit });
    if (cli.opts.json) {
      cli.json({ jobs: jobs.map((j) => ({ jobId: j.jobId, name: j.name, status: j.status, createdAt: j.createdAt, tasks: j.tasks })) });
    } else if (jobs.length === 0) {
      const where = backend.name === 'local' ? `${cli.home}: ${homeReason(cli.resolvedHome)}` : backend.location;
      cli.err(`no ${status ? `${status.toLowerCase()} ` : ''}jobs (searched ${where})`);
    } else cli.out(o.quiet ? jobs.map((j) => j.jobId).join('\n') : formatJobList(jobs));
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

/** `djc wait`: block until the job ends; exit 0 if it SUCCEEDED, 1 if FAILED or CANCELLED. */
export async function waitCommand(cli: Cli, ref: string | undefined, o: { interval: number }): Promise<number> {
  return withBackend(cli, async (backend) => {
    const every = o.interval;
    const { jobId } = await resolveJob(backend, ref);
    for (;;) {
      const job = await mustGetJob(backend, jobId);
      if (TERMINAL_JOB.has(job.status)) {
        printOutcome(cli, job);
        return job.status === 'SUCCEEDED' ? 0 : 1;
      }
      await new Promise((r) => setTimeout(r, every));
    }
  });
}

const TASK_ALIASES: Record<string, TaskStatus> = { retrying: 'RETRY_WAIT', retry: 'RETRY_WAIT' };

export function parseTaskStatus(s: string): TaskStatus {
  const up = TASK_ALIASES[s.toLowerCase()] ?? (s.toUpperCase() as TaskStatus);
  if (!TASK_STATUSES.includes(up)) {
    throw new DjcError('USAGE', `unknown task status "${s}"`, { hint: `use one of: ${TASK_STATUSES.map((x) => x.toLowerCase()).join(', ')}` });
  }
  return up;
}

function parseJobStatus(s: string) {
  const up = s.toUpperCase();
  const all = ['SUBMITTED', 'PREPARING', 'RUNNING', 'FINALIZING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
  const hit = all.find((x) => x === up);
  if (!hit) throw new DjcError('USAGE', `unknown job status "${s}"`, { hint: `use one of: ${all.map((x) => x.toLowerCase()).join(', ')}` });
  return hit;
}
