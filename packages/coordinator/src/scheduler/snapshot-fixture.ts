/**
 * Builders for scheduler snapshots in unit tests and the sched-tick
 * benchmark: a job or pool from the few fields a situation cares about.
 */
import type { JobDemand, PoolCapacity, SchedulerSettings, SchedulerSnapshot } from './types.js';

export const MINUTE = 60_000;
export const GiB = 1024 ** 3;

export function demand(jobId: string, fields: Partial<JobDemand> = {}): JobDemand {
  return {
    jobId,
    name: fields.name ?? jobId,
    pool: 'local',
    status: 'QUEUED',
    owner: 'alice',
    priority: 20,
    submittedAt: 0,
    queuedAt: fields.queuedAt ?? fields.submittedAt ?? 0,
    perWorker: { cpus: 1, memoryBytes: 0, gpus: 0 },
    maxWorkers: 1,
    wantWorkers: fields.wantWorkers ?? fields.maxWorkers ?? 1,
    heldWorkers: 0,
    remainingMs: null,
    runMs: null,
    preemptible: true,
    ...fields,
  };
}

export function running(jobId: string, held: number, fields: Partial<JobDemand> = {}): JobDemand {
  return demand(jobId, { status: 'RUNNING', heldWorkers: held, maxWorkers: held, wantWorkers: held, ...fields });
}

export function localPool(fields: Partial<PoolCapacity> = {}): PoolCapacity {
  return { pool: 'local', cpus: 8, memoryBytes: 64 * GiB, gpus: 0, maxWorkers: Infinity, ...fields };
}

export function settings(fields: Partial<SchedulerSettings> = {}): SchedulerSettings {
  return { agingIntervalMs: 30 * MINUTE, fairShareHalfLifeMs: 60 * MINUTE, maxJobs: null, quotas: {}, preemptAtOrAbove: null, ...fields };
}

export function snapshot(jobs: JobDemand[], fields: Partial<SchedulerSnapshot> = {}): SchedulerSnapshot {
  return { now: 0, pools: [localPool()], jobs, usage: {}, settings: settings(), ...fields };
}
