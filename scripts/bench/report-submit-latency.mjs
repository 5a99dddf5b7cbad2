/** The docs/benchmarks.md section of `pnpm bench submit-latency` (scripts/bench/submit-latency.mjs). */
const ms = (x) => (x === null || x === undefined ? '–' : `${x}`);
const STEPS = [
  ['written', 'job written'], ['cliExit', 'submit exited'], ['submitCpu', 'submit CPU (user + sys)'], ['granted', 'worker granted'], ['workerReady', 'worker ready'],
  ['claimed', 'task claimed'], ['started', '**attempt started**'], ['entered', 'handler entered'],
];

export function renderSubmitLatency(r, measured) {
  const head = [
    '## 20. Submit → first attempt, with a daemon running',
    '',
    'Two `djc coordinator` daemons run side by side in two temp homes: `cold`',
    '(`warm_workers: 0`: a worker process is started for each job, as before) and',
    '`warm` (`warm_workers: 1`: an idle warm worker is bound to the job; see',
    '[warm workers](scheduling.md#warm-workers)); with `BENCH_SUBMIT_BASELINE` a',
    'third runs another build (`baseline`, e.g. main before issue 14). Each round',
    'submits one one-task job (a module handler that returns its own clock) with',
    '`djc submit` to each daemon in turn (the order rotates each round), one at a',
    'time, the next once the previous job ended and the warm pool is ready again.',
    'Times are from the submit command\'s start (the benchmark\'s clock just before',
    'the spawn): the job record\'s `createdAt` (CLI start, config validated, job',
    'written), the submit process\'s exit, the worker\'s allocation (the daemon',
    'noticed the job, scheduled it and started or bound a worker), the worker\'s',
    '`worker started` log line (ready: backend open, job read), the task\'s',
    '`claimedAt` and `startedAt` (**the attempt\'s start: the target, under 300 ms**)',
    'and the handler\'s own clock when it was called. Every step is on one machine\'s',
    'clock. Knobs: `BENCH_SUBMIT_REPS` (5), `BENCH_SUBMIT_BASELINE` (unset).',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const table = [
    `| variant | ${STEPS.map(([, label]) => label).join(' | ')} | daemon side (written → started) | target < ${r.targetMs} ms |`,
    `| --- | ${STEPS.map(() => '---').join(' | ')} | --- | --- |`,
    ...r.variants.map((v) => {
      const s = r.summary[v];
      return `| ${v} | ${STEPS.map(([k]) => `${ms(s.medianMs[k])} ms`).join(' | ')} | ${s.daemonSideMs} ms | ${s.met ? 'met' : 'not met'} |`;
    }),
  ];
  const runs = [
    '| # | variant | load (1 min) | written | submit exited | submit CPU | granted | bound | worker ready | claimed | attempt started | handler entered |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.runs.map((x, i) => `| ${i + 1} | ${x.variant} | ${x.load} | ${ms(x.written)} | ${ms(x.cliExit)} | ${ms(x.submitCpu)} | ${ms(x.granted)} | ${ms(x.bound)} | ${ms(x.workerReady)} | ${ms(x.claimed)} | ${ms(x.started)} | ${ms(x.entered)} |`),
  ];
  return [
    ...head,
    `Medians of ${r.reps} rounds, ms after the submit command started:`,
    '',
    ...table,
    '',
    'Every repetition, in the order run (ms after the submit command started; "bound": the warm worker\'s `warm worker bound to a job` line):',
    '',
    ...runs,
    '',
    ...loadNote(r),
    ...FINDINGS,
  ];
}

/** The load the runs saw, and the daemon side of each variant against the cold one. */
function loadNote(r) {
  const loads = r.runs.map((x) => x.load);
  const cold = r.summary.cold?.daemonSideMs;
  const others = r.variants.filter((v) => v !== 'cold' && cold).map((v) => `${v} ${r.summary[v].daemonSideMs} ms (${(r.summary[v].daemonSideMs / cold).toFixed(2)}× cold)`);
  return [
    `The 1-minute load average at the submits was ${Math.min(...loads)}–${Math.max(...loads)} on ${r.machineCpus ?? 'this'} CPUs: `
      + 'far above the core count, every step takes many times its quiet figure, so compare the variants of one run, '
      + `not the absolute times. Daemon side (job written → attempt started), medians: cold ${cold} ms; ${others.join('; ')}.`,
    '',
  ];
}

/** Where the time went, and what changed (profiles and interleaved runs of this branch, issue 14). */
const FINDINGS = [
  '**Where the time went before** (main, a daemon running, the issue\'s 1,063 ms on a quiet machine):',
  'the submit CLI itself (Node start, loading the CLI and zod, validating, writing:',
  '~450 ms; the `cli-latency` section and the CLI\'s lazy imports work on it); the',
  'daemon noticing the job only at its next poll (0–500 ms, 250 ms on average); a',
  'worker process started for the job: `node --cpu-prof` of a worker\'s start shows',
  'its main thread (2.5 s of samples not idle, at load ~15) loading modules: the ESM',
  'loader and resolver 31%, path, package.json and stat look-ups 13%, zod\'s schemas',
  'built at import 9%, CJS loading and compiling 10%, GC 14%; 0.4–0.6 s of CPU (GNU',
  'time) before its first receive; then the claim and the attempt\'s start (a few ms).',
  '',
  '**What changed:** a submit touches `$DJC_HOME/daemon.wake`, which the daemon',
  'watches, so its tick runs at once (the `granted` step is now the tick itself:',
  'listing the jobs and scheduling); and the daemon keeps `warm_workers` (default',
  '1) idle workers with their modules loaded and the backend open, so a granted',
  'job binds one (a `taskset -p` when pinned, one line on its stdin) instead of',
  'starting a process: `granted → worker ready` drops from the process start to the',
  'job read and the handler thread asked for.',
  '',
  '**Measured on this branch** (interleaved, load 8–12 on 2 cores, 3 rounds, before the',
  'refill delay went from 250 ms to 2 s): job written → attempt started, medians, warm',
  '167 ms (702, 167, 54), cold 637 ms, main 908 ms (the baseline build); written →',
  'granted: warm and cold 13–119 ms with the wake-up, main 170–402 ms (its poll).',
  '',
  '**What is left, and a doubt:** the handler thread. The attempt starts (its task is',
  'RUNNING) as soon as the worker claimed it, but the handler is called only once the',
  'worker\'s handler thread has started and imported its modules (all of `@djc/core`,',
  '~350 ms of CPU here; `handler entered`). A warm worker starts that thread when',
  'bound (its heap limit is the job\'s memory), and in these runs the handler was',
  'entered LATER after the job was written with a warm worker than with a cold one',
  '(medians ~1.9 s against ~0.85 s at load 12–14): the thread\'s start now overlaps the',
  'daemon\'s prepare and the submit command\'s exit on 2 cores, where a cold worker\'s',
  'process start absorbed them; not established, and few rounds on a noisy machine.',
  'Pre-starting one handler thread in the warm worker (adopted when the job\'s heap',
  'limit is the default) and a handler thread that imports only what it needs are the',
  'next levers. (Round 5: the thread imports `@djc/core/thread`, 31 modules instead of 293;',
  'its start is ~75 ms of CPU instead of ~250-300 at load ~8, section 1; the worker process',
  'imports `@djc/core/worker`. Cold, 4 runs each, one after the other at load 15-17: attempt',
  'started → handler entered 670-1,927 ms (median ~1.4 s) → 192-922 ms (~0.36 s).) The CLI',
  'start-up (`written`) is the other large share.',
  '',
  '**Round 2: the submit CLI** (`submit CPU`: user + sys of the `djc submit` process',
  'and the module-probe child it waits for, under GNU time). On main it loaded ~570',
  'module files: execa (106, through the coordinator\'s notification command), zod',
  '(95), yaml (72), the partitioners, the pipeline model, the coordinator and the',
  'worker; module resolution and loading were most of its profile. A module handler\'s',
  'exports are checked in a child process (a Node start, 4 modules; kept: it contains',
  'a module whose top level hangs or exits). Changed: `pnpm build` bundles the `djc`',
  'process (the CLI-latency section: one file per entry, commands as chunks), and',
  '`notify.ts` imports execa only when a notification command runs. Validation is',
  'the same code (the same schema, the same probe, the same errors). Interleaved,',
  'CPU medians: 0.47 -> 0.25 s (a command handler, no daemon, load 5-8, 5 runs), and',
  'in the table above (a module handler, daemon running, load 30-38) 640 ms on main',
  'against 360-370 ms. Wall times in that run are mostly waiting for a core (load',
  'over 30 on 2 cores): re-run on a quiet machine for the 300 ms target. What a',
  'submit still spends: zod building the config schema and parsing the job (the',
  'largest share of the rest of its profile), yaml, the SQLite write, and the probe',
  'child\'s Node start.',
  '',
];
