/**
 * The Prometheus metrics of metrics.ts (names, help, labels) and how each
 * is set from what a scrape read.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TASK_COUNT_KEY, TASK_STATUSES, type JobRecord } from '@djc/core';
import type { SchedulerSnapshot } from '../scheduler/types.js';
import type { TaskObservation } from './attempt-observer.js';
import { capacityRows } from './capacity-view.js';
import { ENDED_STATUSES, LIVE_STATUSES } from './job-census.js';

const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400];

export type MetricSet = ReturnType<typeof createMetricSet>;

export function createMetricSet(registry: Registry) {
  const registers = [registry];
  const m = {
    jobs: new Gauge({ name: 'djc_jobs', help: 'Jobs by live status (top-level jobs and pipeline runs).', labelNames: ['status'], registers }),
    ended: new Counter({ name: 'djc_jobs_ended_total', help: 'Jobs that ended since this process started, by final status.', labelNames: ['status'], registers }),
    tasks: new Gauge({ name: 'djc_tasks', help: 'Tasks of the live jobs by status.', labelNames: ['status'], registers }),
    attempts: new Counter({ name: 'djc_attempts_total', help: 'Attempts of tasks that ended, by outcome (retried: ended and ran again).', labelNames: ['outcome'], registers }),
    duration: new Histogram({ name: 'djc_attempt_duration_seconds', help: 'How long the last attempt of each task that succeeded or failed ran.', buckets: SECONDS_BUCKETS, registers }),
    wait: new Histogram({ name: 'djc_task_queue_wait_seconds', help: 'From the job\'s start to the claim of a task that ran once.', buckets: SECONDS_BUCKETS, registers }),
    workers: new Gauge({ name: 'djc_workers', help: 'Workers of the live jobs as their dispatchers report them.', labelNames: ['dispatcher', 'state'], registers }),
    capacity: new Gauge({ name: 'djc_capacity', help: 'Capacity of each scheduler pool.', labelNames: ['pool', 'resource'], registers }),
    used: new Gauge({ name: 'djc_capacity_used', help: 'Capacity the granted workers hold, per pool.', labelNames: ['pool', 'resource'], registers }),
    free: new Gauge({ name: 'djc_capacity_free', help: 'Capacity free, per pool.', labelNames: ['pool', 'resource'], registers }),
    aws: new Counter({ name: 'djc_aws_requests_total', help: 'AWS requests this process made, by service and operation (SDK retries included).', labelNames: ['service', 'operation'], registers }),
  };
  // Every label value a scrape may leave at zero is set once, so rates and absences read the same way.
  for (const status of ENDED_STATUSES) m.ended.inc({ status }, 0);
  for (const outcome of ['succeeded', 'failed', 'cancelled', 'retried']) m.attempts.inc({ outcome }, 0);
  return m;
}

/** Jobs, tasks and workers of the live jobs. */
export function setJobGauges(m: MetricSet, live: readonly JobRecord[]): void {
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

/** The attempts of one ended task. */
export function recordTask(m: MetricSet, t: TaskObservation): void {
  for (const a of t.attempts) {
    m.attempts.inc({ outcome: a.outcome }, a.count);
    if (a.durationS !== undefined) m.duration.observe(a.durationS);
  }
  if (t.queueWaitS !== undefined) m.wait.observe(t.queueWaitS);
}

/** Capacity per pool from the scheduler's snapshot (none without one). */
export function setCapacity(m: MetricSet, snapshot: SchedulerSnapshot | null): void {
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

/** Adds what the backend counted since the last call (`seen`: the totals then, updated). */
export function addAwsRequests(m: MetricSet, totals: Readonly<Record<string, number>>, seen: Record<string, number>): void {
  for (const [op, n] of Object.entries(totals)) {
    const [service = '', operation = ''] = op.split('.', 2);
    m.aws.inc({ service, operation }, n - (seen[op] ?? 0));
    seen[op] = n;
  }
}
