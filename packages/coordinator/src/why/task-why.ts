/**
 * Why a task is not running now (`djc tasks JOB --why`, `djc status JOB
 * --why`): pure, from the job record, the task record and what the caller
 * read around them (the scheduler's queue reason, the tasks whose queue
 * message is missing). The job's own state comes first: a task of a paused
 * or queued job waits for the job, whatever its own state says.
 */
import { formatDuration, TERMINAL_JOB } from '@djc/core/read';
import type { JobRecord, TaskRecord, TaskStatus } from '@djc/core';

export type WhyCode =
  | 'job_waiting' | 'job_submitted' | 'job_queued' | 'job_preparing' | 'job_paused' | 'job_cancelling' | 'job_finalizing'
  | 'no_coordinator'
  | 'backoff' | 'waiting_for_worker' | 'workers_pending' | 'no_workers' | 'message_lost'
  | 'held_by_worker' | 'running' | 'lease_expired';

/** The job-level reason, when the job itself holds its tasks back (or nobody coordinates it). */
export interface JobWhy {
  code: WhyCode;
  message: string;
}

export interface TaskWhy {
  taskId: number;
  status: TaskStatus;
  attempts: number;
  code: WhyCode;
  message: string;
  /** ISO time the reason ends by itself (backoff over, lease expiry), else null. */
  until: string | null;
  /** The worker holding or running it, else null. */
  worker: string | null;
}

/** Statuses of tasks that are not finished (the ones --why explains). */
export const UNFINISHED: readonly TaskStatus[] = ['PENDING', 'RETRY_WAIT', 'CLAIMED', 'RUNNING'];

export interface JobWhyInput {
  now: number;
  /** The scheduler's reason for a QUEUED job, if the queue document has one. */
  queued?: string | null;
  /** No coordinator has marked the job recently (liveness.ts isOrphaned). */
  orphaned: boolean;
}

/** Why the job holds its tasks back, or null when it does not (RUNNING and coordinated). */
export function jobWhy(job: JobRecord, o: JobWhyInput): JobWhy | null {
  const id = job.jobId;
  if (TERMINAL_JOB.has(job.status)) return null;
  if (job.cancelRequested) return { code: 'job_cancelling', message: 'the job is being cancelled: no task starts' };
  switch (job.status) {
    case 'WAITING': return { code: 'job_waiting', message: `the job waits for the jobs it runs after${job.reason ? `: ${job.reason}` : ''}` };
    case 'SUBMITTED': return { code: 'job_submitted', message: `the job is submitted and not prepared yet${o.orphaned ? ' and no coordinator runs for it (start djc coordinator)' : ''}` };
    case 'QUEUED': return { code: 'job_queued', message: `the job waits in the scheduler's queue: ${o.queued ?? 'no reason published yet (djc queue shows the queue)'}` };
    case 'PREPARING': return { code: 'job_preparing', message: 'the job is being prepared: its tasks are queued as prepare writes them' };
    case 'PAUSED': return { code: 'job_paused', message: `the job is paused: no task starts (djc resume ${id})` };
    case 'FINALIZING': return { code: 'job_finalizing', message: 'the job is being finalized' };
    default: break;
  }
  if (job.status === 'RUNNING' && o.orphaned) {
    const ago = formatDuration(Math.max(0, o.now - (job.coordinator?.seenAt ?? Date.parse(job.createdAt))));
    return { code: 'no_coordinator', message: `no coordinator has marked the job for ${ago} (its djc run died, or no daemon runs): running workers go on, but nothing reclaims, re-sends or finalizes (djc resume ${id}, or start djc coordinator)` };
  }
  return null;
}

export interface TaskWhyInput {
  now: number;
  /** jobWhy of the task's job. */
  job: JobWhy | null;
  /** Tasks whose queue message is missing (TaskQueue.withoutMessage), when the backend can tell. */
  noMessage: ReadonlySet<number>;
}

/** Why one unfinished task is not running now (or, RUNNING, where it runs). */
export function taskWhy(job: JobRecord, task: TaskRecord, o: TaskWhyInput): TaskWhy {
  const base = { taskId: task.taskId, status: task.status, attempts: task.attempts, until: null, worker: null };
  if (task.status === 'RUNNING' || task.status === 'CLAIMED') return { ...base, ...leased(task, o) };
  if (task.status === 'RETRY_WAIT' && (task.notBefore ?? 0) > o.now) {
    return {
      ...base, code: 'backoff', until: iso(task.notBefore as number),
      message: `backoff until ${at(task.notBefore as number, o.now)} after attempt ${task.attempts} failed${task.error ? `: ${task.error}` : ''}`,
    };
  }
  const gate = o.job && o.job.code !== 'no_coordinator' ? o.job : null;
  if (gate) return { ...base, ...gate };
  if (o.noMessage.has(task.taskId)) {
    return { ...base, code: 'message_lost', message: 'its queue message is missing: the coordinator\'s sweep sends it again once it has been missing for a lease' };
  }
  return { ...base, ...waitingForWorker(job, task, o.now) };
}

function leased(task: TaskRecord, o: TaskWhyInput): Pick<TaskWhy, 'code' | 'message' | 'until' | 'worker'> {
  const worker = task.leaseOwner ?? task.worker;
  const expires = task.leaseExpiresAt;
  const until = expires === null ? null : iso(expires);
  if (expires !== null && expires <= o.now) {
    const who = o.job?.code === 'no_coordinator' ? 'once a coordinator runs' : 'on the coordinator\'s next pass';
    return { code: 'lease_expired', worker, until, message: `the lease of worker ${worker ?? '?'} expired ${formatDuration(o.now - expires)} ago: the task is reclaimed ${who}` };
  }
  const lease = expires === null ? '' : `, lease until ${at(expires, o.now)}`;
  if (task.status === 'CLAIMED') {
    return { code: 'held_by_worker', worker, until, message: `waiting in worker ${worker ?? '?'} for a free slot (claimed ahead${lease})` };
  }
  return { code: 'running', worker, until, message: `running on worker ${worker ?? '?'} (attempt ${task.attempts}${lease})` };
}

function waitingForWorker(job: JobRecord, task: TaskRecord, now: number): Pick<TaskWhy, 'code' | 'message'> {
  const after = task.status === 'RETRY_WAIT' && task.notBefore !== null ? ` (its backoff ended ${formatDuration(now - task.notBefore)} ago)` : '';
  const w = job.workers;
  const running = w ? w.groups.filter((g) => g.state === 'RUNNING').reduce((n, g) => n + g.count, 0) : null;
  const pending = w ? w.groups.filter((g) => g.state === 'PENDING') : [];
  if (pending.length > 0 && running === 0) {
    const reasons = pending.map((g) => `${g.count} pending${g.reason ? ` (${g.reason})` : ''}`).join(', ');
    return { code: 'workers_pending', message: `waiting for a worker${after}: the workers are pending in Slurm: ${reasons}` };
  }
  if (w && running === 0 && w.dispatcher === 'external') {
    return { code: 'no_workers', message: `waiting for a worker${after}: no worker runs (dispatcher external: start workers with the command djc printed)` };
  }
  const held = job.tasks.running + job.tasks.claimed;
  const busy = running === null ? '' : `: ${running} ${running === 1 ? 'worker' : 'workers'} running, ${held} ${held === 1 ? 'task' : 'tasks'} running or held`;
  return { code: 'waiting_for_worker', message: `queued, waiting for a free worker${after}${busy}` };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** "2026-12-03T04:51:03.000Z (in 42s)". */
function at(ms: number, now: number): string {
  return `${iso(ms)} (in ${formatDuration(Math.max(0, ms - now))})`;
}
