/** Row shapes of the `jobs` and `tasks` tables and their mapping to port records. */
import type { AfterDependency, AttemptUsage, SpeculationCounts, SpeculationState, BackendName, CoordinationMode, JobKind, JobRecord, StageRef, OutputKind, RetryRecord, TaskCounts, TaskRecord } from '../../model/job.js';
import type { JobStatus, TaskStatus } from '../../model/status.js';
import type { JobFiles } from './sqlite-job-files.js';
import type { JobConfig } from '../../config/schema.js';
import type { PipelineGraph } from '../../pipeline/types.js';

export interface JobRow {
  job_id: string;
  name: string;
  status: JobStatus;
  backend: BackendName;
  config: string;
  config_path: string;
  mode: CoordinationMode;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  output_path: string | null;
  cancel_requested: number;
  coordinator_owner: string | null;
  coordinator_seen_at: number | null;
  /** Added by the i13-fence migration. */
  coordinator_epoch?: number;
  coordination_json?: string | null;
  workers_json: string | null;
  /** Added by migration 8. */
  retries_json?: string | null;
  /** Added by migration 10. */
  kind: JobKind;
  parent_id: string | null;
  stage_json: string | null;
  pipeline_json: string | null;
  reason: string | null;
  /** Added by migration 11. */
  after_json: string | null;
  /** Added by migration 14. */
  owner: string;
  queued_at: string | null;
  /** Added by migration 19 (JSON SpeculationCounts). */
  speculation_json?: string | null;
  version: number;
  tasks_total: number;
  tasks_pending: number;
  /** Added by migration 9. */
  tasks_claimed: number;
  tasks_running: number;
  tasks_retrying: number;
  tasks_succeeded: number;
  tasks_failed: number;
  tasks_cancelled: number;
  records_total: number;
  records_processed: number;
  records_bad: number;
}

export interface TaskRow {
  job_id: string;
  task_id: number;
  status: TaskStatus;
  attempts: number;
  attempt_floor: number;
  batch: string;
  lease_owner: string | null;
  lease_expires_at: number | null;
  not_before: number | null;
  worker: string | null;
  error: string | null;
  failure_kind: string | null;
  exit_code: number | null;
  output_key: string | null;
  output_kind: OutputKind | null;
  /** Added by migration 7. */
  output_inline?: Uint8Array | null;
  /** Added by migration 5. */
  records: number | null;
  /** Added by migration 6. */
  bad: number | null;
  /** Added by migration 9. */
  claimed_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  /** Added by migration 13 (JSON). */
  reused_from?: string | null;
  /** Added by migration 17 (JSON AttemptUsage). */
  usage_json?: string | null;
  /** Added by migration 19. */
  lease_attempt?: number | null;
  copy_owner?: string | null;
  copy_attempt?: number | null;
  copy_expires_at?: number | null;
  speculation?: SpeculationState | null;
}

/** `requests`: the job's request counts (the `job_requests` rows), `{}` when none. */
export function toJobRecord(row: JobRow, requests: Record<string, number> = {}): JobRecord {
  return {
    jobId: row.job_id,
    name: row.name,
    status: row.status,
    kind: row.kind,
    parentId: row.parent_id,
    stage: row.stage_json ? (JSON.parse(row.stage_json) as StageRef) : null,
    pipeline: row.pipeline_json ? (JSON.parse(row.pipeline_json) as PipelineGraph) : null,
    reason: row.reason,
    after: row.after_json ? (JSON.parse(row.after_json) as AfterDependency) : null,
    owner: row.owner,
    queuedAt: row.queued_at,
    backend: row.backend,
    config: JSON.parse(row.config) as JobConfig,
    configPath: row.config_path,
    mode: row.mode,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    error: row.error,
    tasks: countsOf(row),
    records: { total: row.records_total, processed: row.records_processed, bad: row.records_bad },
    outputPath: row.output_path,
    cancelRequested: row.cancel_requested !== 0,
    coordinator: row.coordinator_owner === null ? null : { owner: row.coordinator_owner, seenAt: row.coordinator_seen_at ?? 0, epoch: row.coordinator_epoch ?? 0 },
    workers: row.workers_json ? (JSON.parse(row.workers_json) as JobRecord['workers']) : null,
    version: row.version,
    requests,
    retries: row.retries_json ? (JSON.parse(row.retries_json) as RetryRecord[]) : [],
    coordination: row.coordination_json ? (JSON.parse(row.coordination_json) as JobRecord['coordination']) : null,
    ...(row.speculation_json ? { speculation: JSON.parse(row.speculation_json) as SpeculationCounts } : {}),
  };
}

function countsOf(row: JobRow): TaskCounts {
  return {
    total: row.tasks_total,
    pending: row.tasks_pending,
    claimed: row.tasks_claimed,
    running: row.tasks_running,
    retrying: row.tasks_retrying,
    succeeded: row.tasks_succeeded,
    failed: row.tasks_failed,
    cancelled: row.tasks_cancelled,
  };
}

/** `files` resolves the batch's input file (a packed row batch, sqlite-job-files.ts). */
export function toTaskRecord(row: TaskRow, files: JobFiles): TaskRecord {
  return {
    jobId: row.job_id,
    taskId: row.task_id,
    status: row.status,
    attempts: row.attempts,
    attemptFloor: row.attempt_floor,
    batch: files.unpack(row.job_id, row.task_id, row.batch),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    notBefore: row.not_before,
    worker: row.worker,
    error: row.error,
    exitCode: row.exit_code,
    outputKey: row.output_key,
    outputKind: row.output_kind,
    inlineOutput: row.output_inline ?? null,
    records: row.records ?? null,
    bad: row.bad ?? null,
    claimedAt: row.claimed_at ?? null,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    ...(row.reused_from ? { reusedFrom: JSON.parse(row.reused_from) as { jobId: string; taskId: number } } : {}),
    ...(row.usage_json ? { usage: JSON.parse(row.usage_json) as AttemptUsage } : {}),
    ...(row.speculation ? { speculation: row.speculation } : {}),
    ...(row.lease_attempt != null ? { leaseAttempt: row.lease_attempt } : {}),
    ...(row.copy_owner != null && row.copy_attempt != null
      ? { copy: { owner: row.copy_owner, attempt: row.copy_attempt, leaseExpiresAt: row.copy_expires_at ?? 0 } }
      : {}),
  };
}
