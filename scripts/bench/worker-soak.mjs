/**
 * Benchmark: a worker's live heap over many small tasks (issue 14). One
 * `djc run` of BENCH_WORKER_SOAK_TASKS one-record no-op module tasks on 2
 * workers at compute.concurrency BENCH_WORKER_SOAK_CONCURRENCY, with
 * NODE_OPTIONS=--expose-gc and DJC_WORKER_HEAP_SAMPLE_MS: each worker forces
 * a full collection every that many ms and logs its heapUsed and the tasks
 * it has handled (heap-sample.ts), read back from the workers' log files.
 *
 * Verdict per worker: the least-squares slope of heapUsed over tasks
 * handled, from the first sample after 10% of its tasks (code loaded,
 * caches warm) to its last sample while it still ran. "flat" when that
 * slope over the worker's tasks adds up to less than 2 MiB (about 40 bytes
 * a task at 50,000 tasks a worker), else "grows".
 *
 * Env: BENCH_WORKER_SOAK_TASKS (100000), BENCH_WORKER_SOAK_CONCURRENCY (1),
 * BENCH_WORKER_SOAK_SAMPLE_MS (2000).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runJob, writeJob } from './djc-job.mjs';
import { main, note, round, tempDir } from './lib.mjs';

const N = Number(process.env.BENCH_WORKER_SOAK_TASKS ?? 100000);
const CONCURRENCY = Number(process.env.BENCH_WORKER_SOAK_CONCURRENCY ?? 1);
const SAMPLE_MS = Number(process.env.BENCH_WORKER_SOAK_SAMPLE_MS ?? 2000);
const FLAT_BYTES = 2 * 1024 * 1024;
const MiB = (b) => round(b / 2 ** 20, 1);

/** The `worker heap` lines of each worker's log under `home`. */
function samplesOf(home, jobId) {
  const dir = join(home, 'workers', jobId);
  return readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => ({
    worker: f.replace(/\.log$/, ''),
    samples: readFileSync(join(dir, f), 'utf8').split('\n')
      .filter((l) => l.includes('"worker heap"'))
      .map((l) => JSON.parse(l))
      .map((s) => ({ atMs: Date.parse(s.time) || s.time, tasks: s.tasks, heapUsed: s.heapUsed, rss: s.rss, gc: s.gc })),
  }));
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
}

function verdictOf({ worker, samples }) {
  // The last sample is taken after the worker stopped (its attempts and caches gone): not part of the trend.
  const running = samples.slice(0, -1);
  const total = running.at(-1)?.tasks ?? 0;
  const steady = running.filter((s) => s.tasks >= total * 0.1);
  const bytesPerTask = slope(steady.map((s) => ({ x: s.tasks, y: s.heapUsed })));
  const grown = bytesPerTask * (total - (steady[0]?.tasks ?? 0));
  return {
    worker,
    tasks: total,
    gc: samples.every((s) => s.gc),
    firstMiB: MiB(steady[0]?.heapUsed ?? NaN),
    lastMiB: MiB(steady.at(-1)?.heapUsed ?? NaN),
    afterStopMiB: MiB(samples.at(-1)?.heapUsed ?? NaN),
    bytesPerTask: round(bytesPerTask, 1),
    verdict: steady.length >= 3 && grown < FLAT_BYTES ? 'flat' : steady.length >= 3 ? 'grows' : 'too few samples',
    samples: samples.map((s) => ({ tasks: s.tasks, heapMiB: MiB(s.heapUsed), rssMiB: MiB(s.rss) })),
  };
}

main('worker-soak', async () => {
  const tmp = await tempDir('worker-soak');
  try {
    const { dir } = tmp;
    await writeFile(join(dir, 'noop.mjs'), 'export async function noop(records) { return records; }\n');
    await writeFile(join(dir, 'tasks.jsonl'), Array.from({ length: N }, (_, i) => `{"i":${i}}\n`).join(''));
    const job = await writeJob(dir, 'soak.yaml', { name: 'soak', input: 'tasks.jsonl', records: 1, handler: ['module: ./noop.mjs#noop'], workers: 2 });
    note(`worker-soak: ${N} no-op tasks on 2 workers at concurrency ${CONCURRENCY}, a heap sample every ${SAMPLE_MS} ms`);
    const home = join(dir, 'home');
    const env = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim(), DJC_WORKER_HEAP_SAMPLE_MS: String(SAMPLE_MS) };
    const r = await runJob(job, home, [`compute.concurrency=${CONCURRENCY}`], env);
    if (r.doc.records.processed !== N) throw new Error(`${r.doc.records.processed} records processed, want ${N}`);
    const workers = samplesOf(home, r.doc.jobId).map(verdictOf);
    for (const w of workers) note(`${w.worker}: ${w.tasks} tasks, heap ${w.firstMiB} → ${w.lastMiB} MiB (${w.bytesPerTask} B/task): ${w.verdict}`);
    return {
      tasks: N,
      concurrency: CONCURRENCY,
      sampleMs: SAMPLE_MS,
      wallMs: round(r.wallMs, 0),
      cpuMs: r.cpuMs === null ? null : round(r.cpuMs, 0),
      verdict: workers.length > 0 && workers.every((w) => w.verdict === 'flat') ? 'flat' : 'grows',
      workers,
    };
  } finally {
    await tmp.remove();
  }
});
