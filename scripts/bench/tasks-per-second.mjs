/**
 * Benchmark 1: no-op module tasks per second.
 *
 * N one-record tasks (a JSONL of N lines, batch.records 1) with a no-op .mjs
 * handler on 2 local workers, `djc run` end to end (submit, prepare, run,
 * finalize, exit), median of BENCH_REPS runs. In the same run, for
 * comparison: a 1-task job (the fixed cost every job pays: Node startup,
 * SQLite schema, spawning workers, their startup) and 2,000 tasks on a
 * single worker (per-task cost without two workers competing for the lock).
 * The 2-worker run is repeated at each compute.concurrency of
 * BENCH_CONCURRENCY (interleaved: 1, 10, 1, 10, ...), so concurrency is
 * seen to help or hurt on the same machine in the same minutes.
 *
 * Env: BENCH_TASKS (default 20000), BENCH_REPS (default 3), BENCH_CONCURRENCY (default "1,10").
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { runJob, writeJob } from './djc-job.mjs';
import { main, median, note, round, tempDir } from './lib.mjs';

const N = Number(process.env.BENCH_TASKS ?? 20000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SINGLE_N = Math.min(2000, N);
const GOAL = 2000;
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,10').split(',').map(Number);

async function writeLines(file, n) {
  const lines = Array.from({ length: n }, (_, i) => `{"i":${i}}\n`);
  await writeFile(file, lines.join(''));
}

/** One run of `jobFile` in a fresh DJC_HOME, with the load average at its start. */
async function once(dir, label, jobFile, n, i, sets) {
  const load = round(loadavg()[0], 1);
  const r = await runJob(jobFile, join(dir, `home-${label.replace(/[ ,]/g, '-')}-${i}`), sets);
  if (r.doc.records.processed !== n) throw new Error(`${label}: ${r.doc.records.processed} records processed, want ${n}`);
  note(`${label} #${i + 1}: ${n} tasks in ${(r.wallMs / 1000).toFixed(2)} s, CPU ${r.cpuMs === null ? 'n/a' : `${(r.cpuMs / n).toFixed(3)} ms/task`} (load ${load})`);
  return { ...r, load };
}

/** Runs `jobFile` `reps` times, each in a fresh DJC_HOME; the median run by wall time. */
async function repeat(dir, label, jobFile, n, reps, sets = []) {
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await once(dir, label, jobFile, n, i, sets));
  return summary(runs, n);
}

/** The runs' wall times and loads, and the median run (by wall time) with its CPU and phases. */
function summary(runs, n) {
  const mid = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)];
  return {
    tasks: n,
    runs: runs.length,
    wallMsAll: runs.map((r) => round(r.wallMs, 0)),
    cpuMsAll: runs.map((r) => (r.cpuMs === null ? null : round(r.cpuMs, 0))),
    loadAll: runs.map((r) => r.load),
    maxRssKiBAll: runs.map((r) => r.maxRssKiB ?? null),
    wallMs: round(median(runs.map((r) => r.wallMs)), 0),
    cpuMs: mid.cpuMs === null ? null : round(mid.cpuMs, 0),
    phases: mid.phases,
  };
}

main('tasks-per-second', async () => {
  const tmp = await tempDir('tasks');
  try {
    const { dir } = tmp;
    await writeFile(join(dir, 'noop.mjs'), 'export async function noop(records) { return records; }\n');
    await writeLines(join(dir, 'tasks.jsonl'), N);
    await writeLines(join(dir, 'one.jsonl'), 1);
    await writeLines(join(dir, 'single.jsonl'), SINGLE_N);
    const handler = ['module: ./noop.mjs#noop'];
    const job = (name, input, workers) => writeJob(dir, `${name}.yaml`, { name, input, records: 1, handler, workers });

    note(`tasks-per-second: ${N} no-op tasks on 2 workers at concurrency ${CONCURRENCY.join(' and ')}, ${REPS} runs each, interleaved`);
    const noop = await job('noop', 'tasks.jsonl', 2);
    const byConcurrency = new Map(CONCURRENCY.map((c) => [c, []]));
    for (let i = 0; i < REPS; i++) {
      for (const c of CONCURRENCY) byConcurrency.get(c).push(await once(dir, `2 workers, concurrency ${c}`, noop, N, i, [`compute.concurrency=${c}`]));
    }
    const concurrency = CONCURRENCY.map((c) => ({ concurrency: c, ...summary(byConcurrency.get(c), N) }));
    const twoWorkers = concurrency[0];
    const fixed = await repeat(dir, '1 task', await job('one', 'one.jsonl', 2), 1, REPS);
    const single = await repeat(dir, '1 worker', await job('single', 'single.jsonl', 1), SINGLE_N, REPS);

    const tasksPerSec = N / (twoWorkers.wallMs / 1000);
    return {
      goalTasksPerSec: GOAL,
      tasksPerSec: round(tasksPerSec, 0),
      goalMet: tasksPerSec >= GOAL,
      /** Tasks over the span from the first attempt's start to the last one's end (no startup, prepare, finalize). */
      steadyTasksPerSec: round(N / (twoWorkers.phases.tasksMs / 1000), 0),
      msPerTask: round(twoWorkers.wallMs / N, 3),
      twoWorkers,
      /** The 2-worker run at each compute.concurrency (the first is twoWorkers). */
      concurrency,
      fixed,
      single: { ...single, msPerTask: round(single.phases.tasksMs / SINGLE_N, 3) },
    };
  } finally {
    await tmp.remove();
  }
});
