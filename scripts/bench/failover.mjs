/**
 * Benchmark 14: coordinator failover (issue 13). In a temp home a leader
 * `djc coordinator` runs a job of slow tasks and a standby waits; then the
 * leader is taken away, and the benchmark times (from the moment it did so)
 * until the standby holds the lock (its "coordinator started" log line) and
 * until it coordinates the job (the first mark it writes on the job,
 * `job.coordinator.seenAt`, its own clock, the same machine's).
 * - dead holder: the leader is SIGKILLed; the standby sees its pid gone on
 *   this host and takes over at once (default 15 s TTL, so the expiry plays
 *   no part). Aim: < 1 s.
 * - TTL: the leader is SIGSTOPped, as a leader on another host that crashed
 *   or lost the network looks (alive as far as this host can tell): the
 *   standby waits until the lock expires. Timed from the pause and from the
 *   lock's expiry (as the paused leader last renewed it). Aim: < TTL + 1 s.
 * Env: BENCH_FAILOVER_REPS (3), BENCH_FAILOVER_TTL (5s, the TTL path's;
 * renewal every 1 s).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DJC_BIN, main, median, note, ROOT, round, run, tempDir } from './lib.mjs';

const REPS = Number(process.env.BENCH_FAILOVER_REPS ?? 3);
const TTL = process.env.BENCH_FAILOVER_TTL ?? '5s';

const JOB_YAML = `name: slow
input: { path: in.jsonl, batch: { records: 1 } }
handler: { command: "sleep 0.2; cat" }
compute: { workers: 1, resources: { cpus: 0.5 } }
`;

const lib = (path) => import(pathToFileURL(join(ROOT, path)).href);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `djc coordinator` with JSON info logs; `until(re)` resolves once its stderr matches. */
function coordinator(dir, env, args) {
  const child = spawn(process.execPath, [DJC_BIN, 'coordinator', ...args], { cwd: dir, env: { ...process.env, ...env, DJC_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const waiters = [];
  child.stderr.on('data', (b) => {
    err += b;
    for (const w of [...waiters]) if (w.re.test(err)) waiters.splice(waiters.indexOf(w), 1) && w.resolve();
  });
  const until = (re, ms = 60_000) => new Promise((resolve, reject) => {
    if (re.test(err)) return resolve();
    waiters.push({ re, resolve });
    setTimeout(() => reject(new Error(`coordinator ${child.pid}: no ${re} in ${ms} ms: ${err.trim().split('\n').slice(-3).join(' ')}`)), ms).unref();
  });
  const started = () => err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.msg === 'coordinator started');
  return { child, until, started, stderr: () => err };
}

async function firstMarkBy(backend, jobId, pid, deadline) {
  for (;;) {
    const job = await backend.state.getJob(jobId);
    if (job?.coordinator?.owner.includes(`(pid ${pid})`)) return job.coordinator.seenAt;
    if (Date.now() > deadline) throw new Error(`the standby (pid ${pid}) never marked job ${jobId}`);
    await sleep(20);
  }
}

/** One takeover: `how` is 'kill' (dead holder) or 'stop' (TTL path). */
async function once(how) {
  const tmp = await tempDir('failover');
  const env = { DJC_HOME: join(tmp.dir, '.djc') };
  const args = how === 'kill' ? [] : ['--lock-ttl', TTL, '--lock-renew', '1s'];
  const { createLocalBackend } = await lib('packages/core/dist/backends/local/index.js');
  let leader = null;
  let standby = null;
  try {
    await writeFile(join(tmp.dir, 'in.jsonl'), Array.from({ length: 2000 }, (_, i) => `{"n":${i}}\n`).join(''));
    await writeFile(join(tmp.dir, 'job.yaml'), JOB_YAML);
    leader = coordinator(tmp.dir, env, args);
    await leader.until(/leading/);
    standby = coordinator(tmp.dir, env, args);
    await standby.until(/standby for/);
    const jobId = (await run(process.execPath, [DJC_BIN, 'submit', 'job.yaml'], { cwd: tmp.dir, env })).stdout.trim();
    const backend = createLocalBackend({ home: env.DJC_HOME });
    try {
      await firstMarkBy(backend, jobId, leader.child.pid, Date.now() + 60_000);
      await sleep(1500);
      const t0 = Date.now();
      leader.child.kill(how === 'kill' ? 'SIGKILL' : 'SIGSTOP');
      const expiresAt = how === 'stop' ? (await backend.state.getCoordinatorLock()).expiresAt : null;
      await standby.until(/leading/);
      const lockAt = standby.started().time;
      const markAt = await firstMarkBy(backend, jobId, standby.child.pid, Date.now() + 60_000);
      const r = { lockS: round((lockAt - t0) / 1000, 3), coordinatingS: round((markAt - t0) / 1000, 3) };
      if (expiresAt !== null) r.afterExpiryS = round((markAt - expiresAt) / 1000, 3);
      note(`${how === 'kill' ? 'dead holder' : 'TTL'}: lock after ${r.lockS} s, coordinating after ${r.coordinatingS} s${expiresAt === null ? '' : ` (${r.afterExpiryS} s after the lock expired)`}`);
      await run(process.execPath, [DJC_BIN, 'cancel', jobId], { cwd: tmp.dir, env });
      return r;
    } finally {
      await backend.close();
    }
  } finally {
    for (const c of [leader, standby]) {
      if (!c || c.child.exitCode !== null || c.child.signalCode !== null) continue;
      const gone = new Promise((r) => c.child.once('exit', r));
      c.child.kill('SIGCONT');
      c.child.kill('SIGTERM');
      await gone;
    }
    await sleep(1000); // the cancelled job's workers end
    await tmp.remove();
  }
}

main('failover', async () => {
  const load = loadavg().map((x) => round(x, 1));
  const dead = [];
  const ttl = [];
  for (let i = 0; i < REPS; i++) {
    dead.push(await once('kill'));
    ttl.push(await once('stop'));
  }
  const med = (xs, k) => round(median(xs.map((x) => x[k])), 3);
  return {
    reps: REPS, ttl: TTL, renew: '1s', defaultTtl: '15s', loadAvgAtStart: load,
    dead: { runs: dead, lockS: med(dead, 'lockS'), coordinatingS: med(dead, 'coordinatingS') },
    expiry: { runs: ttl, lockS: med(ttl, 'lockS'), coordinatingS: med(ttl, 'coordinatingS'), afterExpiryS: med(ttl, 'afterExpiryS') },
  };
});
