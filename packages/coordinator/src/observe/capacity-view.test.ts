import { describe, expect, it } from 'vitest';
import { GiB, localPool, running, demand, settings } from '../scheduler/snapshot-fixture.js';
import { capacityRows } from './capacity-view.js';

describe('capacityRows', () => {
  it('total, used and free per pool and resource from what the jobs hold; unlimited dimensions left out', () => {
    const rows = capacityRows({
      now: 0, usage: {}, settings: settings(),
      pools: [localPool({ cpus: 8, memoryBytes: 16 * GiB, gpus: 2 }), { pool: 'slurm', cpus: Infinity, memoryBytes: Infinity, gpus: Infinity, maxWorkers: 10 }],
      jobs: [
        running('a', 3, { perWorker: { cpus: 2, memoryBytes: GiB, gpus: 0 } }),
        running('b', 1, { perWorker: { cpus: 1, memoryBytes: 2 * GiB, gpus: 1 } }),
        demand('queued', { perWorker: { cpus: 4, memoryBytes: 0, gpus: 0 } }), // holds nothing
        running('s', 4, { pool: 'slurm' }),
      ],
    });
    expect(rows).toEqual([
      { pool: 'local', resource: 'cpus', total: 8, used: 7, free: 1 },
      { pool: 'local', resource: 'memory_bytes', total: 16 * GiB, used: 5 * GiB, free: 11 * GiB },
      { pool: 'local', resource: 'gpus', total: 2, used: 1, free: 1 },
      { pool: 'slurm', resource: 'workers', total: 10, used: 4, free: 6 },
    ]);
  });
});
