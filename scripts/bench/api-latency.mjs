/**
 * Benchmark 12: the HTTP API's latency while a job runs (issue 12).
 * `djc coordinator --listen 127.0.0.1:0` in a temp home runs one job of
 * many no-op tasks (a module handler, one record per task, 2 workers);
 * while it runs, a client with a read token times, one request after the
 * other over a keep-alive connection, `GET /v1/jobs/{id}` (what `djc
 * status` and the dashboard read) and `GET /v1/jobs/{id}/tasks` (a page
 * of 100 at a random cursor). Each repetition is a window of requests; the
 * tasks the job finished during the window give the task rate the API
 * served under. Aim: p99 under 50 ms for both, at ~2,000 tasks/s.
 *
 * Env: BENCH_API_TASKS (60000), BENCH_REPS (3), BENCH_API_REQUESTS (1000 per
 * route per repetition).
 */
import { writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { DJC_BIN, main, median, note, percentile, round, run, startCoordinator, tempDir } from './lib.mjs';

const TASKS = Number(process.env.BENCH_API_TASKS ?? 60000);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const REQUESTS = Number(process.env.BENCH_API_REQUESTS ?? 1000);
const AIM_P99_MS = 50;

function client(base, token) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return (method, path, body) => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(new URL(path, base), {
      method, agent, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/yaml' } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        const ms = performance.now() - t0;
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
        else resolve({ ms, json: JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const stats = (xs) => ({ requests: xs.length, p50Ms: round(percentile(xs, 0.5), 1), p99Ms: round(percentile(xs, 0.99), 1), maxMs: round(Math.max(...xs), 1) });

main('api-latency', async () => {
  const tmp = await tempDir('api-latency');
  const env = { DJC_HOME: join(tmp.dir, '.djc') };
  try {
    const { dir } = tmp;
    await writeFile(join(dir, 'noop.mjs'), 'export async function noop(records) { return records; }\n');
    await writeFile(join(dir, 'tasks.jsonl'), Array.from({ length: TASKS }, (_, i) => `{"i":${i}}\n`).join(''));
    const job = 'name: api-latency\ninput: { path: tasks.jsonl, batch: { records: 1 } }\nhandler: { module: ./noop.mjs#noop }\ncompute: { workers: 2 }\n';
    const token = async (scope) => (await run(process.execPath, [DJC_BIN, 'token', 'create', '--scope', scope, '--name', `bench-${scope}`], { cwd: dir, env })).stdout.trim();
    const [reader, submitter] = [await token('read'), await token('submit')];
    const daemon = startCoordinator(dir, env, ['--listen', '127.0.0.1:0']);
    const { url: base } = await daemon.ready;
    try {
      const read = client(base, reader);
      const submit = client(base, submitter);
      const { json: sub } = await submit('POST', `/v1/jobs?base_dir=${encodeURIComponent(dir)}`, job);
      const jobPath = `/v1/jobs/${sub.jobId}`;
      note(`api-latency: ${TASKS} no-op tasks on 2 workers; API at ${base}`);
      let doc = (await read('GET', jobPath)).json;
      while (doc.tasks.succeeded < 200 && doc.status !== 'SUCCEEDED') {
        await new Promise((r) => setTimeout(r, 100));
        doc = (await read('GET', jobPath)).json;
      }
      const reps = [];
      for (let rep = 0; rep < REPS; rep++) {
        const before = doc.tasks.succeeded;
        const t0 = performance.now();
        const jobMs = [];
        const pageMs = [];
        for (let i = 0; i < REQUESTS; i++) {
          const r = await read('GET', jobPath);
          jobMs.push(r.ms);
          doc = r.json;
          const cursor = Math.floor(Math.random() * Math.max(1, TASKS - 100));
          pageMs.push((await read('GET', `${jobPath}/tasks?limit=100&cursor=${cursor}`)).ms);
        }
        const windowS = (performance.now() - t0) / 1000;
        const tasksPerS = (doc.tasks.succeeded - before) / windowS;
        if (doc.status !== 'RUNNING') throw new Error(`the job ended (${doc.status}) during repetition ${rep + 1}: raise BENCH_API_TASKS`);
        const one = { tasksPerS: round(tasksPerS, 0), windowS: round(windowS, 1), job: stats(jobMs), taskPage: stats(pageMs) };
        note(`#${rep + 1}: ${one.tasksPerS} tasks/s; job p50 ${one.job.p50Ms} ms p99 ${one.job.p99Ms} ms; task page p50 ${one.taskPage.p50Ms} ms p99 ${one.taskPage.p99Ms} ms`);
        reps.push(one);
      }
      await submit('POST', `${jobPath}/cancel`);
      const mid = (get) => round(median(reps.map(get)), 1);
      return {
        tasks: TASKS,
        requestsPerRoute: REQUESTS,
        reps,
        tasksPerS: mid((r) => r.tasksPerS),
        job: { p50Ms: mid((r) => r.job.p50Ms), p99Ms: mid((r) => r.job.p99Ms) },
        taskPage: { p50Ms: mid((r) => r.taskPage.p50Ms), p99Ms: mid((r) => r.taskPage.p99Ms) },
        aimP99Ms: AIM_P99_MS,
        aimTasksPerS: 2000,
      };
    } finally {
      await daemon.stop();
    }
  } finally {
    await tmp.remove();
  }
});
