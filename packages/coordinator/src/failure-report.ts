import { blobKeys } from '@djc/core/read';
import type { Backend, JobRecord, TaskRecord } from '@djc/core';
import { groupFailures, type FailureGroup } from './failure-groups.js';

/** How much of the end of an attempt log is read for its last line. */
const LOG_TAIL_BYTES = 8 * 1024;

export interface FailureGroupReport extends FailureGroup {
  /** The last line of the group's first task's last attempt log (its stderr, for a command), or null without one. */
  lastLine: string | null;
}

export interface FailureReport {
  jobId: string;
  /** FAILED tasks of the job. */
  failed: number;
  /** CANCELLED tasks (cancelled, or never run after the job failed fast). */
  cancelled: number;
  /** FAILED tasks read for the groups (all of them, unless `maxTasks` stopped the reading). */
  grouped: number;
  groups: FailureGroupReport[];
}

export interface FailureReportOptions {
  /** Read at most this many FAILED tasks (default: all). */
  maxTasks?: number;
  /** Read the last log line of each group's first task (default true). */
  lastLines?: boolean;
  /** Keep at most this many groups (default: all). */
  maxGroups?: number;
}

/** `djc failures`: the job's FAILED tasks grouped by error signature, each with the last line of its first task's log. */
export async function failureReport(backend: Backend, job: JobRecord, opts: FailureReportOptions = {}): Promise<FailureReport> {
  const failed: TaskRecord[] = [];
  // No more than the job's counter says there are: listing FAILED tasks scans the job's tasks by id
  // (~0.3 s per page on SQLite for a job of 1,000,000), so a page that would find nothing is not asked for.
  const max = Math.min(opts.maxTasks ?? Number.POSITIVE_INFINITY, job.tasks.failed);
  let after = -1;
  while (failed.length < max) {
    const page = await backend.state.listTasks(job.jobId, { status: 'FAILED', after, limit: Math.min(1000, max - failed.length) });
    if (page.length === 0) break;
    failed.push(...page);
    after = (page[page.length - 1] as TaskRecord).taskId;
  }
  const byId = new Map(failed.map((t) => [t.taskId, t]));
  const groups = groupFailures(failed).slice(0, opts.maxGroups ?? Number.POSITIVE_INFINITY);
  const withLines = await Promise.all(groups.map(async (g) => {
    const first = byId.get(g.tasks[0] as number);
    const lastLine = opts.lastLines === false || !first ? null : await lastLogLine(backend, first);
    return { ...g, lastLine };
  }));
  return { jobId: job.jobId, failed: job.tasks.failed, cancelled: job.tasks.cancelled, grouped: failed.length, groups: withLines };
}

/** The last meaningful line of the task's last attempt log: not blank, not a stack frame, without the log line's time and level. */
async function lastLogLine(backend: Backend, task: TaskRecord): Promise<string | null> {
  if (task.attempts < 1) return null;
  const key = blobKeys.log(task.jobId, task.taskId, task.attempts);
  const size = await backend.blobs.size(key);
  if (!size) return null;
  const stream = await backend.blobs.getStream(key, { range: { start: Math.max(0, size - LOG_TAIL_BYTES) } });
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return lastLine(Buffer.concat(chunks).toString('utf8'));
}

const LOG_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z (?:DEBUG|INFO|WARN|ERROR)\s+/;

/** The last line worth showing of a log's text, or null. */
export function lastLine(text: string): string | null {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] as string).replace(LOG_PREFIX, '').trim();
    if (line === '' || /^at\s/.test(line) || /^… \d+ bytes omitted …$/.test(line)) continue;
    return line.length > 500 ? `${line.slice(0, 499)}…` : line;
  }
  return null;
}
