import { describe, expect, it } from 'vitest';
import { schedule } from './schedule.js';
import { demand, localPool, running, settings, snapshot } from './snapshot-fixture.js';
import type { JobDemand } from './types.js';

const cpus = (n: number) => ({ cpus: n, memoryBytes: 0, gpus: 0 });
const pools = [localPool({ cpus: 4 })];
const urgentOnly = settings({ preemptAtOrAbove: 40 });
const urgent = (fields: Partial<JobDemand> = {}) => demand('urgent', { priority: 40, submittedAt: 100, ...fields });

describe('preemption', () => {
  it('takes workers of the lowest priority first, just enough for one worker', () => {
    const d = schedule(
      snapshot([running('low', 2, { priority: 10, queuedAt: 0 }), running('normal', 2, { priority: 20, queuedAt: 5 }), urgent({ perWorker: cpus(2) })], {
        pools,
        settings: urgentOnly,
      }),
    );
    expect(d.grants).toEqual([]);
    expect(d.preemptions).toEqual([{ jobId: 'low', workers: 2, forJobId: 'urgent' }]);
    expect(d.waiting.get('urgent')?.message).toContain('taking back 2 workers of low');
  });

  it('among equal priorities takes the youngest (last queued) first, and up to the job’s want', () => {
    const d = schedule(
      snapshot([running('older', 2, { priority: 10, queuedAt: 0 }), running('younger', 2, { priority: 10, queuedAt: 50 }), urgent({ wantWorkers: 3, maxWorkers: 3 })], {
        pools,
        settings: urgentOnly,
      }),
    );
    expect(d.preemptions).toEqual([
      { jobId: 'younger', workers: 2, forJobId: 'urgent' },
      { jobId: 'older', workers: 1, forJobId: 'urgent' },
    ]);
  });

  it('never preempts for a job that fits, nor below the threshold, nor when off', () => {
    const low = running('low', 3, { priority: 10 });
    expect(schedule(snapshot([low, urgent()], { pools, settings: urgentOnly }))).toMatchObject({ grants: [{ jobId: 'urgent', workers: 1 }], preemptions: [] });
    const full = running('low', 4, { priority: 10 });
    expect(schedule(snapshot([full, urgent({ priority: 30 })], { pools, settings: urgentOnly })).preemptions).toEqual([]);
    expect(schedule(snapshot([full, urgent()], { pools })).preemptions).toEqual([]);
    expect(schedule(snapshot([full, urgent({ priority: 30 })], { pools, settings: settings({ preemptAtOrAbove: 30 }) })).preemptions).toHaveLength(1);
  });

  it('spares jobs that are not preemptible or not of lower priority, and takes nothing when that cannot make room', () => {
    const d = schedule(
      snapshot([running('pinned', 2, { priority: 10, preemptible: false }), running('peer', 1, { priority: 40 }), running('low', 1, { priority: 10 }), urgent({ perWorker: cpus(2) })], {
        pools,
        settings: urgentOnly,
      }),
    );
    expect(d.preemptions).toEqual([]);
  });

  it('keeps backfill off what the preempting job will start on once the workers exit', () => {
    const d = schedule(
      snapshot(
        [
          running('low', 2, { priority: 10, perWorker: cpus(2), remainingMs: 60 * 60_000 }),
          urgent({ perWorker: cpus(3) }),
          demand('short-1', { submittedAt: 101, runMs: 60_000 }),
          demand('short-2', { submittedAt: 102, runMs: 60_000 }),
        ],
        { pools: [localPool({ cpus: 6 })], settings: urgentOnly },
      ),
    );
    // 2 cpus free now, 4 once one 2-cpu worker of low exits; urgent takes 3: one cpu to spare.
    expect(d.preemptions).toEqual([{ jobId: 'low', workers: 1, forJobId: 'urgent' }]);
    expect(d.grants).toEqual([{ jobId: 'short-1', workers: 1 }]);
    expect(d.waiting.get('short-2')?.code).toBe('reservation');
  });

  it('does not preempt again while workers asked to stop are still stopping', () => {
    const stopping = running('low', 4, { priority: 10, stoppingWorkers: 1 });
    expect(schedule(snapshot([stopping, urgent()], { pools, settings: urgentOnly })).preemptions).toEqual([]);
    const twoUrgent = [running('low', 4, { priority: 10 }), urgent(), demand('urgent2', { priority: 40, submittedAt: 101 })];
    expect(schedule(snapshot(twoUrgent, { pools, settings: urgentOnly })).preemptions).toEqual([
      { jobId: 'low', workers: 1, forJobId: 'urgent' },
      { jobId: 'low', workers: 1, forJobId: 'urgent2' },
    ]);
  });
});
