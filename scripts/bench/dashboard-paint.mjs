/**
 * Benchmark 12: the dashboard's first paint for a job of 1,000,000 tasks
 * (issue 12). The job (a 1M-line input, batch records 1) is written and
 * prepared in-process (submitJob + prepareJob, as the daemon does), paused
 * so that it does not run, then `djc coordinator --listen 127.0.0.1:0`
 * serves the dashboard. Headless Chromium (Debian's, through playwright-core)
 * opens the job page BENCH_DASH_REPS times, each in a fresh context (no
 * cache), logged in by the session cookie; from the page's own performance
 * timeline: first contentful paint, the counters drawn (GET /v1/jobs/ID),
 * the first task page drawn, the report's figures drawn (GET
 * /v1/jobs/ID/report, capped at 5000 tasks); and the jobs list drawn.
 * Aim: counters under 1 s.
 *
 * Env: BENCH_DASH_TASKS (1000000), BENCH_DASH_REPS (5).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DJC_BIN, main, median, note, ROOT, round, run, startCoordinator, tempDir } from './lib.mjs';

const TASKS = Number(process.env.BENCH_DASH_TASKS ?? 1_000_000);
const REPS = Number(process.env.BENCH_DASH_REPS ?? 5);
const lib = (path) => import(pathToFileURL(join(ROOT, path)).href);
const { chromium } = createRequire(join(ROOT, 'packages/cli/package.json'))('playwright-core');

async function writeInput(file, n) {
  const out = createWriteStream(file);
  const chunk = 10_000;
  for (let i = 0; i < n; i += chunk) {
    let s = '';
    for (let j = i; j < Math.min(n, i + chunk); j++) s += `{"n":${j}}\n`;
    if (!out.write(s)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, e) => out.end((err) => (err ? e(err) : r())));
}

/** Submits and prepares the job in-process, then pauses it: a 1M-task job that does not run. */
async function prepareBigJob(dir, env) {
  const { createLogger, loadJobFile } = await lib('packages/core/dist/index.js');
  const { createLocalBackend } = await lib('packages/core/dist/backends/local/index.js');
  const { prepareJob, submitJob } = await lib('packages/coordinator/dist/index.js');
  const backend = createLocalBackend({ home: env.DJC_HOME });
  try {
    const t0 = performance.now();
    const job = await submitJob(backend, await loadJobFile(join(dir, 'big.yaml')), 'daemon');
    const ready = await prepareJob(backend, job, createLogger({ name: 'bench', level: 'silent' }));
    note(`prepared ${ready.tasks.total} tasks in ${Math.round(performance.now() - t0)} ms`);
    return job.jobId;
  } finally {
    await backend.close();
  }
}

/** One cold load of `hash`: marks from the page's performance timeline, in ms from navigation start. */
async function load(browser, base, token, hash, waitFor) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  try {
    await context.addCookies([{ name: 'djc_token', value: token, url: base, httpOnly: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    await page.goto(`${base}/${hash}`);
    await page.waitForSelector(waitFor, { timeout: 60_000 });
    return await page.evaluate(() => Object.fromEntries(performance.getEntries()
      .filter((e) => e.entryType === 'mark' || e.name === 'first-contentful-paint').map((e) => [e.name, e.startTime])));
  } finally {
    await context.close();
  }
}

const stats = (xs) => ({ median: round(median(xs), 0), max: round(Math.max(...xs), 0), all: xs.map((x) => round(x, 0)) });

main('dashboard-paint', async () => {
  const chromiumPath = process.env.DJC_CHROMIUM || ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromiumPath) throw new Error('no Chromium: run `bash scripts/browser/ensure-chromium.sh` (as root) or set DJC_CHROMIUM');
  const tmp = await tempDir('dashboard-paint');
  const env = { DJC_HOME: join(tmp.dir, '.djc') };
  try {
    await writeInput(join(tmp.dir, 'big.jsonl'), TASKS);
    await run('sh', ['-c', `printf 'name: big\\ninput: { path: big.jsonl, batch: { records: 1 } }\\nhandler: { command: cat }\\n' > big.yaml`], { cwd: tmp.dir });
    const jobId = await prepareBigJob(tmp.dir, env);
    await run(process.execPath, [DJC_BIN, 'pause', jobId], { cwd: tmp.dir, env });
    const token = (await run(process.execPath, [DJC_BIN, 'token', 'create', '--scope', 'read', '--name', 'bench'], { cwd: tmp.dir, env })).stdout.trim();
    const daemon = startCoordinator(tmp.dir, env, ['--listen', '127.0.0.1:0']);
    const { url: base } = await daemon.ready;
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
    const job = { fcp: [], counters: [], tasks: [], figures: [] };
    const list = { fcp: [], drawn: [] };
    try {
      await load(browser, base, token, `#/jobs/${jobId}`, '[data-test=figures][data-drawn=true]'); // warm-up: the daemon's first requests
      for (let i = 0; i < REPS; i++) {
        const m = await load(browser, base, token, `#/jobs/${jobId}`, '[data-test=figures][data-drawn=true]');
        job.fcp.push(m['first-contentful-paint']);
        job.counters.push(m['djc:job']);
        job.tasks.push(m['djc:tasks']);
        job.figures.push(m['djc:figures']);
        const l = await load(browser, base, token, '#/', 'body[data-page=jobs][data-ready=true]');
        list.fcp.push(l['first-contentful-paint']);
        list.drawn.push(l['djc:jobs']);
        note(`rep ${i + 1}: job page fcp ${Math.round(m['first-contentful-paint'])} ms, counters ${Math.round(m['djc:job'])} ms, figures ${Math.round(m['djc:figures'])} ms`);
      }
    } finally {
      await browser.close();
      await daemon.stop();
    }
    return {
      tasks: TASKS, reps: REPS, aimMs: 1000,
      jobPage: { fcpMs: stats(job.fcp), countersMs: stats(job.counters), firstTaskPageMs: stats(job.tasks), figuresMs: stats(job.figures) },
      jobsList: { fcpMs: stats(list.fcp), drawnMs: stats(list.drawn) },
    };
  } finally {
    await tmp.remove();
  }
});
