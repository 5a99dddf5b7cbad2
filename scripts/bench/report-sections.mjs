/** The sections of docs/benchmarks.md, each from its benchmark's JSON result. */
import { median, round } from './lib.mjs';
import { renderSqliteCosts } from './report-sqlite-costs.mjs';
import { renderJointClaims } from './report-joint-claims.mjs';
import { renderPerCall } from './report-per-call.mjs';
import { COMMAND_PROFILE } from './report-command-profile.mjs';

const int = (x) => Math.round(x).toLocaleString('en-US');
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const msf = (x, d = 2) => (x >= 100 ? `${int(x)} ms` : `${x.toFixed(d)} ms`);
const times = (x) => `${x.toFixed(x < 10 ? 2 : 1)}×`;
const all = (xs) => (xs.length > 1 ? ` (${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})` : '');
const allMs = (xs) => (xs.length > 1 ? ` (${xs.join(', ')})` : '');
const mib = (kib) => (kib === null || kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);
const pct = (part, whole) => `${Math.round((100 * part) / whole)}%`;

export function renderTasks(r, measured) {
  const head = [
    '## 1. No-op module tasks per second',
    '',
    'N one-record tasks (a JSONL of N lines, `batch: { records: 1 }`), a no-op',
    'module handler (`export async function noop(records) { return records; }`),',
    '`compute.workers: 2`, timed end to end: `djc run` from start to exit',
    '(validate, submit, prepare, run every task, concatenate the outputs, exit),',
    'each run in a fresh `DJC_HOME`. The handler does nothing, so this is djc\'s',
    'own cost per task. The goal in the issue is **≥ 2,000 tasks/s**. Its peers in',
    'the same run: a one-task job (the fixed cost every job pays) and 2,000 tasks on',
    'a single worker (the per-task cost with nobody to share the database with).',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const { twoWorkers: t, fixed: f, single: s } = r;
  const p = t.phases;
  const verdict = r.goalMet
    ? `**met**`
    : `**not met**: ${times(r.goalTasksPerSec / r.tasksPerSec)} short`;
  const cpu = (run) => (run.cpuMs === null || run.cpuMs === undefined ? 'n/a' : msf(run.cpuMs / run.tasks));
  const hasCpu = typeof t.cpuMs === 'number' && typeof f.cpuMs === 'number';
  const marginal = hasCpu ? (t.cpuMs - f.cpuMs) / (t.tasks - 1) : null;
  const cores = r.machine?.nproc ?? 2;
  const ceiling = hasCpu
    ? [
      `CPU: ${msf(marginal)} of user + sys time per task beyond the one-task job (djc, its workers and their`,
      `handler threads together), so ${cores} cores cannot run more than ~${int((cores * 1000) / marginal)} tasks/s even with`,
      'nothing else running and no waiting.',
    ]
    : [];
  return [
    ...head,
    `**${int(r.tasksPerSec)} tasks/s end to end** for ${int(t.tasks)} tasks (goal ${int(r.goalTasksPerSec)}: ${verdict});`,
    `${int(r.steadyTasksPerSec)} tasks/s between the first attempt's start and the last one's end.`,
    ...ceiling,
    '',
    `| run | tasks | wall, median of ${t.runs} (each run) | tasks/s | wall per task | CPU per task |`,
    '| --- | ---: | --- | ---: | ---: | ---: |',
    `| 2 workers | ${int(t.tasks)} | ${sec(t.wallMs)}${all(t.wallMsAll)} | ${int(r.tasksPerSec)} | ${msf(r.msPerTask, 3)} | ${cpu(t)} |`,
    `| 2 workers, one task: the fixed cost | 1 | ${sec(f.wallMs)}${all(f.wallMsAll)} | – | – | ${cpu(f)} |`,
    `| 1 worker | ${int(s.tasks)} | ${sec(s.wallMs)}${all(s.wallMsAll)} | ${int(s.tasks / (s.wallMs / 1000))} | ${msf(s.msPerTask, 3)} first → last attempt | ${cpu(s)} |`,
    '',
    'CPU is user + sys of `djc run` and the workers it started (GNU time), for the',
    'median run, start-up included.',
    '',
    ...renderConcurrency(r),
    ...WORKER_PROFILE,
    `Where the ${sec(t.wallMs)} of the median ${int(t.tasks)}-task run went (from the job's`,
    'timestamps, its "job prepared" log line and `djc tasks --json`):',
    '',
    '| phase | from → to | time | share |',
    '| --- | --- | ---: | ---: |',
    `| start-up | \`djc run\` starts → prepare begins (\`startedAt\`) | ${sec(p.startupMs)} | ${pct(p.startupMs, t.wallMs)} |`,
    `| until the first attempt | prepare begins → first attempt starts | ${sec(p.toFirstTaskMs)} | ${pct(p.toFirstTaskMs, t.wallMs)} |`,
    `| attempts | first attempt starts → last attempt ends | ${sec(p.tasksMs)} | ${pct(p.tasksMs, t.wallMs)} |`,
    `| finalize | last attempt ends → \`endedAt\` (outputs concatenated in order) | ${sec(p.finalizeMs)} | ${pct(p.finalizeMs, t.wallMs)} |`,
    `| exit | \`endedAt\` → \`djc run\` exits | ${sec(p.exitMs)} | ${pct(p.exitMs, t.wallMs)} |`,
    `| *prepare (overlaps the attempts)* | prepare begins → "job prepared" | ${p.prepareMs === null ? 'n/a' : sec(p.prepareMs)} | |`,
    '',
    ...renderSqliteCosts(),
    ...renderJointClaims(),
    ...renderPerCall(),
  ];
}

/**
 * What `node --cpu-prof` of the workers showed (issue 14, 10,000 no-op tasks,
 * 2 workers, on the shared 2-core VM at load 50-80: shares of the wall-clock
 * samples, so time the process waited for a core counts where it waited).
 */
const WORKER_PROFILE = [
  'Where a worker\'s time goes (`NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR"` reaches',
  'the workers and their handler threads; 10,000 tasks, 2 workers, measured at load 50-80',
  'on the shared VM, so shares of wall-clock samples):',
  '',
  '- **Main thread, concurrency 1:** SQLite under the write lock (`withLock`) ~31% of its',
  '  busy time, 7% of it spinning for the lock held by the other worker (`sleepSync`):',
  '  commits (`completeTasks`, 13%) and claims (`claimTasks`, 11%); `postMessage` of the',
  '  attempt to its handler thread 11% (the hand-off: serialising and waking the thread);',
  '  loading modules at start-up the rest. The handler thread is 85% idle: the',
  '  main thread (SQLite) is the limit, not the handler.',
  '- **Concurrency 10, before:** each worker started 10 handler threads at once (`prewarm`',
  '  filled every slot), each compiling @djc/core and zod again (~25 MiB each), and the',
  '  pool handed no-op tasks round-robin to them: 20 handler threads, 3× the CPU of',
  '  concurrency 1 (52 s vs 17 s for 10,000 tasks) and 502 MB peak RSS vs 155 MB. The',
  '  main thread was less busy (49% idle vs 29%): the cost was the threads.',
  '- **Change:** the pool starts one thread and grows only when attempts wait with no',
  '  thread given back for 100 ms (answers queued during a stalled event loop are read',
  '  first), reusing the thread given back last; slow or CPU-bound handlers still get',
  '  one thread per slot, and every attempt still runs alone on its thread (its',
  '  timeout terminates the thread, a busy loop included). The SQLite statements are',
  '  the store\'s (issue 14, "store").',
  '- **Round 3, concurrency 10 (branch i14-handoff):** the pool still grew: under load the',
  '  main thread read results late, attempts waited 100 ms, and each worker started a second',
  '  (or third) handler thread on 2 cores; every thread idled between a result and the next',
  '  run. Now a thread keeps a queue: attempts measured quick (under 20 ms in the thread)',
  '  queue on the least loaded thread once the worker has min(concurrency, cores - 1) threads',
  '  (`DJC_QUICK_THREADS`), runs posted while it is busy cross in one message, and the pool',
  '  does not grow while a thread is on its first attempt (up to 1 s). Each attempt still runs',
  '  alone on its thread, its clock from its turn; a timeout or crash fails only the attempt',
  '  that was running, those queued behind run on another thread, not counted. 5,000 tasks,',
  '  2 workers, load 15-47, interleaved: one handler thread per worker at concurrency 10',
  '  (two each before); CPU per task',
  '  median 1.63 ms at concurrency 10 (6 runs; before 1.79, 5 runs) and 1.59 at 1 (before',
  '  1.58); at load 7-10 (3 pairs each) 1.14 ms at 10 (before 1.31) and 1.25 at 1 (before',
  '  1.22), 3.53 s vs 4.59 s: concurrency 10 no longer costs more than 1 (at load these are',
  '  ~2-3× the quiet machine\'s). What is left at both concurrencies is the hand-off itself: ~0.2 ms of CPU',
  '  per attempt (a worker that only hands no-op attempts to its thread, no SQLite), two',
  '  thread wake-ups per attempt; only several results per message (a shared-memory record',
  '  of which attempt runs, so a timeout still names the right one) would cut it.',
  '- **Round 5, a handler thread\'s start (branch i14e-threads):** a thread imported',
  '  `@djc/core`\'s index (293 modules: zod, yaml, pino, the backends, the planner) to use',
  '  the user-module import, the batch readers and error capping. It imports',
  '  `@djc/core/thread` now (31 modules). A thread\'s start, new `Worker` to its `ready`',
  '  message, 4 starts × 3 interleaved at load ~8: CPU 244-425 → 65-96 ms, heap in use at',
  '  `ready` 17-21 → 8.1-8.7 MiB. Every worker pays it once per thread (prewarm, growth,',
  '  after a timeout or out-of-memory kills one; a warm worker\'s spare thread), so at',
  '  20,000 tasks it is ~0.02 ms of CPU per task, below what these loads can show end to',
  '  end; it matters more to the first attempt (below, section 20) and to memory. The',
  '  worker process itself imported the index too, for ~25 values: it imports',
  '  `@djc/core/worker` now (377 → 136 modules at import; 244-301 → 95-115 ms of CPU with',
  '  the compile cache the worker\'s bin enables, 3 interleaved at load ~10; heap 17.8 → 9.9',
  '  MiB), once per worker process of every job. Both together, end to end (10,000 no-op',
  '  tasks, 2 workers, whole-run CPU from GNU time, 3 interleaved pairs at load 14-18): c1',
  '  0.596 / 0.735 / 0.765 → 0.545 / 0.696 / 0.729 ms per task, c10 0.538 / 0.594 / 0.760',
  '  → 0.486 / 0.537 / 0.752: ~0.05 ms less in every pair; wall times swung 4-17 s at that',
  '  load and say nothing.',
  '',
];

/** The 2-worker run at each compute.concurrency, runs interleaved (tasks-per-second's `concurrency`). */
function renderConcurrency(r) {
  if (!Array.isArray(r.concurrency)) return [];
  const each = (xs, f) => xs.map(f).join(', ');
  const cpuEach = (c) => each(c.cpuMsAll ?? [], (x) => (x === null ? 'n/a' : (x / c.tasks).toFixed(3)));
  const rssMax = (c) => mib(Math.max(...(c.maxRssKiBAll ?? []).filter((x) => x !== null)));
  return [
    `The same ${int(r.concurrency[0].tasks)} tasks on 2 workers at each \`compute.concurrency\` (runs interleaved:`,
    'one of each in turn, so each pair saw the same machine). CPU per task is user + sys',
    'of every process over the tasks; peak RSS is the largest single process (GNU time).',
    '',
    '| concurrency | wall, median (each run) | tasks/s | CPU per task, median (each run, ms) | peak RSS, largest | load at each start |',
    '| ---: | --- | ---: | --- | ---: | --- |',
    ...r.concurrency.map((c) => `| ${c.concurrency} | ${sec(c.wallMs)}${all(c.wallMsAll)} | ${int(c.tasks / (c.wallMs / 1000))} | ${c.cpuMs === null ? 'n/a' : msf(median((c.cpuMsAll ?? []).filter((x) => x !== null)) / c.tasks, 3)} (${cpuEach(c)}) | ${rssMax(c)} | ${each(c.loadAll ?? [], String)} |`),
    '',
  ];
}

export function renderCommand(r, measured) {
  const head = [
    '## 2. Per-task overhead of a command handler',
    '',
    'N one-record tasks whose handler is `command: "true"` (a program that does',
    'nothing, so all the time is overhead), on 2 workers, against the usual ways',
    'to run N small commands two at a time on one machine: GNU parallel and',
    '`xargs -P2`, on the same N. Runs are interleaved (djc, parallel, xargs, then',
    'again). GNU parallel gets `--will-cite`, which only silences its citation notice.',
    '',
    ...COMMAND_PROFILE,
    ...measured,
    '',
  ];
  if (!r) return head;
  const { djc: d, parallel: p, xargs: x, ratios } = r;
  const cpu = (t) => (t.cpuMsPerTask === null || t.cpuMsPerTask === undefined ? 'n/a' : msf(t.cpuMsPerTask));
  const rows = [
    `| djc, 2 workers | \`djc run\` (handler \`command: "true"\`) | ${sec(d.wallMs)}${all(d.wallMsAll)} | ${msf(d.msPerTask)} | ${times(ratios.djcVsXargs)} | ${cpu(d)} |`,
    p.skipped
      ? `| GNU parallel | skipped: ${p.skipped} | – | – | – | – |`
      : `| GNU parallel | \`${r.commands.parallel.replace(/\$\(seq \d+\)/, '$(seq N)')}\` | ${sec(p.wallMs)}${all(p.wallMsAll)} | ${msf(p.msPerTask)} | ${times(ratios.parallelVsXargs)} | ${cpu(p)} |`,
    ...(r.djcNodeSpawn
      ? [`| djc, commands started by Node | the same, workers with \`DJC_COMMAND_SPAWNER=node\` (as before the perl spawner) | ${sec(r.djcNodeSpawn.wallMs)}${all(r.djcNodeSpawn.wallMsAll)} | ${msf(r.djcNodeSpawn.msPerTask)} | ${times(round(r.djcNodeSpawn.wallMs / x.wallMs, 2))} | ${cpu(r.djcNodeSpawn)} |`]
      : []),
    `| xargs | \`${r.commands.xargs.replace(/seq \d+/, 'seq N').replace('|', '\\|')}\` | ${sec(x.wallMs)}${all(x.wallMsAll)} | ${msf(x.msPerTask)} | 1× | ${cpu(x)} |`,
    ...(r.djcDirect
      ? [
          `| djc, no shell | \`djc run\` (handler \`command: /bin/true\`, exec'd without \`sh\`, as xargs does) | ${sec(r.djcDirect.wallMs)}${all(r.djcDirect.wallMsAll)} | ${msf(r.djcDirect.msPerTask)} | ${times(ratios.djcDirectVsXargs)} | ${cpu(r.djcDirect)} |`,
          `| xargs, a shell each | \`${r.commands.xargsShell.replace(/seq \d+/, 'seq N').replace('|', '\\|')}\` (a shell per command, as djc's \`true\`) | ${sec(r.xargsShell.wallMs)}${all(r.xargsShell.wallMsAll)} | ${msf(r.xargsShell.msPerTask)} | ${times(round(r.xargsShell.wallMs / x.wallMs, 2))} | ${cpu(r.xargsShell)} |`,
        ]
      : []),
  ];
  const summary = p.skipped
    ? `**djc: ${msf(d.msPerTask)} per task end to end**; xargs: ${msf(x.msPerTask)} (djc / xargs = ${times(ratios.djcVsXargs)}). GNU parallel was skipped: ${p.skipped}.`
    : `**djc: ${msf(d.msPerTask)} per task end to end; GNU parallel: ${msf(p.msPerTask)} (djc / parallel = ${times(ratios.djcVsParallel)})**; xargs: ${msf(x.msPerTask)} (djc / xargs = ${times(ratios.djcVsXargs)}).`;
  const alike = r.djcDirect
    ? [
        '',
        `Like for like: \`true\` is a shell builtin, so djc runs it through \`sh -c\` while xargs execs`,
        `/usr/bin/true. Without the shell (\`command: /bin/true\`) djc takes ${times(ratios.djcDirectVsXargs)} xargs's time; with a shell`,
        `on both sides, djc's \`true\` takes ${times(ratios.djcVsXargsShell)} the time of \`xargs sh -c true\`. The issue's target (≤ 2× xargs) is on the first row's ratio.`,
      ]
    : [];
  return [
    ...head,
    `N = ${int(r.tasks)}. ${summary}`,
    `Between djc's first attempt start and last attempt end: ${msf(d.steadyMsPerTask)} per task`,
    `(start-up ${sec(d.phases.startupMs + d.phases.toFirstTaskMs)}, finalize ${sec(d.phases.finalizeMs)} in the median run).`,
    ...alike,
    '',
    'CPU per task: user + sys of the whole command and its children (GNU time), median; for djc',
    'it includes start-up and finalize.',
    ...(r.loadAtStart ? ['', `Load average (1 min) as each djc run started: ${r.loadAtStart.join(', ')} (2 CPUs).`] : []),
    '',
    `| tool | command | wall, median of ${r.runs} (each run) | wall per task | vs xargs | CPU per task |`,
    '| --- | --- | --- | ---: | ---: | ---: |',
    ...rows,
    '',
  ];
}

/** Benchmark 4: the AWS backend against DynamoDB Local and fauxqs, next to the local backend. */
export function renderAws(r, measured) {
  if (!r) return ['## 4. The AWS backend', '', '_Not measured yet: run `pnpm bench aws-tasks`._', ''];
  const fmt = (x) => (x === null || x === undefined ? 'n/a' : x.toLocaleString('en-US'));
  const ops = r.aws.byOperation
    ? Object.entries(r.aws.byOperation).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${fmt(round(n / r.tasks, 2))}`).join(', ')
    : 'n/a (this build does not report request counts)';
  return [
    '## 4. The AWS backend',
    '',
    `N one-record no-op tasks on 2 workers with state in DynamoDB, blobs in S3 and`,
    'messages in SQS — here AWS\'s DynamoDB Local and fauxqs on 127.0.0.1, so no',
    'account is needed — next to the same job on the local backend in the same run.',
    'The request counts carry over to AWS; the speed does not (DynamoDB Local runs',
    'transactions one at a time, real DynamoDB does not).',
    '',
    `${measured}`,
    '',
    '| backend | tasks | wall | tasks/s | AWS requests per task | est. request cost per million tasks |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| local (SQLite) | ${fmt(r.tasks)} | ${(r.local.wallMs / 1000).toFixed(2)} s | ${fmt(r.local.tasksPerSec)} | – | – |`,
    `| aws (DynamoDB Local + fauxqs) | ${fmt(r.tasks)} | ${(r.aws.wallMs / 1000).toFixed(2)} s | ${fmt(r.aws.tasksPerSec)} | ${fmt(r.aws.requestsPerTask)} | ${r.aws.costPerMillionTasksUsd === null ? 'n/a' : `$${r.aws.costPerMillionTasksUsd}`} |`,
    '',
    `Requests per task by operation: ${ops}. The issue aims at ≤ 5 per task.`,
    '',
  ];
}

/** Benchmark 5: djc's Slurm dispatcher against a hand-written `sbatch --array`, submit → first task and → end. */
export function renderSlurm(r, measured) {
  const head = [
    '## 5. Dispatch latency on Slurm',
    '',
    'The same work on the local single-node Slurm cluster (`scripts/slurm/up.sh`:',
    'partition `debug`, one node advertising more CPUs than its cores), two ways:',
    '',
    '- **djc** with `compute.dispatcher: slurm` and W workers: the coordinator',
    '  daemon (`djc coordinator`, already running, a fresh `--home` per run) makes',
    '  one `sbatch --array` of W elements, each a djc worker that pulls batches',
    '  until none is left. Timed from the start of `djc submit` to the earliest',
    '  task `startedAt` (`djc tasks --json`) and to the job\'s `endedAt`',
    '  (`djc status --json`; the output is concatenated by then).',
    '- **A hand-written `sbatch --array`, one element per batch:** element i cuts',
    '  its batch out of the input with `sed -n` and runs the same command on it',
    '  into its own file. Timed from the start of `sbatch` to the earliest element',
    '  start (`date +%s.%N`, written by the element itself) and to the `squeue`',
    '  poll that shows every element ended. With `%W` it gets djc\'s concurrency;',
    '  the same array without a throttle is measured for reference.',
    '',
    'Runs are interleaved (djc, `%W`, no throttle; again…), each on an idle node.',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const { djc: d, sbatchArray: p, sbatchArrayUnthrottled: u, ratios: q } = r;
  const W = r.workers;
  const B = r.batches;
  const each = (xs) => (xs.length > 1 ? ` (${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})` : '');
  const work = (s) => median(s.runs.map((x) => x.endMs - x.firstTaskMs));
  const m = d.milestones;
  const ms = (x) => (x === null || x === undefined ? 'n/a' : `${int(x)} ms`);
  const foreign = (r.foreignSlurmJobsAtStart ?? []).filter((n) => n > 0).length;
  const cmp = (x) => `${times(x)}${x < 0.9 ? ': djc is faster' : x <= 1.1 ? ': about even' : ''}`;
  const load = r.loadAvgAtStart ?? [];
  return [
    ...head,
    `${B} batches of ${int(r.recordsPerBatch)} records (a JSONL of ${int(B * r.recordsPerBatch)} lines), each through the command \`${r.command}\`;`,
    `W = ${W}; the node advertises ${r.slurmCpus ?? 'n/a'} CPUs (the machine has ${r.machine?.nproc ?? 'n/a'} cores). Both sides\' outputs were checked equal to the input,`,
    `record for record and in order (${int(d.runs[0]?.records ?? 0)} records each). Times are medians of ${r.runs} runs (each run in brackets), in seconds.`,
    ...(load.length ? [`1-minute load average at the start of each round: ${load.join(', ')} (other work on the machine shares its cores with the workers' start-up).`] : []),
    ...(foreign > 0 ? ['', `> Other jobs were in the Slurm queue at the start of ${foreign} of the ${r.runs} rounds: those figures are noisier.`] : []),
    '',
    `**Submit → first task running: djc ${sec(d.firstTaskMs)}, \`sbatch --array=0-${B - 1}%${W}\` ${sec(p.firstTaskMs)} (djc / sbatch = ${cmp(q.firstTask)}).**`,
    `**Submit → job end: djc ${sec(d.endMs)}, \`sbatch --array=0-${B - 1}%${W}\` ${sec(p.endMs)} (djc / sbatch = ${cmp(q.end)}).**`,
    `Against the array without a throttle: ${cmp(q.firstTaskVsUnthrottled)} to the first task, ${cmp(q.endVsUnthrottled)} to the end.`,
    '',
    `| how | array elements | sbatch calls | submit → first task | submit → end | first task → end | djc / this (first task, end) |`,
    '| --- | ---: | ---: | --- | --- | ---: | ---: |',
    `| djc, ${W} Slurm workers | ${d.arrayElements} | ${r.sbatchCalls.djc} | ${sec(d.firstTaskMs)}${each(d.runs.map((x) => x.firstTaskMs))} | ${sec(d.endMs)}${each(d.runs.map((x) => x.endMs))} | ${sec(work(d))} | – |`,
    `| \`sbatch --array=0-${B - 1}%${W}\` | ${B} | ${r.sbatchCalls.peer} | ${sec(p.firstTaskMs)}${each(p.runs.map((x) => x.firstTaskMs))} | ${sec(p.endMs)}${each(p.runs.map((x) => x.endMs))} | ${sec(work(p))} | ${times(q.firstTask)}, ${times(q.end)} |`,
    `| \`sbatch --array=0-${B - 1}\` (no throttle, reference) | ${B} | 1 | ${sec(u.firstTaskMs)}${each(u.runs.map((x) => x.firstTaskMs))} | ${sec(u.endMs)}${each(u.runs.map((x) => x.endMs))} | ${sec(work(u))} | ${times(q.firstTaskVsUnthrottled)}, ${times(q.endVsUnthrottled)} |`,
    '',
    `**What djc's submit → first task includes** that the hand-written array does not: starting the \`djc submit\``,
    'CLI (Node, loading the CLI, validating the job, recording it), the coordinator daemon\'s pickup (it looks',
    'for new jobs every ~500 ms), preparing the job (splitting the input into batches), the sbatch, and then,',
    'once Slurm starts an element, a Node worker\'s start-up before it claims its first batch; the',
    'hand-written element is a `/bin/sh` script that starts on its batch at once. Where the time went in the',
    `median djc run (ms after \`djc submit\` started; the sbatch and "job prepared" run side by side):`,
    '',
    '| milestone | after `djc submit` started |',
    '| --- | ---: |',
    `| \`djc submit\` recorded the job (\`createdAt\`) | ${ms(m.created)} |`,
    `| \`djc submit\` exited | ${ms(m.submitExited)} |`,
    `| the coordinator daemon picked the job up | ${ms(m.pickedUp)} |`,
    `| the coordinator's sbatch of the worker array returned | ${ms(m.sbatch)} |`,
    `| the job was prepared (batches known) | ${ms(m.prepared)} |`,
    `| Slurm started the first array element (its log file created) | ${ms(m.firstElementStarted)} |`,
    `| the first worker was up (Node started, worker loaded) | ${ms(m.firstWorkerStarted)} |`,
    `| the first task started | ${ms(m.firstTask)} |`,
    `| the last task ended | ${ms(m.lastTaskEnded)} |`,
    `| the job ended (\`endedAt\`, output concatenated) | ${ms(m.ended)} |`,
    '',
    ...(m.sbatch === null ? [] : [
      `So ${sec(m.sbatch)} passed before djc's sbatch, and ${sec(m.firstTask - m.sbatch)} from it to the first task${m.firstElementStarted === null || m.firstWorkerStarted === null ? '.' : ':'}`,
      ...(m.firstElementStarted === null || m.firstWorkerStarted === null ? [] : [
        `${sec(m.firstElementStarted - m.sbatch)} until Slurm started the first element, ${sec(m.firstWorkerStarted - m.firstElementStarted)} until a worker was up, ${sec(m.firstTask - m.firstWorkerStarted)} to its first task.`,
      ]),
      `The hand-written array's first element started ${sec(p.firstTaskMs)} after its sbatch (median; ${sec(median(p.runs.map((x) => x.sbatchMs)))} of it the \`sbatch\` command itself).`,
      '',
    ]),
    `**Elements: ${W} for djc, ${B} for the hand-written array.** djc's ${W} workers pull the ${B} batches, so`,
    `Slurm starts ${W} elements and the batches after the first cost a claim, not a Slurm start; the`,
    `hand-written array asks Slurm to start ${B} elements, one per batch, and with \`%${W}\` each waits for a`,
    `running one to end. The "first task → end" column shows what that costs for ${B} × \`${r.command}\``,
    `on ${W} slots (${sec((B / W) * 200)} of sleep per slot if nothing else took time).`,
    `djc's end is its \`endedAt\`, set when the coordinator's next monitor pass finds every task done and the`,
    `outputs are concatenated; the array's end is the first \`squeue\` poll (every ${r.squeuePollMs} ms) showing every element`,
    `ended (its last element wrote its end stamp ${sec(median(p.runs.map((x) => x.endMs - x.lastElementEndedMs)))} before that, median). The coordinator asked \`squeue\``,
    `about its workers at most every ${r.coordinatorPollMs} ms (\`DJC_SLURM_POLL_MS\`); neither the first task nor the end waits for that.`,
    'Both sides made one sbatch call per run.',
    '',
  ];
}
