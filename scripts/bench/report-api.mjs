/** The docs/benchmarks.md section of `pnpm bench api-latency` (scripts/bench/api-latency.mjs). */
const ms = (x) => `${x} ms`;

export function renderApiLatency(r, measured) {
  const head = [
    '## 13. The HTTP API while a job runs',
    '',
    '`djc coordinator --listen 127.0.0.1:0` runs one job of no-op tasks (a module',
    'handler, one record per task, 2 workers); meanwhile a client with a read token',
    'times, one request after the other on a keep-alive connection,',
    '`GET /v1/jobs/{id}` (what `djc status`, remote or not, and the dashboard read)',
    'and `GET /v1/jobs/{id}/tasks?limit=100` at a random cursor. The tasks the job',
    'finished during each repetition give the rate the API was serving under.',
    'Aim: p99 under 50 ms for both, at about 2,000 tasks/s.',
    '',
    ...measured,
    '',
  ];
  if (!r) return head;
  const rows = r.reps.map((x, i) => `| #${i + 1} | ${x.tasksPerS} | ${ms(x.job.p50Ms)} | ${ms(x.job.p99Ms)} | ${ms(x.job.maxMs)} | ${ms(x.taskPage.p50Ms)} | ${ms(x.taskPage.p99Ms)} | ${ms(x.taskPage.maxMs)} | ${x.job.requests} + ${x.taskPage.requests} in ${x.windowS} s |`);
  const within = r.job.p99Ms <= r.aimP99Ms && r.taskPage.p99Ms <= r.aimP99Ms;
  return [
    ...head,
    '| repetition | tasks/s meanwhile | job p50 | job p99 | job max | task page p50 | task page p99 | task page max | requests |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    `| **median** | **${r.tasksPerS}** | **${ms(r.job.p50Ms)}** | **${ms(r.job.p99Ms)}** | | **${ms(r.taskPage.p50Ms)}** | **${ms(r.taskPage.p99Ms)}** | | ${r.tasks.toLocaleString('en-US')}-task job |`,
    '',
    `p99 ${within ? 'within' : 'above'} the ${r.aimP99Ms} ms aim at ${r.tasksPerS} tasks/s (aim ~${r.aimTasksPerS}). `
      + 'The daemon, its two workers and the client share the 2 cores with the other users of this VM: the p99 is the',
    'requests that waited for a core (or for a SQLite write of the workers\' commits), the median what a request costs.',
    '',
  ];
}
