/**
 * Benchmark 2: per-task overhead of a command handler.
 *
 * N one-record tasks whose handler is `true` (a shell command that does
 * nothing) on 2 local workers, against the classic ways to run N small
 * commands two at a time on one machine: GNU parallel (`parallel -j2 true
 * ::: $(seq N)`) and `seq N | xargs -P2 -n1 true`. The runs are interleaved
 * (djc, parallel, xargs; again…) so machine noise hits all three alike; the
 * median of BENCH_REPS runs each.
 *
 * Two like-for-like rows sit beside them: xargs has no shell between it and
 * `true` (it execs /usr/bin/true) while djc runs `true`, a shell builtin,
 * through `sh -c` (a program path is exec'd without the shell,
 * direct-argv.ts). So djc also runs `command: /bin/true` (no shell), and
 * xargs also runs `sh -c true` (a shell per command, as djc's `true`).
 *
 * Env: BENCH_CMD_TASKS (default 2000), BENCH_REPS (default 3),
 * BENCH_PARALLEL_NOTE (why GNU parallel is missing, from run.sh),
 * BENCH_CMD_NODE_SPAWN=1: also run djc with DJC_COMMAND_SPAWNER=node (its
 * workers start commands with Node's spawn, as before the perl spawner), in
 * the same interleaved round.
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { runJob, writeJob } from './djc-job.mjs';
import { have, main, median, note, round, run, tempDir } from './lib.mjs';

const N = Number(process.env.BENCH_CMD_TASKS ?? 2000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const NODE_SPAWN = process.env.BENCH_CMD_NODE_SPAWN === '1';

export const PARALLEL_CMD = `parallel --will-cite -j2 true ::: $(seq ${N})`;
export const XARGS_CMD = `seq ${N} | xargs -P2 -n1 true`;
export const XARGS_SH_CMD = `seq ${N} | xargs -P2 -n1 sh -c true`;

/** Runs `cmd` with bash, under GNU time when present: { wallMs, cpuMs } (CPU of bash and everything it waited for). */
const shell = (cmd) => run('bash', ['-c', cmd], { rss: true }).then((r) => ({ wallMs: r.ms, cpuMs: r.cpuMs }));

/** Median wall and CPU per task over the runs of one tool. */
function summary(runs, extra = {}) {
  const wallMs = median(runs.map((r) => r.wallMs));
  const cpu = runs.every((r) => r.cpuMs !== null) ? median(runs.map((r) => r.cpuMs)) : null;
  return {
    wallMsAll: runs.map((r) => round(r.wallMs, 0)),
    wallMs: round(wallMs, 0),
    msPerTask: round(wallMs / N, 3),
    cpuMsPerTask: cpu === null ? null : round(cpu / N, 3),
    ...extra,
  };
}

main('command-overhead', async () => {
  const tmp = await tempDir('command');
  try {
    const { dir } = tmp;
    await writeFile(join(dir, 'tasks.jsonl'), Array.from({ length: N }, (_, i) => `{"i":${i}}\n`).join(''));
    const jobFile = await writeJob(dir, 'cmd-true.yaml', { name: 'cmd-true', input: 'tasks.jsonl', records: 1, handler: ['command: "true"'], workers: 2 });
    const directJob = await writeJob(dir, 'cmd-bin-true.yaml', { name: 'cmd-bin-true', input: 'tasks.jsonl', records: 1, handler: ['command: /bin/true'], workers: 2 });
    const parallelNote = have('parallel') ? null : (process.env.BENCH_PARALLEL_NOTE || 'GNU parallel is not installed');
    if (parallelNote) note(`command-overhead: skipping GNU parallel: ${parallelNote}`);

    const djc = [];
    const parallel = [];
    const xargs = [];
    const direct = [];
    const xargsSh = [];
    const nodeSpawn = [];
    const nodeLoads = [];
    note(`command-overhead: ${N} \`true\` tasks, 2 at a time: djc, GNU parallel, xargs; ${REPS} runs each`);
    const loads = [];
    for (let i = 0; i < REPS; i++) {
      loads.push(round(loadavg()[0], 1));
      const r = await runJob(jobFile, join(dir, `home-${i}`));
      if (r.doc.tasks.succeeded !== N) throw new Error(`djc: ${r.doc.tasks.succeeded} tasks succeeded, want ${N}`);
      djc.push(r);
      if (!parallelNote) parallel.push(await shell(PARALLEL_CMD));
      xargs.push(await shell(XARGS_CMD));
      const rd = await runJob(directJob, join(dir, `home-direct-${i}`));
      if (rd.doc.tasks.succeeded !== N) throw new Error(`djc /bin/true: ${rd.doc.tasks.succeeded} tasks succeeded, want ${N}`);
      direct.push(rd);
      xargsSh.push(await shell(XARGS_SH_CMD));
      if (NODE_SPAWN) {
        nodeLoads.push(round(loadavg()[0], 1));
        nodeSpawn.push(await runJob(jobFile, join(dir, `home-node-${i}`), [], { DJC_COMMAND_SPAWNER: 'node' }));
      }
      const s = (x) => (x ? `${(x.wallMs / 1000).toFixed(2)} s${x.cpuMs ? ` (CPU ${(x.cpuMs / 1000).toFixed(2)} s)` : ''}` : '-');
      note(`#${i + 1}: djc ${s(r)}, parallel ${s(parallel[i])}, xargs ${s(xargs[i])}; no shell: djc /bin/true ${s(direct[i])}; shell each: xargs sh -c ${s(xargsSh[i])}${NODE_SPAWN ? `, djc with Node's spawn ${s(nodeSpawn[i])}` : ''}`);
    }
    const mid = [...djc].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(djc.length / 2)];
    const d = summary(djc, { phases: mid.phases, steadyMsPerTask: round(mid.phases.tasksMs / N, 3) });
    const p = parallelNote ? { skipped: parallelNote } : summary(parallel);
    const x = summary(xargs);
    const dd = summary(direct);
    const xs = summary(xargsSh);
    return {
      tasks: N,
      runs: REPS,
      /** The 1-minute load average as each djc run started. */
      loadAtStart: loads,
      commands: { parallel: PARALLEL_CMD, xargs: XARGS_CMD, xargsShell: XARGS_SH_CMD },
      djc: d,
      ...(NODE_SPAWN ? { djcNodeSpawn: { ...summary(nodeSpawn), cpuMsAll: nodeSpawn.map((r) => r.cpuMs), loadAtStart: nodeLoads }, djcCpuMsAll: djc.map((r) => r.cpuMs) } : {}),
      parallel: p,
      xargs: x,
      /** Like for like: djc exec'ing /bin/true without a shell, xargs running a shell per command. */
      djcDirect: dd,
      xargsShell: xs,
      ratios: {
        djcDirectVsXargs: round(dd.wallMs / x.wallMs, 2),
        djcVsXargsShell: round(d.wallMs / xs.wallMs, 2),
        djcVsParallel: parallelNote ? null : round(d.wallMs / p.wallMs, 2),
        djcVsXargs: round(d.wallMs / x.wallMs, 2),
        parallelVsXargs: parallelNote ? null : round(p.wallMs / x.wallMs, 2),
      },
    };
  } finally {
    await tmp.remove();
  }
});
