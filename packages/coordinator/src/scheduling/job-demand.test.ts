import { describe, expect, it } from 'vitest';
import { emptyCounts, type JobRecord } from '@djc/core';
import { JobConfigSchema } from '@djc/core/schemas';
import { jobDemand, wantWorkersOf } from './job-demand.js';

function job(over: Partial<JobRecord> = {}, compute: Record<string, unknown> = {}): JobRecord {
  const config = JobConfigSchema.parse({
    name: 'j', input: { path: '/in.jsonl' }, handler: { command: 'cat' }, compute: { workers: 4, ...compute }, labels: { team: 'ml' },
  });
  return {
    jobId: 'j-1', name: 'j', status: 'RUNNING', kind: 'job', parentId: null, stage: null, pipeline: null, reason: null, after: null,
    owner: 'alice', queuedAt: null, backend: 'local', config, configPath: '/j.yaml', mode: 'daemon', createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:10.000Z', endedAt: null, error: null, tasks: emptyCounts(), records: { total: 0, processed: 0, bad: 0 },
    outputPath: null, cancelRequested: false, coordinator: null, workers: null, version: 1, requests: {}, retries: [], ...over,
  };
}

describe('what a job asks of the scheduler', () => {
  it('not prepared yet: all its workers (tasks are coming)', () => {
    expect(wantWorkersOf(job({ status: 'SUBMITTED', startedAt: null }))).toBe(4);
    expect(wantWorkersOf(job({ status: 'QUEUED', startedAt: null }))).toBe(4);
    expect(wantWorkersOf(job({ status: 'PREPARING' }))).toBe(4);
  });

  it('prepared: one worker per concurrency slots of unfinished tasks, 0 once none is left', () => {
    const t = (o: Partial<JobRecord['tasks']>) => ({ ...emptyCounts(), ...o });
    expect(wantWorkersOf(job({ tasks: t({ pending: 10 }) }))).toBe(4);
    expect(wantWorkersOf(job({ tasks: t({ running: 2 }) }))).toBe(2);
    expect(wantWorkersOf(job({ tasks: t({ pending: 5 }) }, { concurrency: 4 }))).toBe(2);
    expect(wantWorkersOf(job({ status: 'QUEUED', tasks: t({ pending: 1 }) }))).toBe(1);
    expect(wantWorkersOf(job({ tasks: t({ succeeded: 9 }) }))).toBe(0);
  });

  it('ended, cancelled or paused: none', () => {
    expect(wantWorkersOf(job({ status: 'SUCCEEDED' }))).toBe(0);
    expect(wantWorkersOf(job({ cancelRequested: true, tasks: { ...emptyCounts(), pending: 3 } }))).toBe(0);
    expect(wantWorkersOf(job({ status: 'PAUSED', tasks: { ...emptyCounts(), pending: 3 } }))).toBe(0);
  });

  it('priority, owner (or its label), queue time and size come from the record', () => {
    const j = job({ queuedAt: '2026-01-01T00:01:00.000Z', config: { ...job().config, priority: 'high' } }, { resources: { cpus: 2, gpus: 1 } });
    const d = jobDemand(j, { workers: 1, stopping: 0 }, null, Date.parse('2026-01-01T00:02:00.000Z'));
    expect(d).toMatchObject({ owner: 'alice', priority: 30, queuedAt: Date.parse('2026-01-01T00:01:00.000Z'), heldWorkers: 1, maxWorkers: 4 });
    expect(jobDemand(job({}, { resources: { cpus: 2, gpus: 1 } }), { workers: 0, stopping: 0 }, 'team', 0)).toMatchObject({
      owner: 'ml', perWorker: { cpus: 2, memoryBytes: 0, gpus: 1 }, priority: 20,
    });
  });

  it('remaining time from its throughput once a task ended', () => {
    const running = job({ tasks: { ...emptyCounts(), succeeded: 2, pending: 4 } });
    expect(jobDemand(running, { workers: 2, stopping: 0 }, null, Date.parse('2026-01-01T00:00:20.000Z')).remainingMs).toBe(20_000);
    expect(jobDemand(job(), { workers: 2, stopping: 0 }, null, 0).remainingMs).toBeNull();
  });
});
