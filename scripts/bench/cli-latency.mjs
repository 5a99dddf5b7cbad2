/**
 * Benchmark: the CLI's read latency during a big job (issue 14). A
 * coordinator daemon in a temp home runs one job of 100,000 one-record tasks
 * whose handler sleeps (2 workers), so it stays RUNNING; meanwhile each
 * repetition runs, one after the other, `djc --version`, `djc status JOB`,
 * `djc tasks JOB --limit 20` and `djc --json tasks JOB --limit 20`, each a
 * new process as a user types it, timed from spawn to exit (wall) and under
 * GNU time (CPU, user + sys). Targets: --version < 80 ms, the reads < 150 ms.
 *
 * Env: BENCH_CLI_TASKS (100000), BENCH_CLI_REPS (10), BENCH_CLI_TASK_MS (50,
 * the handler's sleep), BENCH_CLI_BASELINE (another build's
 * packages/cli/dist/bin.js, e.g. main's: timed in the same repetitions,
 * interleaved, against the same job).
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DJC_BIN, main, median, note, round, run, startCoordinator, tempDir } from './lib.mjs';

const TASKS = Number(process.env.BENCH_CLI_TASKS ?? 100_000);
const REPS = Number(process.env.BENCH_CLI_REPS ?? 10);
const TASK_MS = Number(process.env.BENCH_CLI_TASK_MS ?? 50);
const BASELINE = process.env.BENCH_CLI_BASELINE || null;
const TARGETS = { version: 80, status: 150, tasks: 150, tasksJson: 150 };

/** The commands timed, by key: argv after the bin. */
const commands = (jobId) => ({
  version: ['--version'],
  status: ['status', jobId],
  tasks: ['tasks', jobId, '--limit', '20'],
  tasksJson: ['--json', 'tasks', jobId, '--limit', '20'],
});

async function time(bin, argv, o) {
  const r = await run(process.execPath, [bin, ...argv], { ...o, rss: true });
  return { ms: round(r.ms, 0), cpuMs: r.cpuMs === null ? null : round(r.cpuMs, 0) };
}

async function waitRunning(dir, env, jobId) {
  for (;;) {
    const doc = JSON.parse((await run(process.execPath, [DJC_BIN, '--json', 'status', jobId], { cwd: dir, env })).stdout);
    if (doc.status === 'RUNNING' && doc.tasks.succeeded >= 20) return doc;
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(doc.status)) throw new Error(`the job ended (${doc.status}) before the benchmark began`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function summary(reps, builds) {
  const out = {};
  for (const build of builds) {
    out[build] = {};
    for (const key of Object.keys(TARGETS)) {
      const xs = reps.map((r) => r[build][key]);
      out[build][key] = { ms: round(median(xs.map((x) => x.ms)), 0), cpuMs: round(median(xs.map((x) => x.cpuMs ?? NaN)), 0) };
    }
  }
  return out;
}

main('cli-latency', async () => {
  const tmp = await tempDir('cli-latency');
  const { dir } = tmp;
  const env = { DJC_HOME: join(dir, '.djc') };
  try {
    await writeFile(join(dir, 'sleep.mjs'), `export async function sleep(records) { await new Promise((r) => setTimeout(r, ${TASK_MS})); return records; }\n`);
    await writeFile(join(dir, 'tasks.jsonl'), Array.from({ length: TASKS }, (_, i) => `{"i":${i}}\n`).join(''));
    await writeFile(join(dir, 'job.yaml'), 'name: cli-latency\ninput: { path: tasks.jsonl, batch: { records: 1 } }\nhandler: { module: ./sleep.mjs#sleep }\ncompute: { workers: 2 }\n');
    const daemon = startCoordinator(dir, env);
    await daemon.ready;
    try {
      const jobId = (await run(process.execPath, [DJC_BIN, 'submit', 'job.yaml'], { cwd: dir, env })).stdout.trim();
      const before = await waitRunning(dir, env, jobId);
      note(`cli-latency: ${TASKS} tasks of ${TASK_MS} ms on 2 workers (${jobId}); ${REPS} repetitions${BASELINE ? `, against ${BASELINE}` : ''}`);
      const bins = { djc: DJC_BIN, ...(BASELINE ? { baseline: BASELINE } : {}) };
      const reps = [];
      for (let rep = 0; rep < REPS; rep++) {
        const one = { load1: round(loadavg()[0], 1) };
        for (const [build, bin] of Object.entries(bins)) {
          one[build] = {};
          for (const [key, argv] of Object.entries(commands(jobId))) one[build][key] = await time(bin, argv, { cwd: dir, env });
        }
        note(`#${rep + 1} (load ${one.load1}): ${Object.keys(bins).map((b) => `${b} ${Object.entries(one[b]).map(([k, v]) => `${k} ${v.ms}/${v.cpuMs} ms`).join(', ')}`).join('; ')}`);
        reps.push(one);
      }
      const after = JSON.parse((await run(process.execPath, [DJC_BIN, '--json', 'status', jobId], { cwd: dir, env })).stdout);
      if (after.status !== 'RUNNING') throw new Error(`the job ended (${after.status}) during the benchmark: raise BENCH_CLI_TASKS or BENCH_CLI_TASK_MS`);
      await run(process.execPath, [DJC_BIN, 'cancel', jobId], { cwd: dir, env });
      return {
        tasks: TASKS,
        taskMs: TASK_MS,
        reps,
        builds: Object.keys(bins),
        baseline: BASELINE,
        succeededDuring: [before.tasks.succeeded, after.tasks.succeeded],
        median: summary(reps, Object.keys(bins)),
        // This build's wall-time medians, as the targets summary (report-targets.mjs) reads them.
        medians: Object.fromEntries(Object.keys(TARGETS).map((k) => [k, summary(reps, ['djc']).djc[k].ms])),
        targets: TARGETS,
      };
    } finally {
      await daemon.stop();
    }
  } finally {
    await tmp.remove();
  }
});
