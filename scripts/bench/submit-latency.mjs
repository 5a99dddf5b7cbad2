/**
 * Benchmark 16: submit → first attempt, with a daemon running (issue 14).
 * Two `djc coordinator` daemons run side by side, each in its own temp home:
 * `cold` (settings `warm_workers: 0`: a worker process is started for each
 * job) and `warm` (`warm_workers: 1`: a warm worker is bound to the job).
 * With BENCH_SUBMIT_BASELINE=/path/to/other/djc/bin.js a third daemon runs
 * that build (its defaults), e.g. main before this change.
 *
 * Then BENCH_SUBMIT_REPS rounds; in each, every daemon gets one `djc submit`
 * of a one-task job (a module handler that returns the time it was entered),
 * in an order that rotates each round (interleaved). A submit starts only
 * once the previous job ended and the warm daemon's pool is ready again.
 * For each: the load average at its start and, from its start (epoch ms
 * before the spawn):
 * - written: the job record's createdAt (CLI start, config validated, job written);
 * - cliExit: the submit process exited; submitCpu: its CPU (user + sys, GNU time);
 * - granted: the worker's allocation (the daemon noticed the job, scheduled
 *   it, and started or bound a worker);
 * - workerReady: its `worker started` log line (process start or bind,
 *   backend open, job read, handler threads asked for);
 * - claimed / started: the task's claimedAt and startedAt (the attempt's start);
 * - entered: the handler's own clock when it was called.
 * Target: started < 300 ms after the submit command's start.
 *
 * Env: BENCH_SUBMIT_REPS (5), BENCH_SUBMIT_BASELINE (unset).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { DJC_BIN, main, median, note, ROOT, round, tempDir, TIME_BIN } from './lib.mjs';

const REPS = Number(process.env.BENCH_SUBMIT_REPS ?? 5);
const BASELINE = process.env.BENCH_SUBMIT_BASELINE ?? null;
const TARGET_MS = 300;

const JOB_YAML = `name: first
input: { path: one.jsonl, format: jsonl, batch: { records: 1 } }
handler: { module: ./entered.mjs#entered }
compute: { workers: 1 }
`;
const HANDLER = 'export async function entered(records) { return { enteredAt: Date.now(), n: records.length }; }\n';

const lib = (path) => import(pathToFileURL(join(ROOT, path)).href);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A daemon in its own home; `ready` once it leads. */
function startDaemon(dir, bin, args) {
  const child = spawn(process.execPath, [bin, 'coordinator', ...args], { cwd: dir, env: { ...process.env, DJC_HOME: join(dir, '.djc') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const ready = new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => {
      err += b;
      if (err.includes('coordinator running')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`djc coordinator exited with ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`)));
  });
  return { child, ready, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

/** The submit command's start (epoch ms), exit and CPU (user + sys, ms; under GNU time when installed, else null). */
function submit(dir, bin) {
  const cpuFile = join(dir, 'submit-cpu.txt');
  const argv = [process.execPath, bin, 'submit', 'job.yaml'];
  const timed = existsSync(TIME_BIN) ? [TIME_BIN, '-f', '%U %S', '-o', cpuFile, ...argv] : argv;
  const cpuMs = () => {
    if (timed === argv) return null;
    const [u, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return Math.round((u + sys) * 1000);
  };
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(timed[0], timed.slice(1), { cwd: dir, env: { ...process.env, DJC_HOME: join(dir, '.djc') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => { out += b; });
    child.stderr.on('data', (b) => { err += b; });
    child.on('close', (code) => (code === 0 ? resolve({ t0, exitAt: Date.now(), jobId: out.trim(), cpuMs: cpuMs() }) : reject(new Error(`submit exited ${code}: ${err}`))));
  });
}

/** Log lines (pino JSON) of the files under a directory. */
function logLines(dir) {
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.log'));
  } catch {
    return [];
  }
  return files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return {}; } }));
}

/** Waits until the warm pool of `home` has a ready worker (its log says so), for at most `ms`. */
async function poolReady(home, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (logLines(join(home, 'workers', 'warm')).some((l) => l.msg === 'warm worker ready')) return true;
    await sleep(100);
  }
  return false;
}

async function measure(v, backendOf, TERMINAL_JOB) {
  const load = round(loadavg()[0], 2);
  const s = await submit(v.dir, v.bin);
  const backend = backendOf(v);
  let job;
  for (const until = Date.now() + 120_000; ; await sleep(100)) {
    job = await backend.state.getJob(s.jobId);
    if (job && TERMINAL_JOB.has(job.status)) break;
    if (Date.now() > until) throw new Error(`${v.name}: job ${s.jobId} did not end`);
  }
  const [task] = await backend.state.listTasks(s.jobId);
  const at = (iso) => (iso ? Date.parse(iso) - s.t0 : null);
  const alloc = job.workers?.allocations?.[0];
  const lines = logLines(join(v.dir, '.djc', 'workers', s.jobId));
  const time = (msg) => { const l = lines.find((x) => x.msg === msg); return l ? l.time - s.t0 : null; };
  const output = task?.inlineOutput ? JSON.parse(Buffer.from(task.inlineOutput).toString('utf8')) : null;
  return {
    variant: v.name, jobId: s.jobId, status: job.status, load,
    written: at(job.createdAt), cliExit: s.exitAt - s.t0, submitCpu: s.cpuMs, granted: at(alloc?.startedAt), bound: time('warm worker bound to a job'),
    workerReady: time('worker started'), claimed: at(task?.claimedAt), started: at(task?.startedAt),
    entered: output?.enteredAt ? output.enteredAt - s.t0 : null,
  };
}

const STEPS = ['written', 'cliExit', 'submitCpu', 'granted', 'workerReady', 'claimed', 'started', 'entered'];

function summary(runs) {
  const med = Object.fromEntries(STEPS.map((k) => [k, round(median(runs.map((r) => r[k]).filter((x) => x !== null)), 0)]));
  // The daemon's own share: from the job written to the attempt's start.
  const daemonSide = round(median(runs.map((r) => r.started - r.written)), 0);
  return { medianMs: med, daemonSideMs: daemonSide, met: med.started < TARGET_MS };
}

main('submit-latency', async () => {
  const tmp = await tempDir('submit-latency');
  const daemons = [];
  try {
    const variants = [
      { name: 'cold', bin: DJC_BIN, settings: 'warm_workers: 0\n' },
      { name: 'warm', bin: DJC_BIN, settings: 'warm_workers: 1\n' },
      ...(BASELINE ? [{ name: 'baseline', bin: BASELINE, settings: null }] : []),
    ];
    for (const v of variants) {
      v.dir = join(tmp.dir, v.name);
      await import('node:fs/promises').then((fs) => fs.mkdir(v.dir, { recursive: true }));
      await writeFile(join(v.dir, 'one.jsonl'), '{"n":1}\n');
      await writeFile(join(v.dir, 'entered.mjs'), HANDLER);
      await writeFile(join(v.dir, 'job.yaml'), JOB_YAML);
      if (v.settings) await writeFile(join(v.dir, 'daemon.yaml'), v.settings);
      const d = startDaemon(v.dir, v.bin, v.settings ? ['--config', 'daemon.yaml'] : []);
      daemons.push(d);
      await d.ready;
    }
    const { TERMINAL_JOB } = await lib('packages/core/dist/index.js');
    const { createLocalBackend } = await lib('packages/core/dist/backends/local/index.js');
    const backends = new Map(variants.map((v) => [v.name, createLocalBackend({ home: join(v.dir, '.djc') })]));
    const runs = [];
    try {
      for (let rep = 0; rep < REPS; rep++) {
        const order = variants.map((_, i) => variants[(i + rep) % variants.length]);
        for (const v of order) {
          if (v.name === 'warm' && !(await poolReady(join(v.dir, '.djc'), 60_000))) note('warm: the pool was not ready after 60 s; measuring anyway');
          await sleep(500);
          const r = await measure(v, (x) => backends.get(x.name), TERMINAL_JOB);
          note(`${v.name} #${rep + 1}: load ${r.load}, written ${r.written} ms, submit CPU ${r.submitCpu} ms, granted ${r.granted} ms, attempt started ${r.started} ms, handler entered ${r.entered} ms`);
          runs.push(r);
        }
      }
    } finally {
      for (const b of backends.values()) await b.close();
    }
    const by = Object.fromEntries(variants.map((v) => [v.name, summary(runs.filter((r) => r.variant === v.name))]));
    return { reps: REPS, targetMs: TARGET_MS, machineCpus: availableParallelism(), variants: variants.map((v) => v.name), summary: by, runs };
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    await tmp.remove();
  }
});
