import type { DaemonSettings } from '@djc/core';
import type { PoolCapacity, SchedulerSettings } from '../scheduler/types.js';
import { localPool } from '../scheduler/local-pool.js';

/** The local pool as declared (flags, settings file) or, for what is not, as found on this machine. */
export interface LocalCapacity {
  cpus: number;
  memoryBytes: number;
  gpuIds: number[];
  /** CPU ids workers asking whole CPUs are pinned to (empty: no pinning, see local-pool.ts). */
  cpuIds: number[];
  /** What to tell the operator once (e.g. why workers are not pinned). */
  notes: string[];
  /** "2 cpus, 7.6 GiB, no GPUs of this machine" or "… (declared)". */
  source: 'machine' | 'declared';
}

/**
 * The machine as this process may use it (CPU affinity, cgroup quotas,
 * GPUs; scheduler/local-pool.ts), with what the settings' capacity (already
 * merged with the flags) declares instead.
 */
export function localCapacity(settings: DaemonSettings): LocalCapacity {
  const c = settings.capacity;
  const declared = c.cpus !== undefined || c.memory !== undefined || c.gpus !== undefined;
  const pool = localPool({
    ...(c.cpus === undefined ? {} : { cpus: c.cpus }),
    ...(c.memory === undefined ? {} : { memory: c.memory }),
    ...(c.gpus === undefined ? {} : { gpus: c.gpus }),
  });
  return {
    cpus: pool.capacity.cpus, memoryBytes: pool.capacity.memoryBytes, gpuIds: pool.gpuIds, cpuIds: pool.cpuIds, notes: pool.notes,
    source: declared ? 'declared' : 'machine',
  };
}

/** The pools the scheduler fills: the local one, and Slurm and external by worker count (unlimited by default). */
export function poolsOf(local: LocalCapacity, settings: DaemonSettings): PoolCapacity[] {
  const counted = (max: number | undefined) => ({ cpus: Infinity, memoryBytes: Infinity, gpus: Infinity, maxWorkers: max ?? Infinity });
  return [
    { pool: 'local', cpus: local.cpus, memoryBytes: local.memoryBytes, gpus: local.gpuIds.length, maxWorkers: Infinity },
    { pool: 'slurm', ...counted(settings.pools.slurm?.max_workers) },
    { pool: 'external', ...counted(settings.pools.external?.max_workers) },
  ];
}

export function schedulerSettingsOf(settings: DaemonSettings): SchedulerSettings {
  return {
    agingIntervalMs: settings.aging,
    fairShareHalfLifeMs: settings.fair_share.half_life,
    maxJobs: settings.max_jobs,
    quotas: Object.fromEntries(Object.entries(settings.quotas).map(([owner, q]) => [owner, {
      ...(q.max_jobs === undefined ? {} : { maxJobs: q.max_jobs }),
      ...(q.cpus === undefined ? {} : { cpus: q.cpus }),
    }])),
    preemptAtOrAbove: settings.preempt,
  };
}

/** "2 cpus, 7.6 GiB memory, 0 GPUs of this machine" (or "declared to the coordinator"). */
export function describeCapacity(c: LocalCapacity): string {
  const where = c.source === 'machine' ? 'of this machine' : 'declared to the coordinator';
  return `${c.cpus} cpus, ${gib(c.memoryBytes)} memory, ${c.gpuIds.length} GPUs ${where}`;
}

/** "7.6 GiB". */
export function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1).replace(/\.0$/, '')} GiB`;
}
