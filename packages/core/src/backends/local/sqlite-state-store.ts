/**
 * StateStore on the local SQLite file. Every method that writes is one
 * IMMEDIATE transaction (the write lock is taken up front, so concurrent
 * writers queue on busy_timeout instead of failing half-way), retried as a
 * whole on SQLITE_BUSY. Reads are single statements on a WAL snapshot.
 * Operations are short and synchronous underneath; `signal` is not consulted.
 */
import type { JobRecord, NewJob, TaskRecord } from '../../model/job.js';
import type { BatchDescriptor } from '../../model/batch.js';
import { JobFiles } from './sqlite-job-files.js';
import type { JobStatus, TaskStatus } from '../../model/status.js';
import type {
  ClaimRequest, ClaimResult, CompleteResult, CoordinatorInfo, LockClaim, LeaseWrite, JobPatch, RequestCountDelta, LeaseRef, JobRef, ListJobIdsOptions, ListJobsOptions, ListTasksOptions,
  ReclaimRequest, ResetTasksOptions, ReusedTask, StateStore, TaskOutcome, FenceOptions, IoOptions,
  TaskOutputRef,
} from '../../ports/state-store.js';
import type { CacheEntry, TaskCacheEntry, TaskCacheRef } from '../../ports/cache-index.js';
import { openDatabase, type Db } from './db.js';
import { JobCounters } from './job-counters.js';
import { SqliteBulkTaskOps } from './sqlite-bulk-task-ops.js';
import { SqliteCacheIndex } from './sqlite-cache-index.js';
import { SqliteCoordinatorLock } from './sqlite-coordinator-lock.js';
import { SqliteJobOps } from './sqlite-job-ops.js';
import { SqliteLeaseOps } from './sqlite-lease-ops.js';
import { SqliteCopyOps } from './sqlite-copy-ops.js';
import { SqliteRateSlots } from './sqlite-rate-slots.js';
import { withLock } from './sqlite-retry.js';
import { SqliteTaskOps } from './sqlite-task-ops.js';
import { SqliteTaskInserts } from './sqlite-task-inserts.js';
import { SqliteTokenStore } from './sqlite-token-store.js';
import type { NewToken, TokenRecord } from '../../ports/token-store.js';

export interface SqliteStateStoreOptions {
  /** An open database (see openDatabase); shared with the queue of the same backend. */
  db: Db;
  /** Close `db` when the store closes (default false: the backend closes it). */
  ownsDb?: boolean;
}

/** Wraps `fn` in an IMMEDIATE transaction, retried on SQLITE_BUSY. */
function writer<A extends unknown[], R>(db: Db, fn: (...args: A) => R): (...args: A) => Promise<R> {
  const tx = db.transaction(fn);
  return (...args: A) => withLock(() => tx.immediate(...args));
}

export class SqliteStateStore implements StateStore {
  private readonly db: Db;
  private readonly ownsDb: boolean;
  private readonly jobs: SqliteJobOps;
  private readonly tasks: SqliteTaskOps;
  /** Claims and ends inside a caller's transaction: the backend's joint operations (sqlite-joint-ops.ts). */
  readonly leases: SqliteLeaseOps;
  private readonly copies: SqliteCopyOps;
  private readonly bulk: SqliteBulkTaskOps;
  /** Prepare's task rows inside a caller's transaction: the backend's joint operations (sqlite-joint-ops.ts). */
  readonly inserts: SqliteTaskInserts;
  private readonly lock: SqliteCoordinatorLock;
  private readonly cache: SqliteCacheIndex;
  private readonly rates: SqliteRateSlots;
  private readonly tokens: SqliteTokenStore;
  private readonly w;

  constructor(opts: SqliteStateStoreOptions) {
    this.db = opts.db;
    this.ownsDb = opts.ownsDb ?? false;
    const counters = new JobCounters(this.db);
    const files = new JobFiles(this.db);
    this.jobs = new SqliteJobOps(this.db);
    this.tasks = new SqliteTaskOps(this.db, this.jobs, counters, files);
    this.copies = new SqliteCopyOps(this.db, files);
    this.leases = new SqliteLeaseOps(this.db, counters, this.copies, files);
    this.bulk = new SqliteBulkTaskOps(this.db, counters, files);
    this.inserts = new SqliteTaskInserts(this.db, this.jobs, counters, files);
    this.lock = new SqliteCoordinatorLock(this.db);
    this.cache = new SqliteCacheIndex(this.db);
    this.rates = new SqliteRateSlots(this.db);
    this.tokens = new SqliteTokenStore(this.db);
    this.w = this.writers();
  }

  private writers() {
    const { db, jobs, tasks, inserts, leases, copies, bulk, lock, cache, rates, tokens } = this;
    return {
      createJob: writer(db, (job: NewJob) => jobs.create(job)),
      createJobs: writer(db, (js: readonly NewJob[]) => jobs.createMany(js)),
      transitionJob: writer(db, (id: string, from: readonly JobStatus[], to: JobStatus, p: JobPatch | undefined, fence?: number) => {
        jobs.checkFence(id, fence);
        return jobs.transition(id, from, to, p);
      }),
      updateJob: writer(db, (id: string, p: JobPatch, fence?: number) => {
        jobs.checkFence(id, fence);
        return jobs.update(id, p);
      }),
      claimJob: writer(db, (id: string, owner: string) => jobs.claim(id, owner)),
      addRequestCounts: writer(db, (id: string, c: RequestCountDelta) => jobs.addRequests(id, c)),
      putTasks: writer(db, (id: string, b: readonly BatchDescriptor[]) => inserts.put(id, b)),
      putReusedTasks: writer(db, (id: string, ts: readonly ReusedTask[]) => tasks.putReused(id, ts)),
      claimTask: writer(db, (id: string, t: number, r: ClaimRequest) => leases.claim(id, t, r)),
      claimTasks: writer(db, (id: string, ts: readonly number[], r: ClaimRequest) => leases.claimMany(id, ts, r)),
      heartbeat: writer(db, (id: string, t: number, l: LeaseRef, ms: number) => leases.heartbeat(id, t, l, ms)),
      completeTask: writer(db, (id: string, t: number, l: LeaseRef, o: TaskOutcome) => leases.complete(id, t, l, o)),
      completeTasks: writer(db, (id: string, ws: readonly LeaseWrite[]) => leases.completeMany(id, ws)),
      requestCopy: writer(db, (id: string, t: number, a: number) => copies.requestCopy(id, t, a)),
      claimCopy: writer(db, (id: string, t: number, a: number, r: ClaimRequest) => copies.claimCopy(id, t, a, r)),
      releaseTask: writer(db, (id: string, t: number, l: LeaseRef, why: string) => leases.release(id, t, l, why)),
      // Fenced: checked after the change is computed, so a call that changes nothing never throws (as on DynamoDB); the throw rolls it back.
      reclaimTasks: writer(db, (id: string, r: ReclaimRequest, fence?: number) => {
        const changed = bulk.reclaim(id, r);
        if (changed.length > 0) jobs.checkFence(id, fence);
        return changed;
      }),
      cancelTasks: writer(db, (id: string, fence?: number) => {
        const n = bulk.cancel(id);
        if (n > 0) jobs.checkFence(id, fence);
        return n;
      }),
      resetTasks: writer(db, (id: string, s: readonly TaskStatus[], ids?: readonly number[]) => bulk.reset(id, s, ids)),
      acquireLock: writer(db, (claim: LockClaim) => lock.acquire(claim)),
      renewLock: writer(db, (info: CoordinatorInfo) => lock.renew(info)),
      releaseLock: writer(db, (owner: string) => lock.release(owner)),
      reserveRateSlot: writer(db, (id: string, interval: number, now: number) => rates.reserve(id, interval, now)),
      putCacheEntry: writer(db, (e: CacheEntry) => cache.putEntry(e)),
      deleteCacheEntry: writer(db, (key: string, jobId: string) => cache.deleteEntry(key, jobId)),
      putTaskCacheEntries: writer(db, (es: readonly TaskCacheEntry[]) => cache.putTaskEntries(es)),
      createToken: writer(db, (t: NewToken) => tokens.create(t)),
      revokeToken: writer(db, (id: string, at: string) => tokens.revokeToken(id, at)),
      touchToken: writer(db, (id: string, at: string) => tokens.touchToken(id, at)),
    };
  }

  /** One upsert in an IMMEDIATE transaction (sqlite-rate-slots.ts). */
  reserveRateSlot(jobId: string, intervalMs: number, now = Date.now()): Promise<number> {
    return this.w.reserveRateSlot(jobId, intervalMs, now);
  }

  createJob(job: NewJob): Promise<JobRecord> {
    return this.w.createJob(job);
  }

  /** One IMMEDIATE transaction for all of them. */
  createJobs(jobs: readonly NewJob[]): Promise<number> {
    return this.w.createJobs(jobs);
  }

  getJob(jobId: string): Promise<JobRecord | null> {
    return withLock(() => this.jobs.get(jobId));
  }

  listJobs(opts?: ListJobsOptions): Promise<JobRecord[]> {
    return withLock(() => this.jobs.list(opts));
  }

  listJobIds(opts?: ListJobIdsOptions): Promise<JobRef[]> {
    return withLock(() => this.jobs.listIds(opts));
  }

  transitionJob(jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatch, opts: FenceOptions = {}): Promise<JobRecord> {
    return this.w.transitionJob(jobId, from, to, patch, opts.fence);
  }

  updateJob(jobId: string, patch: JobPatch, opts: FenceOptions = {}): Promise<JobRecord> {
    return this.w.updateJob(jobId, patch, opts.fence);
  }

  claimJob(jobId: string, owner: string, _opts?: IoOptions): Promise<JobRecord> {
    return this.w.claimJob(jobId, owner);
  }

  addRequestCounts(jobId: string, counts: RequestCountDelta): Promise<void> {
    return this.w.addRequestCounts(jobId, counts);
  }

  putTasks(jobId: string, batches: readonly BatchDescriptor[]): Promise<number> {
    return this.w.putTasks(jobId, batches);
  }

  putReusedTasks(jobId: string, tasks: readonly ReusedTask[]): Promise<number> {
    return this.w.putReusedTasks(jobId, tasks);
  }

  getTask(jobId: string, taskId: number): Promise<TaskRecord | null> {
    return withLock(() => this.tasks.get(jobId, taskId));
  }

  listTasks(jobId: string, opts?: ListTasksOptions): Promise<TaskRecord[]> {
    return withLock(() => this.tasks.list(jobId, opts));
  }

  listOutputs(jobId: string, opts?: Omit<ListTasksOptions, 'status'>): Promise<TaskOutputRef[]> {
    return withLock(() => this.tasks.listOutputs(jobId, opts));
  }

  claimTask(jobId: string, taskId: number, req: ClaimRequest): Promise<TaskRecord> {
    return this.w.claimTask(jobId, taskId, req);
  }

  /** One IMMEDIATE transaction for all of them. */
  claimTasks(jobId: string, taskIds: readonly number[], req: ClaimRequest): Promise<ClaimResult[]> {
    return this.w.claimTasks(jobId, taskIds, req);
  }

  heartbeat(jobId: string, taskId: number, lease: LeaseRef, leaseMs: number): Promise<boolean> {
    return this.w.heartbeat(jobId, taskId, lease, leaseMs);
  }

  completeTask(jobId: string, taskId: number, lease: LeaseRef, outcome: TaskOutcome): Promise<TaskRecord> {
    return this.w.completeTask(jobId, taskId, lease, outcome);
  }

  /** One IMMEDIATE transaction for all of them. */
  completeTasks(jobId: string, writes: readonly LeaseWrite[]): Promise<CompleteResult[]> {
    return this.w.completeTasks(jobId, writes);
  }

  requestCopy(jobId: string, taskId: number, attempt: number): Promise<boolean> {
    return this.w.requestCopy(jobId, taskId, attempt);
  }

  claimCopy(jobId: string, taskId: number, copyOf: number, req: ClaimRequest): Promise<TaskRecord> {
    return this.w.claimCopy(jobId, taskId, copyOf, req);
  }

  releaseTask(jobId: string, taskId: number, lease: LeaseRef, reason: string): Promise<TaskRecord> {
    return this.w.releaseTask(jobId, taskId, lease, reason);
  }

  /** Reads first: when nothing is to be reclaimed (a WAL snapshot says so), no write lock is taken. */
  async reclaimTasks(jobId: string, req: ReclaimRequest, opts: FenceOptions = {}): Promise<TaskRecord[]> {
    if (!(await withLock(() => this.leases.anyLost(jobId, req)))) return [];
    return this.w.reclaimTasks(jobId, req, opts.fence);
  }

  cancelTasks(jobId: string, opts: FenceOptions = {}): Promise<number> {
    return this.w.cancelTasks(jobId, opts.fence);
  }

  resetTasks(jobId: string, statuses: readonly TaskStatus[], opts: ResetTasksOptions = {}): Promise<TaskRecord[]> {
    return this.w.resetTasks(jobId, statuses, opts.taskIds);
  }

  acquireCoordinatorLock(claim: LockClaim): Promise<boolean> {
    return this.w.acquireLock(claim);
  }

  renewCoordinatorLock(info: CoordinatorInfo): Promise<boolean> {
    return this.w.renewLock(info);
  }

  getCoordinatorLock(): Promise<CoordinatorInfo | null> {
    return withLock(() => this.lock.get());
  }

  releaseCoordinatorLock(owner: string): Promise<void> {
    return this.w.releaseLock(owner);
  }

  putCacheEntry(entry: CacheEntry): Promise<void> {
    return this.w.putCacheEntry(entry);
  }

  getCacheEntry(key: string): Promise<CacheEntry | null> {
    return withLock(() => this.cache.getEntry(key));
  }

  latestCacheEntry(pipeline: string, stage: string): Promise<CacheEntry | null> {
    return withLock(() => this.cache.latestEntry(pipeline, stage));
  }

  deleteCacheEntry(key: string, jobId: string): Promise<boolean> {
    return this.w.deleteCacheEntry(key, jobId);
  }

  /** One IMMEDIATE transaction for all of them. */
  putTaskCacheEntries(entries: readonly TaskCacheEntry[]): Promise<void> {
    return this.w.putTaskCacheEntries(entries);
  }

  getTaskCacheEntries(refs: readonly TaskCacheRef[]): Promise<TaskCacheEntry[]> {
    return withLock(() => this.cache.getTaskEntries(refs));
  }

  createToken(token: NewToken): Promise<TokenRecord> {
    return this.w.createToken(token);
  }

  getToken(id: string): Promise<TokenRecord | null> {
    return withLock(() => this.tokens.get(id));
  }

  listTokens(): Promise<TokenRecord[]> {
    return withLock(() => this.tokens.list());
  }

  revokeToken(id: string, at: string): Promise<TokenRecord | null> {
    return this.w.revokeToken(id, at);
  }

  touchToken(id: string, at: string): Promise<void> {
    return this.w.touchToken(id, at);
  }

  async close(): Promise<void> {
    if (this.ownsDb && this.db.open) this.db.close();
  }
}

/** A state store on its own database file, or on a handle shared with a queue. */
export function createSqliteStateStore(opts: { db: Db } | { file: string }): SqliteStateStore {
  return 'db' in opts ? new SqliteStateStore({ db: opts.db }) : new SqliteStateStore({ db: openDatabase(opts.file), ownsDb: true });
}
