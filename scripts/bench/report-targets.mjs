/**
 * The summary at the top of docs/benchmarks.md: issue 14's targets, each next
 * to its peer's figure and djc's, read from the other benchmarks' last JSON
 * results (write-report.mjs keeps them in `data.results[name]`, with
 * `measuredAt`). A benchmark never run shows "not measured yet"; one whose
 * JSON lacks a figure a row needs shows "figures not found" instead of
 * failing the report. Rows from benchmarks measured at different times can
 * sit side by side: the last column says when each was measured.
 */
const int = (x) => Math.round(x).toLocaleString('en-US');
const s2 = (ms) => `${(ms / 1000).toFixed(2)} s`;
const ms0 = (x) => `${int(x)} ms`;
const x2 = (x) => `${x.toFixed(2)}×`;
const num = (x) => typeof x === 'number' && Number.isFinite(x);

/** The first of `paths` ('a.b.c') that leads to a finite number in `r`, else undefined. */
export function pick(r, paths) {
  for (const path of paths) {
    const v = path.split('.').reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), r);
    if (num(v)) return v;
  }
  return undefined;
}

/** Throws when a figure a row needs is missing (the row then says so). */
function need(...xs) {
  if (!xs.every(num)) throw new Error('missing figure');
}

const verdict = (ok) => (ok ? '**met**' : '**not met**');

/** The range of the 1-minute load average at the starts of the bullmq runs, e.g. "load 0.4–1.2". */
function bullmqLoad(r) {
  const loads = (r.byConcurrency ?? []).flatMap((x) => [...(x.djc?.all ?? []), ...(x.bullmq?.all ?? [])].map((y) => y.load1)).filter(num);
  return loads.length ? `load ${Math.min(...loads)}–${Math.max(...loads)}` : null;
}

function bullmqRow(c) {
  return {
    load: bullmqLoad,
    work: (r) => `${num(r?.tasks) ? int(r.tasks) : '20,000'} no-op module tasks, 2 workers, concurrency ${c} (§16)`,
    bench: 'bullmq',
    target: c === 1 ? '≥ 1.0× BullMQ' : '≥ 1.0× BullMQ; no slower than at concurrency 1',
    read(r) {
      const x = r.byConcurrency.find((y) => y.concurrency === c);
      const c1 = r.byConcurrency.find((y) => y.concurrency === 1);
      need(x.bullmq.enqueueToDoneMs, x.djc.wallMs, x.ratios.endToEnd, c1.djc.wallMs);
      const helps = c === 1 || x.djc.wallMs <= c1.djc.wallMs;
      return {
        peer: `BullMQ ${r.versions.bullmq} + Redis ${r.versions.redis}: ${s2(x.bullmq.enqueueToDoneMs)} (addBulk → done)`,
        djc: `${s2(x.djc.wallMs)} start → exit (${x2(x.ratios.endToEnd)})${c === 1 ? '' : `; ${helps ? 'faster' : 'slower'} than at concurrency 1`}`,
        met: x.ratios.endToEnd >= 1 && helps,
      };
    },
  };
}

const ROWS = [
  bullmqRow(1),
  bullmqRow(10),
  {
    work: 'CPU per no-op task, concurrency 1 / 10 (§16)',
    bench: 'bullmq',
    load: bullmqLoad,
    target: '≤ 0.35 ms',
    read(r) {
      const cpu = (who) => r.byConcurrency.map((x) => x[who].cpuMsPerTask);
      need(...cpu('djc'), ...cpu('bullmq'));
      const f = (xs) => xs.map((x) => `${x.toFixed(2)} ms`).join(' / ');
      return { peer: `BullMQ (Node + Redis): ${f(cpu('bullmq'))}`, djc: f(cpu('djc')), met: Math.max(...cpu('djc')) <= 0.35 };
    },
  },
  {
    work: '2,000 × `true` command, 2 at a time (§2)',
    bench: 'command-overhead',
    target: '≤ 1.0× GNU parallel, ≤ 2× xargs',
    read(r) {
      need(r.djc.wallMs, r.xargs.wallMs, r.ratios.djcVsXargs);
      const hasParallel = !r.parallel.skipped;
      if (hasParallel) need(r.parallel.wallMs, r.ratios.djcVsParallel);
      return {
        peer: `${hasParallel ? `GNU parallel ${s2(r.parallel.wallMs)}` : `GNU parallel skipped (${r.parallel.skipped})`}, xargs ${s2(r.xargs.wallMs)}`,
        djc: `${s2(r.djc.wallMs)} (${hasParallel ? `${x2(r.ratios.djcVsParallel)} parallel, ` : ''}${x2(r.ratios.djcVsXargs)} xargs)`,
        met: (!hasParallel || r.ratios.djcVsParallel <= 1) && r.ratios.djcVsXargs <= 2,
      };
    },
  },
  {
    work: '`djc status` / `djc tasks --limit 20` during a 100k-task job; `djc --version`',
    bench: 'cli-latency',
    target: '< 150 ms each; `--version` < 80 ms',
    read(r) {
      const status = pick(r, ['status.medianMs', 'status.ms', 'statusMs', 'medians.status', 'commands.status.medianMs']);
      const tasks = pick(r, ['tasks.medianMs', 'tasks.ms', 'tasksMs', 'medians.tasks', 'commands.tasks.medianMs']);
      const version = pick(r, ['version.medianMs', 'version.ms', 'versionMs', 'medians.version', 'commands.version.medianMs']);
      need(status, tasks, version);
      return {
        peer: '`squeue`, `kubectl get`: tens of ms',
        djc: `${ms0(status)} / ${ms0(tasks)}; \`--version\` ${ms0(version)}${loadNote(r.reps?.map((x) => x.load1))}${r.median?.djc ? ` (CPU ${r.median.djc.status.cpuMs} / ${r.median.djc.tasks.cpuMs} / ${r.median.djc.version.cpuMs} ms)` : ''}`,
        met: status < 150 && tasks < 150 && version < 80,
      };
    },
  },
  {
    work: 'submit → first attempt starts (daemon running)',
    bench: 'submit-latency',
    target: '< 300 ms',
    read(r) {
      // submit-latency.mjs: medians from the submit command's start, per variant (cold start, warm pool).
      const cold = r.summary?.cold?.medianMs?.started;
      const warm = r.summary?.warm?.medianMs?.started;
      need(cold ?? warm);
      const parts = [cold === undefined ? null : `cold ${ms0(cold)}`, warm === undefined ? null : `warm pool ${ms0(warm)}`].filter(Boolean);
      const best = Math.min(...[cold, warm].filter((x) => x !== undefined));
      const cpu = r.summary?.warm?.medianMs?.submitCpu;
      return { peer: 'Step Functions: ~7 s', djc: `${parts.join(', ')} (submit start → attempt start)${loadNote(r.runs?.map((x) => x.load))}${cpu ? `; submit CLI CPU ${ms0(cpu)}` : ''}`, met: best < 300 };
    },
  },
  {
    work: 'partition 1 GiB JSONL by records, whole process (§3)',
    bench: 'partition-throughput',
    target: '≤ 1.5× `wc -l`',
    read(r) {
      need(r.wc.ms, r.partition.ms, r.ratios.partitionVsWc);
      // A wall-time ratio from a busy machine says little (wc -l's own time varied 0.2-1.4 s at load 16): not a verdict.
      // Busy: CPU pressure (PSI some avg10, % of ~10 s a task waited for a CPU) >= 10 at a start; without PSI, load >= 2.
      const load = Math.max(...(r.loadAvgAtStart ?? [0]));
      const psi = (r.cpuPressureAtStart ?? []).filter((x) => typeof x === 'number');
      const waited = psi.length > 0 ? Math.max(...psi) : null;
      const cpu = r.ratios.partitionCpuVsWc ? `; CPU ${x2(r.ratios.partitionCpuVsWc)}` : '';
      const busyNow = waited === null ? load >= 2 : waited >= 10;
      const busy = busyNow ? ` (at load ${load}${waited === null ? '' : `, CPU pressure ${waited}%`}: wall times not comparable${cpu})` : '';
      return { peer: `\`wc -l\` ${ms0(r.wc.ms)}`, djc: `${ms0(r.partition.ms)} (${x2(r.ratios.partitionVsWc)})${busy}`, met: busy === '' && r.ratios.partitionVsWc <= 1.5 };
    },
  },
  {
    work: '1,000,000-task job through the daemon (opt-in `scale`)',
    bench: 'scale',
    target: 'prepare < 10 s; coordinator and each worker < 150 MiB; ≥ BullMQ\'s rate',
    read(r, all) {
      // A child that never ran (cpu 0, no sample at 10% done) is a short-lived helper process, not a worker.
      const workers = (r.workerProcs ?? []).filter((w) => w.cpuS > 0 || w.at10MiB !== null).map((w) => w.peakMiB);
      need(r.prepareS, r.tasksPerS, r.coordinator?.peakMiB, ...workers);
      const peers = (all.bullmq?.byConcurrency ?? []).map((x) => x.bullmq.tasksPerSec).filter(num);
      const peerRate = peers.length ? Math.max(...peers) : null;
      const peakOk = Math.max(r.coordinator.peakMiB, ...workers) < 150;
      return {
        peer: peerRate === null ? 'BullMQ\'s rate: not measured yet (`pnpm bench bullmq`)' : `BullMQ (§16, best of c1/c10): ${int(peerRate)} tasks/s`,
        // The opt-in run may be smaller than the target's million (BENCH_SCALE_TASKS): say so.
        djc: `${r.tasks !== undefined && r.tasks !== 1_000_000 ? `measured at ${int(r.tasks)} tasks only: ` : ''}prepare ${r.prepareS.toFixed(1)} s; ${int(r.tasksPerS)} tasks/s; peak RSS coordinator ${int(r.coordinator.peakMiB)} MiB, workers ${workers.map(int).join(', ')} MiB${r.loadAtStart > 4 ? ` (at load ${r.loadAtStart}: wall times inflated)` : ''}`,
        met: r.prepareS < 10 && peakOk && peerRate !== null && r.tasksPerS >= peerRate,
      };
    },
  },
];

function row(spec, results) {
  const r = results[spec.bench];
  const work = typeof spec.work === 'function' ? spec.work(r) : spec.work;
  const run = `\`pnpm bench ${spec.bench}\``;
  if (!r) return `| ${work} | – | not measured yet (${run}) | ${spec.target} | – | – |`;
  const load = spec.load?.(r);
  const when = `${typeof r.measuredAt === 'string' ? r.measuredAt.slice(0, 10) : '?'}${load ? ` (${load})` : ''}`;
  try {
    const f = spec.read(r, results);
    return `| ${work} | ${f.peer} | ${f.djc} | ${spec.target} | ${verdict(f.met)} | ${when} |`;
  } catch {
    return `| ${work} | – | measured, but its figures were not found in its results (see its section) | ${spec.target} | – | ${when} |`;
  }
}

/** The "Issue 14's targets" section: one row per target. */
export function renderTargets(results) {
  return [
    '## Issue 14\'s targets',
    '',
    'Each target of issue 14 next to its peer\'s figure and djc\'s, from the',
    'sections below (their latest runs; the ratios are the targets, the absolute',
    'figures move with the machine and its load). A speed ratio above 1× means',
    'djc is faster. Rows measured on different days were measured under different',
    'loads: compare within a row, where peer and djc ran in the same sitting. The',
    'machine has 2 cores: at a load well above 2, the wall times say who wins the',
    'CPU as much as who is faster, and CPU per task is the steadier figure.',
    '',
    '| work | peer | djc | target | met? | measured |',
    '| --- | --- | --- | --- | --- | --- |',
    ...ROWS.map((spec) => row(spec, results)),
    '',
  ];
}

/** ' at load A-B' when the run's 1-minute load went above 4 (2 cores: the wall times are mostly waiting for a core), else ''. */
function loadNote(loads) {
  const xs = (loads ?? []).filter((x) => typeof x === 'number');
  if (xs.length === 0 || Math.max(...xs) <= 4) return '';
  return ` at load ${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))}`;
}
