/** The scheduler section of docs/benchmarks.md, from sched-tick.mjs's JSON result. */
const ms = (x) => `${x.toFixed(1)} ms`;
const n = (x) => x.toLocaleString('en-US');

export function renderSchedTick(r, measured) {
  const head = [
    '## 10. A scheduling tick',
    '',
    'One decision of the scheduler (`schedule(snapshot)`, pure, in-process) over',
    '10,000 queued jobs (40 owners, the four classes and a few integer',
    'priorities, 0.5 to 8 cpus per worker, some memory and GPUs, spread over the',
    'local, Slurm and external pools) and a few hundred running ones holding',
    'most of the capacity: the grant order, first fit, quotas, the head job\'s',
    'reservation and backfill, preemption, and a reason with a start estimate for',
    'every waiting job. Then the same with the queue document built and',
    'serialized as the daemon stores it (`scheduler/queue.json`). Each tick at a',
    'later `now`, after a warm-up. Aim: a tick under 50 ms.',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  return [
    ...head,
    `| what (${n(r.queued)} queued, ${n(r.running)} running) | median of ${r.ticks} ticks | p95 |`,
    '| --- | --- | --- |',
    `| \`schedule(snapshot)\` | ${ms(r.tick.medianMs)} | ${ms(r.tick.p95Ms)} |`,
    `| with the queue document (${(r.documentBytes / 1024 / 1024).toFixed(1)} MiB of JSON) | ${ms(r.withDocument.medianMs)} | ${ms(r.withDocument.p95Ms)} |`,
    '',
    `The last tick granted workers to ${n(r.grants)} jobs, chose ${n(r.preemptions)} preemptions (urgent jobs queued) and explained ${n(r.waiting)} waiting jobs.`,
    `Aim (${r.aimMs} ms per tick): ${r.tick.medianMs < r.aimMs ? 'within it' : 'over it'} (median).`,
    '',
  ];
}

export function renderDaemonSubmit(r, measured) {
  const head = [
    '## 11. Many small jobs through a running daemon',
    '',
    '`djc coordinator` with this machine\'s capacity, and a client submitting',
    'one-task jobs (a `sleep` command, one worker of 1 cpu each) as fast as it',
    'can: in-process through `submitJob` (the path an API client takes), then a',
    'sample through `djc submit` (one process per job, as a shell loop would).',
    'Utilisation is measured from the workers\' recorded allocations: CPU-seconds',
    'held over capacity × the span from the first grant to the last release.',
    'Aims: at least 500 jobs/s accepted, utilisation within 10% of ideal.',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  return [
    ...head,
    '| what | figure |',
    '| --- | --- |',
    `| jobs (in-process + CLI sample) | ${n(r.jobs)} (${r.failed} not SUCCEEDED) |`,
    `| accepted, in-process | ${n(r.accepted.inProcessJobsPerS)} jobs/s (${n(r.accepted.inProcessMs)} ms) |`,
    `| \`djc submit\`, one process per job | ${n(r.accepted.cliMsMedian)} ms each (median of ${r.accepted.cliSample}) |`,
    `| utilisation of ${r.capacityCpus} cpus over ${r.spanS} s | ${(r.utilisation * 100).toFixed(1)}% (${n(r.workers)} workers) |`,
    ...(r.workFraction === undefined ? [] : [`| handlers' own time (${r.sleepS} s each) over the same | ${(r.workFraction * 100).toFixed(1)}% (the rest: a worker process started and stopped per one-task job) |`]),
    `| queue wait, submit → first worker | p50 ${r.queueWaitS.p50} s, p95 ${r.queueWaitS.p95} s |`,
    '',
    `Aims: accepted rate ${r.accepted.inProcessJobsPerS >= r.aimJobsPerS ? 'above' : 'below'} the ${r.aimJobsPerS} jobs/s aim in-process `
      + `(one \`djc submit\` process per job is bound by the CLI's start-up, issue 14); `
      + `utilisation ${r.utilisation >= r.aimUtilisation ? 'within' : 'outside'} 10% of ideal. `
      + 'The capacity is held (granted) that share of the time; the handlers\' own share is lower because each one-task '
      + 'job starts and stops its own worker process: warm workers (issue 14) are the lever.',
    '',
  ];
}
