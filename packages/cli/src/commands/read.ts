import { DjcError, TASK_STATUSES, taskDocument, TERMINAL_JOB, type TaskStatus } from '@djc/core';
import { failureReport, mustGetJob } from '@djc/coordinator';
import { statusDocument } from '../status-document.js';
import { withBackend, type Cli } from '../context.js';
import { formatJobList, formatStatus, formatTasks } from '../format.js';
import { printOutcome } from './run.js';

export async function statusCommand(cli: Cli, jobId: string): Promise<number> {
  return withBackend(cli, async (backend) => {
    const job = await mustGetJob(backend, jobId);
    if (cli.opts.json) {
      cli.json(statusDocument(job));
      return 0;
    }
    // The top groups of the first failed tasks: cheap enough for every status call.
    const failures = job.tasks.failed > 0 ? await failureReport(backend, job, { maxTasks: 1000, lastLines: false, maxGroups: 3 }) : undefined;
    cli.out(formatStatus(job, failures));
    return 0;
  });
}

export async function listCommand(cli: Cli, o: { status?: string; limit?: string }): Promise<number> {
  const status = o.status ? parseJobStatus(o.status) : undefined;
  return withBackend(cli, async (backend) => {
    const jobs = await backend.state.listJobs({ status, limit: o.limit ? Number(o.limit) : 50 });
    if (cli.opts.json) {
      cli.json({ jobs: jobs.map((j) => ({ jobId: j.jobId, name: j.name, status: j.status, createdAt: j.createdAt, tasks: j.tasks })) });
    } else cli.out(formatJobList(jobs));
    return 0;
  });
}

export async function tasksCommand(cli: Cli, jobId: string, o: { status?: string; limit?: string }): Promise<number> {
  const status = o.status ? parseTaskStatus(o.status) : undefined;
  return withBackend(cli, async (backend) => {
    await mustGetJob(backend, jobId);
    const tasks = await backend.state.listTasks(jobId, {
      status,
      limit: o.limit ? Number(o.limit) : undefined,
    });
    if (cli.opts.json) cli.json({ tasks: tasks.map(taskDocument) });
    else cli.out(formatTasks(tasks));
    return 0;
  });
}

/** `djc wait`: block until the job ends; exit 0 if it SUCCEEDED, 1 if FAILED or CANCELLED. */
export async function waitCommand(cli: Cli, jobId: string, o: { interval?: string }): Promise<number> {
  return withBackend(cli, async (backend) => {
    const every = Math.max(100, Number(o.interval ?? 1) * 1000);
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
