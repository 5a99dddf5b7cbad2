/**
 * Benchmark 6: slow and mixed tasks. N one-record tasks, each a `sleep` of a
 * seeded random 0.05–0.5 s, on 4 workers: djc (`djc run`, a command handler
 * per one-line batch) against `xargs -P4` and GNU parallel `-j4` running the
 * same sleeps, in one run, interleaved (djc, parallel, xargs; again…), median
 * of BENCH_REPS runs each. The tasks hardly use the CPU, so the makespan is
 * about how the tasks are spread over the 4 slots: a worker that took tasks
 * ahead of its free slots would run them one after another while others sit
 * idle. Also given: the ideal makespan (the same greedy order with no
 * overhead, which is what xargs does), djc's task span (first handler start
 * → last end, without start-up and finalize), tasks per worker, and the
 * longest wait of a task between its claim and its start.
 *
 * Env: BENCH_SLOW_TASKS (default 200), BENCH_SLOW_SEED (default 9),
 * BENCH_REPS (default 3), BENCH_PARALLEL_NOTE (why GNU parallel is missing).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runJob, writeJob } from './djc-job.mjs';
import { have, main, median, note, round, run, seededRandom, tempDir } from './lib.mjs';

const N = Number(process.env.BENCH_SLOW_TASKS ?? 200);
const SEED = Number(process.env.BENCH_SLOW_SEED ?? 9);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const SLOTS = 4;

export const XARGS_CMD = `xargs -P${SLOTS} -n1 sleep < sleeps.txt`;
export const PARALLEL_CMD = `parallel --will-cite -j${SLOTS} sleep :::: sleeps.txt`;
export const DJC_COMMAND = 'read -r s; exec sleep "$s"';


/** Makespan of running `secs` in order on `slots` slots, each task to the first free slot, with no overhead. */
function greedyMakespan(secs, slots) {
  const free = Array(slots).fill(0);
  for (const s of secs) {
    const i = free.indexOf(Math.min(...free));
    free[i] += s;
  }
  return Math.max(...free);
}

const ms = (iso) => Date.parse(iso);

/** What djc's tasks say about the spread: tasks per worker, longest claim → start wait. */
function spread(tasks) {
  const perWorker = {};
  for (const t of tasks) perWorker[t.worker] = (perWorker[t.worker] ?? 0) + 1;
  const counts = Object.values(perWorker).sort((a, b) => a - b);
  return {
    tasksPerWorker: counts,
    maxClaimToStartMs: Math.max(...tasks.map((t) => ms(t.startedAt) - ms(t.claimedAt))),
  };
}

const shell = (cmd, cwd) => run('bash', ['-c', cmd], { cwd }).then((r) => ({ wallMs: r.ms }));

function summary(runs, extra = {}) {
  return { wallMsAll: runs.map((r) => round(r.wallMs, 0)), wallMs: round(median(runs.map((r) => r.wallMs)), 0), ...extra };
}

main('slow-tasks', async () => {
  const tmp = await tempDir('slow');
  try {
    const { dir } = tmp;
    const rnd = seededRandom(SEED);
    const secs = Array.from({ length: N }, () => Math.round((0.05 + 0.45 * rnd()) * 1000) / 1000);
    await writeFile(join(dir, 'sleeps.txt'), secs.map((s) => `${s}\n`).join(''));
    const jobFile = await writeJob(dir, 'slow.yaml', {
      name: 'slow', input: 'sleeps.txt', format: 'text', records: 1, handler: [`command: '${DJC_COMMAND}'`], workers: SLOTS,
      // Sleeps: they need no CPU, so all SLOTS workers fit the machine (as xargs -P runs them).
      cpus: 0.25,
    });
    const parallelNote = have('parallel') ? null : (process.env.BENCH_PARALLEL_NOTE || 'GNU parallel is not installed');
    if (parallelNote) note(`slow-tasks: skipping GNU parallel: ${parallelNote}`);
    const total = secs.reduce((a, b) => a + b, 0);
    note(`slow-tasks: ${N} sleeps of 0.05-0.5 s (seed ${SEED}, ${total.toFixed(1)} s in all) on ${SLOTS} slots: djc, GNU parallel, xargs; ${REPS} runs each`);

    const djc = [];
    const parallel = [];
    const xargs = [];
    for (let i = 0; i < REPS; i++) {
      const r = await runJob(jobFile, join(dir, `home-${i}`));
      if (r.doc.tasks.succeeded !== N) throw new Error(`djc: ${r.doc.tasks.succeeded} tasks succeeded, want ${N}`);
      djc.push({ wallMs: r.wallMs, spanMs: r.phases.tasksMs, phases: r.phases, ...spread(r.tasks) });
      if (!parallelNote) parallel.push(await shell(PARALLEL_CMD, dir));
      xargs.push(await shell(XARGS_CMD, dir));
      const s = (x) => (x ? `${(x.wallMs / 1000).toFixed(2)} s` : '-');
      note(`#${i + 1}: djc ${s(djc[i])} (tasks ${(djc[i].spanMs / 1000).toFixed(2)} s), parallel ${s(parallel[i])}, xargs ${s(xargs[i])}`);
    }
    const mid = [...djc].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(djc.length / 2)];
    const d = summary(djc, {
      spanMsAll: djc.map((r) => round(r.spanMs, 0)),
      spanMs: round(median(djc.map((r) => r.spanMs)), 0),
      phases: mid.phases,
      tasksPerWorker: mid.tasksPerWorker,
      maxClaimToStartMs: Math.max(...djc.map((r) => r.maxClaimToStartMs)),
    });
    const p = parallelNote ? { skipped: parallelNote } : summary(parallel);
    const x = summary(xargs);
    return {
      tasks: N,
      slots: SLOTS,
      seed: SEED,
      runs: REPS,
      sleepSeconds: { total: round(total, 2), min: Math.min(...secs), max: Math.max(...secs) },
      idealMs: round(greedyMakespan(secs, SLOTS) * 1000, 0),
      commands: { djc: DJC_COMMAND, parallel: PARALLEL_CMD, xargs: XARGS_CMD },
      djc: d,
      parallel: p,
      xargs: x,
      ratios: {
        djcVsXargs: round(d.wallMs / x.wallMs, 2),
        djcTasksVsXargs: round(d.spanMs / x.wallMs, 2),
        djcVsParallel: parallelNote ? null : round(d.wallMs / p.wallMs, 2),
        parallelVsXargs: parallelNote ? null : round(p.wallMs / x.wallMs, 2),
        xargsVsIdeal: round(x.wallMs / (greedyMakespan(secs, SLOTS) * 1000), 2),
      },
    };
  } finally {
    await tmp.remove();
  }
});
