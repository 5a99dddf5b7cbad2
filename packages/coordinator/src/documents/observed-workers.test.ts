import type { JobRecord, WorkerAllocation, WorkersRecord } from '@djc/core';
import { describe, expect, it } from 'vitest';
import { observedWorkers, workerProcessAlive } from './observed-workers.js';

const alloc = (workerId: string, pid: number, endedAt: string | null = null, host = 'h1'): WorkerAllocation => ({
  workerId, cpus: 1, memoryBytes: 0, gpus: 0, cpuIds: [], gpuIds: [], startedAt: '2026-01-01T00:00:00.000Z', endedAt, host, pid,
});

function job(workers: Partial<WorkersRecord>): JobRecord {
  return {
    workers: {
      dispatcher: 'local', slurmJobIds: [], failures: [], updatedAt: '', summary: 'local processes: 3 running, 1 failed',
      groups: [{ state: 'RUNNING', reason: null, count: 3 }, { state: 'FAILED', reason: null, count: 1 }], ...workers,
    },
  } as unknown as JobRecord;
}

describe('observedWorkers', () => {
  it('counts running local workers of this host whose process is gone as GONE', () => {
    const j = job({ allocations: [alloc('a', 11), alloc('b', 12), alloc('c', 13), alloc('d', 14, '2026-01-01T00:00:01.000Z')] });
    const seen = observedWorkers(j, (pid) => pid === 11, 'h1').workers;
    expect(seen?.groups).toEqual([
      { state: 'RUNNING', reason: null, count: 1 }, { state: 'FAILED', reason: null, count: 1 }, { state: 'GONE', reason: 'process not found', count: 2 },
    ]);
    expect(seen?.summary).toBe('local processes: 1 running, 1 failed, 2 gone (process not found)');
    expect(seen?.allocations?.filter((a) => a.gone).map((a) => a.workerId)).toEqual(['b', 'c']);
    // Applied twice (the CLI and the document builder): the same view.
    expect(observedWorkers({ ...j, workers: seen } as JobRecord, (pid) => pid === 11, 'h1').workers).toEqual(seen);
  });

  it('leaves alone workers of another host, ended ones, Slurm records, and a record where every process lives', () => {
    const other = job({ allocations: [alloc('a', 11, null, 'h2')] });
    expect(observedWorkers(other, () => false, 'h1')).toBe(other);
    const slurm = job({ dispatcher: 'slurm', allocations: [alloc('a', 11)] });
    expect(observedWorkers(slurm, () => false, 'h1')).toBe(slurm);
    const alive = job({ allocations: [alloc('a', 11)] });
    expect(observedWorkers(alive, () => true, 'h1')).toBe(alive);
  });
});

describe('workerProcessAlive', () => {
  it('is true only for a live process whose argv names the worker (a reused pid is not it)', () => {
    expect(workerProcessAlive(process.pid, process.argv[1] ?? '')).toBe(true);
    expect(workerProcessAlive(process.pid, 'host:local:abcdef')).toBe(false);
    expect(workerProcessAlive(2 ** 22 + 7, 'host:local:abcdef')).toBe(false);
  });
});
