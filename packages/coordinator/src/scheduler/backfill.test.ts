import { describe, expect, it } from 'vitest';
import { schedule } from './schedule.js';
import { GiB, MINUTE, demand, localPool, running, settings, snapshot } from './snapshot-fixture.js';

/** No aging in the simulation: the order must not change while it runs, so strict order is a fair comparison. */
const noAging = settings({ agingIntervalMs: Infinity });
import type { JobDemand, PoolCapacity, WorkerResources } from './types.js';

const cpus = (n: number): WorkerResources => ({ cpus: n, memoryBytes: 0, gpus: 0 });

describe('backfill with a reservation for the head job', () => {
  const pools = [localPool({ cpus: 8 })];
  const busy = running('r', 1, { perWorker: cpus(6), remainingMs: 10 * MINUTE, priority: 30 });
  const head = demand('head', { perWorker: cpus(8), submittedAt: 1, runMs: 30 * MINUTE });

  it('starts a small job that ends before the head’s reservation', () => {
    const d = schedule(snapshot([busy, head, demand('short', { perWorker: cpus(2), submittedAt: 2, runMs: 5 * MINUTE, priority: 10 })], { pools }));
    expect(d.reservation).toEqual({ jobId: 'head', startAt: 10 * MINUTE });
    expect(d.grants).toEqual([{ jobId: 'short', workers: 1 }]);
    expect(d.waiting.get('head')?.estimatedStartMs).toBe(10 * MINUTE);
  });

  it('holds back a job that would outlive the reservation and use what the head needs', () => {
    const d = schedule(snapshot([busy, head, demand('long', { perWorker: cpus(2), submittedAt: 2, runMs: 60 * MINUTE, priority: 10 })], { pools }));
    expect(d.grants).toEqual([]);
    expect(d.waiting.get('long')).toMatchObject({ code: 'reservation', jobsAhead: 1 });
    expect(d.waiting.get('long')?.message).toContain('fits now, but would delay head, which has the reservation (est. in ~10m)');
  });

  it('starts a long job on capacity the head will not need at its reservation', () => {
    const small = demand('head', { perWorker: cpus(4), submittedAt: 1, runMs: 30 * MINUTE });
    const d = schedule(
      snapshot([busy, small, demand('long', { perWorker: cpus(1), wantWorkers: 4, submittedAt: 2, runMs: 60 * MINUTE })], {
        pools: [localPool({ cpus: 9 })],
      }),
    );
    // Free now 3 (of 9); at 10m 9, the head takes 4: 5 spare, but only 3 fit now.
    expect(d.grants).toEqual([{ jobId: 'long', workers: 3 }]);
  });

  it('does not backfill on capacity the head may need while a running job has no estimate', () => {
    const unknown = { ...busy, remainingMs: null };
    const d = schedule(snapshot([unknown, head, demand('short', { perWorker: cpus(2), submittedAt: 2, runMs: 1 })], { pools }));
    expect(d.grants).toEqual([]);
    expect(d.reservation).toBeNull();
    expect(d.waiting.get('short')?.code).toBe('reservation');
  });

  it('still backfills, without estimates, capacity the head can never use (memory it does not ask for)', () => {
    const pool = [localPool({ cpus: 8, memoryBytes: 16 * GiB })];
    const unknown = running('r', 1, { perWorker: { cpus: 2, memoryBytes: 12 * GiB, gpus: 0 }, remainingMs: null });
    const memHead = demand('head', { perWorker: { cpus: 1, memoryBytes: 8 * GiB, gpus: 0 }, submittedAt: 1 });
    const cpuJob = demand('cpu', { perWorker: { cpus: 4, memoryBytes: 0, gpus: 0 }, submittedAt: 2 });
    const d = schedule(snapshot([unknown, memHead, cpuJob], { pools: pool }));
    // Head short on memory (4GiB free, needs 8); the cpu job asks no memory and leaves the head its cpu.
    expect(d.grants).toEqual([{ jobId: 'cpu', workers: 1 }]);
  });
});

/** A seeded generator (mulberry32), so a failing scenario can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimJob {
  id: string;
  per: WorkerResources;
  runMs: number;
  priority: number;
  submittedAt: number;
  /** The scheduler is not told its run time (no estimate yet). */
  hidden?: boolean;
}

/** Run rigid one-worker jobs to completion with exact estimates; the start time of each. */
function simulate(pool: PoolCapacity, jobs: SimJob[], busy: { per: WorkerResources; endsAt: number; hidden?: boolean }[]): Map<string, number> {
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  let now = 0;
  for (let guard = 0; guard < 1000 && starts.size < jobs.length; guard++) {
    const demands: JobDemand[] = busy
      .filter((b) => b.endsAt > now)
      .map((b, i) => running(`busy-${i}`, 1, { perWorker: b.per, remainingMs: b.hidden ? null : b.endsAt - now, priority: 99 }));
    for (const j of jobs) {
      const end = ends.get(j.id);
      if (end === undefined) demands.push(demand(j.id, { perWorker: j.per, runMs: j.hidden ? null : j.runMs, priority: j.priority, submittedAt: j.submittedAt }));
      else if (end > now) demands.push(running(j.id, 1, { perWorker: j.per, remainingMs: j.hidden ? null : end - now, priority: j.priority }));
    }
    for (const g of schedule(snapshot(demands, { now, pools: [pool], settings: noAging })).grants) {
      const job = jobs.find((j) => j.id === g.jobId)!;
      starts.set(job.id, now);
      ends.set(job.id, now + job.runMs);
    }
    const next = [...ends.values(), ...busy.map((b) => b.endsAt)].filter((t) => t > now);
    if (next.length === 0) break;
    now = Math.min(...next);
  }
  return starts;
}

describe('backfill never delays the head job (simulation)', () => {
  it.each([
    ['every estimate known', 0, 100],
    ['a third of the estimates unknown', 1 / 3, 40],
  ])('starts the first head no later than strict order would, over 300 random workloads (%s)', (_what, hiddenShare, minBackfilled) => {
    const pool: PoolCapacity = { pool: 'local', cpus: 8, memoryBytes: 32 * GiB, gpus: 2, maxWorkers: 6 };
    let backfilled = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const size = (): WorkerResources => ({ cpus: 1 + Math.floor(r() * 8), memoryBytes: Math.floor(r() * 5) * 4 * GiB, gpus: r() < 0.2 ? 1 + Math.floor(r() * 2) : 0 });
      const busy = Array.from({ length: 3 }, () => ({ per: { cpus: 1 + Math.floor(r() * 3), memoryBytes: 4 * GiB, gpus: 0 }, endsAt: (1 + Math.floor(r() * 30)) * MINUTE, hidden: r() < hiddenShare }));
      const jobs: SimJob[] = Array.from({ length: 12 }, (_, i) => ({
        id: `j${String(i).padStart(2, '0')}`,
        per: size(),
        runMs: (1 + Math.floor(r() * 60)) * MINUTE,
        priority: [10, 20, 30][Math.floor(r() * 3)]!,
        submittedAt: i,
        hidden: r() < hiddenShare,
      }));
      const first = schedule(snapshot(
        [...busy.map((b, i) => running(`busy-${i}`, 1, { perWorker: b.per, remainingMs: b.hidden ? null : b.endsAt, priority: 99 })), ...jobs.map((j) => demand(j.id, { perWorker: j.per, runMs: j.hidden ? null : j.runMs, priority: j.priority, submittedAt: j.submittedAt }))],
        { pools: [pool], settings: noAging },
      ));
      // The head: the first job that does not fit (with unknown estimates it has no reservation time).
      const headId = first.order.find((id) => first.waiting.get(id)?.code === 'resources');
      if (!headId) continue;
      const withBackfill = simulate(pool, jobs, busy);
      const upToHead = new Set(first.order.slice(0, first.order.indexOf(headId) + 1));
      const strict = simulate(pool, jobs.filter((j) => upToHead.has(j.id)), busy);
      expect(withBackfill.get(headId), `seed ${seed}`).toBeLessThanOrEqual(strict.get(headId)!);
      if (jobs.some((j) => !upToHead.has(j.id) && (withBackfill.get(j.id) ?? Infinity) < withBackfill.get(headId)!)) backfilled++;
    }
    // The property is not vacuous: jobs behind the head did start before it in many workloads.
    expect(backfilled).toBeGreaterThan(minBackfilled);
  });
});
