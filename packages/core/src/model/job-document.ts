import type { JobRecord, TaskRecord, WorkersRecord } from './job.js';

/**
 * The documented JSON shapes (`--json` of status/run/wait, list, tasks, and
 * the webhook payload). Scripts depend on these keys: add, never rename.
 */
export interface JobStatusDocument {
  jobId: string;
  name: string;
  status: string;
  backend: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  tasks: JobRecord['tasks'];
  records: JobRecord['records'];
  output: { path: string | null };
  error: string | null;
  /** Backend requests made for the job; present only when there are some (aws backend). */
  requests?: RequestsDocument;
  /** The job's workers as the coordinator last saw them (dispatcher, Slurm array ids, states); absent before dispatch. */
  workers?: WorkersRecord;
}

export interface RequestsDocument {
  total: number;
  /** total / the job's task count (0 without tasks), rounded to 2 decimals. */
  perTask: number;
  /** By "Service.Operation", e.g. "DynamoDB.TransactWriteItems". */
  byOperation: Record<string, number>;
  /** Estimated request charges only (list prices, approximate; no storage or transfer). */
  estimatedCostUsd: number;
}

/** Prices a job's requests (e.g. estimateRequestCostUsd of the aws backend). */
export type RequestCostEstimator = (byOperation: Readonly<Record<string, number>>) => number;

/** The job's request summary, or undefined when it has no counted requests. */
export function requestsDocument(job: JobRecord, estimate: RequestCostEstimator): RequestsDocument | undefined {
  const byOperation = Object.fromEntries(Object.entries(job.requests).sort(([a], [b]) => a.localeCompare(b)));
  const total = Object.values(byOperation).reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  return {
    total,
    perTask: job.tasks.total > 0 ? Math.round((100 * total) / job.tasks.total) / 100 : 0,
    byOperation,
    estimatedCostUsd: Number(estimate(byOperation).toPrecision(4)),
  };
}

/** With `estimate`, the document carries `requests` when the job has counted requests. */
export function jobStatusDocument(job: JobRecord, estimate?: RequestCostEstimator): JobStatusDocument {
  const requests = estimate ? requestsDocument(job, estimate) : undefined;
  return {
    jobId: job.jobId,
    name: job.name,
    status: job.status,
    backend: job.backend,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    endedAt: job.endedAt,
    tasks: { ...job.tasks },
    records: { ...job.records },
    output: { path: job.outputPath },
    error: job.error,
    ...(requests ? { requests } : {}),
    ...(job.workers ? { workers: job.workers } : {}),
  };
}

export interface TaskDocument {
  taskId: number;
  status: string;
  attempts: number;
  records: number;
  error: string | null;
  exitCode: number | null;
  worker: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

export function taskDocument(t: TaskRecord): TaskDocument {
  return {
    taskId: t.taskId,
    status: t.status,
    attempts: t.attempts,
    records: t.batch.records,
    error: t.error,
    exitCode: t.exitCode,
    worker: t.worker,
    startedAt: t.startedAt,
    endedAt: t.endedAt,
  };
}
