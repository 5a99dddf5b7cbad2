/**
 * Benchmark: djc side by side with BullMQ + Redis (issue 14).
 *
 * The same N no-op tasks on 2 worker processes, at concurrency 1 and 10:
 * - djc: `djc run` of N one-record tasks (`batch: { records: 1 }`, the no-op
 *   module handler of tasks-per-second, `compute.workers: 2`, `--set
 *   compute.concurrency=C`), in a fresh DJC_HOME, timed from start to exit.
 * - BullMQ: a fresh `redis-server` (Debian's; free 127.0.0.1 port, no
 *   persistence) per run, 2 `node bullmq-worker.mjs` processes (a `Worker`
 *   with `concurrency: C`, a processor returning the job's data), started and
 *   connected first; then N jobs `{ i }` in one `Queue.addBulk`, timed until
 *   the last job completed (its `finishedOn`, the score of the queue's
 *   completed set); then the workers close and exit. Also timed: the whole
 *   (spawning the workers → both exited), comparable to `djc run`'s start →
 *   exit, and first → last job completed.
 * CPU: djc = user + sys of `djc run` and its workers (GNU time); BullMQ = the
 * two workers (GNU time) + redis-server (/proc/PID/stat) + the producer's
 * addBulk (process.cpuUsage of this script). Peak RSS of every process
 * (GNU time, or VmHWM sampled every 100 ms from /proc).
 * Runs are interleaved: djc c1, BullMQ c1, djc c10, BullMQ c10; again…, the
 * 1-minute load average recorded at each run's start.
 * Then the same with tasks that wait: BENCH_WAIT_TASKS tasks whose handler
 * (and BullMQ processor) awaits a BENCH_WAIT_MS timer before it returns, as
 * a task waiting on I/O does: where concurrency can help on 2 cores.
 *
 * Env: BENCH_TASKS (20000), BENCH_REPS (3), BENCH_WAIT_TASKS (2000),
 * BENCH_WAIT_MS (5).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { runJob, writeJob } from './djc-job.mjs';
import { main, median, note, ROOT, round, tempDir } from './lib.mjs';
import { sampleTree } from './proc-tree.mjs';
import { REDIS_BIN } from './bullmq-redis.mjs';
import { runBullmq } from './bullmq-run.mjs';

const N = Number(process.env.BENCH_TASKS ?? 20000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const CONCURRENCIES = [1, 10];
const WORKERS = 2;
const WAIT_N = Number(process.env.BENCH_WAIT_TASKS ?? 2000);
const WAIT_MS = Number(process.env.BENCH_WAIT_MS ?? 5);

/** Names a process of a `djc run` tree; null for GNU time around it. */
function djcLabel(argv) {
  if (basename(argv[0]) === 'time') return null;
  if (argv.includes('--job')) return 'worker';
  if (argv.includes('run')) return 'djc run';
  if (argv.some((a) => a.endsWith('module-probe-child.js'))) return 'module probe';
  return basename(argv[1] ?? argv[0]);
}

async function runDjc(dir, jobFile, c, rep, n = N) {
  const load1 = round(loadavg()[0], 2);
  let sampler;
  const r = await runJob(jobFile, join(dir, `home-c${c}-${rep}-${n}`), [`compute.concurrency=${c}`], {}, (child) => {
    sampler = sampleTree(child.pid, djcLabel);
  });
  const procs = sampler.stop();
  if (r.doc.records.processed !== n || r.doc.tasks.succeeded !== n) {
    throw new Error(`djc c${c}: ${r.doc.tasks.succeeded} tasks succeeded, ${r.doc.records.processed} records processed, want ${n}`);
  }
  return {
    rep,
    load1,
    wallMs: round(r.wallMs, 0),
    steadyMs: r.phases.tasksMs,
    startupMs: r.phases.startupMs + r.phases.toFirstTaskMs,
    cpuMs: r.cpuMs === null ? null : round(r.cpuMs, 0),
    procs: procs.map((p) => ({ label: p.label, peakRssKiB: p.peakRssKiB })),
  };
}

/** Medians over the runs of one system at one concurrency (of `n` tasks each). */
function summarize(runs, fields, n = N) {
  const out = { runs: runs.length };
  for (const f of fields) {
    const xs = runs.map((r) => r[f]);
    out[f] = xs.every((x) => typeof x === 'number') ? round(median(xs), 0) : null;
  }
  out.cpuMsPerTask = out.cpuMs === null ? null : round(out.cpuMs / n, 3);
  // Peak RSS by process role: the largest over the runs and processes of that role.
  const peaks = {};
  for (const r of runs) for (const p of r.procs) peaks[p.label] = Math.max(peaks[p.label] ?? 0, p.peakRssKiB ?? 0);
  out.peakRssKiB = peaks;
  return out;
}

function redisVersion() {
  try {
    return /v=(\S+)/.exec(execFileSync(REDIS_BIN, ['--version'], { encoding: 'utf8' }))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** REPS interleaved rounds (djc c1, BullMQ c1, djc c10, BullMQ c10) of `n` tasks, the processor awaiting `waitMs` first; medians per concurrency. */
async function rounds(dir, jobFile, n, waitMs) {
  const runs = Object.fromEntries(CONCURRENCIES.map((c) => [c, { djc: [], bullmq: [] }]));
  for (let rep = 1; rep <= REPS; rep++) {
    for (const c of CONCURRENCIES) {
      const d = await runDjc(dir, jobFile, c, rep, n);
      runs[c].djc.push(d);
      note(`#${rep} djc c${c}: ${(d.wallMs / 1000).toFixed(2)} s start → exit, CPU ${d.cpuMs} ms (load ${d.load1})`);
      const b = await runBullmq(dir, { n, workers: WORKERS, concurrency: c, rep, waitMs });
      runs[c].bullmq.push(b);
      note(`#${rep} BullMQ c${c}: ${(b.enqueueToDoneMs / 1000).toFixed(2)} s addBulk → last completed, ${(b.wholeMs / 1000).toFixed(2)} s whole, CPU ${b.cpuMs} ms (load ${b.load1})`);
    }
  }
  return CONCURRENCIES.map((c) => {
    const djc = summarize(runs[c].djc, ['wallMs', 'steadyMs', 'startupMs', 'cpuMs'], n);
    const bullmq = summarize(runs[c].bullmq, ['enqueueMs', 'enqueueToDoneMs', 'wholeMs', 'steadyMs', 'cpuMs'], n);
    const speed = (peerMs, djcMs) => round(peerMs / djcMs, 2);
    return {
      concurrency: c,
      djc: { ...djc, tasksPerSec: round(n / (djc.wallMs / 1000), 0), all: runs[c].djc },
      bullmq: { ...bullmq, tasksPerSec: round(n / (bullmq.enqueueToDoneMs / 1000), 0), all: runs[c].bullmq },
      /** djc's speed over BullMQ's (> 1: djc is faster): BullMQ's time / djc's time. */
      ratios: {
        endToEnd: speed(bullmq.enqueueToDoneMs, djc.wallMs),
        whole: speed(bullmq.wholeMs, djc.wallMs),
        steady: speed(bullmq.steadyMs, djc.steadyMs),
        cpuPerTask: djc.cpuMs === null || bullmq.cpuMs === null ? null : round(djc.cpuMs / bullmq.cpuMs, 2),
      },
    };
  });
}

main('bullmq', async () => {
  const tmp = await tempDir('bullmq');
  try {
    const { dir } = tmp;
    await writeFile(join(dir, 'noop.mjs'), 'export async function noop(records) { return records; }\n');
    await writeFile(join(dir, 'tasks.jsonl'), Array.from({ length: N }, (_, i) => `{"i":${i}}\n`).join(''));
    const jobFile = await writeJob(dir, 'noop.yaml', { name: 'noop', input: 'tasks.jsonl', records: 1, handler: ['module: ./noop.mjs#noop'], workers: WORKERS });
    const bullmqVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules/bullmq/package.json'), 'utf8')).version;
    note(`bullmq: ${N} no-op tasks, ${WORKERS} workers, concurrency ${CONCURRENCIES.join(' and ')}: djc vs BullMQ ${bullmqVersion} + Redis ${redisVersion()}; ${REPS} rounds`);

    const byConcurrency = await rounds(dir, jobFile, N, 0);
    // Tasks that wait (a timer, as for I/O): the handler and the processor await WAIT_MS before they return.
    await writeFile(join(dir, 'wait.mjs'), `export async function wait(records) { await new Promise((r) => setTimeout(r, ${WAIT_MS})); return records; }\n`);
    await writeFile(join(dir, 'wait.jsonl'), Array.from({ length: WAIT_N }, (_, i) => `{"i":${i}}\n`).join(''));
    const waitJob = await writeJob(dir, 'wait.yaml', { name: 'wait', input: 'wait.jsonl', records: 1, handler: ['module: ./wait.mjs#wait'], workers: WORKERS });
    note(`bullmq: ${WAIT_N} tasks that wait ${WAIT_MS} ms each, the same way`);
    const waiting = { tasks: WAIT_N, waitMs: WAIT_MS, byConcurrency: await rounds(dir, waitJob, WAIT_N, WAIT_MS) };
    return {
      tasks: N,
      workers: WORKERS,
      reps: REPS,
      versions: { bullmq: bullmqVersion, redis: redisVersion() },
      targets: { speedRatio: 1, cpuMsPerTask: 0.35 },
      byConcurrency,
      waiting,
    };
  } finally {
    await tmp.remove();
  }
});
