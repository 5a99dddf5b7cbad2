/** The docs/benchmarks.md section of `pnpm bench worker-soak` (scripts/bench/worker-soak.mjs). */
const n = (x) => Math.round(x).toLocaleString('en-US');

/** At most 20 of the samples, evenly spaced, the first and last included. */
function spread(xs) {
  if (xs.length <= 20) return xs;
  return Array.from({ length: 20 }, (_, i) => xs[Math.round((i * (xs.length - 1)) / 19)]);
}

export function renderWorkerSoak(r, measured) {
  const head = [
    '## 19. A worker\'s live heap over 100,000 tasks',
    '',
    'One `djc run` of 100,000 one-record no-op module tasks on 2 workers. Each',
    'worker runs with `NODE_OPTIONS=--expose-gc` and `DJC_WORKER_HEAP_SAMPLE_MS`',
    '(a diagnostic: every that many ms a full collection, then one `worker heap`',
    'log line with `heapUsed` and the tasks handled so far), read back from the',
    'workers\' log files. Verdict per worker: the least-squares slope of the heap',
    'over the tasks handled, from 10% of its tasks (code loaded, caches warm) to',
    'its last sample while running; **flat** when it adds up to less than 2 MiB',
    'over the run, else **grows**. Measured, not tested.',
    '',
    'Before the fix (issue 14): the worker loop raced its busy slots against a',
    'promise that stayed pending until shutdown (`Promise.race([...active, stopped])`),',
    'and each race left a reaction on that promise: ~510 bytes of live heap per',
    'task (20,000 tasks: 15.5 → 18.9 MiB and 15.4 → 20.2 MiB, still there after',
    'the worker stopped). The loop now sleeps on one waiter (loop-wake.ts) that',
    'a freed slot, a finished message, a stale held task or the stop signal wakes:',
    '~25 bytes per task on the same run, within the noise of the samples.',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const rows = r.workers.map((w) => `| ${w.worker} | ${n(w.tasks)} | ${w.firstMiB} MiB | ${w.lastMiB} MiB | ${w.afterStopMiB} MiB | ${w.bytesPerTask} | ${w.verdict} |`);
  const samples = r.workers.map((w) => `- ${w.worker}: ${spread(w.samples).map((s) => `${n(s.tasks)}: ${s.heapMiB}`).join(', ')} (tasks: heap MiB)`);
  return [
    ...head,
    `**${r.verdict}**: ${n(r.tasks)} tasks at compute.concurrency ${r.concurrency} in ${(r.wallMs / 1000).toFixed(1)} s, a sample every ${r.sampleMs} ms${r.workers.every((w) => w.gc) ? ' (each after a forced full collection)' : ' (without --expose-gc: no forced collection, the figures include garbage)'}.`,
    '',
    '| worker | tasks | heap at 10% of its tasks | heap at its last sample | after it stopped | slope, bytes per task | verdict |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    'Samples (at most 20 per worker, evenly spaced, the last one after the worker stopped):',
    '',
    ...samples,
    '',
  ];
}
