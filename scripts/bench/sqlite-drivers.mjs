/**
 * Benchmark 6 (opt-in: `pnpm bench sqlite-drivers`): the local backend's two
 * SQLite drivers side by side, in one sitting on one Node: node:sqlite
 * (`DJC_SQLITE_DRIVER=node`) and better-sqlite3. Two measurements per driver,
 * runs interleaved (the order alternates each round, so drift in the
 * machine's load falls on both):
 *
 * - no-op tasks/s: benchmark 1's job (N one-record tasks, a no-op module
 *   handler, 2 workers), `djc run` end to end, wall and CPU (GNU time);
 * - the worker's SQLite hot path alone (hot-path-child.mjs): N tasks
 *   received, claimed, completed and deleted 10 at a time in one process;
 *   wall and that process's CPU time;
 * - a big prepare: a JSONL of P lines split into P one-record tasks by the
 *   coordinator's `prepareJob` in its own process (prepare-child.mjs): tasks
 *   written, messages enqueued, manifest written; wall, CPU, peak RSS, and
 *   the wall and CPU time inside the SQLite writes (putTasks + queue.send).
 *
 * On a shared machine wall times move with the other load; CPU times much
 * less, so both are kept.
 *
 * Env: BENCH_TASKS (20000), BENCH_REPS (3), BENCH_PREPARE_TASKS (1000000),
 * BENCH_PREPARE_REPS (2).
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runJob, writeJob } from './djc-job.mjs';
import { main, median, note, round, run, ROOT, tempDir } from './lib.mjs';

const N = Number(process.env.BENCH_TASKS ?? 20000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const P = Number(process.env.BENCH_PREPARE_TASKS ?? 1_000_000);
const PREPARE_REPS = Number(process.env.BENCH_PREPARE_REPS ?? 2);
const DRIVERS = ['node', 'better-sqlite3'];

async function writeLines(file, n) {
  const chunk = 100_000;
  await writeFile(file, '');
  for (let i = 0; i < n; i += chunk) {
    const lines = Array.from({ length: Math.min(chunk, n - i) }, (_, k) => `{"i":${i + k}}\n`);
    await writeFile(file, lines.join(''), { flag: 'a' });
  }
}

/** Rounds of `measure(driver, round)`, the drivers' order alternating; per driver: every run, and the median one. */
async function interleaved(rounds, measure) {
  const runs = Object.fromEntries(DRIVERS.map((d) => [d, []]));
  for (let i = 0; i < rounds; i++) {
    for (const d of i % 2 === 0 ? DRIVERS : [...DRIVERS].reverse()) {
      const load1 = round(loadavg()[0], 2);
      runs[d].push({ ...(await measure(d, i)), load1 });
    }
  }
  return runs;
}

function medianOf(runs, key) {
  const xs = runs.map((r) => r[key]).filter((x) => typeof x === 'number');
  return xs.length === 0 ? null : round(median(xs), 0);
}

function summarize(runs, key) {
  const sorted = [...runs].sort((a, b) => a[key] - b[key]);
  const mid = sorted[Math.floor(sorted.length / 2)];
  return { runs, median: mid, [`${key}Median`]: round(median(runs.map((r) => r[key])), 0) };
}

async function tasksRuns(dir) {
  await writeFile(join(dir, 'noop.mjs'), 'export async function noop(records) { return records; }\n');
  await writeLines(join(dir, 'tasks.jsonl'), N);
  const jobFile = await writeJob(dir, 'noop.yaml', { name: 'noop', input: 'tasks.jsonl', records: 1, handler: ['module: ./noop.mjs#noop'], workers: 2 });
  return interleaved(REPS, async (driver, i) => {
    const r = await runJob(jobFile, join(dir, `home-tasks-${driver}-${i}`), [], { DJC_SQLITE_DRIVER: driver });
    if (r.doc.records.processed !== N) throw new Error(`${driver}: ${r.doc.records.processed} records processed, want ${N}`);
    note(`sqlite-drivers: ${driver} #${i + 1}: ${N} tasks in ${(r.wallMs / 1000).toFixed(2)} s`);
    return { wallMs: round(r.wallMs, 0), cpuMs: r.cpuMs === null ? null : round(r.cpuMs, 0), tasksPerSec: round(N / (r.wallMs / 1000), 0), tasksMs: r.phases.tasksMs };
  });
}

async function hotPathRuns(dir) {
  const child = join(ROOT, 'scripts/bench/hot-path-child.mjs');
  return interleaved(REPS, async (driver, i) => {
    const r = await run(process.execPath, [child, join(dir, `home-hot-${driver}-${i}`), String(N)], { env: { DJC_SQLITE_DRIVER: driver } });
    const out = JSON.parse(r.stdout);
    if (out.driver !== driver || out.tasks !== N) throw new Error(`hot path on ${driver}: ${JSON.stringify(out)}`);
    note(`sqlite-drivers: ${driver} #${i + 1}: hot path, ${N} tasks in ${(out.ms / 1000).toFixed(2)} s, CPU ${(out.cpuMs / 1000).toFixed(2)} s`);
    return { ms: round(out.ms, 0), cpuMs: round(out.cpuMs, 0) };
  });
}

async function prepareRuns(dir) {
  await writeLines(join(dir, 'big.jsonl'), P);
  await writeFile(join(dir, 'h.mjs'), 'export const h = (records) => records;\n');
  const jobFile = join(dir, 'big.yaml');
  await writeFile(jobFile, 'name: big\ninput: { path: big.jsonl, batch: { records: 1 } }\nhandler: { module: ./h.mjs#h }\n');
  const child = join(ROOT, 'scripts/bench/prepare-child.mjs');
  return interleaved(PREPARE_REPS, async (driver, i) => {
    const home = join(dir, `home-prepare-${driver}-${i}`);
    const r = await run(process.execPath, [child, jobFile, home], { env: { DJC_SQLITE_DRIVER: driver }, rss: true });
    const out = JSON.parse(r.stdout);
    if (out.driver !== driver || out.tasks !== P) throw new Error(`prepare on ${driver}: ${JSON.stringify(out)}`);
    note(`sqlite-drivers: ${driver} #${i + 1}: prepared ${P} tasks in ${(out.ms / 1000).toFixed(1)} s (SQLite writes ${(out.sqliteMs / 1000).toFixed(1)} s)`);
    return {
      ms: round(out.ms, 0), sqliteMs: round(out.sqliteMs, 0), sqliteCpuMs: round(out.sqliteCpuMs, 0),
      cpuMs: r.cpuMs === null ? null : round(r.cpuMs, 0), maxRssKiB: r.maxRssKiB,
    };
  });
}

main('sqlite-drivers', async () => {
  const local = await import(pathToFileURL(join(ROOT, 'packages/core/dist/backends/local/index.js')).href);
  const tmp = await tempDir('drivers');
  try {
    note(`sqlite-drivers: ${N} no-op tasks x ${REPS} and a ${P}-task prepare x ${PREPARE_REPS} per driver, on Node ${process.version}`);
    const tasks = await tasksRuns(tmp.dir);
    const hot = await hotPathRuns(tmp.dir);
    const prepare = await prepareRuns(tmp.dir);
    const drivers = Object.fromEntries(DRIVERS.map((d) => [d, {
      tasks: { ...summarize(tasks[d], 'wallMs'), cpuMsMedian: medianOf(tasks[d], 'cpuMs') },
      hotPath: { ...summarize(hot[d], 'ms'), cpuMsMedian: medianOf(hot[d], 'cpuMs') },
      prepare: { ...summarize(prepare[d], 'ms'), cpuMsMedian: medianOf(prepare[d], 'cpuMs'), sqliteCpuMsMedian: medianOf(prepare[d], 'sqliteCpuMs') },
    }]));
    const faster = (pick) => [...DRIVERS].sort((a, b) => pick(drivers[a]) - pick(drivers[b]))[0];
    return {
      node: process.version,
      tasks: N,
      prepareTasks: P,
      defaultDriver: local.DEFAULT_SQLITE_DRIVER,
      drivers,
      faster: {
        tasks: faster((d) => d.tasks.wallMsMedian), tasksCpu: faster((d) => d.tasks.cpuMsMedian),
        hotPathCpu: faster((d) => d.hotPath.cpuMsMedian),
        prepare: faster((d) => d.prepare.msMedian), prepareCpu: faster((d) => d.prepare.cpuMsMedian),
      },
    };
  } finally {
    await tmp.remove();
  }
});
