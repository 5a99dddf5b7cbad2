/**
 * Benchmark 11: many small jobs through a running daemon (issue 11).
 * `djc coordinator` runs in a temp home with the machine's capacity; N
 * one-task jobs (a `sleep` command, one worker of 1 cpu each) are
 * submitted as fast as a client can: in-process through submitJob (the
 * path an API client takes), and a sample through `djc submit` (one
 * process per job, as a shell loop would). Then, once every job ended:
 * - accepted: jobs written per second;
 * - utilisation: from the workers' recorded allocations, the CPU-seconds
 *   held divided by capacity x the span from the first grant to the last
 *   release (ideal: 100% while jobs wait);
 * - work fraction: the handlers' own time (N x the sleep) over the same
 *   capacity x span; the rest is each one-task job's worker start and stop;
 * - queue wait: submit to first worker, median and p95.
 * Aim: >= 500 jobs/s accepted, utilisation within 10% of ideal.
 *
 * Env: BENCH_DAEMON_JOBS (1000), BENCH_DAEMON_SLEEP (seconds per task, 0.5),
 * BENCH_DAEMON_CLI_SAMPLE (20).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DJC_BIN, main, median, note, percentile, ROOT, round, run, startCoordinator, tempDir } from './lib.mjs';

const JOBS = Number(process.env.BENCH_DAEMON_JOBS ?? 1000);
const SLEEP = Number(process.env.BENCH_DAEMON_SLEEP ?? 0.5);
const CLI_SAMPLE = Number(process.env.BENCH_DAEMON_CLI_SAMPLE ?? 20);

const JOB_YAML = `name: small
input: { path: one.jsonl, batch: { records: 1 } }
handler: { command: "sleep ${SLEEP}; cat" }
compute: { workers: 1, resources: { cpus: 1 } }
`;

const lib = (path) => import(pathToFileURL(join(ROOT, path)).href);

async function waitAllEnded(backend, ids, deadlineMs) {
  const { TERMINAL_JOB } = await lib('packages/core/dist/index.js');
  for (;;) {
    const jobs = await Promise.all(ids.map((id) => backend.state.getJob(id)));
    const left = jobs.filter((j) => !TERMINAL_JOB.has(j.status)).length;
    if (left === 0) return jobs;
    if (Date.now() > deadlineMs) throw new Error(`${left} of ${ids.length} jobs still not ended`);
    note(`${left} jobs left`);
    await new Promise((r) => setTimeout(r, 5000));
  }
}

main('daemon-submit', async () => {
  const tmp = await tempDir('daemon-submit');
  const env = { DJC_HOME: join(tmp.dir, '.djc') };
  try {
    await writeFile(join(tmp.dir, 'one.jsonl'), '{"n":1}\n');
    await writeFile(join(tmp.dir, 'small.yaml'), JOB_YAML);
    const daemon = startCoordinator(tmp.dir, env);
    const { banner } = await daemon.ready;
    const capacity = Number(/(\d+) cpus/.exec(banner)?.[1] ?? NaN);
    note(banner.trim());
    const { loadJobFile } = await lib('packages/core/dist/index.js');
    const { createLocalBackend } = await lib('packages/core/dist/backends/local/index.js');
    const { submitJob } = await lib('packages/coordinator/dist/index.js');
    const backend = createLocalBackend({ home: env.DJC_HOME });
    try {
      const loaded = await loadJobFile(join(tmp.dir, 'small.yaml'));
      const ids = [];
      const t0 = performance.now();
      for (let i = 0; i < JOBS; i++) ids.push((await submitJob(backend, loaded, 'daemon')).jobId);
      const acceptMs = performance.now() - t0;
      note(`${JOBS} jobs accepted in ${round(acceptMs, 0)} ms (${round(JOBS / (acceptMs / 1000), 0)} jobs/s)`);
      const cli = [];
      for (let i = 0; i < CLI_SAMPLE; i++) {
        const r = await run(process.execPath, [DJC_BIN, 'submit', 'small.yaml'], { cwd: tmp.dir, env });
        cli.push(r.ms);
        ids.push(r.stdout.trim());
      }
      const jobs = await waitAllEnded(backend, ids, Date.now() + 60 * 60_000);
      const failed = jobs.filter((j) => j.status !== 'SUCCEEDED').length;
      const allocations = jobs.flatMap((j) => (j.workers?.allocations ?? []).map((a) => ({ ...a, submittedAt: Date.parse(j.createdAt) })));
      const start = Math.min(...allocations.map((a) => Date.parse(a.startedAt)));
      const end = Math.max(...allocations.map((a) => Date.parse(a.endedAt ?? a.startedAt)));
      const held = allocations.reduce((sum, a) => sum + a.cpus * (Date.parse(a.endedAt ?? a.startedAt) - Date.parse(a.startedAt)), 0);
      const utilisation = held / (capacity * (end - start));
      const waits = jobs.map((j) => {
        const first = Math.min(...(j.workers?.allocations ?? []).map((a) => Date.parse(a.startedAt)));
        return first - Date.parse(j.createdAt);
      }).filter(Number.isFinite);
      note(`utilisation ${round(utilisation * 100, 1)}% over ${round((end - start) / 1000, 1)} s; ${failed} not SUCCEEDED`);
      return {
        jobs: ids.length,
        failed,
        capacityCpus: capacity,
        sleepS: SLEEP,
        accepted: { inProcessJobsPerS: round(JOBS / (acceptMs / 1000), 0), inProcessMs: round(acceptMs, 0), cliMsMedian: round(median(cli), 0), cliSample: CLI_SAMPLE },
        utilisation: round(utilisation, 3),
        // The handlers' own time (each task sleeps SLEEP s) over the same capacity x span: what held minus worker start-up leaves.
        workFraction: round((ids.length * SLEEP) / (capacity * ((end - start) / 1000)), 3),
        spanS: round((end - start) / 1000, 1),
        workers: allocations.length,
        queueWaitS: { p50: round(percentile(waits, 0.5) / 1000, 1), p95: round(percentile(waits, 0.95) / 1000, 1) },
        aimJobsPerS: 500,
        aimUtilisation: 0.9,
      };
    } finally {
      await backend.close();
      await daemon.stop();
    }
  } finally {
    await tmp.remove();
  }
});
