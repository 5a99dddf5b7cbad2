import { PRIORITY_CLASSES, type JobRecord } from '@djc/core';
import type { JobDemand, WorkerResources } from '../scheduler/types.js';
import { schedulingOwner } from './owner.js';

/** Numeric priority: PRIORITY_CLASSES of a class name, or the integer given. */
export function numericPriority(p: JobRecord['config']['priority']): number {
  return typeof p === 'number' ? p : PRIORITY_CLASSES[p];
}

/** What one worker of the job needs (compute.resources; memory 0 when not declared). */
export function perWorkerOf(job: JobRecord): WorkerResources {
  const r = job.config.compute.resources;
  return { cpus: r.cpus, memoryBytes: r.memory ?? 0, gpus: r.gpus };
}

/** compute.workers (Slurm: compute.slurm.workers, the array size, when set). */
export function maxWorkersOf(job: JobRecord): number {
  const c = job.config.compute;
  return c.dispatcher === 'slurm' ? c.slurm?.workers ?? c.workers : c.workers;
}

/** Statuses in which a job can use workers (WAITING: a pipeline run warmed ahead of its upstream's end, Dispatcher.warm). */
const WORKING = new Set<JobRecord['status']>(['WAITING', 'SUBMITTED', 'QUEUED', 'PREPARING', 'RUNNING']);

/**
 * Workers the job can use now. Not prepared yet (SUBMITTED, PREPARING, or
 * QUEUED before it ever ran): all it may hold (tasks are coming). Prepared:
 * one per concurrency slots' worth of tasks not finished (queued, held by a
 * worker, running), so a job draining its queue wants fewer as its workers
 * exit; 0 once nothing is left (its workers exit by themselves).
 */
export function wantWorkersOf(job: JobRecord): number {
  if (!WORKING.has(job.status) || job.cancelRequested) return 0;
  const max = maxWorkersOf(job);
  const prepared = job.status === 'RUNNING' || (job.status === 'QUEUED' && job.startedAt !== null);
  if (!prepared) return max;
  const t = job.tasks;
  const left = t.pending + t.retrying + t.claimed + t.running;
  return Math.min(max, Math.ceil(left / Math.max(1, job.config.compute.concurrency)));
}

/**
 * Estimated ms until the job's work is done at its recent throughput (tasks
 * left × elapsed / tasks done), or null before any task ended.
 */
export function remainingMsOf(job: JobRecord, now: number): number | null {
  const t = job.tasks;
  const done = t.succeeded + t.failed;
  if (job.startedAt === null || done === 0) return null;
  const elapsed = Math.max(0, now - Date.parse(job.startedAt));
  return Math.round(((t.pending + t.retrying + t.claimed + t.running) * elapsed) / done);
}

/** The scheduler's view of one job, given the workers it holds now. */
export function jobDemand(job: JobRecord, held: { workers: number; stopping: number }, ownerLabel: string | null, now: number): JobDemand {
  const heldWorkers = held.workers;
  const remainingMs = remainingMsOf(job, now);
  return {
    jobId: job.jobId,
    name: job.name,
    pool: job.config.compute.dispatcher,
    status: job.status,
    owner: schedulingOwner(job, ownerLabel),
    priority: numericPriority(job.config.priority),
    submittedAt: Date.parse(job.createdAt),
    queuedAt: Date.parse(job.queuedAt ?? job.createdAt),
    perWorker: perWorkerOf(job),
    maxWorkers: maxWorkersOf(job),
    wantWorkers: wantWorkersOf(job),
    heldWorkers,
    stoppingWorkers: held.stopping,
    remainingMs: heldWorkers > 0 ? remainingMs : null,
    runMs: heldWorkers > 0 ? null : remainingMs,
    preemptible: WORKING.has(job.status),
  };
}
