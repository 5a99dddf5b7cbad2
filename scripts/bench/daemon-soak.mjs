/**
 * Benchmark 14: a daemon's memory over a soak (issue 13). `djc coordinator`
 * runs in a temp home; N one-task jobs (a `cat` command, one worker of half
 * a cpu) go through it in waves of WAVE jobs (in-process submitJob; the next
 * wave once the last one ended). The daemon's RSS is read from
 * /proc/<pid>/status (VmRSS) every second, and at the end of each wave
 * (after SETTLE_MS); its own health summary lines (`coordinator health`,
 * every 5 s) give heap and event-loop lag. Flat means: the RSS at the end of
 * the last wave within 10% of the end of the second (the first wave loads
 * code and warms caches).
 *
 * Env: BENCH_SOAK_JOBS (1000), BENCH_SOAK_WAVE (100).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main, note, ROOT, round, startCoordinator, tempDir } from './lib.mjs';

const JOBS = Number(process.env.BENCH_SOAK_JOBS ?? 1000);
const WAVE = Number(process.env.BENCH_SOAK_WAVE ?? 100);
const SETTLE_MS = 3000;

const JOB_YAML = `name: soak
input: { path: one.jsonl, batch: { records: 1 } }
handler: { command: cat }
compute: { workers: 1, resources: { cpus: 0.5 } }
`;

const lib = (path) => import(pathToFileURL(join(ROOT, path)).href);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? round(Number(m[1]) / 1024, 1) : NaN;
}

async function waitEnded(backend, ids) {
  const { TERMINAL_JOB } = await lib('packages/core/dist/index.js');
  for (;;) {
    const jobs = await Promise.all(ids.map((id) => backend.state.getJob(id)));
    if (jobs.every((j) => TERMINAL_JOB.has(j.status))) return jobs;
    await sleep(500);
  }
}

/** The daemon's `coordinator health` lines (JSON on its stderr). */
function healthLines(stderr) {
  return stderr.split('\n').filter((l) => l.includes('"coordinator health"')).map((l) => JSON.parse(l));
}

main('daemon-soak', async () => {
  const tmp = await tempDir('daemon-soak');
  const env = { DJC_HOME: join(tmp.dir, '.djc') };
  try {
    await writeFile(join(tmp.dir, 'one.jsonl'), '{"n":1}\n');
    await writeFile(join(tmp.dir, 'soak.yaml'), JOB_YAML);
    let stderr = '';
    const daemon = startCoordinator(tmp.dir, env, ['--summary-every', '5s']);
    daemon.child.stderr.on('data', (b) => { stderr += b; });
    await daemon.ready;
    const pid = daemon.child.pid;
    const { loadJobFile } = await lib('packages/core/dist/index.js');
    const { createLocalBackend } = await lib('packages/core/dist/backends/local/index.js');
    const { submitJob } = await lib('packages/coordinator/dist/index.js');
    const backend = createLocalBackend({ home: env.DJC_HOME });
    const samples = [];
    const sampler = setInterval(() => samples.push(rssMiB(pid)), 1000);
    try {
      const loaded = await loadJobFile(join(tmp.dir, 'soak.yaml'));
      const startMiB = rssMiB(pid);
      const waves = [];
      let failed = 0;
      const t0 = Date.now();
      for (let done = 0; done < JOBS; done += WAVE) {
        const ids = [];
        for (let i = 0; i < Math.min(WAVE, JOBS - done); i++) ids.push((await submitJob(backend, loaded, 'daemon')).jobId);
        const jobs = await waitEnded(backend, ids);
        failed += jobs.filter((j) => j.status !== 'SUCCEEDED').length;
        await sleep(SETTLE_MS);
        waves.push({ jobs: done + ids.length, rssMiB: rssMiB(pid), atS: round((Date.now() - t0) / 1000, 1) });
        note(`${done + ids.length} jobs: daemon RSS ${waves.at(-1).rssMiB} MiB`);
      }
      await sleep(6000); // one more summary line after the last wave
      const health = healthLines(stderr);
      const stateLines = stderr.split('\n').filter((l) => l.includes('"job state"')).length;
      const second = waves[1] ?? waves[0];
      const last = waves.at(-1);
      const growth = (last.rssMiB - second.rssMiB) / second.rssMiB;
      const heaps = health.map((h) => round(h.heapUsedBytes / 1048576, 1));
      return {
        jobs: JOBS,
        wave: WAVE,
        failed,
        spanS: round((Date.now() - t0) / 1000, 1),
        rssMiB: { start: startMiB, afterSecondWave: second.rssMiB, end: last.rssMiB, max: Math.max(...samples), growthFromSecondWave: round(growth, 3) },
        waves,
        heapMiB: { first: heaps[0], last: heaps.at(-1), max: Math.max(...heaps) },
        eventLoopLagMs: { maxP99: Math.max(...health.map((h) => h.eventLoopLagMs.p99)), max: Math.max(...health.map((h) => h.eventLoopLagMs.max)) },
        healthLines: health.length,
        jobStateLines: stateLines,
        flat: Math.abs(growth) <= 0.1,
      };
    } finally {
      clearInterval(sampler);
      await backend.close();
      await daemon.stop();
    }
  } finally {
    await tmp.remove();
  }
});
