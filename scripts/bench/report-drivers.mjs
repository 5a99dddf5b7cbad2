/** Section 6 of docs/benchmarks.md: the local backend's two SQLite drivers (scripts/bench/sqlite-drivers.mjs). */

const int = (x) => Math.round(x).toLocaleString('en-US');
const sec = (ms) => (ms === null || ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const each = (runs, key) => runs.map((r) => (typeof r[key] === 'number' ? (r[key] / 1000).toFixed(2) : 'n/a')).join(', ');
const mib = (kib) => (kib === null || kib === undefined ? 'n/a' : `${int(kib / 1024)} MiB`);
const LABEL = { node: '`node` (node:sqlite)', 'better-sqlite3': '`better-sqlite3`' };

/** "`x` 1.23× faster" (lower is better), or "even" within 3%. */
function compare(values) {
  const [a, b] = Object.keys(values);
  if (values[a] === null || values[b] === null) return 'n/a';
  const [fast, slow] = values[a] <= values[b] ? [a, b] : [b, a];
  const ratio = values[slow] / values[fast];
  return ratio < 1.03 ? `even (${ratio.toFixed(2)}×)` : `${LABEL[fast]} ${ratio.toFixed(2)}× faster`;
}

const pick = (r, f) => Object.fromEntries(Object.keys(r.drivers).map((d) => [d, f(r.drivers[d])]));

function tables(r) {
  const names = Object.keys(r.drivers);
  const row = (d, cells) => `| ${LABEL[d]} | ${cells.join(' | ')} |`;
  return [
    `**\`djc run\`, ${int(r.tasks)} no-op tasks on 2 workers** (CPU: \`djc run\` and its workers, GNU time)`,
    '',
    '| driver | tasks/s | wall, median (each run) | CPU, median (each run) |',
    '| --- | ---: | --- | --- |',
    ...names.map((d) => {
      const t = r.drivers[d].tasks;
      return row(d, [int(r.tasks / (t.wallMsMedian / 1000)), `${sec(t.wallMsMedian)} (${each(t.runs, 'wallMs')})`, `${sec(t.cpuMsMedian)} (${each(t.runs, 'cpuMs')})`]);
    }),
    '',
    `**The worker's SQLite hot path alone, ${int(r.tasks)} tasks** (one process: receive, claimTasks, completeTasks, deleteBatch, 10 at a time)`,
    '',
    '| driver | wall, median (each run) | CPU, median (each run) | CPU per task |',
    '| --- | --- | --- | ---: |',
    ...names.map((d) => {
      const h = r.drivers[d].hotPath;
      return row(d, [`${sec(h.msMedian)} (${each(h.runs, 'ms')})`, `${sec(h.cpuMsMedian)} (${each(h.runs, 'cpuMs')})`, `${(h.cpuMsMedian / r.tasks * 1000).toFixed(0)} µs`]);
    }),
    '',
    `**A ${int(r.prepareTasks)}-task prepare** (\`prepareJob\` of a ${int(r.prepareTasks)}-line JSONL, one record per task)`,
    '',
    '| driver | wall, median (each run) | CPU, median (each run) | in the SQLite writes: wall, CPU (medians) | peak RSS |',
    '| --- | --- | --- | --- | ---: |',
    ...names.map((d) => {
      const p = r.drivers[d].prepare;
      return row(d, [`${sec(p.msMedian)} (${each(p.runs, 'ms')})`, `${sec(p.cpuMsMedian)} (${each(p.runs, 'cpuMs')})`,
        `${sec(p.median.sqliteMs)}, ${sec(p.sqliteCpuMsMedian)}`, mib(p.median.maxRssKiB)]);
    }),
    '',
  ];
}

/**
 * The default against the other: end to end (`djc run`, the prepare) it must
 * not take ≥3% more CPU; the hot path alone is reported, not decisive.
 */
function verdict(r) {
  const other = Object.keys(r.drivers).find((d) => d !== r.defaultDriver);
  const def = r.drivers[r.defaultDriver];
  const alt = r.drivers[other];
  const endToEnd = { '`djc run`': (d) => d.tasks.cpuMsMedian, 'the prepare': (d) => d.prepare.cpuMsMedian };
  const slower = Object.entries(endToEnd).filter(([, f]) => f(def) > 1.03 * f(alt)).map(([what]) => what);
  const install = r.defaultDriver === 'node' ? ' It needs nothing installed or compiled; better-sqlite3 stays an optional dependency, used where Node has no node:sqlite.' : '';
  const hot = def.hotPath.cpuMsMedian > 1.03 * alt.hotPath.cpuMsMedian
    ? ` (The SQLite hot path alone took ${((def.hotPath.cpuMsMedian / alt.hotPath.cpuMsMedian - 1) * 100).toFixed(0)}% more CPU on it: not decisive, since end to end it did not.)`
    : '';
  return slower.length === 0
    ? `end to end it used as little CPU as ${LABEL[other]} or less.${hot}${install}`
    : `it used more CPU than ${LABEL[other]} in ${slower.join(' and ')}: re-measure, and switch DEFAULT_SQLITE_DRIVER if that holds.${install}`;
}

export function renderDrivers(r, measured) {
  const head = [
    '## 6. The local backend\'s SQLite drivers (opt-in)',
    '',
    'The local backend talks to SQLite through one driver interface with two',
    'implementations (`DJC_SQLITE_DRIVER`): Node\'s built-in `node:sqlite` and the',
    '`better-sqlite3` package. Both run the same work in one sitting on one Node,',
    'runs interleaved (the order alternates each round): benchmark 1\'s no-op tasks',
    '(`djc run` end to end), the worker\'s SQLite hot path alone, and a prepare of',
    'a JSONL of one-record lines into as many tasks (the coordinator\'s `prepareJob` in',
    'its own process: tasks written, messages enqueued, manifest written). Wall times',
    'move with the other load on this shared machine; CPU times much less, so both',
    'are given. The faster one where both work is the default. Not part of a plain',
    '`pnpm bench`: run `pnpm bench sqlite-drivers` (knobs: `BENCH_TASKS`, `BENCH_REPS`,',
    '`BENCH_PREPARE_TASKS` (1000000), `BENCH_PREPARE_REPS` (2)).',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const runs = Object.values(r.drivers).flatMap((d) => [...d.tasks.runs, ...(d.hotPath?.runs ?? []), ...d.prepare.runs]);
  const loads = runs.map((x) => x.load1);
  return [
    ...head,
    `Node ${r.node}. 1-minute load average at the start of the runs: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}`,
    '(on 2 cores: other work shared the machine, so the wall times are noisy).',
    '',
    `- \`djc run\`, no-op tasks: wall ${compare(pick(r, (d) => d.tasks.wallMsMedian))}; CPU ${compare(pick(r, (d) => d.tasks.cpuMsMedian))}.`,
    `- SQLite hot path: wall ${compare(pick(r, (d) => d.hotPath.msMedian))}; CPU ${compare(pick(r, (d) => d.hotPath.cpuMsMedian))}.`,
    `- ${int(r.prepareTasks)}-task prepare: wall ${compare(pick(r, (d) => d.prepare.msMedian))}; CPU ${compare(pick(r, (d) => d.prepare.cpuMsMedian))}; `
      + `CPU in its SQLite writes ${compare(pick(r, (d) => d.prepare.sqliteCpuMsMedian))}.`,
    '',
    `**The default is ${LABEL[r.defaultDriver]}**: ${verdict(r)}`,
    '',
    ...tables(r),
  ];
}
