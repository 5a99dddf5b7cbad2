/**
 * Capacity of each scheduler pool, used and free, from the scheduler's
 * latest snapshot (what the pools hold and what each job's workers hold):
 * the numbers `djc queue` reasons with. A dimension a pool does not limit
 * (Infinity) is left out.
 */
import { freeCapacity, type Free } from '../scheduler/capacity.js';
import type { SchedulerSnapshot } from '../scheduler/types.js';

export interface CapacityRow {
  pool: string;
  /** cpus, memory_bytes, gpus, workers. */
  resource: 'cpus' | 'memory_bytes' | 'gpus' | 'workers';
  total: number;
  used: number;
  free: number;
}

const RESOURCES: readonly [CapacityRow['resource'], keyof Free][] = [
  ['cpus', 'cpus'], ['memory_bytes', 'memoryBytes'], ['gpus', 'gpus'], ['workers', 'workers'],
];

export function capacityRows(snapshot: SchedulerSnapshot): CapacityRow[] {
  const rows: CapacityRow[] = [];
  for (const pool of snapshot.pools) {
    const free = freeCapacity(pool, snapshot.jobs);
    const total: Free = { cpus: pool.cpus, memoryBytes: pool.memoryBytes, gpus: pool.gpus, workers: pool.maxWorkers };
    for (const [resource, key] of RESOURCES) {
      if (!Number.isFinite(total[key])) continue;
      rows.push({ pool: pool.pool, resource, total: total[key], used: total[key] - free[key], free: free[key] });
    }
  }
  return rows;
}
