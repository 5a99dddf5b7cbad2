/** The sections of docs/benchmarks.md, each from its benchmark's JSON result. */
import { round } from './lib.mjs';

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
    `| xargs | \`${r.commands.xargs.replace(/seq \d+/, 'seq N').replace('|', '\\|')}\` | ${sec(x.wallMs)}${all(x.wallMsAll)} | ${msf(x.msPerTask)} | 1× | ${cpu(x)} |`,
  ];
  const summary = p.skipped
    ? `**djc: ${msf(d.msPerTask)} per task end to end**; xargs: ${msf(x.msPerTask)} (djc / xargs = ${times(ratios.djcVsXargs)}). GNU parallel was skipped: ${p.skipped}.`
    : `**djc: ${msf(d.msPerTask)} per task end to end; GNU parallel: ${msf(p.msPerTask)} (djc / parallel = ${times(ratios.djcVsParallel)})**; xargs: ${msf(x.msPerTask)} (djc / xargs = ${times(ratios.djcVsXargs)}).`;
  return [
    ...head,
    `N = ${int(r.tasks)}. ${summary}`,
    `Between djc's first attempt start and last attempt end: ${msf(d.steadyMsPerTask)} per task`,
    `(start-up ${sec(d.phases.startupMs + d.phases.toFirstTaskMs)}, finalize ${sec(d.phases.finalizeMs)} in the median run).`,
    '',
    'CPU per task: user + sys of the whole command and its children (GNU time), median; for djc',
    'it includes start-up and finalize.',
    '',
    `| tool | command | wall, median of ${r.runs} (each run) | wall per task | vs xargs | CPU per task |`,
    '| --- | --- | --- | ---: | ---: | ---: |',
    ...rows,
    '',
  ];
}

export function renderPartition(r, measured) {
  const head = [
    '## 3. Partition throughput',
    '',
    'A generated JSONL of about 500 MiB (records of 100–300 bytes, seeded, so every',
    'run splits the same file) split into batches of 10,000 records by the built',
    'core API (`partitionInput` from `packages/core/dist/index.js`, every event',
    'consumed, batches counted), against `wc -l` on the same file: both must find',
    'every newline, and `wc -l` does nothing else, fast. `split -l 10000` (which',
    'also writes a copy of the data) is there for reference. Page cache warm: each',
    'runs once unmeasured first; then the measured runs are interleaved.',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const { input: i, partition: p, partitionInProcess: pi, wc: w, split: s, ratios } = r;
  return [
    ...head,
    `Input: ${int(i.bytes / 1e6)} MB, ${int(i.records)} records, ${int(i.batches)} batches. MB = 10⁶ bytes. Peak RSS from ${r.rssFrom}.`,
    `**The partitioner: ${int(pi.mbPerSec)} MB/s in-process (${int(p.mbPerSec)} MB/s for the whole process with Node start-up) vs \`wc -l\` ${int(w.mbPerSec)} MB/s:**`,
    `${times(ratios.partitionInProcessVsWc)} \`wc -l\`'s time (${times(ratios.partitionVsWc)} with start-up); peak RSS ${mib(p.maxRssKiB)} vs ${mib(w.maxRssKiB)}.`,
    '',
    `| tool | median of ${r.runs}, ms (each run) | MB/s | peak RSS | time vs \`wc -l\` |`,
    '| --- | --- | ---: | ---: | ---: |',
    `| djc \`partitionInput\`, whole process | ${int(p.ms)}${allMs(p.msAll)} | ${int(p.mbPerSec)} | ${mib(p.maxRssKiB)} | ${times(ratios.partitionVsWc)} |`,
    `| djc \`partitionInput\`, in-process only | ${int(pi.ms)}${allMs(pi.msAll)} | ${int(pi.mbPerSec)} | (same process) | ${times(ratios.partitionInProcessVsWc)} |`,
    `| \`wc -l\` | ${int(w.ms)}${allMs(w.msAll)} | ${int(w.mbPerSec)} | ${mib(w.maxRssKiB)} | 1× |`,
    `| \`split -l 10000\` (writes the batches) | ${int(s.ms)}${allMs(s.msAll)} | ${int(s.mbPerSec)} | – | ${times(ratios.splitVsWc)} |`,
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
