/** The "slow and mixed tasks" section of docs/benchmarks.md, from slow-tasks.mjs's JSON result. */
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const times = (x) => `${x.toFixed(2)}×`;
const all = (xs) => (xs.length > 1 ? ` (${xs.map((x) => (x / 1000).toFixed(2)).join(', ')})` : '');

export function renderSlow(r, measured) {
  const head = [
    '## 7. Slow and mixed tasks',
    '',
    'N one-record tasks, each a `sleep` of a seeded random 0.05–0.5 s, on 4',
    'workers: djc (`djc run`, a command handler per one-line batch:',
    '`read -r s; exec sleep "$s"`, `compute.workers: 4`) against `xargs -P4` and',
    'GNU parallel `-j4` sleeping the same durations from the same file. The tasks',
    'hardly use the CPU, so this measures how the tasks are spread over the 4',
    'slots: a worker that took tasks ahead of its free slots would run them one',
    'after another while others sit idle (issue 9: 8 × `sleep 2` took 11.3–11.9 s',
    'where `xargs -P4` took 4.0 s). Aim: djc within 1.1× of xargs. Runs are',
    'interleaved (djc, parallel, xargs; again…). The ideal is the same greedy',
    'order with no overhead (each task to the first free slot); djc\'s task span is',
    'its first handler start to its last end (start-up and finalize left out).',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const { djc: d, parallel: p, xargs: x, ratios: q } = r;
  const rows = [
    `| djc, 4 workers | \`djc run\` end to end | ${sec(d.wallMs)}${all(d.wallMsAll)} | ${times(q.djcVsXargs)} |`,
    `| djc, task span | first handler start → last end | ${sec(d.spanMs)}${all(d.spanMsAll)} | ${times(q.djcTasksVsXargs)} |`,
    p.skipped
      ? `| GNU parallel | skipped: ${p.skipped} | – | – |`
      : `| GNU parallel | \`${r.commands.parallel}\` | ${sec(p.wallMs)}${all(p.wallMsAll)} | ${times(q.parallelVsXargs)} |`,
    `| xargs | \`${r.commands.xargs}\` | ${sec(x.wallMs)}${all(x.wallMsAll)} | 1× |`,
    `| ideal | greedy, no overhead | ${sec(r.idealMs)} | ${times(r.idealMs / x.wallMs)} |`,
  ];
  const ph = d.phases;
  const fixed = ph.startupMs + ph.toFirstTaskMs + ph.finalizeMs + ph.exitMs;
  const verdict = (x) => (x <= 1.1 ? 'met' : 'not met');
  return [
    ...head,
    `N = ${r.tasks} (seed ${r.seed}; ${r.sleepSeconds.total.toFixed(1)} s of sleep in all, ${r.sleepSeconds.min}–${r.sleepSeconds.max} s each).`,
    `**djc ${sec(d.wallMs)} end to end = ${times(q.djcVsXargs)} xargs (${sec(x.wallMs)})${p.skipped ? '' : `, ${times(q.djcVsParallel)} GNU parallel`};`,
    `its tasks span ${sec(d.spanMs)} = ${times(q.djcTasksVsXargs)} xargs.** Tasks per worker in the median run: ${d.tasksPerWorker.join(', ')};`,
    `the longest a task waited in a worker between its claim and its start, over all runs: ${Math.round(d.maxClaimToStartMs)} ms.`,
    `The rest of djc's time is its fixed cost (start-up ${sec(ph.startupMs + ph.toFirstTaskMs)} until the first task, finalize and exit`,
    `${sec(ph.finalizeMs + ph.exitMs)} in the median run; see section 1).`,
    `Aim 1.1× xargs: ${verdict(q.djcTasksVsXargs)} by the task span (${times(q.djcTasksVsXargs)}); end to end ${verdict(q.djcVsXargs)} (${times(q.djcVsXargs)}),`,
    `the fixed cost alone being ${Math.round((100 * fixed) / x.wallMs)}% of xargs' time.`,
    '',
    `| tool | what | wall, median of ${r.runs} (each run) | vs xargs |`,
    '| --- | --- | --- | ---: |',
    ...rows,
    '',
  ];
}
