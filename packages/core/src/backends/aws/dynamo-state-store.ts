/**
 * StateStore on one DynamoDB table (the single-table design is described in
 * dynamo-schema.ts). Every task status change and its job's counters change
 * in one TransactWriteItems; reads that decide a write are strongly
 * consistent; every request goes through dynamo-request.ts (errors
 * translated at the edge, `signal` passed to the SDK). The store does not
 * own the client: close() leaves it to the caller.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BatchDescriptor } from '../../model/batch.js';
import type { JobRecord, NewJob, TaskRecord } from '../../model/job.js';
import type { JobStatus, TaskStatus } from '../../model/status.js';
import type {
  ClaimRequest, ClaimResult, CompleteResult, CoordinatorInfo, LockClaim, LeaseWrite, IoOptions, JobPatch, RequestCountDelta, LeaseRef, ListJobsOptions, ListTasksOptions,
  JobRef, ListJobIdsOptions, ReclaimRequest, ResetTasksOptions, ReusedTask, StateStore, TaskOutcome, FenceOptions,
  TaskOutputRef,
} from '../../ports/state-store.js';
import type { CacheEntry, TaskCacheEntry, TaskCacheRef } from '../../ports/cache-index.js';
import { DynamoBulkOps } from './dynamo-bulk-ops.js';
import { DynamoCacheIndex } from './dynamo-cache-index.js';
import { listJobIds } from './dynamo-job-ids.js';
import { DynamoJobOps } from './dynamo-job-ops.js';
import { DynamoLeaseOps } from './dynamo-lease-ops.js';
import { DynamoLock } from './dynamo-lock.js';
import { addRequestCounts } from './dynamo-request-counts.js';
import { reserveRateSlot } from './dynamo-rate-slots.js';
import type { DynamoContext } from './dynamo-request.js';
import { checkTableName } from './dynamo-schema.js';
import { DynamoTaskOps } from './dynamo-task-ops.js';
import { DynamoTokenStore } from './dynamo-token-store.js';
import type { NewToken, TokenRecord } from '../../ports/token-store.js';
import { tagOperations } from './operation-tag.js';
import { DEFAULT_RETENTION_DAYS } from './settings.js';
import { claimCopy, requestCopy } from './dynamo-copy-ops.js';

export interface DynamoStateStoreOptions {
  /** A document client, or a low-level client (wrapped in a document client here). */
  client: DynamoDBDocumentClient | DynamoDBClient;
  /** The table created by ensureTable / `djc setup aws`. */
  table: string;
  /**
   * Days after a job or task finishes before DynamoDB's TTL may delete its
   * items (default 30, DJC_RETENTION_DAYS; 0 keeps them forever). See
   * dynamo-schema.ts.
   */
  retentionDays?: number;
}

export class DynamoStateStore implements StateStore {
  private readonly jobs: DynamoJobOps;
  private readonly tasks: DynamoTaskOps;
  private readonly leases: DynamoLeaseOps;
  private readonly bulk: DynamoBulkOps;
  private readonly lock: DynamoLock;
  private readonly cache: DynamoCacheIndex;
  private readonly tokens: DynamoTokenStore;
  private readonly ctx: DynamoContext;

  constructor(opts: DynamoStateStoreOptions) {
    checkTableName(opts.table);
    if (!(opts.client instanceof DynamoDBDocumentClient)) tagOperations(opts.client);
    const doc = opts.client instanceof DynamoDBDocumentClient
      ? opts.client
      : DynamoDBDocumentClient.from(opts.client, { marshallOptions: { removeUndefinedValues: true } });
    const retentionSeconds = Math.round((opts.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400);
    const ctx: DynamoContext = { doc, table: opts.table, what: `DynamoDB table "${opts.table}"`, retentionSeconds };
    this.ctx = ctx;
    this.jobs = new DynamoJobOps(ctx);
    this.tasks = new DynamoTaskOps(ctx, this.jobs);
    this.leases = new DynamoLeaseOps(ctx, this.tasks);
    this.bulk = new DynamoBulkOps(ctx);
    this.lock = new DynamoLock(ctx);
    this.cache = new DynamoCacheIndex(ctx);
    this.tokens = new DynamoTokenStore(ctx);
  }

  createJob(job: NewJob, opts: IoOptions = {}): Promise<JobRecord> {
    return this.jobs.create(job, opts);
  }

  /** Transactions of up to 50 jobs, in order (see DynamoJobOps.createMany). */
  createJobs(jobs: readonly NewJob[], opts: IoOptions = {}): Promise<number> {
    return this.jobs.createMany(jobs, opts);
  }

  getJob(jobId: string, opts: IoOptions = {}): Promise<JobRecord | null> {
    return this.jobs.get(jobId, opts);
  }

  listJobs(opts: ListJobsOptions = {}): Promise<JobRecord[]> {
    return this.jobs.list(opts, opts);
  }

  listJobIds(opts: ListJobIdsOptions = {}): Promise<JobRef[]> {
    return listJobIds(this.ctx, opts, opts);
  }

  transitionJob(jobId: string, from: readonly JobStatus[], to: JobStatus, patch: JobPatch = {}, opts: FenceOptions = {}): Promise<JobRecord> {
    return this.jobs.transition(jobId, from, to, patch, opts, opts.fence);
  }

  updateJob(jobId: string, patch: JobPatch, opts: FenceOptions = {}): Promise<JobRecord> {
    return this.jobs.update(jobId, patch, opts, opts.fence);
  }

  /** One UpdateItem: ADD 1 to coordinator_epoch (dynamo-fence.ts). */
  claimJob(jobId: string, owner: string, opts: IoOptions = {}): Promise<JobRecord> {
    return this.jobs.claim(jobId, owner, opts);
  }

  /** One UpdateItem with ADD on the job's REQUESTS item (see dynamo-request-counts.ts). */
  addRequestCounts(jobId: string, counts: RequestCountDelta, opts: IoOptions = {}): Promise<void> {
    return addRequestCounts(this.ctx, jobId, counts, opts);
  }

  putTasks(jobId: string, batches: readonly BatchDescriptor[], opts: IoOptions = {}): Promise<number> {
    return this.tasks.put(jobId, batches, opts);
  }

  putReusedTasks(jobId: string, tasks: readonly ReusedTask[], opts: IoOptions = {}): Promise<number> {
    return this.tasks.putReused(jobId, tasks, opts);
  }

  getTask(jobId: string, taskId: number, opts: IoOptions = {}): Promise<TaskRecord | null> {
    return this.tasks.get(jobId, taskId, opts);
  }

  listTasks(jobId: string, opts: ListTasksOptions = {}): Promise<TaskRecord[]> {
    return this.tasks.list(jobId, opts, opts);
  }

  listOutputs(jobId: string, opts: Omit<ListTasksOptions, 'status'> = {}): Promise<TaskOutputRef[]> {
    return this.tasks.listOutputs(jobId, opts, opts);
  }

  claimTask(jobId: string, taskId: number, req: ClaimRequest, opts: IoOptions = {}): Promise<TaskRecord> {
    return this.leases.claim(jobId, taskId, req, opts);
  }

  claimTasks(jobId: string, taskIds: readonly number[], req: ClaimRequest, opts: IoOptions = {}): Promise<ClaimResult[]> {
    return this.leases.claimMany(jobId, taskIds, req, opts);
  }

  heartbeat(jobId: string, taskId: number, lease: LeaseRef, leaseMs: number, opts: IoOptions = {}): Promise<boolean> {
    return this.leases.heartbeat(jobId, taskId, lease, leaseMs, opts);
  }

  completeTask(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome, opts: IoOptions = {}): Promise<TaskRecord> {
    return this.leases.complete(jobId, taskId, lease, outcome, opts);
  }

  completeTasks(jobId: string, writes: readonly LeaseWrite[], opts: IoOptions = {}): Promise<CompleteResult[]> {
    return this.leases.completeMany(jobId, writes, opts);
  }

  requestCopy(jobId: string, taskId: number, attempt: number, opts: IoOptions = {}): Promise<boolean> {
    return requestCopy(this.ctx, jobId, taskId, attempt, opts);
  }

  claimCopy(jobId: string, taskId: number, copyOf: number, req: ClaimRequest, opts: IoOptions = {}): Promise<TaskRecord> {
    return claimCopy(this.ctx, this.tasks, jobId, taskId, copyOf, req, opts);
  }

  releaseTask(jobId: string, taskId: number, lease: LeaseRef, reason: string, opts: IoOptions = {}): Promise<TaskRecord> {
    return this.leases.release(jobId, taskId, lease, reason, opts);
  }

  reclaimTasks(jobId: string, req: ReclaimRequest, opts: FenceOptions = {}): Promise<TaskRecord[]> {
    return this.bulk.reclaim(jobId, req, opts, opts.fence);
  }

  cancelTasks(jobId: string, opts: FenceOptions = {}): Promise<number> {
    return this.bulk.cancel(jobId, opts, opts.fence);
  }

  resetTasks(jobId: string, statuses: readonly TaskStatus[], opts: ResetTasksOptions = {}): Promise<TaskRecord[]> {
    return this.bulk.reset(jobId, statuses, opts, opts.taskIds);
  }

  acquireCoordinatorLock(claim: LockClaim, opts: IoOptions = {}): Promise<boolean> {
    return this.lock.acquire(claim, opts);
  }

  renewCoordinatorLock(info: CoordinatorInfo, opts: IoOptions = {}): Promise<boolean> {
    return this.lock.renew(info, opts);
  }

  getCoordinatorLock(opts: IoOptions = {}): Promise<CoordinatorInfo | null> {
    return this.lock.get(opts);
  }

  releaseCoordinatorLock(owner: string, opts: IoOptions = {}): Promise<void> {
    return this.lock.release(owner, opts);
  }

  /** One or a few conditional UpdateItems on the job's THROTTLE item (dynamo-rate-slots.ts). */
  reserveRateSlot(jobId: string, intervalMs: number, now = Date.now(), opts: IoOptions = {}): Promise<number> {
    return reserveRateSlot(this.ctx, jobId, intervalMs, now, opts);
  }

  /** Nothing to release: the caller owns the client (and may share it with other stores). */
  /** A transaction: the entry (conditional on what was read) and its stage history copy (dynamo-cache-index.ts). */
  putCacheEntry(entry: CacheEntry, opts: IoOptions = {}): Promise<void> {
    return this.cache.put(entry, opts);
  }

  getCacheEntry(key: string, opts: IoOptions = {}): Promise<CacheEntry | null> {
    return this.cache.get(key, opts);
  }

  /** One Query of the stage's history partition, newest first, Limit 1. */
  latestCacheEntry(pipeline: string, stage: string, opts: IoOptions = {}): Promise<CacheEntry | null> {
    return this.cache.latest(pipeline, stage, opts);
  }

  deleteCacheEntry(key: string, jobId: string, opts: IoOptions = {}): Promise<boolean> {
    return this.cache.delete(key, jobId, opts);
  }

  /** BatchWriteItem, 25 a request. */
  putTaskCacheEntries(entries: readonly TaskCacheEntry[], opts: IoOptions = {}): Promise<void> {
    return this.cache.putTasks(entries, opts);
  }

  /** BatchGetItem, 100 a request. */
  getTaskCacheEntries(refs: readonly TaskCacheRef[], opts: IoOptions = {}): Promise<TaskCacheEntry[]> {
    return this.cache.getTasks(refs, opts);
  }

  /** Two conditional Puts in one transaction (dynamo-token-store.ts). */
  createToken(token: NewToken, opts: IoOptions = {}): Promise<TokenRecord> {
    return this.tokens.create(token, opts);
  }

  getToken(id: string, opts: IoOptions = {}): Promise<TokenRecord | null> {
    return this.tokens.get(id, opts);
  }

  /** One Query of the TOKENS partition. */
  listTokens(opts: IoOptions = {}): Promise<TokenRecord[]> {
    return this.tokens.list(opts);
  }

  revokeToken(id: string, at: string, opts: IoOptions = {}): Promise<TokenRecord | null> {
    return this.tokens.revoke(id, at, opts);
  }

  touchToken(id: string, at: string, opts: IoOptions = {}): Promise<void> {
    return this.tokens.touch(id, at, opts);
  }

  async close(): Promise<void> {}
}

/** A StateStore on an existing table (see ensureTable). */
export function createDynamoStateStore(opts: DynamoStateStoreOptions): DynamoStateStore {
  return new DynamoStateStore(opts);
}
