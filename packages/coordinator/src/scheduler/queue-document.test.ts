import { describe, expect, it } from 'vitest';
import { buildQueueDocument, percentile } from './queue-document.js';
import { schedule } from './schedule.js';
import { MINUTE, demand, localPool, running, snapshot } from './snapshot-fixture.js';

describe('buildQueueDocument', () => {
  const now = 600 * MINUTE;
  const snap = snapshot(
    [
      demand('waits', { perWorker: { cpus: 2, memoryBytes: 0, gpus: 0 }, submittedAt: 1 }),
      demand('huge', { perWorker: { cpus: 99, memoryBytes: 0, gpus: 0 }, submittedAt: 2, priority: 40 }),
      running('holds', 3, { priority: 10 }),
      demand('granted', { priority: 30, submittedAt: 3 }),
    ],
    { now, pools: [localPool({ cpus: 5 })] },
  );
  const doc = buildQueueDocument({
    snapshot: snap,
    decision: schedule(snap),
    coordinator: 'test',
    recentStarts: [
      { priority: 20, queuedAt: now - 30 * MINUTE, startedAt: now - 20 * MINUTE },
      { priority: 20, queuedAt: now - 10 * MINUTE, startedAt: now - 9 * MINUTE },
      { priority: 20, queuedAt: now - 200 * MINUTE, startedAt: now - 61 * MINUTE },
    ],
  });

  it('lists the jobs holding workers first (granted ones counted), then the waiting ones in grant order', () => {
    expect(doc.jobs.map((e) => [e.jobId, e.workersHeld, e.position, e.reason?.code ?? null])).toEqual([
      ['granted', 1, null, null],
      ['holds', 3, null, null],
      ['huge', 0, null, 'never_fits'],
      ['waits', 0, 1, 'resources'],
    ]);
    expect(doc.pools[0]?.used).toEqual({ cpus: 4, memoryBytes: 0, gpus: 0, workers: 4 });
    expect(doc.at).toBe(new Date(now).toISOString());
  });

  it('counts queued and running per class, and the waits of jobs started in the last hour only', () => {
    expect(doc.classes).toEqual([
      { priority: 'urgent', queued: 1, running: 0, waitP50Ms: null, waitP95Ms: null },
      { priority: 'high', queued: 0, running: 1, waitP50Ms: null, waitP95Ms: null },
      { priority: 'normal', queued: 1, running: 0, waitP50Ms: MINUTE, waitP95Ms: 10 * MINUTE },
      { priority: 'low', queued: 0, running: 1, waitP50Ms: null, waitP95Ms: null },
    ]);
  });

  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i + 1);
    expect([percentile(xs, 0.5), percentile(xs, 0.95), percentile([7], 0.95), percentile([], 0.5)]).toEqual([10, 19, 7, null]);
  });
});
