/**
 * Benchmark (opt-in): a 1,000,000-task job through the daemon (issue 14).
 * `djc coordinator` runs in a temp home (`--cpus 2`); `djc submit` sends one
 * job: a JSONL of N one-line records `{"i":k}`, `batch: { records: 1 }` (one
 * task per record), an echo module handler on 2 workers, the outputs
 * concatenated into the result. Measured:
 * - prepare: from the job's startedAt (PREPARING) to the first poll (every
 *   200 ms) that finds it RUNNING (tasks written, enqueued, manifest written);
 * - tasks/s: N over submit → endedAt, and the steady rate between 10% and
 *   90% of the tasks done (from the job's counters, polled every second);
 * - memory: every 500 ms, VmRSS and VmHWM of the coordinator and of each of
 *   its child processes (the workers) from /proc/<pid>/status: each one's
 *   peak, and the RSS at 10/50/90% of the tasks done (flat or climbing);
 *   the coordinator's peak per phase (prepare, run, finalize: phase-memory.mjs,
 *   its VmHWM reset at each status change the polls see), and finalize's
 *   time (the last task's end to the job's endedAt);
 * - the SQLite file (and its WAL) at its largest and at the end;
 * - exactly-once: the result has N lines, each `i` exactly once.
 *
 * Env: BENCH_SCALE_TASKS (1000000), BENCH_SCALE_WORKERS (2),
 * BENCH_SCALE_NODE_OPTIONS (the daemon's and its workers' NODE_OPTIONS, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`; BENCH_KEEP=1 keeps the home),
 * BENCH_SCALE_DAEMON_ARGS (more `djc coordinator` arguments),
 * BENCH_SCALE_DAEMON_NODE_ARGS (node arguments of the daemon alone, e.g.
 * `--import /tmp/heap-log.mjs`: V8 flags NODE_OPTIONS refuses),
 * BENCH_SCALE_TRACE (a directory: the daemon's log and every sample with its
 * time, the job's status and tasks done, to place a peak in a phase),
 * BENCH_SCALE_PREPARE_ONLY=1 (stop once the job is RUNNING: the prepare
 * figures and the peaks until then only, for comparing prepare changes
 * without the minutes of running every task; with where each process's
 * threads spent prepare's wall time: on a CPU, waiting for one (the run
 * queue), or neither (blocked: I/O, fsync, a lock wait, idle), from
 * /proc/<pid>/task/<tid>/schedstat).
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { appendFileSync, mkdirSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { DJC_BIN, main, note, ROOT, round, run, startCoordinator, tempDir } from './lib.mjs';
import { phaseMemory } from './phase-memory.mjs';

const TASKS = Number(process.env.BENCH_SCALE_TASKS ?? 1_000_000);
const WORKERS = Number(process.env.BENCH_SCALE_WORKERS ?? 2);
const NODE_OPTIONS = process.env.BENCH_SCALE_NODE_OPTIONS ?? '';
/** More `djc coordinator` arguments, split on spaces (e.g. `--lock-ttl 10m`). */
const DAEMON_ARGS = (process.env.BENCH_SCALE_DAEMON_ARGS ?? '').split(' ').filter(Boolean);
const SAMPLE_MS = 500;
const TRACE = process.env.BENCH_SCALE_TRACE ?? '';
const PREPARE_ONLY = process.env.BENCH_SCALE_PREPARE_ONLY === '1';
/** Node arguments of the daemon alone, split on spaces (e.g. `--import /tmp/heap-log.mjs`; NODE_OPTIONS cannot carry every V8 flag). */
const DAEMON_NODE_ARGS = (process.env.BENCH_SCALE_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** The coordinator's phase for a job status (phase-memory.mjs): its peak RSS is reported per phase. */
function phaseOf(status) {
  if (status === 'PREPARING') return 'prepare';
  if (status === 'RUNNING') return 'run';
  if (status === 'FINALIZING') return 'finalize';
  return status === 'SUBMITTING' || status === 'SUBMITTED' || status === 'QUEUED' ? 'start' : 'end';
}

const JOB_YAML = `name: scale
input: { path: in.jsonl, format: jsonl, batch: { records: 1 } }
handler: { module: ./echo.mjs#echo }
compute: { workers: ${WORKERS}, resources: { cpus: 1 } }
output: { path: out.jsonl, aggregate: concat }
`;
const ECHO = 'export function echo(records) { return records; }\n';

const lib = (path) => import(pathToFileURL(join(ROOT, path)).href);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (kib) => round(kib / 1024, 1);

async function writeInput(file, n) {
  const fh = await open(file, 'w');
  try {
    for (let i = 0; i < n;) {
      const lines = [];
      for (const end = Math.min(n, i + 65536); i < end; i++) lines.push(`{"i":${i}}\n`);
      await fh.write(lines.join(''));
    }
  } finally {
    await fh.close();
  }
}

/** VmRSS, VmHWM (KiB) and CPU seconds (user + sys) of a process, or null once it is gone. */
function procStat(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { rss: kib('VmRSS'), hwm: kib('VmHWM'), cpuS: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return null;
  }
}

/**
 * Seconds each thread of a process spent on a CPU and waiting in the run
 * queue so far (/proc/<pid>/task/<tid>/schedstat: run ns, wait ns, slices),
 * by thread name (a worker's handler threads are summed under theirs).
 */
function schedStats(pid) {
  const out = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        const name = Number(tid) === pid ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        const t = (out[name] ??= { runS: 0, waitS: 0 });
        t.runS += run / 1e9;
        t.waitS += wait / 1e9;
      } catch { /* the thread ended */ }
    }
  } catch { /* the process ended */ }
  return out;
}

/** Per process, per thread name: CPU, run-queue wait and the rest (blocked) between two schedStats, over `wallS`. */
function schedDelta(before, after, wallS) {
  const out = {};
  for (const [pid, a] of after) {
    const b = before.get(pid) ?? {};
    const role = a.role;
    const threads = {};
    for (const [name, t] of Object.entries(a.threads)) {
      const runS = t.runS - (b.threads?.[name]?.runS ?? 0);
      const waitS = t.waitS - (b.threads?.[name]?.waitS ?? 0);
      if (runS < 0.05 && waitS < 0.05) continue;
      threads[name] = name === 'main'
        ? { cpuS: round(runS, 2), runQueueS: round(waitS, 2), blockedS: round(wallS - runS - waitS, 2) }
        : { cpuS: round(runS, 2), runQueueS: round(waitS, 2) };
    }
    out[`${role}:${pid}`] = threads;
  }
  return out;
}

/** schedStats of the coordinator and each of its children now, by pid. */
function schedAll(coordPid) {
  const m = new Map([[coordPid, { role: 'coordinator', threads: schedStats(coordPid) }]]);
  for (const pid of children(coordPid)) m.set(pid, { role: childRole(pid), threads: schedStats(pid) });
  return m;
}

/** A child of the coordinator: its WAL checkpointer (DJC_WAL_CHECKPOINTER=process), reported apart, or a worker. */
function childRole(pid) {
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('checkpointer-child')) return 'checkpointer';
  } catch { /* gone */ }
  return 'worker';
}

/** PIDs whose parent is `ppid`. */
function children(ppid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.split(') ')[1].split(' ')[1]) === ppid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

function sqliteBytes(home) {
  let n = 0;
  for (const f of ['djc.sqlite', 'djc.sqlite-wal']) {
    try { n += statSync(join(home, f)).size; } catch { /* absent */ }
  }
  return n;
}

/** Samples the coordinator and its children every SAMPLE_MS until stopped. */
function memorySampler(coordPid, home, progress, phase) {
  const procs = new Map([[coordPid, { role: 'coordinator', peakRss: 0, hwm: 0, cpuS: 0, at: {} }]]);
  let sqliteMax = 0;
  const sample = () => {
    for (const pid of children(coordPid)) if (!procs.has(pid)) procs.set(pid, { role: childRole(pid), peakRss: 0, hwm: 0, cpuS: 0, at: {} });
    const done = progress();
    for (const [pid, p] of procs) {
      const s = procStat(pid);
      if (!s || Number.isNaN(s.rss)) continue; // gone, or a zombie
      p.peakRss = Math.max(p.peakRss, s.rss);
      p.hwm = Math.max(p.hwm, s.hwm);
      p.cpuS = s.cpuS;
      // The RSS when 10%, 50%, 90% of the tasks were done (the first sample past each).
      for (const q of [0.1, 0.5, 0.9]) if (done >= q * TASKS && p.at[q] === undefined) p.at[q] = s.rss;
    }
    sqliteMax = Math.max(sqliteMax, sqliteBytes(home));
    if (TRACE) {
      const rss = [...procs.entries()].map(([pid, p]) => `${p.role[0]}${pid}:${mib(procStat(pid)?.rss ?? NaN)}`);
      appendFileSync(join(TRACE, 'samples.jsonl'), `${JSON.stringify({ t: Date.now(), phase: phase(), done, rss })}\n`);
    }
  };
  const timer = setInterval(sample, SAMPLE_MS);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return { procs: [...procs.values()], sqliteMax };
    },
  };
}

/** The figures of a BENCH_SCALE_PREPARE_ONLY run: prepare's wall and CPU, and each process's peak until then. */
function prepareOnly(job, preparedMs, prepareCpuS, load, mem, sched) {
  const peak = (p) => mib(Math.max(p.hwm, p.peakRss));
  return {
    tasks: TASKS,
    workers: WORKERS,
    prepareOnly: true,
    loadAtStart: round(load, 1),
    prepareS: preparedMs === null ? null : round((preparedMs - Date.parse(job.startedAt)) / 1000, 2),
    prepareCpuS: round(prepareCpuS, 1),
    tasksDoneAtPrepared: job.tasks.succeeded,
    coordinatorPeakMiB: peak(mem.procs.find((p) => p.role === 'coordinator')),
    workerPeaksMiB: mem.procs.filter((p) => p.role === 'worker').map(peak),
    workersCpuS: mem.procs.filter((p) => p.role === 'worker').map((p) => round(p.cpuS, 1)),
    // DJC_WAL_CHECKPOINTER=process: its child's own RSS and CPU (not in the coordinator's).
    checkpointerPeakMiB: mem.procs.filter((p) => p.role === 'checkpointer').map(peak),
    checkpointerCpuS: mem.procs.filter((p) => p.role === 'checkpointer').map((p) => round(p.cpuS, 1)),
    loadAtEnd: round(loadavg()[0], 1),
    // From the first poll that saw PREPARING to the one that saw RUNNING.
    sched,
  };
}

/** The largest per-phase peak (KiB), so that the whole-run peak is never below a phase's. */
function maxPhasePeakKiB(phases) {
  return Math.max(0, ...Object.values(phases.phases).map((p) => p.peakMiB * 1024));
}

/** Seconds from the job's last task end (its latest ended_at, read-only) to the job's endedAt, or null. */
async function finalizeSeconds(home, job) {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(join(home, 'djc.sqlite'), { readOnly: true });
  try {
    const last = db.prepare('SELECT max(ended_at) AS last FROM tasks WHERE job_id = ?').get(job.jobId)?.last ?? null;
    return last === null || !job.endedAt ? null : round((Date.parse(job.endedAt) - Date.parse(last)) / 1000, 2);
  } finally {
    db.close();
  }
}

/** Counts the result's lines and checks each record 0..n-1 came exactly once. */
async function checkResult(file, n) {
  const seen = new Uint8Array(n);
  let lines = 0;
  let duplicates = 0;
  let strangers = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    lines += 1;
    const i = Number(/^\{"i":(\d+)\}$/.exec(line)?.[1] ?? -1);
    if (i < 0 || i >= n) strangers += 1;
    else if (seen[i]++ > 0) duplicates += 1;
  }
  const missing = seen.reduce((m, x) => m + (x === 0 ? 1 : 0), 0);
  return { lines, missing, duplicates, strangers, exactlyOnce: lines === n && missing === 0 && duplicates === 0 && strangers === 0 };
}

main('scale', async () => {
  const tmp = await tempDir('scale');
  const home = join(tmp.dir, '.djc');
  const env = { DJC_HOME: home, NODE_OPTIONS };
  try {
    await writeInput(join(tmp.dir, 'in.jsonl'), TASKS);
    await writeFile(join(tmp.dir, 'echo.mjs'), ECHO);
    await writeFile(join(tmp.dir, 'scale.yaml'), JOB_YAML);
    const load = loadavg()[0];
    const daemon = startCoordinator(tmp.dir, env, ['--cpus', String(WORKERS), '--summary-every', '5s', ...DAEMON_ARGS], DAEMON_NODE_ARGS);
    let daemonErr = '';
    if (TRACE) mkdirSync(TRACE, { recursive: true });
    daemon.child.stderr.on('data', (b) => {
      daemonErr += b;
      if (TRACE) appendFileSync(join(TRACE, 'daemon.log'), b);
      // Its warnings and errors (a lost lock, a worker that died) as they come; its info lines are read at the end.
      for (const l of String(b).split('\n')) if (/"level":(40|50|60)/.test(l)) process.stderr.write(`${l}\n`);
    });
    await daemon.ready;
    const { createLocalBackend } = await lib('packages/core/dist/backends/local/index.js');
    const { TERMINAL_JOB } = await lib('packages/core/dist/index.js');
    const backend = createLocalBackend({ home });
    let job = null;
    const sampler = memorySampler(daemon.child.pid, home, () => job?.tasks.succeeded ?? 0, () => job?.status ?? 'SUBMITTING');
    const phases = phaseMemory(daemon.child.pid, { first: 'start', trace: TRACE ? join(TRACE, 'coordinator-memory.jsonl') : '' });
    const marks = {};
    try {
      const t0 = Date.now();
      const submitted = await run(process.execPath, [DJC_BIN, 'submit', 'scale.yaml'], { cwd: tmp.dir, env });
      const jobId = submitted.stdout.trim();
      note(`submitted ${jobId} (${TASKS.toLocaleString('en-US')} tasks) at load ${load.toFixed(1)}`);
      let lastNote = 0;
      let preparedMs = null;
      let prepareCpuS = null;
      let schedAtStart = null;
      let sched = null;
      for (;;) {
        job = await backend.state.getJob(jobId);
        phases.phase(phaseOf(job.status));
        if (schedAtStart === null && job.status === 'PREPARING') schedAtStart = { ms: Date.now(), at: schedAll(daemon.child.pid) };
        if (preparedMs === null && !['SUBMITTED', 'QUEUED', 'PREPARING'].includes(job.status)) {
          preparedMs = Date.now();
          prepareCpuS = procStat(daemon.child.pid)?.cpuS ?? null;
          if (schedAtStart) sched = { wallS: round((preparedMs - schedAtStart.ms) / 1000, 2), ...schedDelta(schedAtStart.at, schedAll(daemon.child.pid), (preparedMs - schedAtStart.ms) / 1000) };
        }
        for (const q of [0.1, 0.9]) if (job.tasks.succeeded >= q * TASKS && marks[q] === undefined) marks[q] = { ms: Date.now(), done: job.tasks.succeeded };
        if (TERMINAL_JOB.has(job.status) || (PREPARE_ONLY && preparedMs !== null)) break;
        if (Date.now() - lastNote > 15_000) {
          lastNote = Date.now();
          note(`${job.status}: ${job.tasks.succeeded.toLocaleString('en-US')} of ${job.tasks.total.toLocaleString('en-US')} tasks done`);
        }
        // Every 200 ms around the phase changes (the per-phase peaks are exact to within a poll), else every second.
        const ended = job.tasks.succeeded + job.tasks.failed + job.tasks.cancelled;
        await sleep(preparedMs === null || job.status === 'FINALIZING' || ended >= 0.98 * TASKS ? 200 : 1000);
      }
      const mem = sampler.stop();
      const coordinatorPhases = phases.stop();
      if (PREPARE_ONLY) return { ...prepareOnly(job, preparedMs, prepareCpuS, load, mem, sched), coordinatorPhases };
      const health = daemonErr.split('\n').filter((l) => l.includes('"coordinator health"') && l.includes('eventLoopLagMs')).map((l) => JSON.parse(l));
      const sqliteEnd = sqliteBytes(home);
      const result = await checkResult(join(tmp.dir, 'out.jsonl'), TASKS);
      const coordinator = mem.procs.find((p) => p.role === 'coordinator');
      const workers = mem.procs.filter((p) => p.role === 'worker');
      const steady = marks[0.9] && marks[0.1] ? (marks[0.9].done - marks[0.1].done) / ((marks[0.9].ms - marks[0.1].ms) / 1000) : null;
      const proc = (p) => ({ peakMiB: mib(Math.max(p.hwm, p.peakRss, p.role === 'coordinator' ? maxPhasePeakKiB(coordinatorPhases) : 0)), at10MiB: mib(p.at[0.1] ?? NaN), at50MiB: mib(p.at[0.5] ?? NaN), at90MiB: mib(p.at[0.9] ?? NaN), cpuS: round(p.cpuS, 1) });
      note(`${job.status}; exactly once: ${result.exactlyOnce}; coordinator peak ${proc(coordinator).peakMiB} MiB; workers ${workers.map((w) => proc(w).peakMiB).join(', ')} MiB`);
      return {
        tasks: TASKS,
        workers: WORKERS,
        nodeOptions: NODE_OPTIONS,
        daemonArgs: DAEMON_ARGS.join(' '),
        loadAtStart: round(load, 1),
        status: job.status,
        // From PREPARING (startedAt) to the first poll (every 200 ms) that saw it RUNNING.
        prepareS: preparedMs === null ? null : round((preparedMs - Date.parse(job.startedAt)) / 1000, 2),
        // The daemon's CPU time (user + sys) from its start to the end of prepare: less noisy than the wall time on a busy machine.
        prepareCpuS: round(prepareCpuS, 1),
        totalS: round((Date.parse(job.endedAt) - t0) / 1000, 1),
        tasksPerS: round(TASKS / ((Date.parse(job.endedAt) - t0) / 1000), 0),
        steadyTasksPerS: steady === null ? null : round(steady, 0),
        coordinator: proc(coordinator),
        // Its peak RSS in each phase (start: daemon up to PREPARING; prepare; run: RUNNING; finalize: FINALIZING to the end
        // status, result file written), with the anonymous / file-backed split at its largest sample, and each phase's wall time.
        coordinatorPhases,
        // The last task's end to the job's end: finalize (outputs read, result file, counters, status).
        finalizeS: await finalizeSeconds(home, job),
        workerProcs: workers.map(proc),
        checkpointerProcs: mem.procs.filter((p) => p.role === 'checkpointer').map(proc),
        sqliteMiB: { max: round(mem.sqliteMax / 1048576, 1), end: round(sqliteEnd / 1048576, 1) },
        // The daemon's own figures: its longest event-loop stall (health lines every 5 s) and lock losses (a stall past the lock's TTL).
        daemonMaxLagMs: health.length ? round(Math.max(...health.map((h) => h.eventLoopLagMs.max)), 0) : null,
        lockLosses: daemonErr.split('\n').filter((l) => l.includes('"lost the coordinator lock')).length,
        result,
        targets: { prepareS: 10, peakMiB: 150 },
      };
    } finally {
      sampler.stop();
      await backend.close();
      await daemon.stop();
    }
  } finally {
    await tmp.remove();
  }
});
