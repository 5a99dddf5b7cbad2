/** The docs/benchmarks.md section of `pnpm bench bullmq` (scripts/bench/bullmq.mjs). */
const int = (x) => Math.round(x).toLocaleString('en-US');
const sec = (ms) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(2)} s` : 'n/a');
const each = (xs) => (xs.length > 1 ? ` (${xs.map((x) => (typeof x === 'number' ? (x / 1000).toFixed(2) : 'n/a')).join(', ')})` : '');
const cpuTask = (x) => (typeof x === 'number' ? `${x.toFixed(3)} ms` : 'n/a');
const mib = (kib) => (typeof kib === 'number' && kib > 0 ? `${Math.round(kib / 1024)} MiB` : 'n/a');
/** A speed ratio, djc's over BullMQ's, with which side is faster. */
const ratio = (x) => (typeof x === 'number' ? `${x.toFixed(2)}×${x >= 1 ? '' : ` (BullMQ ${(1 / x).toFixed(1)}× faster)`}` : 'n/a');
const speed = (x) => (typeof x === 'number' ? `**${ratio(x)}**` : 'n/a');

const HEAD = [
  '## 16. Side by side with BullMQ',
  '',
  'The same N no-op tasks on 2 worker processes, at concurrency 1 and 10, with djc',
  'and with [BullMQ](https://docs.bullmq.io) on Redis, the usual Node.js job queue.',
  '**djc:** `djc run` of N one-record tasks (`batch: { records: 1 }`, the no-op',
  'module handler of section 1, `compute.workers: 2`, `compute.concurrency` 1 or',
  '10), a fresh `DJC_HOME` per run. **BullMQ:** a fresh `redis-server` per run',
  '(Debian\'s package, which `pnpm bench` installs when missing; a free 127.0.0.1',
  'port, no RDB snapshots, no AOF; stopped by its PID after the run), 2 worker',
  'processes each running one `Worker` with the `concurrency` option at 1 or 10',
  'and a processor that returns the job\'s data (stored as its return value, as',
  'djc stores a no-op handler\'s output), BullMQ\'s defaults otherwise (completed',
  'jobs are kept, as djc keeps its task records); the benchmark adds the N jobs',
  '`{ i }` in one `Queue.addBulk`. Runs interleave: djc c1, BullMQ c1, djc c10,',
  'BullMQ c10, then again.',
  '',
  'What each time includes:',
  '',
  '- **djc, start → exit:** the whole `djc run`: Node start-up, validating the job,',
  '  recording it, splitting the input into N tasks, starting 2 worker processes,',
  '  every attempt, concatenating the outputs, exit. What a user waits for.',
  '- **BullMQ, addBulk → done:** from the `addBulk` call to the last job\'s',
  '  `finishedOn`; the workers were already started and connected, Redis running.',
  '  The figure a BullMQ user quotes; the targets compare djc\'s start → exit with it,',
  '  so djc\'s own start-up counts against djc.',
  '- **BullMQ, whole:** from spawning the 2 worker processes until both closed and',
  '  exited, `addBulk` included: the like-for-like of djc\'s start → exit.',
  '- **First start → last end:** djc\'s first attempt start to its last attempt end;',
  '  BullMQ\'s first job `processedOn` to the last `finishedOn`. No start-up, no',
  '  enqueue, no finalize on either side.',
  '- **CPU:** user + sys. djc: `djc run` and its workers (GNU time). BullMQ: the 2',
  '  worker processes (GNU time) + redis-server (`/proc/PID/stat`, whole life) +',
  '  the `addBulk` call in the benchmark\'s process. Both include their processes\'',
  '  start-up. **Peak RSS:** per process (GNU time, Redis\'s `VmHWM`; djc\'s',
  '  processes\' `VmHWM` read every 100 ms).',
  '',
  'Concurrency 10 was slower than 1 for djc (round 2) because each worker\'s handler-thread',
  'pool grew to two or three threads on 2 cores and each thread idled between a result and',
  'the next run; since round 3 quick attempts queue on one thread per spare core (section 1,',
  '"Round 3"). The hand-off of each attempt to its thread (~0.2 ms of CPU) is what remains',
  'between djc and BullMQ\'s CPU per task besides SQLite.',
  '',
];

function timesTable(r) {
  const rows = [];
  for (const x of r.byConcurrency) {
    const { djc: d, bullmq: b, ratios: q, concurrency: c } = x;
    const dAll = (f) => each(d.all.map((y) => y[f]));
    const bAll = (f) => each(b.all.map((y) => y[f]));
    rows.push(
      `| ${c} | djc start → exit vs BullMQ addBulk → done | ${sec(d.wallMs)}${dAll('wallMs')} | ${sec(b.enqueueToDoneMs)}${bAll('enqueueToDoneMs')} | ${speed(q.endToEnd)} |`,
      `| ${c} | djc start → exit vs BullMQ whole | ${sec(d.wallMs)} | ${sec(b.wholeMs)}${bAll('wholeMs')} | ${speed(q.whole)} |`,
      `| ${c} | first start → last end | ${sec(d.steadyMs)}${dAll('steadyMs')} | ${sec(b.steadyMs)}${bAll('steadyMs')} | ${speed(q.steady)} |`,
      `| ${c} | tasks/s (first row) | ${int(d.tasksPerSec)} | ${int(b.tasksPerSec)} | |`,
    );
  }
  return [
    `| concurrency | what is timed | djc, median of ${r.reps} (each) | BullMQ, median of ${r.reps} (each) | djc's speed ÷ BullMQ's |`,
    '| ---: | --- | --- | --- | ---: |',
    ...rows,
  ];
}

function costTable(r) {
  const rows = r.byConcurrency.map(({ djc: d, bullmq: b, ratios: q, concurrency: c }) => {
    const parts = b.all.map((y) => y.cpuParts);
    const mid = parts[Math.floor(parts.length / 2)] ?? {};
    const dr = d.peakRssKiB;
    const br = b.peakRssKiB;
    return `| ${c} | ${cpuTask(d.cpuMsPerTask)} | ${cpuTask(b.cpuMsPerTask)} (workers ${int(mid.workersMs ?? 0)} ms, Redis ${int(mid.redisMs ?? 0)} ms, addBulk ${int(mid.producerMs ?? 0)} ms) | ${typeof q.cpuPerTask === 'number' ? `${q.cpuPerTask.toFixed(2)}×` : 'n/a'} | djc run ${mib(dr['djc run'])}, each worker ≤ ${mib(dr.worker)} | each worker ≤ ${mib(br.worker)}, redis-server ${mib(br['redis-server'])} |`;
  });
  return [
    `| concurrency | djc CPU per task | BullMQ CPU per task (median run's parts) | djc ÷ BullMQ | djc peak RSS | BullMQ peak RSS |`,
    '| ---: | ---: | --- | ---: | --- | --- |',
    ...rows,
  ];
}

function repsTable(r) {
  const rows = [];
  for (let rep = 1; rep <= r.reps; rep++) {
    for (const x of r.byConcurrency) {
      const d = x.djc.all.find((y) => y.rep === rep);
      const b = x.bullmq.all.find((y) => y.rep === rep);
      const rss = (procs) => procs.map((p) => `${p.label} ${mib(p.peakRssKiB)}`).join(', ');
      if (d) rows.push(`| ${rep} | ${x.concurrency} | djc | ${d.load1} | ${sec(d.wallMs)} start → exit | ${sec(d.steadyMs)} | ${int(d.cpuMs ?? NaN)} ms | ${rss(d.procs)} |`);
      if (b) rows.push(`| ${rep} | ${x.concurrency} | BullMQ | ${b.load1} | ${sec(b.enqueueToDoneMs)} addBulk → done (addBulk ${sec(b.enqueueMs)}; whole ${sec(b.wholeMs)}) | ${sec(b.steadyMs)} | ${int(b.cpuMs)} ms | ${rss(b.procs)} |`);
    }
  }
  return [
    'Every run, in the order they ran, with the 1-minute load average at its start (2 cores: above 2, other work on the machine competed for them):',
    '',
    '| round | concurrency | system | load | time | first start → last end | CPU | peak RSS |',
    '| ---: | ---: | --- | ---: | --- | ---: | ---: | --- |',
    ...rows,
  ];
}

/** A warning when the machine was busy: then the wall times say who won the CPU as much as who is faster. */
function loadNote(r) {
  const loads = r.byConcurrency.flatMap((x) => [...x.djc.all, ...x.bullmq.all].map((y) => y.load1));
  const cores = r.machine?.nproc ?? 2;
  const hi = Math.max(...loads);
  if (!(hi > cores)) return [];
  return [
    `> **The machine was busy:** 1-minute load ${Math.min(...loads)}–${hi} on ${cores} cores at the runs' starts. Both sides then`,
    '> wait for a core more than they work, and the wall times (and their ratios) move from run to run with what else',
    '> runs; CPU per task moves much less and is the steadier comparison.',
    '',
  ];
}

/** The tasks that wait: wall and CPU per concurrency, every run, and what concurrency 10 did for each system. */
function waitingTable(w) {
  if (!w) return [];
  const [c1, c10] = w.byConcurrency;
  const runs = (xs, f) => xs.map((x) => (typeof x[f] === 'number' ? (x[f] / 1000).toFixed(2) : 'n/a')).join(', ');
  return [
    `### Tasks that wait`,
    '',
    `${int(w.tasks)} tasks whose handler (and BullMQ's processor) awaits a ${w.waitMs} ms timer before it returns, as a task waiting`,
    'on I/O does, the same way otherwise. Here concurrency can help on 2 cores: 10 tasks of a worker wait at once.',
    `djc runs each attempt alone on a handler thread, so concurrency 10 takes 10 threads; BullMQ runs the 10 processors in`,
    'one event loop.',
    '',
    '| concurrency | djc start → exit (each run) | BullMQ addBulk → done (each run) | djc / BullMQ speed | CPU per task djc / BullMQ |',
    '| ---: | --- | --- | ---: | --- |',
    ...w.byConcurrency.map((x) => `| ${x.concurrency} | ${sec(x.djc.wallMs)} (${runs(x.djc.all, 'wallMs')}) | ${sec(x.bullmq.enqueueToDoneMs)} (${runs(x.bullmq.all, 'enqueueToDoneMs')}) | ${ratio(x.ratios.endToEnd)} | ${cpuTask(x.djc.cpuMsPerTask)} / ${cpuTask(x.bullmq.cpuMsPerTask)} |`),
    '',
    `Concurrency 10 over 1: djc ${(c1.djc.wallMs / c10.djc.wallMs).toFixed(1)}× faster, BullMQ ${(c1.bullmq.enqueueToDoneMs / c10.bullmq.enqueueToDoneMs).toFixed(1)}× faster.`,
    '',
  ];
}

export function renderBullmq(r, measured) {
  const head = [...HEAD, ...measured, ''];
  if (!r) return head;
  const [c1, c10] = r.byConcurrency;
  const cpuMax = Math.max(...r.byConcurrency.map((x) => x.djc.cpuMsPerTask ?? Infinity));
  return [
    ...head,
    `${int(r.tasks)} tasks, ${r.workers} workers; BullMQ ${r.versions.bullmq}, Redis ${r.versions.redis ?? 'n/a'}. Targets (issue 14): djc at least as fast as BullMQ`,
    `at both concurrencies (speed ratio ≥ ${r.targets.speedRatio}), concurrency 10 no slower than 1, CPU per task ≤ ${r.targets.cpuMsPerTask} ms.`,
    `**Start → exit vs addBulk → done: djc ${ratio(c1.ratios.endToEnd)} BullMQ's speed at concurrency 1, ${ratio(c10.ratios.endToEnd)} at concurrency 10;**`,
    `djc's concurrency 10 ${c10.djc.wallMs <= c1.djc.wallMs ? 'helped' : 'hurt'} (${sec(c1.djc.wallMs)} → ${sec(c10.djc.wallMs)}). **CPU per task: djc ${cpuTask(c1.djc.cpuMsPerTask)} and ${cpuTask(c10.djc.cpuMsPerTask)}**`,
    `(BullMQ ${cpuTask(c1.bullmq.cpuMsPerTask)} and ${cpuTask(c10.bullmq.cpuMsPerTask)}): target ${cpuMax <= r.targets.cpuMsPerTask ? 'met' : 'not met'}.`,
    '',
    ...loadNote(r),
    ...timesTable(r),
    '',
    ...costTable(r),
    '',
    ...repsTable(r),
    '',
    ...waitingTable(r.waiting),
  ];
}
