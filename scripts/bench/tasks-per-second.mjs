/**
 * Benchmark 1: no-op module tasks per second.
 *
 * N one-record tasks (a JSONL of N lines, batch.records 1) with a no-op .mjs
 * handler on 2 local workers, `djc run` end to end (submit, prepare, run,
 * finalize, exit), median of BENCH_REPS runs. In the same run, for
 * comparison: a 1-task job (the fixed cost every job pays: Node startup,
 * SQLite schema, spawning workers, their startup) and 2,000 tasks on a
 * single worker (per-task cost without two workers competing for the lock).
 *
 * Env: BENCH_TASKS (default 20000), BENCH_REPS (default 3).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runJob, writeJob } from './djc-job.mjs';
import { main, median, note, round, tempDir } from './lib.mjs';

const N = Number(process.env.BENCH_TASKS ?? 20000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SINGLE_N = Math.min(2000, N);
const GOAL = 2000;

async function writeLines(file, n) {
  const lines = Array.from({ length: n }, (_, i) => `{"i":${i}}\n`);
  await writeFile(file, lines.join(''));
}

/** Runs `jobFile` `reps` times, each in a fresh DJC_HOME; the median run by wall time. */
async function repeat(dir, label, jobFile, n, reps, sets = []) {
  const runs = [];
  for (let i = 0; i < reps; i++) {
    const r = await runJob(jobFile, join(dir, `home-${label.replace(/ /g, "-")}-${i}`), sets);
    if (r.doc.records.processed !== n) throw new Error(`${label}: ${r.doc.records.processed} records processed, want ${n}`);
    note(`${label} #${i + 1}: ${n} tasks in ${(r.wallMs / 1000).toFixed(2)} s`);
    runs.push(r);
  }
  const mid = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)];
  return {
    tasks: n,
    runs: runs.length,
    wallMsAll: runs.map((r) => round(r.wallMs, 0)),
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

    note(`tasks-per-second: ${N} no-op tasks on 2 workers, ${REPS} runs`);
    const twoWorkers = await repeat(dir, '2 workers', await job('noop', 'tasks.jsonl', 2), N, REPS);
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
      fixed,
      single: { ...single, msPerTask: round(single.phases.tasksMs / SINGLE_N, 3) },
    };
  } finally {
    await tmp.remove();
  }
});
