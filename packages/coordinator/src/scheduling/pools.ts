import { availableParallelism, totalmem } from 'node:os';
import type { DaemonSettings } from '@djc/core';
import type { PoolCapacity, SchedulerSettings } from '../scheduler/types.js';

/** The local pool as declared (flags, settings file) or, for what is not, as found on this machine. */
export interface LocalCapacity {
  cpus: number;
  memoryBytes: number;
  gpuIds: number[];
  /** "2 cpus, 7.6 GiB, no GPUs of this machine" or "… (declared)". */
  source: 'machine' | 'declared';
}

/** This machine's CPUs and memory (no GPUs are detected here; declare them with --gpus). */
export function machineCapacity(): LocalCapacity {
  return { cpus: availableParallelism(), memoryBytes: totalmem(), gpuIds: [], source: 'machine' };
}

/** The machine, with what the settings' capacity (already merged with the flags) declares instead. */
export function localCapacity(settings: DaemonSettings): LocalCapacity {
  const machine = machineCapacity();
  const c = settings.capacity;
  const declared = c.cpus !== undefined || c.memory !== undefined || c.gpus !== undefined;
  return {
    cpus: c.cpus ?? machine.cpus,
    memoryBytes: c.memory ?? machine.memoryBytes,
    gpuIds: c.gpus ?? machine.gpuIds,
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
