/**
 * Benchmark 5: dispatch latency on Slurm.
 *
 * The same work — B batches of R records, each through the command
 * `sleep 0.2; cat` — run two ways on the local Slurm cluster
 * (scripts/slurm/up.sh, partition debug):
 *
 *  - djc: `compute.dispatcher: slurm`, W workers, so the coordinator daemon
 *    (`djc coordinator`, fresh --home per run, DJC_SLURM_POLL_MS=1000) makes
 *    ONE `sbatch --array=0-(W-1)` and the W workers pull the B batches.
 *    Timed from the start of `djc submit` to the earliest task `startedAt`
 *    (`djc tasks --json`) and to the job's `endedAt` (`djc status --json`;
 *    the output is concatenated by then). The coordinator's info log gives
 *    the milestones in between (pickup, "job prepared", sbatch).
 *  - the peer: a hand-written `sbatch --array=0-(B-1)%W` whose element i cuts
 *    its own batch out of the input with `sed -n` and runs the same command
 *    on it into out/i.jsonl. Each element writes `date +%s.%N` when it starts
 *    and ends; timed from the start of sbatch to the earliest element start,
 *    and to the poll (every 50 ms) at which squeue shows every element ended.
 *    `%W` gives it the same concurrency as djc's W workers; the same array
 *    without a throttle (as many at once as the node has CPUs) is measured
 *    for reference.
 *
 * Runs are interleaved (djc, peer, unthrottled peer; again…), and each waits
 * until the previous one's array elements have all ended. Both sides must
 * reproduce the input exactly (the command is `cat`), in order.
 *
 * Env: BENCH_SLURM_BATCHES (40), BENCH_SLURM_RECORDS (records per batch, 100),
 * BENCH_SLURM_WORKERS (4), BENCH_SLURM_PARTITION (debug), BENCH_REPS (3).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DJC_BIN, have, main, median, note, round, run, tempDir } from './lib.mjs';

const BATCHES = Number(process.env.BENCH_SLURM_BATCHES ?? 40);
const RECORDS = Number(process.env.BENCH_SLURM_RECORDS ?? 100);
const WORKERS = Number(process.env.BENCH_SLURM_WORKERS ?? 4);
const PARTITION = process.env.BENCH_SLURM_PARTITION ?? 'debug';
const REPS = Number(process.env.BENCH_REPS ?? 3);
const COMMAND = 'sleep 0.2; cat';
const TIME_LIMIT = '00:30:00';
const COORDINATOR_POLL_MS = 1000; // DJC_SLURM_POLL_MS: how often the coordinator asks squeue
const SQUEUE_POLL_MS = 50;
const RUN_TIMEOUT_MS = 120_000;
/** Slurm states in which an array element is over. */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'PREEMPTED', 'DEADLINE']);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const djc = (home, ...args) => run(process.execPath, [DJC_BIN, '--home', home, ...args]);
const at = (iso) => Date.parse(iso);

/** The array elements of the given Slurm jobs: [{ id: "12_3", state }]. */
async function squeue(ids) {
  const r = await run('squeue', ['-h', '-r', '-t', 'all', '-j', ids.join(','), '-o', '%i %T']);
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const [id, state] = l.trim().split(/\s+/);
    return { id, state };
  });
}

/** Waits until no element of the given Slurm jobs is pending or running (the next run gets an idle node). */
async function drain(ids) {
  if (ids.length === 0) return;
  const until = Date.now() + RUN_TIMEOUT_MS;
  while ((await squeue(ids)).some((e) => !ENDED.has(e.state))) {
    if (Date.now() > until) throw new Error(`Slurm jobs ${ids.join(',')} still running after ${RUN_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }
}

/** Jobs in the Slurm queue that this benchmark did not submit (another user of the cluster makes the run noisy). */
async function foreignJobs(ours) {
  const r = await run('squeue', ['-h', '-o', '%A %j']);
  return r.stdout.split('\n').filter(Boolean).filter((l) => {
    const [id, name] = l.trim().split(/\s+/);
    return !ours.has(id) && !name.startsWith('djc-bench');
  }).length;
}

/**
 * `djc --home HOME coordinator` in the background with info logs; resolves
 * once it holds the lock. `line(pred)` resolves with the first log line
 * matching pred (also one already seen); `stop()` sends SIGTERM to it (by
 * PID) and waits for it to exit.
 */
async function startCoordinator(home, logFile) {
  const child = spawn(process.execPath, [DJC_BIN, '--home', home, 'coordinator'], {
    env: { ...process.env, DJC_SLURM_POLL_MS: String(COORDINATOR_POLL_MS), DJC_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log = createWriteStream(logFile);
  const lines = [];
  const waiters = [];
  let exited = null;
  const exit = new Promise((r) => child.on('exit', (code, signal) => { exited = code ?? signal; r(); }));
  let rest = '';
  child.stderr.on('data', (b) => {
    log.write(b);
    const parts = (rest + b.toString()).split('\n');
    rest = parts.pop();
    for (const p of parts) {
      let l;
      try { l = JSON.parse(p); } catch { continue; }
      lines.push(l);
      for (const w of [...waiters]) if (w.pred(l)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(l); }
    }
  });
  const line = (pred, what, timeoutMs = RUN_TIMEOUT_MS) => {
    const seen = lines.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`coordinator: no "${what}" within ${timeoutMs / 1000} s (log: ${logFile})`)), timeoutMs);
      const w = { pred, resolve: (l) => { clearTimeout(timer); resolve(l); } };
      waiters.push(w);
      exit.then(() => { if (waiters.includes(w)) { clearTimeout(timer); reject(new Error(`coordinator exited (${exited}) before "${what}" (log: ${logFile})`)); } });
    });
  };
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exit;
      clearTimeout(timer);
    }
    await new Promise((r) => log.end(r));
  };
  try {
    await line((l) => l.msg === 'coordinator started', 'coordinator started', 30_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { line, stop, lines };
}

/**
 * From the Slurm workers' log files (home/workers/JOB/slurm-A_I.log), epoch
 * ms: when Slurm started the first array element (the earliest file
 * creation: slurmstepd creates it before the script runs) and when the first
 * worker process was up (the earliest "worker started" line); null if none.
 */
async function workerStarts(home, jobId) {
  const dir = join(home, 'workers', jobId);
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.startsWith('slurm-'));
  const created = [];
  const up = [];
  for (const f of files) {
    created.push((await stat(join(dir, f))).birthtimeMs || NaN);
    for (const l of (await readFile(join(dir, f), 'utf8')).split('\n')) {
      if (l.includes('"worker started"')) up.push(JSON.parse(l).time);
    }
  }
  const first = (xs) => (xs.length && xs.every((x) => Number.isFinite(x)) ? Math.min(...xs) : null);
  return { elementStarted: first(created), workerStarted: first(up) };
}

/** One djc run: a fresh home and coordinator, `djc submit`, until the coordinator logs "job ended". */
async function djcRun(dir, i, jobFile, input, slurmIds) {
  const home = join(dir, `home-${i}`);
  const coord = await startCoordinator(home, join(dir, `coordinator-${i}.log`));
  let jobId;
  let status;
  let tasks;
  let t0;
  let submitMs;
  try {
    t0 = Date.now();
    const sub = await djc(home, 'submit', jobFile, '--json', '--set', `output.path=out-djc-${i}.jsonl`);
    submitMs = sub.ms;
    jobId = JSON.parse(sub.stdout).jobId;
    await coord.line((l) => l.msg === 'job ended' && l.jobId === jobId, 'job ended');
    [status, tasks] = await Promise.all([
      djc(home, 'status', jobId, '--json').then((r) => JSON.parse(r.stdout)),
      djc(home, 'tasks', jobId, '--json').then((r) => JSON.parse(r.stdout).tasks),
    ]);
  } finally {
    await coord.stop();
    for (const l of coord.lines) if (l.msg === 'submitted worker array' && l.slurmJobId) slurmIds.add(String(l.slurmJobId));
  }
  const arrays = status.workers?.slurmJobIds ?? [];
  if (status.status !== 'SUCCEEDED') throw new Error(`djc: job ${jobId} ended ${status.status}: ${status.error}`);
  if (tasks.length !== BATCHES || status.records.processed !== BATCHES * RECORDS) {
    throw new Error(`djc: ${tasks.length} tasks, ${status.records.processed} records; want ${BATCHES}, ${BATCHES * RECORDS}`);
  }
  const out = await readFile(status.output.path, 'utf8');
  if (out !== input) throw new Error(`djc: the output ${status.output.path} differs from the input`);
  const line = (msg) => coord.lines.find((l) => l.msg === msg && l.jobId === jobId)?.time ?? null;
  const since = (ms) => (ms === null ? null : Math.round(ms - t0));
  const firstTask = Math.min(...tasks.map((t) => at(t.startedAt)));
  const lastTaskEnd = Math.max(...tasks.map((t) => at(t.endedAt)));
  const starts = await workerStarts(home, jobId);
  await drain(arrays);
  return {
    firstTaskMs: since(firstTask),
    endMs: since(at(status.endedAt)),
    records: out.split('\n').filter(Boolean).length,
    sbatchCalls: arrays.length,
    arrayElements: status.workers.groups.reduce((n, g) => n + g.count, 0),
    /** ms after the start of `djc submit`. */
    milestones: {
      submitExited: Math.round(submitMs),
      created: since(at(status.createdAt)),
      pickedUp: since(line('coordinating job')),
      prepared: since(line('job prepared')),
      sbatch: since(line('submitted worker array')),
      firstElementStarted: since(starts.elementStarted),
      firstWorkerStarted: since(starts.workerStarted),
      firstTask: since(firstTask),
      lastTaskEnded: since(lastTaskEnd),
      ended: since(at(status.endedAt)),
    },
  };
}

/** The peer's batch script: element i processes records i*R+1 … (i+1)*R with the same command. */
function peerScript(inputFile) {
  return [
    '#!/bin/sh',
    '# One array element per batch: cut the batch out of the input, run the command on it.',
    'i=$SLURM_ARRAY_TASK_ID',
    'date +%s.%N > "stamps/start.$i"',
    `sed -n "$((i * ${RECORDS} + 1)),$(((i + 1) * ${RECORDS}))p" '${inputFile}' | sh -c '${COMMAND}' > "out/$i.jsonl"`,
    'date +%s.%N > "stamps/end.$i"',
    '',
  ].join('\n');
}

const peerArgs = (throttle, dir, script) => [
  '--parsable', `--array=0-${BATCHES - 1}${throttle ? `%${throttle}` : ''}`,
  `--partition=${PARTITION}`, `--time=${TIME_LIMIT}`, '--job-name=djc-bench-peer',
  `--chdir=${dir}`, `--output=${join(dir, 'logs', 'slurm-%a.log')}`, script,
];

/** One run of the hand-written array; `throttle` is the %N of --array (null: none). */
async function peerRun(dir, label, i, throttle, input, script, slurmIds) {
  const pdir = join(dir, `${label}-${i}`);
  await Promise.all(['out', 'stamps', 'logs'].map((d) => mkdir(join(pdir, d), { recursive: true })));
  const t0 = Date.now();
  const sb = await run('sbatch', peerArgs(throttle, pdir, script));
  const id = sb.stdout.trim().split(';')[0];
  slurmIds.add(id);
  let firstRunningSeen = null;
  let endSeen = null;
  const until = t0 + RUN_TIMEOUT_MS;
  for (;;) {
    const els = await squeue([id]);
    const now = Date.now();
    if (firstRunningSeen === null && els.some((e) => e.state === 'RUNNING' || ENDED.has(e.state))) firstRunningSeen = now;
    if (els.length === BATCHES && els.every((e) => ENDED.has(e.state))) {
      endSeen = now;
      const bad = els.filter((e) => e.state !== 'COMPLETED');
      if (bad.length) throw new Error(`peer: array ${id}: ${bad.map((e) => `${e.id} ${e.state}`).join(', ')} (logs: ${pdir}/logs)`);
      break;
    }
    if (now > until) throw new Error(`peer: array ${id} not done after ${RUN_TIMEOUT_MS / 1000} s`);
    await sleep(SQUEUE_POLL_MS);
  }
  const stamp = async (kind) => Promise.all(Array.from({ length: BATCHES }, (_, k) => readFile(join(pdir, 'stamps', `${kind}.${k}`), 'utf8').then((s) => Number(s.trim()) * 1000)));
  const [starts, ends] = await Promise.all([stamp('start'), stamp('end')]);
  const outs = await Promise.all(Array.from({ length: BATCHES }, (_, k) => readFile(join(pdir, 'out', `${k}.jsonl`), 'utf8')));
  const out = outs.join('');
  if (out !== input) throw new Error(`peer: the outputs in ${pdir}/out differ from the input`);
  return {
    firstTaskMs: Math.round(Math.min(...starts) - t0),
    endMs: endSeen - t0,
    records: out.split('\n').filter(Boolean).length,
    sbatchMs: Math.round(sb.ms),
    firstRunningSeenMs: firstRunningSeen - t0,
    lastElementEndedMs: Math.round(Math.max(...ends) - t0),
    sbatchCalls: 1,
    arrayElements: BATCHES,
  };
}

/** Medians of one side's runs, and every run. */
function summary(runs, extra = {}) {
  return {
    firstTaskMs: Math.round(median(runs.map((r) => r.firstTaskMs))),
    endMs: Math.round(median(runs.map((r) => r.endMs))),
    ...extra,
    runs,
  };
}

main('slurm-dispatch', async () => {
  for (const cmd of ['sbatch', 'squeue']) if (!have(cmd)) throw new Error(`${cmd} is not on the PATH: start Slurm with scripts/slurm/up.sh (pnpm bench slurm-dispatch does)`);
  const tmp = await tempDir('slurm-dispatch');
  const slurmIds = new Set();
  try {
    const { dir } = tmp;
    const input = Array.from({ length: BATCHES * RECORDS }, (_, k) => `{"i":${k}}\n`).join('');
    await writeFile(join(dir, 'in.jsonl'), input);
    const jobFile = join(dir, 'job.yaml');
    await writeFile(jobFile, [
      'name: bench-slurm',
      'input:',
      '  path: in.jsonl',
      '  format: jsonl',
      `  batch: { records: ${RECORDS} }`,
      'handler:',
      `  command: "${COMMAND}"`,
      'compute:',
      '  dispatcher: slurm',
      `  workers: ${WORKERS}`,
      `  slurm: { partition: ${PARTITION}, time: "${TIME_LIMIT}" }`,
      'output:',
      '  path: out-djc.jsonl',
      '',
    ].join('\n'));
    const script = join(dir, 'peer.sh');
    await writeFile(script, peerScript(join(dir, 'in.jsonl')));

    const d = [];
    const p = [];
    const u = [];
    const foreign = [];
    const load = [];
    note(`slurm-dispatch: ${BATCHES} batches of ${RECORDS} records, \`${COMMAND}\` each: djc (${WORKERS} Slurm workers) vs sbatch --array=0-${BATCHES - 1}%${WORKERS} and without %; ${REPS} runs each`);
    for (let i = 0; i < REPS; i++) {
      foreign.push(await foreignJobs(slurmIds));
      load.push(round(loadavg()[0], 2));
      d.push(await djcRun(dir, i, jobFile, input, slurmIds));
      p.push(await peerRun(dir, 'peer', i, WORKERS, input, script, slurmIds));
      u.push(await peerRun(dir, 'peer-unthrottled', i, null, input, script, slurmIds));
      const s = (r) => `first task ${(r.firstTaskMs / 1000).toFixed(2)} s, end ${(r.endMs / 1000).toFixed(2)} s`;
      note(`#${i + 1}: djc ${s(d[i])}; sbatch %${WORKERS} ${s(p[i])}; sbatch unthrottled ${s(u[i])}`);
    }
    const djcS = summary(d, { workers: WORKERS, arrayElements: Math.max(...d.map((r) => r.arrayElements)) });
    const peer = summary(p, { throttle: WORKERS, arrayElements: BATCHES, command: `sbatch --parsable --array=0-${BATCHES - 1}%${WORKERS} peer.sh` });
    const unthrottled = summary(u, { throttle: null, arrayElements: BATCHES, command: `sbatch --parsable --array=0-${BATCHES - 1} peer.sh` });
    const midDjc = [...d].sort((a, b) => a.endMs - b.endMs)[Math.floor(d.length / 2)];
    return {
      name: 'slurm-dispatch',
      batches: BATCHES,
      recordsPerBatch: RECORDS,
      workers: WORKERS,
      runs: REPS,
      command: COMMAND,
      partition: PARTITION,
      slurmCpus: await run('sinfo', ['-h', '-p', PARTITION, '-o', '%c']).then((r) => Number(r.stdout.trim().split('\n')[0]) || null, () => null),
      coordinatorPollMs: COORDINATOR_POLL_MS,
      squeuePollMs: SQUEUE_POLL_MS,
      djc: { ...djcS, milestones: midDjc.milestones },
      sbatchArray: peer,
      sbatchArrayUnthrottled: unthrottled,
      ratios: {
        firstTask: round(djcS.firstTaskMs / peer.firstTaskMs, 2),
        end: round(djcS.endMs / peer.endMs, 2),
        firstTaskVsUnthrottled: round(djcS.firstTaskMs / unthrottled.firstTaskMs, 2),
        endVsUnthrottled: round(djcS.endMs / unthrottled.endMs, 2),
      },
      sbatchCalls: { djc: Math.max(...d.map((r) => r.sbatchCalls)), peer: 1 },
      foreignSlurmJobsAtStart: foreign,
      loadAvgAtStart: load,
      notes: [
        'djc: from the start of `djc submit` to the earliest task startedAt and to the job endedAt (output concatenated); the coordinator daemon was already running',
        `peer: from the start of sbatch to the earliest element start (its own date +%s.%N) and to the squeue poll (every ${SQUEUE_POLL_MS} ms) showing every element ended`,
        'both outputs equal the input, record for record and in order',
      ],
    };
  } finally {
    // Only on failure is anything of ours still queued: cancel it (our own jobs only).
    const left = slurmIds.size ? (await squeue([...slurmIds]).catch(() => [])).filter((e) => !ENDED.has(e.state)) : [];
    if (left.length) await run('scancel', [...new Set(left.map((e) => e.id.split('_')[0]))]).catch(() => undefined);
    await tmp.remove();
  }
});
