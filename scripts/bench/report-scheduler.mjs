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
