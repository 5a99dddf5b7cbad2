import type { JobConfig } from '@djc/core';
import { DjcError } from '@djc/core/read';
import { gib } from './pools.js';
import type { PoolCapacity } from '../scheduler/types.js';

/**
 * Why one worker of this config can never start in its pool ("compute.resources.cpus
 * 64 > 16 cpus of this machine"), or null when it fits. `where` says whose
 * capacity it is ("of this machine", "of the running coordinator").
 */
export function neverFitsReason(config: JobConfig, pools: readonly PoolCapacity[], where: string): string | null {
  const pool = pools.find((p) => p.pool === config.compute.dispatcher);
  if (!pool) return null;
  const r = config.compute.resources;
  if (r.cpus > pool.cpus + 1e-9) return `compute.resources.cpus ${r.cpus} > ${pool.cpus} cpus ${where}`;
  if ((r.memory ?? 0) > pool.memoryBytes) return `compute.resources.memory ${gib(r.memory ?? 0)} > ${gib(pool.memoryBytes)} memory ${where}`;
  if (r.gpus > pool.gpus) return `compute.resources.gpus ${r.gpus} > ${pool.gpus} GPUs ${where}`;
  return null;
}

/** Refuses (exit 2) a job, or any stage run of a pipeline, that can never fit. */
export function assertFits(configs: readonly { name: string; config: JobConfig }[], pools: readonly PoolCapacity[], where: string): void {
  for (const { name, config } of configs) {
    const why = neverFitsReason(config, pools, where);
    if (why) {
      throw new DjcError('CONFIG_INVALID', `${name}: one worker can never start: ${why}`, {
        hint: 'lower compute.resources, or give the coordinator more capacity (djc coordinator --cpus/--memory/--gpus or its --config file)',
      });
    }
  }
}
