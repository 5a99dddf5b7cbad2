import {
  applyRetrySettings, DjcError, formatTaskRanges, MAX_RETRY_RECORDS, TERMINAL_JOB,
  type Backend, type ConfigChange, type JobRecord, type RetryRecord, type TaskRecord, type TaskStatus,
} from '@djc/core';
import { mustGetJob } from './coordinate-job.js';
import { enqueuePending } from './prepare.js';

/** What `djc retry` re-runs and changes. */
export interface RetryOptions {
  /** `--set KEY=VALUE`: changes to the job's stored config for the re-run (see applyRetrySettings). */
  set?: readonly string[];
  /** `--task`: only these ids (each must be a FAILED or CANCELLED task of the job). */
  taskIds?: readonly number[];
  /** `--task` as the user wrote it, for the history. */
  taskSpec?: string;
  /** `--error`: only tasks whose last error matches this regular expression. */
  errorPattern?: string;
}

export interface RetryOutcome {
  /** The job, RUNNING again, with its new config and history. */
  job: JobRecord;
  /** The tasks reset to PENDING, in id order. */
  tasks: TaskRecord[];
  /** The settings changed (empty without --set). */
  changes: ConfigChange[];
}

const RETRIED: readonly TaskStatus[] = ['FAILED', 'CANCELLED'];

/**
 * Re-opens a finished job to re-run its failed and cancelled tasks (or the
 * subset that `taskIds` and `errorPattern` select), each with a fresh retry
 * budget, under the job's stored config patched by `set`. Succeeded tasks
 * keep their outputs; the job is aggregated again when the re-run ends. The
 * job records the retry (when, which tasks, what changed) with the new
 * config, in the write that re-opens it. Every check runs before anything
 * is written.
 */
export async function retryJob(backend: Backend, jobId: string, opts: RetryOptions = {}): Promise<RetryOutcome> {
  const job = await mustGetJob(backend, jobId);
  if (!TERMINAL_JOB.has(job.status)) {
    throw new DjcError('USAGE', `job ${jobId} is ${job.status}; only a finished job can be retried`, {
      jobId, hint: `wait for it (djc wait ${jobId}) or cancel it (djc cancel ${jobId}) first`,
    });
  }
  const settings = await applyRetrySettings(job.config, job.configPath, opts.set ?? []);
  const chosen = await chooseTasks(backend, job, opts);
  if (chosen === null && job.tasks.failed + job.tasks.cancelled === 0 && job.status === 'SUCCEEDED') {
    throw new DjcError('USAGE', `job ${jobId} has no failed or cancelled tasks to retry`, { jobId });
  }
  const tasks = await backend.state.resetTasks(jobId, RETRIED, chosen === null ? {} : { taskIds: chosen });
  const record: RetryRecord = {
    at: new Date().toISOString(),
    taskCount: tasks.length,
    tasks: formatTaskRanges(tasks.map((t) => t.taskId)),
    notRetried: Math.max(0, job.tasks.failed + job.tasks.cancelled - tasks.length),
    selection: {
      ...(opts.taskSpec !== undefined ? { task: opts.taskSpec } : {}),
      ...(opts.errorPattern !== undefined ? { error: opts.errorPattern } : {}),
    },
    changes: settings.changes,
  };
  const reopened = await backend.state.transitionJob(jobId, [job.status], 'RUNNING', {
    endedAt: null, error: null, cancelRequested: false, outputPath: null,
    settings: { config: settings.config, retries: [...job.retries, record].slice(-MAX_RETRY_RECORDS) },
  });
  await enqueuePending(backend, jobId);
  return { job: reopened, tasks, changes: settings.changes };
}

/**
 * The ids `--task` and `--error` select among the job's FAILED and
 * CANCELLED tasks, or null without either (every such task). A listed id
 * that is not one of them is an error (NOT_FOUND: no such task; USAGE: it
 * did not fail), as is a selection that matches nothing.
 */
async function chooseTasks(backend: Backend, job: JobRecord, opts: RetryOptions): Promise<number[] | null> {
  if (opts.taskIds === undefined && opts.errorPattern === undefined) return null;
  const match = errorMatcher(opts.errorPattern);
  const retriable = new Map<number, TaskRecord>();
  for (const status of RETRIED) {
    for await (const t of tasksIn(backend, job.jobId, status)) retriable.set(t.taskId, t);
  }
  for (const id of opts.taskIds ?? []) {
    if (!retriable.has(id)) throw await notRetriable(backend, job, id);
  }
  const wanted = opts.taskIds === undefined ? [...retriable.keys()] : opts.taskIds;
  const chosen = wanted.filter((id) => match(retriable.get(id)?.error ?? null)).sort((a, b) => a - b);
  if (chosen.length === 0) {
    throw new DjcError('USAGE', `no failed or cancelled task of ${job.jobId} has an error matching --error ${JSON.stringify(opts.errorPattern)}${opts.taskIds ? ' among the tasks of --task' : ''}`, {
      jobId: job.jobId, hint: `djc failures ${job.jobId} lists the errors of its failed tasks`,
    });
  }
  return chosen;
}

function errorMatcher(pattern: string | undefined): (error: string | null) => boolean {
  if (pattern === undefined) return () => true;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw new DjcError('USAGE', `--error ${JSON.stringify(pattern)} is not a valid regular expression: ${(e as Error).message}`, {
      hint: 'a JavaScript regular expression, e.g. --error "timed out|exit code 137"',
    });
  }
  return (error) => error !== null && re.test(error);
}

async function notRetriable(backend: Backend, job: JobRecord, taskId: number): Promise<DjcError> {
  const task = await backend.state.getTask(job.jobId, taskId);
  if (!task) {
    const range = job.tasks.total > 0 ? ` (its tasks are 0-${job.tasks.total - 1})` : '';
    return new DjcError('NOT_FOUND', `job ${job.jobId} has no task ${taskId}${range}`, { jobId: job.jobId, taskId });
  }
  return new DjcError('USAGE', `task ${taskId} of ${job.jobId} is ${task.status}: retry re-runs failed and cancelled tasks only`, {
    jobId: job.jobId, taskId, hint: `djc tasks ${job.jobId} --status failed lists them`,
  });
}

/** The job's tasks of one status, in id order, a page at a time. */
async function* tasksIn(backend: Backend, jobId: string, status: TaskStatus): AsyncGenerator<TaskRecord> {
  let after = -1;
  for (;;) {
    const page = await backend.state.listTasks(jobId, { status, after, limit: 1000 });
    if (page.length === 0) return;
    yield* page;
    after = (page[page.length - 1] as TaskRecord).taskId;
  }
}
