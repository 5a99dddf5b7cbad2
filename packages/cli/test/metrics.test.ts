/**
 * Prometheus metrics (coordinator/src/observe/metrics.ts), scraped over HTTP
 * and parsed with a real Prometheus text parser, checked against
 * `djc status --json` and `djc tasks --json` of real jobs run through the
 * CLI, on the local backend and on the AWS one (DynamoDB Local + fauxqs),
 * and of a daemon running in this process (capacity from its scheduler).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, defaultDaemonSettings, type Backend } from '@djc/core';
import { openBackend } from '@djc/core/backends';
import { createLocalDispatcher, createRoutingDispatcher, runDaemon, schedulerSettingsOf, type SchedulerSnapshot } from '@djc/coordinator';
import { createMetrics } from '@djc/coordinator/metrics';
import { WORKER_BIN } from '@djc/worker';
import { useAwsBackend } from './aws-backend.js';
import { sandboxPerTest, waitFor, type CliResult } from './helpers.js';
import { parseScrape, serveMetrics, type Scrape } from './metrics-scrape.js';

interface Status { jobId: string; status: string; tasks: Record<string, number> }
interface Task { taskId: number; status: string; attempts: number; startedAt: string | null; endedAt: string | null; claimedAt: string | null }

/** `n` one-record batches; task 1 exits 3 on its first attempt (`flaky`) or on every one (`broken`). */
function job(dir: string, name: string, n: number, mode: 'flaky' | 'broken'): string {
  writeFileSync(join(dir, `${name}.jsonl`), Array.from({ length: n }, (_, i) => `{"n":${i}}\n`).join(''));
  const fail = mode === 'flaky' ? '[ "$n" = 1 ] && [ "$DJC_ATTEMPT" = 1 ]' : '[ "$n" = 1 ]';
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}
input: { path: ${name}.jsonl, batch: { records: 1 } }
handler:
  command: |
    read -r line; n=$(printf '%s' "$line" | tr -dc 0-9)
    if ${fail}; then exit 3; fi
    printf '%s\\n' "$line"
compute: { workers: 2 }
retry: { max_attempts: 2, backoff: { initial: 100ms } }
output: { path: ${name}.out.jsonl }
`);
  return file;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Runs jobs through the CLI and checks each scrape against what the CLI reports. */
async function scenario(dir: string, run: (args: string[]) => Promise<CliResult>, backend: Backend): Promise<Scrape> {
  const metrics = createMetrics({ backend });
  const server = await serveMetrics(metrics);
  try {
    const empty = await server.scrape();
    expect(empty.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(empty.value('djc_jobs', { status: 'RUNNING' })).toBe(0);
    expect(empty.value('djc_attempts_total', { outcome: 'succeeded' })).toBe(0);
    expect(empty.value('djc_jobs_ended_total', { status: 'SUCCEEDED' })).toBe(0);

    const ok = await run(['run', job(dir, 'flaky', 3, 'flaky'), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await run(['run', job(dir, 'broken', 2, 'broken'), '--json', '--keep-going']);
    expect(bad.code, bad.stderr).toBe(1);
    const queued = await run(['submit', job(dir, 'waiting', 2, 'flaky'), '--json']);
    expect(queued.code, queued.stderr).toBe(0);
    const ids = [ok, bad, queued].map((r) => (JSON.parse(r.stdout) as { jobId: string }).jobId);
    const statuses = await Promise.all(ids.map(async (id) => JSON.parse((await run(['status', id, '--json'])).stdout) as Status));
    const tasks = (await Promise.all(ids.slice(0, 2).map(async (id) => (JSON.parse((await run(['tasks', id, '--json'])).stdout) as { tasks: Task[] }).tasks))).flat();
    const [okStatus, badStatus, queuedStatus] = statuses as [Status, Status, Status];
    expect([okStatus.status, badStatus.status, queuedStatus.status]).toEqual(['SUCCEEDED', 'FAILED', 'SUBMITTED']);

    const s = await server.scrape();
    // Jobs: the ended ones counted by final status, the live one by status; never a job id in a label.
    expect(s.value('djc_jobs_ended_total', { status: 'SUCCEEDED' })).toBe(1);
    expect(s.value('djc_jobs_ended_total', { status: 'FAILED' })).toBe(1);
    expect(s.value('djc_jobs', { status: 'SUBMITTED' })).toBe(1);
    expect(s.value('djc_jobs', { status: 'RUNNING' })).toBe(0);
    for (const [key, n] of Object.entries(queuedStatus.tasks)) if (key !== 'total') expect(s.value('djc_tasks', { status: key }), key).toBe(n);
    // Attempts, from the tasks' records: the last attempt of each by outcome, the earlier ones retried.
    expect(s.value('djc_attempts_total', { outcome: 'succeeded' })).toBe(okStatus.tasks.succeeded! + badStatus.tasks.succeeded!);
    expect(s.value('djc_attempts_total', { outcome: 'failed' })).toBe(badStatus.tasks.failed);
    expect(s.value('djc_attempts_total', { outcome: 'retried' })).toBe(sum(tasks.map((t) => t.attempts - 1)));
    expect(s.value('djc_attempts_total', { outcome: 'retried' })).toBe(2); // the flaky task's first try, the broken task's first try
    const runS = (t: Task) => (Date.parse(t.endedAt!) - Date.parse(t.startedAt!)) / 1000;
    const ended = tasks.filter((t) => t.status === 'SUCCEEDED' || t.status === 'FAILED');
    const h = s.histogram('djc_attempt_duration_seconds');
    expect(h?.count).toBe(ended.length);
    expect(h?.sum).toBeCloseTo(sum(ended.map(runS)), 6);
    expect(h?.buckets['+Inf']).toBe(ended.length);
    // Buckets are cumulative: each holds the attempts that ran at most that long.
    expect(h?.buckets['60']).toBe(ended.filter((t) => runS(t) <= 60).length);
    expect(s.histogram('djc_task_queue_wait_seconds')?.count).toBe(tasks.filter((t) => t.attempts === 1).length);
    for (const f of s.families.values()) for (const m of f.metrics) expect(Object.values(m.labels ?? {}).some((v) => ids.includes(v))).toBe(false);

    // A second scrape counts nothing twice.
    const again = await server.scrape();
    for (const outcome of ['succeeded', 'failed', 'retried', 'cancelled']) {
      expect(again.value('djc_attempts_total', { outcome })).toBe(s.value('djc_attempts_total', { outcome }));
    }
    expect(again.value('djc_jobs_ended_total', { status: 'SUCCEEDED' })).toBe(1);
    expect(again.histogram('djc_attempt_duration_seconds')?.count).toBe(ended.length);
    return again;
  } finally {
    await server.close();
  }
}

describe('metrics on the local backend', () => {
  const box = sandboxPerTest('djc-metrics-');
  it('jobs, tasks and attempts match djc status and djc tasks; no AWS series', async () => {
    const backend = await openBackend({ backend: 'local', home: box.home }, {}, { create: true });
    try {
      const s = await scenario(box.dir, box.run, backend);
      expect(s.samples('djc_aws_requests_total')).toEqual([]);
      expect(s.value('process_cpu_seconds_total')).toBeGreaterThan(0);
    } finally {
      await backend.close();
    }
  });
});

describe('the cost of a scrape', () => {
  const box = sandboxPerTest('djc-metrics-budget-');
  it('reads at most taskBudget task records per scrape, and counts each task once over the scrapes', async () => {
    const opened = await openBackend({ backend: 'local', home: box.home }, {}, { create: true });
    // The same backend, counting the task records its listTasks returns (what a scrape reads).
    let read = 0;
    const state = Object.create(opened.state) as typeof opened.state;
    state.listTasks = async (...args) => {
      const page = await opened.state.listTasks(...args);
      read += page.length;
      return page;
    };
    const backend: Backend = { ...opened, state };
    const metrics = createMetrics({ backend, taskBudget: 7, processMetrics: false });
    try {
      writeFileSync(join(box.dir, 'in.jsonl'), Array.from({ length: 30 }, (_, i) => `{"n":${i}}\n`).join(''));
      writeFileSync(join(box.dir, 'many.yaml'), 'name: many\ninput: { path: in.jsonl, batch: { records: 1 } }\nhandler: { command: cat }\ncompute: { workers: 2 }\noutput: { path: out.jsonl }\n');
      const r = await box.run(['run', 'many.yaml']);
      expect(r.code, r.stderr).toBe(0);
      const reads: number[] = [];
      let succeeded = 0;
      for (let i = 0; i < 10 && succeeded < 30; i++) {
        read = 0;
        const s = parseScrape(await metrics.render(), metrics.contentType);
        reads.push(read);
        succeeded = s.value('djc_attempts_total', { outcome: 'succeeded' }) ?? 0;
      }
      expect(succeeded).toBe(30);
      expect(reads.every((n) => n <= 7), String(reads)).toBe(true);
      expect(reads.length).toBe(5); // 30 tasks, 7 per scrape
      // Done with the job: later scrapes read no task and count nothing again.
      read = 0;
      const after = parseScrape(await metrics.render(), metrics.contentType);
      expect(read).toBe(0);
      expect(after.value('djc_attempts_total', { outcome: 'succeeded' })).toBe(30);
      expect(after.histogram('djc_attempt_duration_seconds')?.count).toBe(30);
    } finally {
      await opened.close();
    }
  });
});

describe('metrics on the AWS backend', () => {
  const aws = useAwsBackend('djc-metrics-aws-');
  it('the same figures, and the AWS requests of this process by service and operation', async () => {
    // The AWS SDK reads credentials and endpoints from process.env: this process opens the test's backend as djc would.
    for (const [k, v] of Object.entries(aws.env)) vi.stubEnv(k, v);
    const backend = await openBackend({}, process.env);
    try {
      const s = await scenario(aws.box.dir, (args) => aws.run(args), backend);
      const totals = backend.requestTotals?.() ?? {};
      expect(Object.keys(totals).length).toBeGreaterThan(0);
      // Nothing was sent between the last scrape's read of the counts and now: the figures are the process's counts.
      for (const [op, n] of Object.entries(totals)) {
        const [service, operation] = op.split('.') as [string, string];
        expect(s.value('djc_aws_requests_total', { service, operation }), op).toBe(n);
      }
      expect(s.value('djc_aws_requests_total', { service: 'DynamoDB', operation: 'Query' })).toBeGreaterThan(0);
    } finally {
      await backend.close();
      vi.unstubAllEnvs();
    }
  }, 120_000);
});

describe('metrics of a running daemon', () => {
  const box = sandboxPerTest('djc-metrics-daemon-');
  it('capacity used and free per pool from the scheduler, workers by dispatcher, live jobs and tasks, as djc status shows them', async () => {
    const backend = await openBackend({ backend: 'local', home: box.home }, {}, { create: true });
    const stop = new AbortController();
    let snapshot: SchedulerSnapshot | null = null;
    const log = createLogger({ name: 'test-daemon', level: 'warn' });
    const dispatcher = createRoutingDispatcher({
      local: createLocalDispatcher({ workerCommand: [process.execPath, WORKER_BIN], env: backend.workerEnv(), logDir: join(box.home, 'workers'), log }),
    });
    // The daemon as `djc coordinator --cpus 4 --memory 8GiB` runs it, in this process so its tick snapshot reaches the metrics.
    const daemon = runDaemon(backend, {
      dispatcher, log, signal: stop.signal, pollMs: 100, settings: schedulerSettingsOf(defaultDaemonSettings()),
      pools: [{ pool: 'local', cpus: 4, memoryBytes: 8 * 1024 ** 3, gpus: 0, maxWorkers: Infinity }],
      onTick: (o) => { snapshot = o.snapshot; },
    });
    const server = await serveMetrics(createMetrics({ backend, scheduler: () => snapshot }));
    try {
      // Two workers of 1 cpu and 1 GiB each, held until the file `go` exists.
      writeFileSync(join(box.dir, 'in.jsonl'), '{"n":0}\n{"n":1}\n{"n":2}\n{"n":3}\n');
      writeFileSync(join(box.dir, 'hold.yaml'), `name: hold
input: { path: in.jsonl, batch: { records: 1 } }
handler:
  command: |
    while [ ! -e ${join(box.dir, 'go')} ]; do sleep 0.1; done; cat
compute: { workers: 2, resources: { cpus: 1, memory: 1GiB } }
output: { path: out.jsonl }
`);
      const sub = await box.run(['submit', 'hold.yaml', '--json']);
      expect(sub.code, sub.stderr).toBe(0);
      const { jobId } = JSON.parse(sub.stdout) as { jobId: string };
      const status = async () => JSON.parse((await box.run(['status', jobId, '--json'])).stdout) as Status & { workers?: { dispatcher: string; groups: { state: string; count: number }[] } };
      const running = await waitFor('two running tasks and their workers', async () => {
        const st = await status();
        return st.tasks.running === 2 && st.workers?.groups.some((g) => g.state === 'RUNNING' && g.count === 2) ? st : undefined;
      });
      const s = await waitFor('a scrape after the grant', async () => {
        const x = await server.scrape();
        return x.value('djc_capacity_used', { pool: 'local', resource: 'cpus' }) === 2 ? x : undefined;
      });
      expect(s.value('djc_capacity', { pool: 'local', resource: 'cpus' })).toBe(4);
      expect(s.value('djc_capacity_free', { pool: 'local', resource: 'cpus' })).toBe(2);
      expect(s.value('djc_capacity_used', { pool: 'local', resource: 'memory_bytes' })).toBe(2 * 1024 ** 3);
      expect(s.value('djc_capacity_free', { pool: 'local', resource: 'memory_bytes' })).toBe(6 * 1024 ** 3);
      expect(s.value('djc_capacity_used', { pool: 'local', resource: 'workers' })).toBe(undefined); // maxWorkers unlimited: no series
      expect(s.value('djc_workers', { dispatcher: 'local', state: 'RUNNING' })).toBe(running.workers?.groups.find((g) => g.state === 'RUNNING')?.count);
      expect(s.value('djc_jobs', { status: 'RUNNING' })).toBe(1);
      expect(s.value('djc_tasks', { status: 'running' })).toBe(running.tasks.running);
      expect((s.value('djc_tasks', { status: 'pending' }) ?? 0) + (s.value('djc_tasks', { status: 'claimed' }) ?? 0)).toBe(running.tasks.pending! + running.tasks.claimed!);

      writeFileSync(join(box.dir, 'go'), '');
      await waitFor('the job to end', async () => (await status()).status === 'SUCCEEDED');
      const end = await waitFor('a scrape after the end', async () => {
        const x = await server.scrape();
        return x.value('djc_jobs_ended_total', { status: 'SUCCEEDED' }) === 1 && x.value('djc_attempts_total', { outcome: 'succeeded' }) === 4 ? x : undefined;
      });
      expect(end.value('djc_jobs', { status: 'RUNNING' })).toBe(0);
    } finally {
      stop.abort();
      await daemon;
      await server.close();
      await backend.close();
    }
  }, 120_000);
});
