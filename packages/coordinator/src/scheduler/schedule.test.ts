import { describe, expect, it } from 'vitest';
import { schedule } from './schedule.js';
import { demand, localPool, running, snapshot } from './snapshot-fixture.js';

describe('schedule: order and first fit', () => {
  it('grants the higher priority first, then the earlier submitted, in whole workers', () => {
    const d = schedule(
      snapshot(
        [
          demand('low', { priority: 10, submittedAt: 0, perWorker: { cpus: 2, memoryBytes: 0, gpus: 0 }, wantWorkers: 4 }),
          demand('late', { priority: 30, submittedAt: 5, perWorker: { cpus: 2, memoryBytes: 0, gpus: 0 }, wantWorkers: 2 }),
          demand('early', { priority: 30, submittedAt: 1, perWorker: { cpus: 2, memoryBytes: 0, gpus: 0 }, wantWorkers: 1 }),
        ],
        { pools: [localPool({ cpus: 7 })] },
      ),
    );
    expect(d.order).toEqual(['early', 'late', 'low']);
    expect(d.grants).toEqual([
      { jobId: 'early', workers: 1 },
      { jobId: 'late', workers: 2 },
    ]);
    expect(d.waiting.get('low')?.code).toBe('resources');
  });

  it('grants a running job only what it wants beyond what it holds', () => {
    const d = schedule(snapshot([running('r', 2, { wantWorkers: 5, maxWorkers: 5 })]));
    expect(d.grants).toEqual([{ jobId: 'r', workers: 3 }]);
  });
});
