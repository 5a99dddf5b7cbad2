/**
 * Attempts for the metrics, read from the task records of the jobs the
 * metrics follow, each ended task exactly once, at a bounded cost per scrape.
 *
 * No record lists attempts as they end, and scanning every task of a
 * 1,000,000-task job at every scrape is out of the question. So each
 * followed job has a cursor over its task ids: a scrape reads the tasks
 * after the cursor (at most `budget` task records per scrape, all jobs
 * together, jobs taken in turn), observes those that have ended (SUCCEEDED,
 * FAILED, CANCELLED) and not been observed yet, and moves the cursor over the
 * run of observed ones. A task is read again only while it, or one before
 * it, is unfinished; over a job's life its tasks are read about once each.
 * What a task says of its attempts once it has ended:
 * - its last attempt: outcome succeeded / failed, with its duration
 *   (startedAt to endedAt), or `cancelled` (a cancelled task; no duration);
 * - its earlier attempts (attempts - 1): outcome `retried` (failed and run
 *   again, given back by a stopping worker, or re-run by `djc retry`), no
 *   duration (the records keep only the last one's times);
 * - queue wait, for a task that ran once: from the job's start to its claim.
 * Tasks re-used from a cache (never run) are skipped.
 */
import { TERMINAL_JOB, TERMINAL_TASK, type Backend, type JobRecord, type TaskRecord } from '@djc/core';

export type AttemptOutcome = 'succeeded' | 'failed' | 'cancelled' | 'retried';

export interface AttemptObservation {
  outcome: AttemptOutcome;
  /** Attempts with this outcome (retried: several at once). */
  count: number;
  /** Seconds the attempt ran; absent when not known. */
  durationS?: number;
}

export interface TaskObservation {
  attempts: AttemptObservation[];
  /** Seconds from the job's start to the claim of the task's only attempt; absent otherwise. */
  queueWaitS?: number;
}

interface Cursor {
  /** Every task with an id <= after has been observed. */
  after: number;
  /** Observed tasks above `after` (bounded by one page). */
  seen: Set<number>;
}

const PAGE = 1000;

export interface AttemptObserver {
  /**
   * Reads the jobs' tasks within the budget and calls `observe` once for
   * each task that ended since the last time; `jobs` are the jobs to follow
   * now (a job no longer given is forgotten).
   */
  scan(jobs: readonly JobRecord[], observe: (o: TaskObservation) => void): Promise<void>;
  /** Whether every task of `job` (as of this record) has been observed. */
  done(job: JobRecord): boolean;
}

export function createAttemptObserver(backend: Backend, budget = 5000): AttemptObserver {
  const cursors = new Map<string, Cursor>();
  let turn = 0;
  return {
    scan: async (jobs, observe) => {
      const ids = new Set(jobs.map((j) => j.jobId));
      for (const id of cursors.keys()) if (!ids.has(id)) cursors.delete(id);
      let left = budget;
      // Jobs in turn from a moving start, so a big job does not starve the others of the budget.
      const start = jobs.length === 0 ? 0 : turn++ % jobs.length;
      for (let i = 0; i < jobs.length && left > 0; i++) {
        const job = jobs[(start + i) % jobs.length] as JobRecord;
        if (job.tasks.total === 0) continue;
        const cursor = cursors.get(job.jobId) ?? { after: -1, seen: new Set<number>() };
        cursors.set(job.jobId, cursor);
        left -= await scanJob(backend, job, cursor, Math.min(PAGE, left), observe);
      }
    },
    // Task ids are 0 … total-1 (the batch indexes).
    done: (job) => (cursors.get(job.jobId)?.after ?? -1) >= job.tasks.total - 1,
  };
}

/** One page of the job's tasks after its cursor; returns how many records were read. */
async function scanJob(backend: Backend, job: JobRecord, cursor: Cursor, limit: number, observe: (o: TaskObservation) => void): Promise<number> {
  const page = await backend.state.listTasks(job.jobId, { after: cursor.after, limit });
  // An ended job whose task records are gone (retention): nothing is left to observe.
  if (page.length === 0 && TERMINAL_JOB.has(job.status)) cursor.after = Math.max(cursor.after, job.tasks.total - 1);
  let contiguous = true;
  for (const task of page) {
    const ended = TERMINAL_TASK.has(task.status);
    if (ended && !cursor.seen.has(task.taskId)) {
      cursor.seen.add(task.taskId);
      observe(observeTask(job, task));
    }
    if (contiguous && ended) {
      cursor.after = task.taskId;
      cursor.seen.delete(task.taskId);
    } else {
      contiguous = false;
    }
  }
  return page.length;
}

function seconds(fromIso: string | null, toIso: string | null): number | undefined {
  if (fromIso === null || toIso === null) return undefined;
  const s = (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
  return Number.isFinite(s) && s >= 0 ? s : undefined;
}

/** What an ended task says of its attempts (see the header). */
export function observeTask(job: JobRecord, task: TaskRecord): TaskObservation {
  if (task.attempts === 0) return { attempts: [] };
  const attempts: AttemptObservation[] = [];
  const last: AttemptOutcome = task.status === 'SUCCEEDED' ? 'succeeded' : task.status === 'FAILED' ? 'failed' : 'cancelled';
  // A cancelled task's times may be those of an attempt that failed before the cancel: no duration for it.
  const duration = last === 'cancelled' ? undefined : seconds(task.startedAt, task.endedAt);
  attempts.push({ outcome: last, count: 1, ...(duration === undefined ? {} : { durationS: duration }) });
  if (task.attempts > 1) attempts.push({ outcome: 'retried', count: task.attempts - 1 });
  const wait = task.attempts === 1 ? seconds(job.startedAt, task.claimedAt) : undefined;
  return { attempts, ...(wait === undefined ? {} : { queueWaitS: wait }) };
}
