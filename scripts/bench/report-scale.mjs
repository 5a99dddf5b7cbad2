/** The docs/benchmarks.md section of the opt-in `pnpm bench scale` (scripts/bench/scale.mjs). */
const n = (x) => (x === null || x === undefined ? '—' : x.toLocaleString('en-US'));
const mark = (ok) => (ok ? 'met' : '**not met**');

export function renderScale(r, measured) {
  const head = [
    '## 16. A 1,000,000-task job through the daemon (opt-in)',
    '',
    '`djc coordinator` runs in a temp home (`--cpus 2`); `djc submit` sends one job: a JSONL of',
    'one-line records `{"i":k}` with `batch: { records: 1 }` (one task per record), an echo',
    'module handler on 2 workers, the outputs concatenated into the result. Prepare is the',
    'time from the job\'s `startedAt` (PREPARING) to the first poll (every 200 ms) that sees',
    'it RUNNING: the input split, every task written and enqueued, the manifest written.',
    'Memory is each process\'s VmRSS and VmHWM from `/proc/<pid>/status`, sampled every',
    '500 ms (the coordinator, and each of its child processes: the workers), with the RSS',
    'when 10%, 50% and 90% of the tasks were done, to tell flat from climbing. The SQLite',
    'size is `djc.sqlite` plus its WAL, at its largest. The result is checked line by line:',
    'every record exactly once. Not part of a plain `pnpm bench` (it takes minutes): run',
    '`pnpm bench scale` (knobs: `BENCH_SCALE_TASKS` (1000000), `BENCH_SCALE_WORKERS` (2),',
    '`BENCH_SCALE_NODE_OPTIONS` (e.g. `--cpu-prof`), `BENCH_SCALE_DAEMON_ARGS`).',
    '',
    ...findings(),
    ...measured,
    '',
  ];
  if (!r) return head;
  const workers = r.workerProcs ?? [];
  const worst = workers.length ? Math.max(...workers.map((w) => w.peakMiB)) : null;
  const rows = [
    `| prepare | ${r.prepareS} s | < ${r.targets.prepareS} s | ${mark(r.prepareS !== null && r.prepareS < r.targets.prepareS)} |`,
    `| coordinator peak RSS | ${r.coordinator.peakMiB} MiB | < ${r.targets.peakMiB} MiB | ${mark(r.coordinator.peakMiB < r.targets.peakMiB)} |`,
    `| each worker's peak RSS | ${workers.map((w) => `${w.peakMiB} MiB`).join(', ')} | < ${r.targets.peakMiB} MiB | ${mark(worst !== null && worst < r.targets.peakMiB)} |`,
    `| tasks/s, submit → end | ${n(r.tasksPerS)} (${n(r.steadyTasksPerS)} between 10% and 90% done) | ≥ BullMQ's rate (benchmark 1) | — |`,
    `| SQLite file + WAL, largest | ${r.sqliteMiB.max} MiB (${r.sqliteMiB.end} MiB at the end) | — | — |`,
    `| result: each record exactly once | ${r.result.exactlyOnce ? 'yes' : '**no**'} (${n(r.result.lines)} lines, ${n(r.result.missing)} missing, ${n(r.result.duplicates)} duplicated) | yes | ${mark(r.result.exactlyOnce)} |`,
  ];
  const over = (p) => `${p.at10MiB} → ${p.at50MiB} → ${p.at90MiB} MiB`;
  return [
    ...head,
    `${n(r.tasks)} tasks on ${r.workers} workers; load average ${r.loadAtStart} at the start (2 cores: wall times are noisy, memory is not). Job ${r.status} in ${r.totalS} s.`,
    '',
    '| figure | measured | target | |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `RSS at 10% → 50% → 90% of the tasks done: coordinator ${over(r.coordinator)}; `
      + `${workers.map((w, i) => `worker ${i + 1} ${over(w)}`).join('; ')}. CPU: coordinator ${r.coordinator.cpuS} s, `
      + `workers ${workers.map((w) => `${w.cpuS} s`).join(', ')}. The daemon's longest event-loop stall: ${n(r.daemonMaxLagMs)} ms; `
      + `coordinator lock lost ${r.lockLosses} times.`,
    '',
  ];
}

/** What the first measurements found, and what changed (issue 14, measured in one sitting on the shared machine). */
function findings() {
  return [
    'Before the changes of issue 14 (measured on this machine, load 10–24):',
    '',
    '- **The daemon lost its lock while preparing.** A local input and the local',
    '  backend\'s writes are synchronous underneath, so `prepareJob` never gave the event',
    '  loop a turn: the daemon\'s loop stalled 14.4 s, its lock (TTL 15 s) was not renewed,',
    '  it stood down, took over again and prepared the job a second time as a resumed',
    '  prepare, which enqueues every PENDING task again: ~1,000,000 duplicate messages that',
    '  the workers then received and dropped one claim at a time (the job sat at 330,000',
    '  tasks done for minutes). Prepare now yields after every chunk of 2,000 tasks.',
    '- **The coordinator held the whole manifest.** Every batch descriptor stayed in an',
    '  array until the end, then `JSON.stringify` made one ~170 MB string of it (and a',
    '  Buffer of it to write): 811 MB RSS, 312 MB of heap and 214 MB outside it after',
    '  prepare. The manifest is now streamed into the blob store batch by batch, one batch',
    '  per line (still one JSON document), and finalize rewrites it the same way for a job',
    '  split by bytes, reading the tasks a page at a time beside it.',
    '',
  ];
}
