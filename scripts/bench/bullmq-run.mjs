/**
 * One BullMQ run of the bullmq benchmark: a fresh redis-server, W worker
 * processes (bullmq-worker.mjs, each under GNU time when present) with the
 * given concurrency, started and connected; then N jobs in one addBulk, timed
 * until the last one completed; then the workers close and exit, and Redis is
 * stopped (by its PID, also when the run fails).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { round, TIME_BIN } from './lib.mjs';
import { sampleTree } from './proc-tree.mjs';
import { startRedis } from './bullmq-redis.mjs';

const WORKER_JS = join(dirname(fileURLToPath(import.meta.url)), 'bullmq-worker.mjs');
const POLL_MS = 50;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** GNU time -v's CPU (user + sys, ms) and peak RSS (KiB) from a stderr, or nulls. */
function timeFigures(stderr) {
  const field = (re) => Number(re.exec(stderr)?.[1] ?? NaN);
  const cpu = (field(/User time \(seconds\): ([\d.]+)/) + field(/System time \(seconds\): ([\d.]+)/)) * 1000;
  const rss = field(/Maximum resident set size \(kbytes\): (\d+)/);
  return { cpuMs: Number.isNaN(cpu) ? null : cpu, maxRssKiB: Number.isNaN(rss) ? null : rss };
}

/** Starts one worker process: { ready, exited (→ GNU time's figures), end() (closes its stdin: it closes and exits) }. */
function startWorker(queue, port, concurrency, waitMs) {
  const args = [WORKER_JS, queue, String(port), String(concurrency), String(waitMs)];
  const timed = existsSync(TIME_BIN);
  const child = timed ? spawn(TIME_BIN, ['-v', process.execPath, ...args], { stdio: 'pipe' }) : spawn(process.execPath, args, { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stderr.on('data', (b) => { err += b; });
  const exited = new Promise((resolve, reject) => {
    child.on('close', (code) => (code === 0 ? resolve(timed ? timeFigures(err) : { cpuMs: null, maxRssKiB: null }) : reject(new Error(`BullMQ worker exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))));
  });
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (b) => {
      out += b;
      if (out.includes('ready\n')) resolve();
    });
    exited.then(() => reject(new Error('BullMQ worker exited before it was ready')), reject);
  });
  const sampler = sampleTree(child.pid, (argv) => (basename(argv[0]) === 'time' ? null : 'worker'));
  return { child, ready, exited, sampler, end: () => child.stdin.end() };
}

/**
 * Polls the job counts until `n` jobs completed; returns the earliest
 * `processedOn` and the latest `finishedOn` of the completed jobs (epoch ms).
 */
async function waitCompleted(queue, n) {
  for (;;) {
    const counts = await queue.getJobCounts('completed', 'failed');
    if (counts.failed > 0) throw new Error(`BullMQ: ${counts.failed} jobs failed`);
    if (counts.completed >= n) break;
    await sleep(POLL_MS);
  }
  const [last] = await queue.getJobs(['completed'], 0, 0, false);
  const [first] = await queue.getJobs(['completed'], 0, 0, true);
  return { firstProcessedOn: first.processedOn, lastFinishedOn: last.finishedOn };
}

/** `waitMs`: each job's processor awaits a timer this long first (0: a no-op). */
export async function runBullmq(dir, { n, workers: w, concurrency, rep, waitMs = 0 }) {
  const load1 = round(loadavg()[0], 2);
  const redisDir = join(dir, `redis-c${concurrency}-${rep}-w${waitMs}`);
  await mkdir(redisDir, { recursive: true });
  const redis = await startRedis(redisDir);
  const connection = { host: '127.0.0.1', port: redis.port };
  const queue = new Queue('noop', { connection });
  const workers = [];
  try {
    await queue.waitUntilReady();
    const jobs = Array.from({ length: n }, (_, i) => ({ name: 'noop', data: { i } }));
    const t0 = Date.now();
    for (let i = 0; i < w; i++) workers.push(startWorker('noop', redis.port, concurrency, waitMs));
    await Promise.all(workers.map((x) => x.ready));
    const cpu0 = process.cpuUsage();
    const enqueueAt = Date.now();
    await queue.addBulk(jobs);
    const enqueuedAt = Date.now();
    const producer = process.cpuUsage(cpu0);
    const { firstProcessedOn, lastFinishedOn } = await waitCompleted(queue, n);
    for (const x of workers) x.end();
    const figures = await Promise.all(workers.map((x) => x.exited));
    const wholeMs = Date.now() - t0;
    const sampled = workers.map((x) => x.sampler.stop()[0]);
    const r = redis.figures();
    const producerMs = (producer.user + producer.system) / 1000;
    const workersCpu = figures.every((f) => f.cpuMs !== null) ? figures.reduce((s, f) => s + f.cpuMs, 0) : sampled.reduce((s, p) => s + (p?.cpuMs ?? 0), 0);
    return {
      rep,
      load1,
      /** Workers started and connected: the time from spawning them until both said ready. */
      workersReadyMs: enqueueAt - t0,
      enqueueMs: enqueuedAt - enqueueAt,
      enqueueToDoneMs: lastFinishedOn - enqueueAt,
      wholeMs,
      steadyMs: lastFinishedOn - firstProcessedOn,
      cpuMs: round(workersCpu + r.cpuMs + producerMs, 0),
      cpuParts: { workersMs: round(workersCpu, 0), redisMs: round(r.cpuMs, 0), producerMs: round(producerMs, 0) },
      procs: [
        ...figures.map((f, i) => ({ label: 'worker', peakRssKiB: f.maxRssKiB ?? sampled[i]?.peakRssKiB ?? null })),
        { label: 'redis-server', peakRssKiB: r.hwmKiB },
      ],
    };
  } finally {
    for (const x of workers) {
      x.sampler.stop();
      x.end();
    }
    try {
      await queue.close();
    } finally {
      await redis.stop();
    }
  }
}
