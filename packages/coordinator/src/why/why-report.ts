/**
 * The `--why` document of a job: for each unfinished task (PENDING,
 * RETRY_WAIT, CLAIMED, RUNNING; at most `limit`, in task id order), why it
 * is not running now (task-why.ts), and the job-level reason when the job
 * itself holds them back. Reads: the tasks of each unfinished status that
 * has any (counters first), the queue reason of a QUEUED job, and which
 * PENDING / due RETRY_WAIT tasks have no queue message (where the backend
 * can tell).
 */
import { DjcError, TASK_STATUSES } from '@djc/core/read';
import type { Backend, JobRecord, TaskRecord, TaskStatus } from '@djc/core';
import { queuedReason } from '../documents/job-documents.js';
import { isOrphaned } from '../liveness.js';
import { jobWhy, taskWhy, UNFINISHED, type JobWhy, type TaskWhy } from './task-why.js';

export interface WhyDocument {
  jobId: string;
  status: string;
  /** Why the job holds its tasks back (paused, queued, preparing, no coordinator…), else null. */
  job: JobWhy | null;
  /** Unfinished tasks by status (the job's counters). */
  unfinished: { pending: number; retrying: number; claimed: number; running: number };
  tasks: TaskWhy[];
  /** True when there are more unfinished tasks than listed (see --limit). */
  truncated: boolean;
}

const COUNTER: Partial<Record<TaskStatus, 'pending' | 'retrying' | 'claimed' | 'running'>> = {
  PENDING: 'pending', RETRY_WAIT: 'retrying', CLAIMED: 'claimed', RUNNING: 'running',
};

/** Builds the document; `limit` (default 1000) caps the tasks listed. */
export async function whyDocument(backend: Backend, job: JobRecord, o: { limit?: number; now?: number } = {}): Promise<WhyDocument> {
  if (job.kind === 'pipeline') {
    throw new DjcError('USAGE', `--why explains the tasks of one job; ${job.jobId} is a pipeline`, {
      jobId: job.jobId, hint: `name one of its stage runs (djc status ${job.jobId} lists them)`,
    });
  }
  const now = o.now ?? Date.now();
  const limit = o.limit ?? 1000;
  const queued = (await queuedReason(backend, job))?.message ?? null;
  const jw = jobWhy(job, { now, queued, orphaned: isOrphaned(job, now) });
  const t = job.tasks;
  const unfinished = { pending: t.pending, retrying: t.retrying, claimed: t.claimed, running: t.running };
  const tasks = await unfinishedTasks(backend, job, limit);
  const ready = tasks.filter((x) => x.status === 'PENDING' || (x.status === 'RETRY_WAIT' && (x.notBefore ?? 0) <= now));
  // Only while the job runs: a queued or paused job's tasks may have no message on purpose.
  const missing = job.status === 'RUNNING' && ready.length > 0
    ? await backend.queue.withoutMessage(job.jobId, ready.map((x) => x.taskId))
    : null;
  const noMessage = new Set(missing ?? []);
  const total = t.pending + t.retrying + t.claimed + t.running;
  return {
    jobId: job.jobId, status: job.status, job: jw, unfinished,
    tasks: tasks.map((task) => taskWhy(job, task, { now, job: jw, noMessage })),
    truncated: total > tasks.length,
  };
}

/** Up to `limit` unfinished tasks in id order: each status read (only if counted), merged. */
async function unfinishedTasks(backend: Backend, job: JobRecord, limit: number): Promise<TaskRecord[]> {
  const all: TaskRecord[] = [];
  for (const status of TASK_STATUSES.filter((s) => UNFINISHED.includes(s))) {
    const counter = COUNTER[status];
    if (counter !== undefined && job.tasks[counter] === 0) continue;
    all.push(...(await backend.state.listTasks(job.jobId, { status, limit })));
  }
  return all.sort((a, b) => a.taskId - b.taskId).slice(0, limit);
}
