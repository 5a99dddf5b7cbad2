/**
 * The Prometheus metrics of a djc coordinator (prom-client, text format),
 * for `/metrics`. Labels are low-cardinality only (statuses, outcomes,
 * dispatchers, pools, AWS operations; never a job or task id).
 *
 * Each scrape (`render()`) reads: the live jobs (a listing per live status,
 * as the daemon's tick does), the newest ended jobs, and a bounded page of
 * task records (attempt-observer.ts: at most `taskBudget` per scrape, each
 * ended task read about once over its job's life). Scrapes do not overlap:
 * one that comes while another reads waits for it and shares its result.
 *
 * | metric | type | labels |
 * | djc_jobs | gauge | status (live statuses) |
 * | djc_jobs_ended_total | counter | status (terminal statuses) |
 * | djc_tasks | gauge | status (tasks of live jobs) |
 * | djc_attempts_total | counter | outcome (succeeded, failed, cancelled, retried) |
 * | djc_attempt_duration_seconds | histogram | — (the last attempt of each task that succeeded or failed) |
 * | djc_task_queue_wait_seconds | histogram | — |
 * | djc_workers | gauge | dispatcher, state |
 * | djc_capacity / djc_capacity_used / djc_capacity_free | gauge | pool, resource |
 * | djc_aws_requests_total | counter | service, operation |
 * plus prom-client's process and Node.js metrics (process_*, nodejs_*).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TASK_COUNT_KEY, TASK_STATUSES, type Backend, type JobRecord } from '@djc/core';
import type { SchedulerSnapshot } from '../scheduler/types.js';
import { createAttemptObserver, type TaskObservation } from './attempt-observer.js';
import { capacityRows } from './capacity-view.js';
import { createJobCensus, ENDED_STATUSES, LIVE_STATUSES } from './job-census.js';

export interface MetricsOptions {
  backend: Backend;
  /** The scheduler's latest snapshot (the daemon's grant loop), for capacity; absent or null: no capacity metrics. */
  scheduler?: () => SchedulerSnapshot | null | undefined;
  /** Task records read per scrape at most, for the attempt metrics (default 5000). */
  taskBudget?: number;
  /** Jobs that ended before this (epoch ms; default: now) are not counted. */
  since?: number;
  /** prom-client's process_* and nodejs_* metrics (default true). */
  processMetrics?: boolean;
}

export interface Metrics {
  /** The Content-Type of `render()`'s text (Prometheus text format 0.0.4). */
  contentType: string;
  /** Reads what it needs from the backend and renders every metric. */
  render(): Promise<string>;
}

const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400];

export function createMetrics(o: MetricsOptions): Metrics {
  const registry = new Registry();
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const m = {
    jobs: new Gauge({ name: 'djc_jobs', help: 'Jobs by live status (top-level jobs and pipeline runs).', labelNames: ['status'], registers: [registry] }),
    ended: new Counter({ name: 'djc_jobs_ended_total', help: 'Jobs that ended since this process started, by final status.', labelNames: ['status'], registers: [registry] }),
    tasks: new Gauge({ name: 'djc_tasks', help: 'Tasks of the live jobs by status.', labelNames: ['status'], registers: [registry] }),
    attempts: new Counter({ name: 'djc_attempts_total', help: 'Attempts of tasks that ended, by outcome (retried: ended and ran again).', labelNames: ['outcome'], registers: [registry] }),
    duration: new Histogram({ name: 'djc_attempt_duration_seconds', help: 'How long the last attempt of each task that succeeded or failed ran.', buckets: SECONDS_BUCKETS, registers: [registry] }),
    wait: new Histogram({ name: 'djc_task_queue_wait_seconds', help: 'From the job\'s start to the claim of a task that ran once.', buckets: SECONDS_BUCKETS, registers: [registry] }),
    workers: new Gauge({ name: 'djc_workers', help: 'Workers of the live jobs as their dispatchers report them.', labelNames: ['dispatcher', 'state'], registers: [registry] }),
    capacity: new Gauge({ name: 'djc_capacity', help: 'Capacity of each scheduler pool.', labelNames: ['pool', 'resource'], registers: [registry] }),
    used: new Gauge({ name: 'djc_capacity_used', help: 'Capacity the granted workers hold, per pool.', labelNames: ['pool', 'resource'], registers: [registry] }),
    free: new Gauge({ name: 'djc_capacity_free', help: 'Capacity free, per pool.', labelNames: ['pool', 'resource'], registers: [registry] }),
    aws: new Counter({ name: 'djc_aws_requests_total', help: 'AWS requests this process made, by service and operation (SDK retries included).', labelNames: ['service', 'operation'], registers: [registry] }),
  };
  // Every label value a scrape may leave at zero is set once, so rates and absences read the same way.
  for (const status of ENDED_STATUSES) m.ended.inc({ status }, 0);
  for (const outcome of ['succeeded', 'failed', 'cancelled', 'retried']) m.attempts.inc({ outcome }, 0);
  const census = createJobCensus(o.backend, o.since ?? Date.now());
  const observer = createAttemptObserver(o.backend, o.taskBudget);
  /** Jobs that ended and whose tasks the observer has not read to the end yet. */
  const finishing = new Map<string, JobRecord>();
  const awsSeen: Record<string, number> = {};
  const observe = (t: TaskObservation) => {
    for (const a of t.attempts) {
      m.attempts.inc({ outcome: a.outcome }, a.count);
      if (a.durationS !== undefined) m.duration.observe(a.durationS);
    }
    if (t.queueWaitS !== undefined) m.wait.observe(t.queueWaitS);
  };
  const refresh = async () => {
    const { live, ended } = await census.take();
    setJobGauges(m, live);
    for (const job of ended) {
      m.ended.inc({ status: job.status });
      if (job.kind !== 'pipeline') finishing.set(job.jobId, job);
    }
    const followed = [...live.filter((j) => j.kind !== 'pipeline'), ...finishing.values()];
    await observer.scan(followed, observe);
    for (const job of finishing.values()) if (observer.done(job)) finishing.delete(job.jobId);
    setCapacity(m, o.scheduler?.() ?? null);
    const totals = o.backend.requestTotals?.() ?? {};
    for (const [op, n] of Object.entries(totals)) {
      const [service = '', operation = ''] = op.split('.', 2);
      m.aws.inc({ service, operation }, n - (awsSeen[op] ?? 0));
      awsSeen[op] = n;
    }
  };
  let inFlight: Promise<string> | null = null;
  return {
    contentType: registry.contentType,
    render: () => {
      inFlight ??= refresh().then(() => registry.metrics()).finally(() => { inFlight = null; });
      return inFlight;
    },
  };
}

type MetricSet = { jobs: Gauge; tasks: Gauge; workers: Gauge; capacity: Gauge; used: Gauge; free: Gauge };

function setJobGauges(m: MetricSet, live: readonly JobRecord[]): void {
  m.jobs.reset();
  m.tasks.reset();
  m.workers.reset();
  for (const status of LIVE_STATUSES) m.jobs.set({ status }, 0);
  for (const status of TASK_STATUSES) m.tasks.set({ status: TASK_COUNT_KEY[status] }, 0);
  for (const job of live) {
    m.jobs.inc({ status: job.status });
    for (const status of TASK_STATUSES) {
      const key = TASK_COUNT_KEY[status];
      m.tasks.inc({ status: key }, job.tasks[key]);
    }
    for (const g of job.workers?.groups ?? []) m.workers.inc({ dispatcher: job.workers?.dispatcher ?? '', state: g.state }, g.count);
  }
}

function setCapacity(m: MetricSet, snapshot: SchedulerSnapshot | null): void {
  m.capacity.reset();
  m.used.reset();
  m.free.reset();
  if (!snapshot) return;
  for (const row of capacityRows(snapshot)) {
    const labels = { pool: row.pool, resource: row.resource };
    m.capacity.set(labels, row.total);
    m.used.set(labels, row.used);
    m.free.set(labels, row.free);
  }
}
