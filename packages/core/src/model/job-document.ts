import type { AttemptUsage, JobRecord, RetryRecord, SpeculationCounts, SpeculationState, TaskRecord, WorkersRecord } from './job.js';
import type { Point } from '../pipeline/types.js';

/**
 * The documented JSON shapes (`--json` of status/run/wait, list, tasks, and
 * the webhook payload). Scripts depend on these keys: add, never rename.
 */
export interface JobStatusDocument {
  jobId: string;
  name: string;
  status: string;
  /** job, pipeline, or stage (a run of a pipeline's stage). */
  kind: JobRecord['kind'];
  /** A stage run's pipeline; null otherwise. */
  parentId: string | null;
  /** A stage run's stage name and matrix point; null otherwise. */
  stage: { name: string; point: Point | null } | null;
  /** Why a WAITING job waits, or a SKIPPED job was skipped; null otherwise. */
  reason: string | null;
  /** Who submitted it (fair share and quotas count by it; '' for jobs from before owners). */
  owner: string;
  /** As written or last set (`djc priority`): low, normal, high, urgent, or an integer. */
  priority: JobRecord['config']['priority'];
  backend: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  tasks: JobRecord['tasks'];
  /** `totalKnown`: false while `total` is not the job's exact record count yet (see recordsTotal). */
  records: JobRecord['records'] & { totalKnown: boolean };
  output: { path: string | null };
  error: string | null;
  /** Backend requests made for the job; present only when there are some (aws backend). */
  requests?: RequestsDocument;
  /** The job's workers as the coordinator last saw them (dispatcher, Slurm array ids, states); absent before dispatch. */
  workers?: WorkersRecord;
  /** Every `djc retry` of the job, oldest first: when, which tasks, which settings changed; [] before the first. */
  retries: RetryRecord[];
  /** Speculative copies of stragglers (compute.speculate): asked for, and how many won; absent before the first. */
  speculation?: SpeculationCounts;
  /** Who coordinates the job (set by the coordinator package's statusDocument; absent from core's jobStatusDocument). */
  coordinator?: CoordinatorDocument;
}

/**
 * The job's coordinator as last seen: `owner` and `seenAt` (ISO) of its
 * latest mark (null before any coordinator marked it); `orphaned`: the job is
 * not over and no coordinator has marked it for DJC_COORDINATOR_STALE_SECONDS
 * (default 30): nothing moves it until one starts (`djc coordinator`).
 */
export interface CoordinatorDocument {
  owner: string | null;
  seenAt: string | null;
  orphaned: boolean;
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

/**
 * True when prepare counted every batch's records (split by records, parquet
 * row groups, binary, files): the job's `records.total` is then set when it
 * leaves PREPARING, and every batch holds at least one record, so the total
 * is positive whenever there are tasks. False for batches counted only when
 * their tasks run (jsonl, text, csv split by bytes; compressed files): their
 * total stays 0 until finalize.
 */
export function recordsCountedAtPrepare(job: JobRecord): boolean {
  return job.records.total > 0 || job.tasks.total === 0;
}

/**
 * The job's record total and whether it is exact. Counted at prepare, it is
 * known once the job is past PREPARING. Otherwise it is known once every
 * task has succeeded: then it is the processed count plus the bad count
 * (each task commits the exact counts of its batch), which finalize also
 * stores as `records.total`.
 */
export function recordsTotal(job: JobRecord): { total: number; known: boolean } {
  if (job.status === 'SUBMITTED' || job.status === 'PREPARING') return { total: job.records.total, known: false };
  if (recordsCountedAtPrepare(job)) return { total: job.records.total, known: true };
  const known = job.tasks.succeeded === job.tasks.total;
  return { total: known ? job.records.processed + job.records.bad : job.records.total, known };
}

/** With `estimate`, the document carries `requests` when the job has counted requests. */
export function jobStatusDocument(job: JobRecord, estimate?: RequestCostEstimator): JobStatusDocument {
  const requests = estimate ? requestsDocument(job, estimate) : undefined;
  const totals = recordsTotal(job);
  return {
    jobId: job.jobId,
    name: job.name,
    status: job.status,
    kind: job.kind,
    parentId: job.parentId,
    stage: job.stage ? { name: job.stage.name, point: job.stage.point } : null,
    reason: job.reason,
    owner: job.owner,
    priority: job.config.priority,
    backend: job.backend,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    endedAt: job.endedAt,
    tasks: { ...job.tasks },
    records: { ...job.records, total: totals.total, totalKnown: totals.known },
    output: { path: job.outputPath },
    error: job.error,
    ...(requests ? { requests } : {}),
    ...(job.workers ? { workers: job.workers } : {}),
    retries: job.retries,
    ...(job.speculation ? { speculation: { ...job.speculation } } : {}),
  };
}

export interface TaskDocument {
  taskId: number;
  status: string;
  attempts: number;
  /** The records the task committed, else its batch's count from prepare; null when not known yet (split by bytes). */
  records: number | null;
  /** Bad records the task left out (input.on_bad_record skip or dead_letter); null unless it succeeded. */
  bad: number | null;
  error: string | null;
  exitCode: number | null;
  worker: string | null;
  /** When the latest attempt was claimed; it waited in its worker from then until startedAt. */
  claimedAt: string | null;
  /** When the latest attempt's handler started (null while the task is CLAIMED). */
  startedAt: string | null;
  endedAt: string | null;
  /** Per-batch re-use (pipelines): the earlier task whose output this one took without running (attempts 0); null otherwise. */
  reusedFrom: { jobId: string; taskId: number } | null;
  /** What the latest ended attempt used (CPU ms, peak memory bytes, scope: see AttemptUsage); null when not measured. */
  usage: AttemptUsage | null;
  /** A speculative copy of its latest attempt: requested, running, won (the copy committed first) or lost; null when none. */
  speculation: SpeculationState | null;
}

export function taskDocument(t: TaskRecord): TaskDocument {
  return {
    taskId: t.taskId,
    status: t.status,
    attempts: t.attempts,
    records: t.records ?? t.batch.records,
    bad: t.bad,
    error: t.error,
    exitCode: t.exitCode,
    worker: t.worker,
    claimedAt: t.claimedAt,
    startedAt: t.startedAt,
    endedAt: t.endedAt,
    reusedFrom: t.reusedFrom ?? null,
    usage: t.usage ?? null,
    speculation: t.speculation ?? null,
  };
}
