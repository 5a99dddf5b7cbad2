/**
 * Benchmark 10: one scheduling tick (issue 11). A snapshot of 10,000 queued
 * jobs (40 owners, the four priority classes and a few integers, 0.5 to 8
 * cpus, some memory and GPUs, in the local, Slurm and external pools) and a
 * few hundred running ones holding most of the capacity, most with
 * estimates: `schedule(snapshot)` alone, and with the queue document built
 * and serialized as the daemon writes it. N ticks after a warm-up, each at a
 * later `now` (so aging moves); median and p95.
 *
 * Env: BENCH_SCHED_JOBS (10000 queued), BENCH_SCHED_RUNNING (300),
 * BENCH_SCHED_TICKS (50), BENCH_SCHED_SEED (11).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main, median, note, ROOT, round, seededRandom } from './lib.mjs';

const QUEUED = Number(process.env.BENCH_SCHED_JOBS ?? 10000);
const RUNNING = Number(process.env.BENCH_SCHED_RUNNING ?? 300);
const TICKS = Number(process.env.BENCH_SCHED_TICKS ?? 50);
const SEED = Number(process.env.BENCH_SCHED_SEED ?? 11);
const GiB = 1024 ** 3;
const MINUTE = 60_000;

function snapshotOf(r, t0) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const pools = [
    { pool: 'local', cpus: 64, memoryBytes: 256 * GiB, gpus: 4, maxWorkers: Infinity },
    { pool: 'slurm', cpus: Infinity, memoryBytes: Infinity, gpus: Infinity, maxWorkers: 400 },
    { pool: 'external', cpus: Infinity, memoryBytes: Infinity, gpus: Infinity, maxWorkers: 40 },
  ];
  const job = (i, running) => {
    const pool = r() < 0.6 ? 'local' : r() < 0.85 ? 'slurm' : 'external';
    const maxWorkers = pick([1, 1, 2, 4, 8, 16]);
    const held = running ? 1 + Math.floor(r() * maxWorkers) : 0;
    const submittedAt = t0 - Math.floor(r() * 120 * MINUTE);
    return {
      jobId: `${running ? 'run' : 'job'}-${String(i).padStart(5, '0')}`,
      name: `job ${i}`,
      pool,
      status: running ? 'RUNNING' : 'QUEUED',
      owner: `user${Math.floor(r() * 40)}`,
      priority: pick([10, 20, 20, 20, 30, 40, 15, 25]),
      submittedAt,
      queuedAt: submittedAt,
      perWorker: { cpus: pick([0.5, 1, 1, 2, 4, 8]), memoryBytes: pick([0, 0, 1, 4, 16]) * GiB, gpus: r() < 0.05 ? 1 : 0 },
      maxWorkers,
      wantWorkers: running ? Math.min(maxWorkers, held + (r() < 0.3 ? 1 : 0)) : maxWorkers,
      heldWorkers: held,
      remainingMs: r() < 0.9 ? Math.floor(r() * 30 * MINUTE) : null,
      runMs: r() < 0.8 ? Math.floor(r() * 60 * MINUTE) : null,
      preemptible: r() < 0.8,
    };
  };
  const jobs = [...Array.from({ length: RUNNING }, (_, i) => job(i, true)), ...Array.from({ length: QUEUED }, (_, i) => job(i, false))];
  const usage = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`user${i}`, Math.floor(r() * 100000)]));
  const settings = { agingIntervalMs: 30 * MINUTE, fairShareHalfLifeMs: 24 * 60 * MINUTE, maxJobs: null, quotas: { user1: { maxJobs: 3 }, user2: { cpus: 8 } }, preemptAtOrAbove: 40 };
  return { now: t0, pools, jobs, usage, settings };
}

function p95(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}

main('sched-tick', async () => {
  const coordinator = await import(pathToFileURL(join(ROOT, 'packages/coordinator/dist/index.js')).href);
  const { schedule, buildQueueDocument, queueJson } = coordinator;
  const t0 = Date.parse('2026-01-01T12:00:00Z');
  const base = snapshotOf(seededRandom(SEED), t0);
  const tick = [];
  const withDoc = [];
  let last;
  for (let i = -5; i < TICKS; i++) {
    const snapshot = { ...base, now: t0 + Math.max(0, i) * 5000 };
    const a = performance.now();
    const decision = schedule(snapshot);
    const b = performance.now();
    const text = queueJson(buildQueueDocument({ snapshot, decision, coordinator: 'bench', recentStarts: [] }));
    const c = performance.now();
    if (i >= 0) {
      tick.push(b - a);
      withDoc.push(c - a);
    }
    last = { decision, bytes: Buffer.byteLength(text) };
  }
  note(`schedule: median ${round(median(tick), 1)} ms, p95 ${round(p95(tick), 1)} ms; with the document: median ${round(median(withDoc), 1)} ms`);
  return {
    queued: QUEUED,
    running: RUNNING,
    ticks: TICKS,
    grants: last.decision.grants.length,
    preemptions: last.decision.preemptions.length,
    waiting: last.decision.waiting.size,
    documentBytes: last.bytes,
    tick: { medianMs: round(median(tick), 2), p95Ms: round(p95(tick), 2) },
    withDocument: { medianMs: round(median(withDoc), 2), p95Ms: round(p95(withDoc), 2) },
    aimMs: 50,
  };
});
