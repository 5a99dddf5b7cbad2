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
 * The daemon keeps V8's young generation at its initial size
 * (health/young-generation.ts). A second, shorter soak runs it with V8's
 * default growth (`node --semi-space-growth-factor=2`, which the daemon
 * respects), to show what that choice saves.
 *
 * Env: BENCH_SOAK_JOBS (1000), BENCH_SOAK_WAVE (100), BENCH_SOAK_V8_DEFAULT_JOBS (300),
 * BENCH_SOAK_NODE_OPTIONS (the first soak's daemon NODE_OPTIONS, e.g. --heapsnapshot-signal=SIGUSR2).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main, note, ROOT, round, startCoordinator, tempDir } from './lib.mjs';

const JOBS = Number(process.env.BENCH_SOAK_JOBS ?? 1000);
const WAVE = Number(process.env.BENCH_SOAK_WAVE ?? 100);
/** Jobs of the second soak, with V8's default young generation growth. */
const V8_DEFAULT_JOBS = Number(process.env.BENCH_SOAK_V8_DEFAULT_JOBS ?? 300);
/** How the second soak starts node: V8's own growth factor, which the daemon then leaves alone. */
const V8_DEFAULT_ARGS = ['--semi-space-growth-factor=2'];
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

/** CPU seconds (user + sys) the process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s on Linux)
}

/** The RSS by kind (/proc/<pid>/smaps_rollup): anonymous (heap, malloc), file-backed (code, mapped files), shared memory. */
function rssKinds(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return {
    anonMiB: round(kib('Anonymous') / 1024, 1),
    fileMiB: round((kib('Rss') - kib('Anonymous') - kib('Shared_Hugetlb')) / 1024, 1),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
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

/**
 * One soak: a daemon in a fresh temp home (its process given `nodeOptions`)
 * takes `jobs` jobs in waves; its RSS, RSS by kind and open files at the end
 * of each wave, and its own health lines.
 */
async function soak(jobs, nodeOptions, nodeArgs = []) {
  const tmp = await tempDir('daemon-soak');
  const env = { DJC_HOME: join(tmp.dir, '.djc'), NODE_OPTIONS: nodeOptions };
  try {
    await writeFile(join(tmp.dir, 'one.jsonl'), '{"n":1}\n');
    await writeFile(join(tmp.dir, 'soak.yaml'), JOB_YAML);
    let stderr = '';
    const daemon = startCoordinator(tmp.dir, env, ['--summary-every', '5s'], nodeArgs);
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
      const startCpuS = cpuSeconds(pid);
      const waves = [];
      let failed = 0;
      const t0 = Date.now();
      for (let done = 0; done < jobs; done += WAVE) {
        const ids = [];
        for (let i = 0; i < Math.min(WAVE, jobs - done); i++) ids.push((await submitJob(backend, loaded, 'daemon')).jobId);
        const ended = await waitEnded(backend, ids);
        failed += ended.filter((j) => j.status !== 'SUCCEEDED').length;
        await sleep(SETTLE_MS);
        waves.push({ jobs: done + ids.length, rssMiB: rssMiB(pid), ...rssKinds(pid), cpuS: round(cpuSeconds(pid) - startCpuS, 2), atS: round((Date.now() - t0) / 1000, 1) });
        note(`${[...nodeArgs, nodeOptions].join(' ').trim() || 'default'}: ${done + ids.length} jobs: daemon RSS ${waves.at(-1).rssMiB} MiB (anonymous ${waves.at(-1).anonMiB} MiB, ${waves.at(-1).fds} open files)`);
      }
      await sleep(6000); // one more summary line after the last wave
      const health = healthLines(stderr);
      const mib = (bytes) => round(bytes / 1048576, 1);
      const span = (key) => {
        const v = health.map((h) => mib(h[key]));
        return { first: v[0], last: v.at(-1), max: Math.max(...v) };
      };
      const second = waves[1] ?? waves[0];
      const last = waves.at(-1);
      const growth = (last.rssMiB - second.rssMiB) / second.rssMiB;
      return {
        jobs,
        nodeOptions,
        nodeArgs,
        failed,
        spanS: round((Date.now() - t0) / 1000, 1),
        rssMiB: { start: startMiB, afterSecondWave: second.rssMiB, end: last.rssMiB, max: Math.max(...samples), growthFromSecondWave: round(growth, 3) },
        waves,
        heapMiB: span('heapUsedBytes'),
        heapTotalMiB: span('heapTotalBytes'),
        externalMiB: span('externalBytes'),
        eventLoopLagMs: { maxP99: Math.max(...health.map((h) => h.eventLoopLagMs.p99)), max: Math.max(...health.map((h) => h.eventLoopLagMs.max)) },
        // The daemon's own CPU per job: what a small young generation could cost (more scavenges).
        cpuMsPerJob: round((last.cpuS * 1000) / jobs, 1),
        healthLines: health.length,
        jobStateLines: stderr.split('\n').filter((l) => l.includes('"job state"')).length,
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
}

// The soak, then a shorter one with V8's default young generation growth:
// what keeping it small saves (V8 reserving heap as its allocation rate
// asks, against a leak, which both would show).
main('daemon-soak', async () => {
  const main = await soak(JOBS, process.env.BENCH_SOAK_NODE_OPTIONS ?? '');
  const v8Default = await soak(V8_DEFAULT_JOBS, '', V8_DEFAULT_ARGS);
  return { ...main, wave: WAVE, v8Default };
});
