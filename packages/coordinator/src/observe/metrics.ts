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
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Backend, JobRecord } from '@djc/core';
import type { SchedulerSnapshot } from '../scheduler/types.js';
import { createAttemptObserver } from './attempt-observer.js';
import { createJobCensus } from './job-census.js';
import { addAwsRequests, createMetricSet, recordTask, setCapacity, setJobGauges } from './metric-set.js';

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

export function createMetrics(o: MetricsOptions): Metrics {
  const registry = new Registry();
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const m = createMetricSet(registry);
  const census = createJobCensus(o.backend, o.since ?? Date.now());
  const observer = createAttemptObserver(o.backend, o.taskBudget);
  /** Jobs that ended and whose tasks the observer has not read to the end yet. */
  const finishing = new Map<string, JobRecord>();
  const awsSeen: Record<string, number> = {};
  const refresh = async () => {
    const { live, ended } = await census.take();
    setJobGauges(m, live);
    for (const job of ended) {
      m.ended.inc({ status: job.status });
      if (job.kind !== 'pipeline') finishing.set(job.jobId, job);
    }
    await observer.scan([...live.filter((j) => j.kind !== 'pipeline'), ...finishing.values()], (t) => recordTask(m, t));
    for (const job of finishing.values()) if (observer.done(job)) finishing.delete(job.jobId);
    setCapacity(m, o.scheduler?.() ?? null);
    addAwsRequests(m, o.backend.requestTotals?.() ?? {}, awsSeen);
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
