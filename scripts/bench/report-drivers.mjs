/** Section 6 of docs/benchmarks.md: the local backend's two SQLite drivers (scripts/bench/sqlite-drivers.mjs). */

const int = (x) => Math.round(x).toLocaleString('en-US');
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const each = (runs, key) => runs.map((r) => (r[key] / 1000).toFixed(2)).join(', ');
const cpu = (ms) => (ms === null || ms === undefined ? 'n/a' : sec(ms));
const mib = (kib) => (kib === null || kib === undefined ? 'n/a' : `${int(kib / 1024)} MiB`);
const LABEL = { node: '`node` (node:sqlite)', 'better-sqlite3': '`better-sqlite3`' };

/** "x is 1.23× faster than y" from two medians (lower is better). */
function compare(a, b, ms) {
  const [fast, slow] = ms[a] <= ms[b] ? [a, b] : [b, a];
  return `${LABEL[fast]} ${(ms[slow] / ms[fast]).toFixed(2)}× faster`;
}

export function renderDrivers(r, measured) {
  const head = [
    '## 6. The local backend\'s SQLite drivers (opt-in)',
    '',
    'The local backend talks to SQLite through one driver interface with two',
    'implementations (`DJC_SQLITE_DRIVER`): Node\'s built-in `node:sqlite` and the',
    '`better-sqlite3` package. Both run the same two jobs in one sitting on one Node,',
    'runs interleaved (the order alternates each round): benchmark 1\'s no-op tasks',
    '(`djc run`, 2 workers, wall and CPU), and a prepare of a JSONL of one-record lines',
    'into as many tasks (the coordinator\'s `prepareJob` in its own process: tasks',
    'written, messages enqueued, manifest written; the time inside the SQLite writes,',
    '`putTasks` and `queue.send`, is summed apart). The faster one where both work is',
    'the default. Not part of a plain `pnpm bench`: run `pnpm bench sqlite-drivers`',
    '(knobs: `BENCH_TASKS`, `BENCH_REPS`, `BENCH_PREPARE_TASKS` (1000000), `BENCH_PREPARE_REPS` (2)).',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const names = Object.keys(r.drivers);
  const tasksMs = Object.fromEntries(names.map((d) => [d, r.drivers[d].tasks.wallMsMedian]));
  const prepMs = Object.fromEntries(names.map((d) => [d, r.drivers[d].prepare.msMedian]));
  const loads = names.flatMap((d) => [...r.drivers[d].tasks.runs, ...r.drivers[d].prepare.runs].map((x) => x.load1));
  const rows = names.map((d) => {
    const t = r.drivers[d].tasks;
    const p = r.drivers[d].prepare;
    return `| ${LABEL[d]} | ${int(r.tasks / (t.wallMsMedian / 1000))} | ${sec(t.wallMsMedian)} (${each(t.runs, 'wallMs')}) | ${cpu(t.median.cpuMs)} | `
      + `${sec(p.msMedian)} (${each(p.runs, 'ms')}) | ${sec(p.median.sqliteMs)} | ${cpu(p.median.cpuMs)} | ${mib(p.median.maxRssKiB)} |`;
  });
  return [
    ...head,
    `Node ${r.node}; ${int(r.tasks)} no-op tasks, ${r.drivers[names[0]].tasks.runs.length} runs per driver; a ${int(r.prepareTasks)}-task prepare, `
      + `${r.drivers[names[0]].prepare.runs.length} runs per driver. 1-minute load average at the start of the runs: `
      + `${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} (other work shared the 2 cores).`,
    '',
    `**No-op tasks: ${compare(names[0], names[1], tasksMs)}; ${int(r.prepareTasks)}-task prepare: ${compare(names[0], names[1], prepMs)}** (medians).`,
    `The default is ${LABEL[r.defaultDriver]}.`,
    '',
    `| driver | no-op tasks/s | ${int(r.tasks)} tasks: wall, median (each run) | CPU, median run | ${int(r.prepareTasks)}-task prepare: wall, median (each run) | of it in SQLite writes | prepare CPU | prepare peak RSS |`,
    '| --- | ---: | --- | ---: | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    'CPU is user + sys from GNU time (for `djc run`: with the workers it started).',
    '',
  ];
}
