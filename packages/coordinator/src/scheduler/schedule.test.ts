import { describe, expect, it } from 'vitest';
import { schedule } from './schedule.js';
import { GiB, MINUTE, demand, localPool, running, settings, snapshot } from './snapshot-fixture.js';
import type { PoolCapacity } from './types.js';

const cpus = (n: number) => ({ cpus: n, memoryBytes: 0, gpus: 0 });

describe('schedule: order', () => {
  it('grants the higher priority first, then the earlier submitted, in whole workers', () => {
    const d = schedule(
      snapshot(
        [
          demand('low', { priority: 10, submittedAt: 0, perWorker: cpus(2), wantWorkers: 4 }),
          demand('late', { priority: 30, submittedAt: 5, perWorker: cpus(2), wantWorkers: 2 }),
          demand('early', { priority: 30, submittedAt: 1, perWorker: cpus(2), wantWorkers: 1 }),
        ],
        { pools: [localPool({ cpus: 7 })] },
      ),
    );
    expect(d.order).toEqual(['early', 'late', 'low']);
    expect(d.grants).toEqual([
      { jobId: 'early', workers: 1 },
      { jobId: 'late', workers: 2 },
    ]);
    expect(d.waiting.get('low')).toMatchObject({ code: 'resources', position: 1, jobsAhead: 0, need: cpus(2), free: expect.objectContaining({ cpus: 1 }) });
    expect(d.waiting.get('low')?.message).toMatch(/^needs 2 cpus, 1 free; 0 jobs ahead/);
  });

  it('grants a running job only what it wants beyond what it holds, in the same order as waiting ones', () => {
    const d = schedule(
      snapshot([running('r', 2, { wantWorkers: 5, maxWorkers: 5, priority: 30 }), demand('w', { priority: 20, wantWorkers: 8 })], {
        pools: [localPool({ cpus: 6 })],
      }),
    );
    expect(d.grants).toEqual([
      { jobId: 'r', workers: 3 },
      { jobId: 'w', workers: 1 },
    ]);
  });

  it('follows a priority change: the raised job goes first on the next tick', () => {
    const jobs = [demand('a', { submittedAt: 1 }), demand('b', { submittedAt: 2 })];
    const pools = [localPool({ cpus: 1 })];
    expect(schedule(snapshot(jobs, { pools })).grants).toEqual([{ jobId: 'a', workers: 1 }]);
    const raised = jobs.map((j) => (j.jobId === 'b' ? { ...j, priority: 30 } : j));
    const d = schedule(snapshot(raised, { pools }));
    expect(d.grants).toEqual([{ jobId: 'b', workers: 1 }]);
    expect(d.order).toEqual(['b', 'a']);
  });

  it('ages a waiting low job one class per interval, so it starts under a stream of high ones', () => {
    const pools = [localPool({ cpus: 1 })];
    const low = demand('low', { priority: 10, submittedAt: 0 });
    const s = settings({ agingIntervalMs: 10 * MINUTE });
    // A new high job arrives every minute; each tick the one free cpu goes to the first in order.
    let started: number | null = null;
    for (let minute = 1; minute <= 40 && started === null; minute++) {
      const high = demand(`high-${minute}`, { priority: 30, submittedAt: minute * MINUTE });
      const d = schedule(snapshot([low, high], { pools, now: minute * MINUTE, settings: s }));
      if (d.grants[0]?.jobId === 'low') started = minute;
    }
    // Two classes (10 → 30) after 20 minutes, and the older submit time wins the tie.
    expect(started).toBe(20);
  });

  it('does not age a job that already holds workers', () => {
    const d = schedule(
      snapshot([running('old', 1, { priority: 10, wantWorkers: 2, queuedAt: 0 }), demand('new', { priority: 20, submittedAt: 50 * MINUTE })], {
        now: 60 * MINUTE,
        pools: [localPool({ cpus: 2 })],
      }),
    );
    expect(d.grants).toEqual([{ jobId: 'new', workers: 1 }]);
  });

  it('shares fairly within a class: the owner with less decayed usage goes first, and the order flips with usage', () => {
    const jobs = [demand('a1', { owner: 'alice', submittedAt: 1 }), demand('b1', { owner: 'bob', submittedAt: 2 })];
    const pools = [localPool({ cpus: 1 })];
    expect(schedule(snapshot(jobs, { pools, usage: { alice: 500, bob: 100 } })).grants).toEqual([{ jobId: 'b1', workers: 1 }]);
    expect(schedule(snapshot(jobs, { pools, usage: { alice: 100, bob: 500 } })).grants).toEqual([{ jobId: 'a1', workers: 1 }]);
    // A higher class still goes first whatever the usage.
    const high = jobs.map((j) => (j.jobId === 'a1' ? { ...j, priority: 30 } : j));
    expect(schedule(snapshot(high, { pools, usage: { alice: 500, bob: 0 } })).grants).toEqual([{ jobId: 'a1', workers: 1 }]);
  });
});

describe('schedule: capacity and limits', () => {
  it('requires cpus, memory, gpus and worker slots to fit at once', () => {
    const pools = [localPool({ cpus: 16, memoryBytes: 8 * GiB, gpus: 1, maxWorkers: 3 })];
    const d = schedule(
      snapshot(
        [
          demand('mem', { perWorker: { cpus: 1, memoryBytes: 3 * GiB, gpus: 0 }, wantWorkers: 5, submittedAt: 1 }),
          demand('gpu', { perWorker: { cpus: 1, memoryBytes: 1 * GiB, gpus: 1 }, wantWorkers: 2, submittedAt: 2 }),
          demand('slot', { wantWorkers: 3, submittedAt: 3 }),
        ],
        { pools },
      ),
    );
    expect(d.grants).toEqual([
      { jobId: 'mem', workers: 2 },
      { jobId: 'gpu', workers: 1 },
    ]);
    expect(d.waiting.get('slot')?.message).toContain('all 3 workers of the local pool are taken');
  });

  it('holds max_jobs: jobs holding workers count, a running job may still grow', () => {
    const d = schedule(
      snapshot([running('r', 1, { wantWorkers: 3, maxWorkers: 3 }), demand('w', { submittedAt: 5 })], {
        settings: settings({ maxJobs: 1 }),
      }),
    );
    expect(d.grants).toEqual([{ jobId: 'r', workers: 2 }]);
    expect(d.waiting.get('w')).toMatchObject({ code: 'max_jobs', message: 'max_jobs reached: 1 job running, limit 1; 0 jobs ahead' });
  });

  it('holds per-owner quotas of jobs and cpus, and lets other owners through', () => {
    const quotas = { alice: { maxJobs: 1 }, bob: { cpus: 3 } };
    const d = schedule(
      snapshot(
        [
          running('a-run', 1, { owner: 'alice' }),
          demand('a-new', { owner: 'alice', submittedAt: 1 }),
          demand('b-big', { owner: 'bob', perWorker: cpus(2), wantWorkers: 4, submittedAt: 2 }),
          demand('b-more', { owner: 'bob', submittedAt: 3 }),
          demand('carol', { owner: 'carol', submittedAt: 4 }),
        ],
        { settings: settings({ quotas }) },
      ),
    );
    expect(d.grants).toEqual([
      { jobId: 'b-big', workers: 1 },
      { jobId: 'b-more', workers: 1 },
      { jobId: 'carol', workers: 1 },
    ]);
    expect(d.waiting.get('a-new')).toMatchObject({ code: 'quota' });
    expect(d.waiting.get('a-new')?.message).toContain('owner alice is at its quota: 1 job running, max_jobs 1');
    // bob's 3 cpus: one 2-cpu worker of b-big, then one of b-more; b-big may not grow past the quota.
    const more = schedule(snapshot([running('b-big', 1, { owner: 'bob', perWorker: cpus(2), wantWorkers: 4 }), demand('b-wide', { owner: 'bob', perWorker: cpus(4), submittedAt: 9 })], { settings: settings({ quotas }) }));
    expect(more.grants).toEqual([]);
    expect(more.waiting.get('b-big')?.message).toMatch(/^owner bob holds 2 of its quota of 3 cpus/);
    expect(more.waiting.get('b-wide')?.message).toMatch(/^one worker needs 4 cpus, more than owner bob's whole quota of 3 cpus/);
  });

  it('says never_fits for a worker larger than the pool, and it does not block the jobs behind it', () => {
    const d = schedule(snapshot([demand('huge', { perWorker: cpus(64), submittedAt: 1 }), demand('small', { submittedAt: 2 })], { pools: [localPool({ cpus: 16 })] }));
    expect(d.grants).toEqual([{ jobId: 'small', workers: 1 }]);
    expect(d.waiting.get('huge')).toMatchObject({ code: 'never_fits', estimatedStartMs: null });
    expect(d.waiting.get('huge')?.message).toBe('can never start: one worker needs 64 cpus, the local pool has 16');
    expect(d.reservation).toBeNull();
  });

  it('keeps pools apart: each job draws on its own pool, a full pool does not hold back another', () => {
    const slurm: PoolCapacity = { pool: 'slurm', cpus: Infinity, memoryBytes: Infinity, gpus: Infinity, maxWorkers: 4 };
    const d = schedule(
      snapshot(
        [
          running('s-run', 3, { pool: 'slurm', priority: 40 }),
          demand('s-new', { pool: 'slurm', wantWorkers: 3, submittedAt: 1, priority: 40 }),
          demand('l-new', { pool: 'local', wantWorkers: 3, submittedAt: 2, perWorker: cpus(32) }),
          demand('l-fit', { pool: 'local', wantWorkers: 2, submittedAt: 3 }),
          demand('ext', { pool: 'external', submittedAt: 4 }),
        ],
        { pools: [localPool({ cpus: 2 }), slurm] },
      ),
    );
    expect(d.grants).toEqual([
      { jobId: 's-new', workers: 1 },
      { jobId: 'l-fit', workers: 2 },
    ]);
    expect(d.waiting.get('l-new')?.code).toBe('never_fits');
    expect(d.waiting.get('ext')?.message).toBe('can never start: no external pool is configured');
  });
});

describe('schedule: wait reasons', () => {
  it('counts jobs ahead and estimates the start from the running jobs’ remaining time', () => {
    const pools = [localPool({ cpus: 4 })];
    const d = schedule(
      snapshot(
        [
          running('r1', 1, { perWorker: cpus(3), remainingMs: 3 * MINUTE }),
          demand('w1', { perWorker: cpus(2), submittedAt: 1, runMs: 10 * MINUTE }),
          demand('w2', { perWorker: cpus(2), submittedAt: 2, runMs: 10 * MINUTE }),
          demand('w3', { perWorker: cpus(4), submittedAt: 3, runMs: 10 * MINUTE }),
        ],
        { pools },
      ),
    );
    expect(d.grants).toEqual([]);
    expect(d.waiting.get('w1')).toMatchObject({ code: 'resources', position: 1, jobsAhead: 0, estimatedStartMs: 3 * MINUTE });
    expect(d.waiting.get('w2')).toMatchObject({ code: 'priority', position: 2, jobsAhead: 1, estimatedStartMs: 3 * MINUTE });
    expect(d.waiting.get('w3')).toMatchObject({ code: 'priority', position: 3, jobsAhead: 2, estimatedStartMs: 13 * MINUTE, free: expect.objectContaining({ cpus: 1 }) });
    expect(d.waiting.get('w3')?.message).toBe('needs 4 cpus, 1 free; 2 jobs ahead; est. start in ~13m from recent throughput');
  });

  it('has no estimate while no running job knows its remaining time', () => {
    const d = schedule(snapshot([running('r', 1, { perWorker: cpus(8) }), demand('w', { submittedAt: 1 })]));
    expect(d.waiting.get('w')).toMatchObject({ estimatedStartMs: null });
    expect(d.waiting.get('w')?.message).toBe('needs 1 cpu, 0 free; 0 jobs ahead; no start estimate yet (no running job has a known remaining time)');
  });
});
