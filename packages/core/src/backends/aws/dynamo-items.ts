/**
 * Item shapes of the state table and their mapping to port records. Stored
 * items cross a trust boundary (anyone with table access can write them), so
 * they are parsed with a schema on read; `v` is the item schema version. An
 * attribute that is absent (or NULL) reads as null.
 */
import { z } from 'zod';
import { DjcError } from '../../errors.js';
import type { JobConfig } from '../../config/schema.js';
import type { BatchDescriptor } from '../../model/batch.js';
import { JOB_STATUSES, TASK_STATUSES } from '../../model/status.js';
import type { AfterDependency, JobRecord, NewJob, RetryRecord, SpeculationCounts, StageRef, TaskRecord } from '../../model/job.js';
import type { PipelineGraph } from '../../pipeline/types.js';
import {
  ALL_JOBS_PK, configKey, createdSk, ITEM_VERSION, jobKey, MAX_CONFIG_BYTES, statusPk, taskKey,
} from './dynamo-schema.js';
import type { Item } from './dynamo-request.js';
import type { TaskCacheEntry } from '../../ports/cache-index.js';
import type { TaskOutputRef } from '../../ports/state-store.js';

const text = z.string();
const maybeText = z.string().nullish();
const count = z.number().int();
const maybeNumber = z.number().nullish();
const version = z.literal(ITEM_VERSION);

const JobItemSchema = z.object({
  v: version,
  job_id: text,
  name: text,
  status: z.enum(JOB_STATUSES),
  // Absent on items written before pipelines (kind job, no parent).
  kind: z.enum(['job', 'pipeline', 'stage']).nullish(),
  parent_id: maybeText,
  stage_json: maybeText,
  reason: maybeText,
  after_json: maybeText,
  // Absent on items written before the scheduler (owner '').
  owner: maybeText,
  queued_at: maybeText,
  backend: z.enum(['local', 'aws']),
  config_path: text,
  mode: z.enum(['run', 'daemon']),
  created_at: text,
  started_at: maybeText,
  ended_at: maybeText,
  error: maybeText,
  output_path: maybeText,
  cancel_requested: z.boolean(),
  coordinator_owner: maybeText,
  coordinator_seen_at: maybeNumber,
  // Absent before the job's first claim (epoch 0).
  coordinator_epoch: maybeNumber,
  coordination_json: maybeText,
  workers_json: maybeText,
  speculation_json: maybeText,
  /** Revision of the CONFIG item's settings; absent until a `djc retry` changes them. */
  config_rev: maybeText,
  version: count,
  tasks_total: count,
  tasks_pending: count,
  // Absent on job items written before CLAIMED existed (read as 0; ADD creates it).
  tasks_claimed: count.nullish(),
  tasks_running: count,
  tasks_retrying: count,
  tasks_succeeded: count,
  tasks_failed: count,
  tasks_cancelled: count,
  records_total: count,
  records_processed: count,
  records_bad: count,
});

const ConfigItemSchema = z.object({ v: version, config: text, config_rev: maybeText, retries_json: maybeText, pipeline_json: maybeText });

/** What the CONFIG item holds: the config in force, the retry history, and their revision (null as submitted). */
export interface JobSettings {
  config: JobConfig;
  retries: RetryRecord[];
  rev: string | null;
  /** A pipeline's graph (written once at submit, beside its config). */
  pipeline: PipelineGraph | null;
}

const TaskItemSchema = z.object({
  v: version,
  job_id: text,
  task_id: count,
  status: z.enum(TASK_STATUSES),
  attempts: count,
  attempt_floor: count,
  batch: text,
  lease_owner: maybeText,
  lease_expires_at: maybeNumber,
  not_before: maybeNumber,
  worker: maybeText,
  error: maybeText,
  exit_code: maybeNumber,
  output_key: maybeText,
  output_inline: z.instanceof(Uint8Array).nullish(),
  output_kind: z.enum(['json-lines', 'json', 'raw']).nullish(),
  records: maybeNumber,
  bad: maybeNumber,
  claimed_at: maybeText,
  started_at: maybeText,
  ended_at: maybeText,
  reused_from: maybeText,
  usage: z.object({ cpuMs: z.number(), peakMemoryBytes: z.number(), scope: z.enum(['thread', 'process', 'process-group']) }).nullish(),
  // Speculative copies (StateStore.claimCopy): absent on other tasks.
  lease_attempt: maybeNumber,
  copy: z.object({ owner: z.string(), attempt: z.number(), leaseExpiresAt: z.number() }).nullish(),
  speculation: z.enum(['requested', 'running', 'won', 'lost']).nullish(),
});

/** What listOutputs reads of a task item (its projection). */
const TaskOutputSchema = TaskItemSchema.pick({ task_id: true, output_key: true, output_inline: true, output_kind: true });

/** Parses a stored item; a malformed one is an INTERNAL error naming the item. */
function parse<T>(schema: z.ZodType<T>, item: Item, what: string): T {
  const r = schema.safeParse(item);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = `${String(item.pk)} / ${String(item.sk)}`;
  throw new DjcError('INTERNAL', `${what}: item ${where} is not a djc v${ITEM_VERSION} item (${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'})`, {
    hint: 'was the table written by another program or a newer djc?',
  });
}

/** The job's record from its job item and its (cached or read) config. */
/** `requests`: the job's request counts (its REQUESTS item), `{}` when none. */
export function toJobRecord(item: Item, settings: JobSettings, what: string, requests: Record<string, number> = {}): JobRecord {
  const j = parse(JobItemSchema, item, what);
  const { config } = settings;
  return {
    jobId: j.job_id,
    name: j.name,
    status: j.status,
    kind: j.kind ?? 'job',
    parentId: j.parent_id ?? null,
    stage: j.stage_json ? (JSON.parse(j.stage_json) as StageRef) : null,
    pipeline: settings.pipeline,
    reason: j.reason ?? null,
    after: j.after_json ? (JSON.parse(j.after_json) as AfterDependency) : null,
    owner: j.owner ?? '',
    queuedAt: j.queued_at ?? null,
    backend: j.backend,
    config,
    configPath: j.config_path,
    mode: j.mode,
    createdAt: j.created_at,
    startedAt: j.started_at ?? null,
    endedAt: j.ended_at ?? null,
    error: j.error ?? null,
    tasks: {
      total: j.tasks_total, pending: j.tasks_pending, claimed: j.tasks_claimed ?? 0, running: j.tasks_running, retrying: j.tasks_retrying,
      succeeded: j.tasks_succeeded, failed: j.tasks_failed, cancelled: j.tasks_cancelled,
    },
    records: { total: j.records_total, processed: j.records_processed, bad: j.records_bad },
    outputPath: j.output_path ?? null,
    cancelRequested: j.cancel_requested,
    coordinator: j.coordinator_owner == null ? null : { owner: j.coordinator_owner, seenAt: j.coordinator_seen_at ?? 0, epoch: j.coordinator_epoch ?? 0 },
    workers: j.workers_json ? (JSON.parse(j.workers_json) as JobRecord['workers']) : null,
    version: j.version,
    requests,
    retries: settings.retries,
    coordination: j.coordination_json ? (JSON.parse(j.coordination_json) as JobRecord['coordination']) : null,
    ...(j.speculation_json ? { speculation: JSON.parse(j.speculation_json) as SpeculationCounts } : {}),
  };
}

export function toJobSettings(item: Item, what: string): JobSettings {
  const c = parse(ConfigItemSchema, item, what);
  return {
    config: JSON.parse(c.config) as JobConfig,
    retries: c.retries_json ? (JSON.parse(c.retries_json) as RetryRecord[]) : [],
    rev: c.config_rev ?? null,
    pipeline: c.pipeline_json ? (JSON.parse(c.pipeline_json) as PipelineGraph) : null,
  };
}

/** The revision of the settings a job item names (null: as submitted). */
export function configRevOf(item: Item): string | null {
  return typeof item.config_rev === 'string' ? item.config_rev : null;
}

/** The config as stored in the CONFIG item; rejects one too large for an item. */
export function configText(jobId: string, config: JobConfig): string {
  const text = JSON.stringify(config);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) {
    throw new DjcError('CONFIG_INVALID', `job ${jobId}: the resolved config is ${Math.ceil(bytes / 1024)} KB; the aws backend stores at most ${MAX_CONFIG_BYTES / 1024} KB`, {
      jobId, hint: 'move large parameters or lists into a file that the handler reads',
    });
  }
  return text;
}

/** A pipeline's graph as stored beside its config; rejects one that would not fit the item with it. */
function pipelineText(jobId: string, graph: PipelineGraph, configBytes: number): string {
  const text = JSON.stringify(graph);
  if (Buffer.byteLength(text) + configBytes > MAX_CONFIG_BYTES) {
    throw new DjcError('CONFIG_INVALID', `pipeline ${jobId}: its ${graph.runs.length} stage runs take more than the ${MAX_CONFIG_BYTES / 1024} KB the aws backend stores for a pipeline`, {
      jobId, hint: 'use fewer matrix points, or split the pipeline',
    });
  }
  return text;
}

export function toTaskRecord(item: Item, what: string): TaskRecord {
  const t = parse(TaskItemSchema, item, what);
  return {
    jobId: t.job_id,
    taskId: t.task_id,
    status: t.status,
    attempts: t.attempts,
    attemptFloor: t.attempt_floor,
    batch: JSON.parse(t.batch) as BatchDescriptor,
    leaseOwner: t.lease_owner ?? null,
    leaseExpiresAt: t.lease_expires_at ?? null,
    notBefore: t.not_before ?? null,
    worker: t.worker ?? null,
    error: t.error ?? null,
    exitCode: t.exit_code ?? null,
    outputKey: t.output_key ?? null,
    inlineOutput: t.output_inline ?? null,
    outputKind: t.output_kind ?? null,
    records: t.records ?? null,
    bad: t.bad ?? null,
    claimedAt: t.claimed_at ?? null,
    startedAt: t.started_at ?? null,
    endedAt: t.ended_at ?? null,
    ...(t.reused_from ? { reusedFrom: JSON.parse(t.reused_from) as { jobId: string; taskId: number } } : {}),
    ...(t.usage ? { usage: t.usage } : {}),
    ...(t.speculation ? { speculation: t.speculation } : {}),
    ...(t.lease_attempt != null ? { leaseAttempt: t.lease_attempt } : {}),
    ...(t.copy ? { copy: t.copy } : {}),
  };
}

export function toTaskOutput(item: Item, what: string): TaskOutputRef {
  const t = parse(TaskOutputSchema, item, what);
  return { taskId: t.task_id, outputKey: t.output_key ?? null, inlineOutput: t.output_inline ?? null, outputKind: t.output_kind ?? null };
}

/** The job item (SUBMITTED, zero counters) and its config item; rejects a config too large for an item. */
export function newJobItems(job: NewJob, createdAt: string): { job: Item; config: Item } {
  const config = configText(job.jobId, job.config);
  const pipeline = job.pipeline ? pipelineText(job.jobId, job.pipeline, Buffer.byteLength(config)) : undefined;
  const zeros = {
    tasks_total: 0, tasks_pending: 0, tasks_claimed: 0, tasks_running: 0, tasks_retrying: 0, tasks_succeeded: 0, tasks_failed: 0,
    tasks_cancelled: 0, records_total: 0, records_processed: 0, records_bad: 0,
  };
  const sortKey = createdSk(createdAt, job.jobId);
  return {
    job: {
      ...jobKey(job.jobId), v: ITEM_VERSION, job_id: job.jobId, name: job.name, backend: job.backend,
      config_path: job.configPath, mode: job.mode, created_at: createdAt, cancel_requested: false, version: 1, ...zeros,
      status: job.status ?? 'SUBMITTED', kind: job.kind ?? 'job', parent_id: job.parentId ?? undefined,
      stage_json: job.stage ? JSON.stringify(job.stage) : undefined, reason: job.reason ?? undefined,
      after_json: job.after ? JSON.stringify(job.after) : undefined, owner: job.owner || undefined,
      gsi1pk: statusPk(job.status ?? 'SUBMITTED'), gsi1sk: sortKey, gsi2pk: ALL_JOBS_PK, gsi2sk: sortKey,
    },
    config: { ...configKey(job.jobId), v: ITEM_VERSION, job_id: job.jobId, config, pipeline_json: pipeline },
  };
}

/** A PENDING task item for one batch. */
/** A task item created SUCCEEDED with the output of the earlier task `from` (per-batch re-use); empty attributes are left out. */
export function reusedTaskItem(jobId: string, batch: BatchDescriptor, from: TaskCacheEntry, endedAt: string): Item {
  const item: Item = {
    ...newTaskItem(jobId, batch), status: 'SUCCEEDED', records: from.records ?? 0, bad: from.bad ?? 0, ended_at: endedAt,
    reused_from: JSON.stringify({ jobId: from.jobId, taskId: from.taskId }),
  };
  if (from.outputKey !== null) item.output_key = from.outputKey;
  if (from.inlineOutput !== null) item.output_inline = from.inlineOutput;
  if (from.outputKind !== null) item.output_kind = from.outputKind;
  return item;
}

export function newTaskItem(jobId: string, batch: BatchDescriptor): Item {
  return {
    ...taskKey(jobId, batch.index), v: ITEM_VERSION, job_id: jobId, task_id: batch.index, status: 'PENDING',
    attempts: 0, attempt_floor: 0, batch: JSON.stringify(batch),
  };
}
